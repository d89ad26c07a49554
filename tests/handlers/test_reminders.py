"""The reminder dialog through the dispatcher: past plans offer the series, a future plan
lists its dates, 我的提醒 / 取消提醒 / 删除我的信息 / unsubscribe do what they say."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from bot.db import get_engine, outbox, subscriptions, users
from bot.dispatcher import dispatch
from bot.reminders import activity
from bot.services import Services
from bot.settings import ROOT, Settings
from handlers.base import Incoming

LINPING = ROOT / "knowledge" / "plans" / "linping-manufacturing-engineer-2022.yaml"


def _services(tmp: Path, plans: list[tuple[int, str]], now: dt.datetime) -> Services:
    d = tmp / "plans"
    d.mkdir(exist_ok=True)
    for year, _ in plans:
        (d / f"linping-manufacturing-engineer-{year}.yaml").write_text(
            LINPING.read_text(encoding="utf-8").replace("2022", str(year)), encoding="utf-8")
    s = Settings(data_dir=tmp / "data", plans_dir=d)
    services = Services(s)
    services.clock = lambda: now  # type: ignore[attr-defined]
    return services


def _say(services: Services, text: str, user: str = "u1") -> str:
    return dispatch(Incoming(user=user, text=text), services) or ""


def test_past_plan_offers_new_year_and_future_plan_lists_dates(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2022, "")], dt.datetime(2026, 11, 25, 2))
    assert "申报人" in _say(sv, "提醒")
    reply = _say(sv, "1")
    assert "都已过去" in reply and "回复「好的」订阅新年度提醒" in reply
    assert "新年度" in _say(sv, "新年度通知发布后提醒我")
    assert "新年度通知发布后通知您" in _say(sv, "我的提醒")


def test_subscribe_list_cancel_forget(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2027, "")], dt.datetime(2027, 7, 10, 2))
    _say(sv, "提醒")
    reply = _say(sv, "单位经办人")
    assert "已订阅" in reply and "2027年8月26日（还有47天）" in reply
    assert "网上个人申报" not in reply  # HR gets the unit deadlines, not the applicant window
    assert "用人单位网上审核推荐截止" in _say(sv, "我的提醒")
    engine = get_engine(sv.settings)
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(outbox)
                         .where(outbox.c.status == "pending")).scalar() == 6
    assert "已取消全部提醒" in _say(sv, "取消提醒")
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(outbox)
                         .where(outbox.c.status == "pending")).scalar() == 0
    activity.flush()
    with engine.connect() as c:  # writing to us opened the 48-hour window
        assert c.execute(sa.select(users.c.last_message_at).where(users.c.openid == "u1")).scalar() is not None
    _say(sv, "提醒")
    assert "已订阅" in _say(sv, "单位经办人")
    ask = _say(sv, "删除我的信息")
    assert "确认删除" in ask and "已删除" not in ask
    assert "已取消，没有删除" in _say(sv, "不了")  # anything but 「确认删除」 cancels
    assert "【" in _say(sv, "我的提醒")  # … and nothing was deleted
    _say(sv, "删除我的信息")
    assert "已删除" in _say(sv, "确认删除")
    activity.flush()  # a note queued by this very message must not bring the row back
    with engine.connect() as c:
        for t in (subscriptions, outbox, users):
            assert c.execute(sa.select(sa.func.count()).select_from(t).where(t.c.openid == "u1")).scalar() == 0
    assert sv.store.get_dialog("u1") == {}


def test_unsubscribe_event_stops_pushes(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2027, "")], dt.datetime(2027, 7, 10, 2))
    _say(sv, "提醒")
    _say(sv, "1")
    dispatch(Incoming(user="u1", kind="event", event="unsubscribe"), sv)
    with get_engine(sv.settings).connect() as c:
        assert c.execute(sa.select(users.c.unsubscribed).where(users.c.openid == "u1")).scalar() is True
        assert c.execute(sa.select(sa.func.count()).select_from(outbox)
                         .where(outbox.c.status == "pending")).scalar() == 0


def test_plan_menu_marks_past_plans_and_preselects_the_eligibility_plan(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2022, ""), (2027, "")], dt.datetime(2027, 7, 10, 2))
    menu = _say(sv, "提醒")
    assert "2022年度临平区制造业专业工程师资格评审（日期已过）" in menu
    assert menu.count("（日期已过）") == 1  # the 2027 plan is still ahead
    again = _say(sv, "随便说点什么")  # no plan in it: the list again, nothing chosen
    assert "请回复序号" in again and "已选择" not in again
    _say(sv, "退出")
    # The eligibility dialog ends with its plan in the state: 提醒 goes straight to the role.
    sv.store.set_dialog("u1", {"last_plan": "linping-manufacturing-engineer-2027"})
    assert "沿用 2027年度" in _say(sv, "提醒")
    assert "已选择：2027年度" in _say(sv, "是")


def test_past_plan_points_to_the_new_year_plan_when_it_is_out(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2022, ""), (2027, "")], dt.datetime(2027, 7, 10, 2))
    _say(sv, "提醒")
    _say(sv, "1")  # the 2022 plan
    reply = _say(sv, "1")
    assert "都已过去" in reply and "已选择：2027年度" in reply
    assert "已订阅：2027年度" in _say(sv, "2")


def test_real_plans_today_say_plainly_what_can_be_reminded(tmp_path: Path) -> None:
    from bot.settings import KNOWLEDGE_DIR

    sv = Services(Settings(data_dir=tmp_path / "data", plans_dir=KNOWLEDGE_DIR / "plans"))
    sv.clock = lambda: dt.datetime(2026, 11, 25, 2)  # type: ignore[attr-defined]
    menu = _say(sv, "提醒")
    assert "2022年度临平区制造业专业工程师资格评审（日期已过）" in menu
    number = next(line.split(".")[0] for line in menu.splitlines() if "矿山" in line)
    assert "已选择：浙江省矿山" in _say(sv, number)
    # 提醒 again inside the dialog starts over with the list, offering the plan just chosen
    again = _say(sv, "提醒")
    assert "沿用 浙江省矿山" in again and f"{number}. 浙江省矿山" in again
    _say(sv, number)
    reply = _say(sv, "申报人")
    assert "没有写明可提醒的具体日期" in reply and "新年度" not in reply  # no year: nothing to wait for


def test_forget_mid_dialog_cancel_resumes_it(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2027, "")], dt.datetime(2027, 7, 10, 2))
    _say(sv, "提醒")
    assert "确认删除" in _say(sv, "删除我的信息")
    assert "已取消" in _say(sv, "算了")
    assert "已订阅" in _say(sv, "我是人事")  # the role question is still waiting


def test_natural_role_and_new_year_answers(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2027, "")], dt.datetime(2027, 7, 10, 2))
    for i, words in enumerate(("我是人事", "HR", "经办人", "单位", "我们单位的HR")):
        user = f"hr{i}"
        _say(sv, "提醒", user)
        assert "单位经办人" in _say(sv, words, user), words
    _say(sv, "提醒", "me")
    assert "（申报人）" in _say(sv, "我自己报", "me")
    _say(sv, "提醒", "me2")
    assert "（申报人）" in _say(sv, "1，个人报的", "me2")  # a number with words: no «上一步»
    (tmp_path / "late").mkdir()
    late = _services(tmp_path / "late", [(2022, "")], dt.datetime(2026, 11, 25, 2))
    for i, words in enumerate(("好的，提醒我", "要", "需要", "可以的")):
        user = f"s{i}"
        _say(late, "提醒", user)
        assert "都已过去" in _say(late, "1", user)
        reply = _say(late, words, user)
        assert "新年度的评审计划发布后" in reply, words
        # whoever asks to hear of the new notice learns first that it is not out yet
        assert "最新一份是2022年度的通知，2026年度的通知还没有收录" in reply
    _say(late, "提醒", "n")
    _say(late, "1", "n")
    assert "不订阅" in _say(late, "不要了", "n")


def test_a_question_naming_a_plan_at_the_plan_step_is_answered_not_taken_as_the_choice(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2022, ""), (2027, "")], dt.datetime(2027, 7, 10, 2))
    _say(sv, "提醒")
    reply = _say(sv, "临平的评审费多少钱")
    assert "已选择" not in reply and "评审费" in reply  # answered from the notice …
    assert reply.rstrip().endswith("（发送「退出」结束）") and "请回复序号" in reply  # … then the list again
    assert "已选择" in _say(sv, "2")


def test_a_day_of_ones_own_is_said_to_be_unavailable_not_dropped(tmp_path: Path) -> None:
    sv = _services(tmp_path, [(2027, "")], dt.datetime(2027, 7, 10, 2))
    first = _say(sv, "提醒")
    reply = _say(sv, "能不能8月10号提醒我一下")
    assert "不能自选日期" in reply and "当天" in reply
    assert first.splitlines()[-1] in reply  # and the step it was at, asked again
