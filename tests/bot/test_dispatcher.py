"""Routing without HTTP: the registry table decides, state survives, odd input gets a polite reply."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.dispatcher import dispatch
from bot.services import Services
from bot.settings import Settings
from handlers import more
from handlers.base import Incoming
from handlers.help import CAPABILITIES


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(Settings(data_dir=tmp_path))


def test_command_words_are_normalised(services: Services) -> None:
    for text in ("帮助", " 帮助。", "HELP", "？"):
        assert dispatch(Incoming(user="u", text=text), services) == CAPABILITIES


def test_menu_keys_and_events(services: Services) -> None:
    assert dispatch(Incoming(user="u", kind="event", event="CLICK", event_key="HELP"), services) == CAPABILITIES
    assert "暂未开放" in (dispatch(Incoming(user="u", kind="event", event="CLICK", event_key="NOPE"), services) or "")
    assert dispatch(Incoming(user="u", kind="event", event="VIEW", event_key="https://x"), services) is None
    assert "欢迎" in (dispatch(Incoming(user="u", kind="event", event="subscribe"), services) or "")


def test_unsubscribe_forgets_the_user(services: Services) -> None:
    services.store.set_dialog("u", {"flow": "anything", "step": 2})
    services.store.set("pending:u", "剩余内容")
    assert dispatch(Incoming(user="u", kind="event", event="unsubscribe"), services) is None
    assert services.store.get_dialog("u") == {}
    assert services.store.get("pending:u") is None


def test_voice_without_recognition_asks_for_text(services: Services) -> None:
    reply = dispatch(Incoming(user="u", kind="voice", media_id="m"), services) or ""
    assert "文字" in reply


def test_voice_recognition_routes_like_text(services: Services) -> None:
    assert dispatch(Incoming(user="u", kind="voice", text="帮助"), services) == CAPABILITIES


def test_unknown_kind_is_polite(services: Services) -> None:
    reply = dispatch(Incoming(user="u", kind="other", raw_type="video"), services) or ""
    assert "视频" in reply and "帮助" in reply


def test_more_pages_through_pending(services: Services) -> None:
    text = "。".join(f"第{i}句内容比较长一些用于测试分页效果" for i in range(400)) + "。"
    first = more.paginate(services.store, "u", text) or ""
    parts = [first]
    while more.MORE_HINT in parts[-1]:
        parts.append(dispatch(Incoming(user="u", text="更多"), services) or "")
    assert all(len(p.encode()) <= more.LIMIT_BYTES for p in parts)
    assert "".join(p.replace(more.MORE_HINT, "") for p in parts) == text
    assert "没有需要继续阅读" in (dispatch(Incoming(user="u", text="更多"), services) or "")


def test_split_without_sentence_boundaries_keeps_characters_whole() -> None:
    text = "长" * 1000  # 3000 bytes, no punctuation
    first, rest = more.split(text)
    assert len((first + more.MORE_HINT).encode()) <= more.LIMIT_BYTES
    assert first + rest == text
    assert more.split("短句。") == ("短句。", "")


# --- several dialogs in one conversation (the rule is in handlers/registry.py) ----------------

LINPING = "linping-manufacturing-engineer-2022"
NOTHING = "好的。现在没有进行中的测试或设置；有问题可以直接问我，或发送「帮助」看看我能做什么。"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """One Services (plans parsed once) with a real SQLite store; each test is its own user."""
    tmp = tmp_path_factory.mktemp("dispatch")
    sv = Services(Settings(data_dir=tmp, state_url=f"sqlite:///{tmp / 'state.db'}"))
    sv.clock = lambda: dt.datetime(2026, 11, 25, 2)  # type: ignore[attr-defined]
    return sv


@pytest.fixture
def say(shared: Services, request: pytest.FixtureRequest) -> Callable[[str], str]:
    user = f"u-{request.node.name}"
    return lambda text: dispatch(Incoming(user=user, text=text), shared) or ""


def _state(shared: Services, request: pytest.FixtureRequest) -> dict[str, Any]:
    return shared.store.get_dialog(f"u-{request.node.name}")


def test_control_words_without_a_dialog_get_a_short_reply(say: Callable[[str], str]) -> None:
    for word in ("退出", "上一步", "取消", "退出。"):
        assert say(word) == NOTHING
    assert say("完成").startswith("好的！")  # «done» with nothing sent: an acknowledgement
    assert "请选择评审计划" in say("重新开始")  # 「重新开始」 with no dialog: the self-test afresh
    assert say("退出").startswith("好的，已退出资格自测")
    say("述职检查")  # inside a dialog the same words go to it
    assert say("完成").startswith("还没有收到述职内容")
    assert say("退出").startswith("已退出述职检查")
    assert say("退出") == NOTHING


def test_one_shot_commands_keep_the_dialog_and_say_how_to_go_on(
        say: Callable[[str], str], shared: Services, request: pytest.FixtureRequest) -> None:
    say("述职检查")
    say("第一段述职内容。")
    photo = say("证件照")
    assert "请直接在这里发送您准备上传的证件照" in photo
    assert photo.endswith("—— 继续述职检查（发送「退出」结束）——\n请继续发送述职文字，发完回复「完成」。")
    assert say("帮助").endswith("发完回复「完成」。")
    assert _state(shared, request)["parts"] == ["第一段述职内容。"]  # nothing lost
    assert "共 2 条消息" in say("第二段。") + say("完成")


def test_a_side_command_mid_test_repeats_the_pending_question(say: Callable[[str], str]) -> None:
    say("资格自测 临平")
    question = say("本科")  # the next question the test asks
    help_reply = say("帮助")
    assert help_reply.startswith(CAPABILITIES)
    again = help_reply.splitlines()[-1]
    assert len(again) > 5 and question.splitlines()[-1].startswith(again)  # asked again, not a vague hint


def test_starting_a_dialog_ends_the_one_in_progress_in_one_line(say: Callable[[str], str]) -> None:
    say("述职检查")
    years = say("工作年限")
    assert years.startswith("已结束述职检查。\n工作年限要算到")
    assert say("退出").startswith("已退出工作年限计算")  # the dialog that is really active
    say("工作年限")
    assert not say("工作年限").startswith("已结束")  # the same dialog again simply restarts


def test_the_plan_choice_follows_the_user_across_tools(
        say: Callable[[str], str], shared: Services, request: pytest.FixtureRequest) -> None:
    plan = shared.plans[LINPING]
    # as handlers/eligibility.py leaves it once the verdict is shown
    shared.store.set_dialog(f"u-{request.node.name}", {
        "flow": "eligibility", "done": True, "plan": LINPING, "eligibility_plan": LINPING,
        "eligible_routes": ["normal"], "facts": {}})
    offer = say("提醒")
    assert not offer.startswith("已结束")  # the result was shown: nothing to announce
    assert f"沿用 {plan.title}？回复「是」" in offer
    assert f"已选择：{plan.title}" in say("是")
    assert say("退出") == "已退出提醒设置，已有的提醒不变。需要时发送「提醒」。"
    assert f"沿用 {plan.title}？" in say("材料清单")  # still remembered after leaving 提醒
    listed = say("是")
    assert f"申报方式：{plan.route('normal').title}\n" in listed  # the routes of the verdict
    assert "、".join(r.title for r in plan.routes) in say("全部")
    assert f"沿用 {plan.title}？" in say("工作年限")
    assert "截止到 2022年12月31日" in say("是")


def test_every_tool_lists_the_plans_in_the_same_order(say: Callable[[str], str]) -> None:
    def titles(reply: str) -> list[str]:
        return [m.group(1) for m in re.finditer(r"^\d+\. (\S+?评审)", reply, re.M)]

    lists = [titles(say(word)) for word in ("资格自测", "材料清单", "提醒", "工作年限")]
    assert len(lists[0]) >= 2
    assert all(titles_ == lists[0] for titles_ in lists[1:]), lists


def test_reminder_yes_is_a_word_not_a_number(say: Callable[[str], str], shared: Services,
                                             request: pytest.FixtureRequest) -> None:
    plan = shared.plans[LINPING]
    menu = say("提醒")
    number = re.search(r"(\d+)\. " + re.escape(plan.title), menu)
    assert number, menu
    say(number.group(1))
    assert "回复「好的」订阅新年度提醒" in say("申报人")  # its dates are past (clock: 2026-11-25)
    again = say("1")  # no numbered options were offered: not a yes
    assert again.startswith("新年度的通知发布后可以提醒您")
    assert _state(shared, request)["step"] == "series"
    assert "新年度的评审计划发布后，我会通知您一次" in say("可以")
    assert "新年度通知发布后通知您一次" in say("我的提醒")


def test_help_names_every_command_a_user_cannot_guess(say: Callable[[str], str]) -> None:
    text = say("帮助")
    for word in ("资格自测", "提醒", "我的提醒", "取消提醒", "证件照", "述职检查", "工作年限", "材料清单",
                 "更多", "删除我的信息"):
        assert f"「{word}」" in text, word
    assert len(text) <= 300  # one screen on a phone


@pytest.mark.parametrize("start", ["提醒", "材料清单", "工作年限", "资格自测"])
def test_bad_input_mid_dialog_gets_a_clear_reaction_and_the_dialog_goes_on(
        say: Callable[[str], str], shared: Services, request: pytest.FixtureRequest, start: str) -> None:
    """Nonsense, emoji and a voice message without text in the middle of any dialog: a plain
    reaction, the pending question again, and the dialog still there."""
    first = say(start)
    flow = _state(shared, request)["flow"]
    user = f"u-{request.node.name}"
    for text in ("😂😂", "asdfgh"):
        reply = say(text)
        assert "没有找到与这个问题相关" not in reply and "出处" not in reply, reply  # not sent to Q&A
        assert _state(shared, request)["flow"] == flow
    voice = dispatch(Incoming(user=user, kind="voice", media_id="m"), shared) or ""
    assert "文字" in voice and _state(shared, request)["flow"] == flow
    assert first.splitlines()[-1] in voice or first.splitlines()[-2] in voice  # the question again


def test_a_tool_offer_accepted_runs_on_the_message_it_was_made_for(
        say: Callable[[str], str], shared: Services, request: pytest.FixtureRequest) -> None:
    """«…有戏吗» got «您是想看看自己能不能申报…吗？»; «好的» starts the test with the plan and facts
    that message stated, not an empty one."""
    first = say("我是大专，做了8年电气，临平的，有戏吗")
    # (the classifier may also start the test at once)
    reply = say("好的") if "回复「好的」即可" in first else first
    assert "已选择：2022年度临平区制造业专业工程师资格评审" in reply
    facts = _state(shared, request)["facts"]
    assert facts["education"] == "associate" and facts["related_work_years"] == 8


def test_a_request_outside_the_notices_is_declined_without_a_clause(say: Callable[[str], str]) -> None:
    """«帮我写一份年终总结» shares «总结» with a materials clause; pasting that clause would mislead."""
    reply = say("帮我写一份年终总结")
    assert "帮不了" in reply and "出处" not in reply and "电话" not in reply
    assert "出处" in say("临平网上申报几号截止")  # the next notice question is answered as usual


def test_a_series_no_notice_covers_is_declined_even_asked_about_this_year(say: Callable[[str], str]) -> None:
    reply = say("我老婆是小学老师 教师职称今年什么时候报")
    assert "只涉及" in reply and "资格自测" not in reply and "回复「好的」" not in reply


def test_a_control_word_with_a_question_after_it_is_the_question(say: Callable[[str], str]) -> None:
    """«不是这个，我问的是…»: no «好的！» acknowledgement — the question after it is answered."""
    reply = say("不是这个，我问的是临平网上申报的截止时间")
    assert "8 月 1 日至 15 日" in reply or "8月1日至15日" in reply
    assert "随时问我" not in reply
