"""「材料清单」 through the real dispatcher, a SQLite state store and the real plan files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.dispatcher import dispatch
from bot.services import Services
from bot.settings import Settings
from handlers.base import Incoming

LINPING = "linping-manufacturing-engineer-2022"


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(Settings(data_dir=tmp_path, state_url=f"sqlite:///{tmp_path / 'state.db'}",
                             database_url="", redis_url=""))


def say(services: Services, text: str, user: str = "u-mat") -> str:
    reply = dispatch(Incoming(user=user, text=text), services)
    assert reply is not None
    return reply


def number_of(reply: str, title: str) -> str:
    m = re.search(r"(\d+)\. " + re.escape(title), reply)
    assert m, reply
    return m.group(1)


def test_plan_then_route_lists_the_plan_files_own_items(services: Services) -> None:
    plan = services.plans[LINPING]
    ask = say(services, "材料清单")
    ask_route = say(services, number_of(ask, plan.title))
    reply = say(services, number_of(ask_route, plan.route("exceptional").title))
    for m in plan.materials("exceptional"):  # every item of the plan file, none invented
        assert m.text in reply
    assert reply.count("\n") >= len(plan.materials("exceptional"))
    # the mailing list is shown apart, under its attachment (Linping 附件4)
    mailed = reply.split("评审通过后邮寄｜")
    assert len(mailed) == 2 and "邮寄纸质材料清单" in mailed[1]
    assert "评审表" in mailed[1]
    # the dialog is over, and the plan is remembered for the next tool (工作年限, 提醒 …)
    assert services.store.get_dialog("u-mat") == {"last_plan": LINPING, "plan": LINPING}


def test_route_items_differ_between_routes(services: Services) -> None:
    plan = services.plans[LINPING]
    only_exceptional = {m.text for m in plan.route("exceptional").materials}
    assert only_exceptional
    reply = say(services, "材料清单 临平")  # the plan named in the same message
    normal = say(services, number_of(reply, plan.route("normal").title))
    assert not any(text in normal for text in only_exceptional)


def test_routes_from_a_finished_eligibility_dialog_are_used(services: Services) -> None:
    plan = services.plans[LINPING]
    services.store.set_dialog("u-mat", {"plan": LINPING, "routes": ["normal", "direct"]})
    reply = say(services, "材料清单")
    assert f"申报方式：{plan.route('normal').title}、{plan.route('direct').title}" in reply
    assert plan.general_materials[0].text in reply


def test_nonsense_answers_are_explained_and_lose_nothing(services: Services) -> None:
    say(services, "材料清单")
    assert "序号" in say(services, "随便")
    second = say(services, "99")
    assert "直接提问" in second  # after two misses, another way in is offered
    assert services.store.get_dialog("u-mat")["flow"] == "materials"
    assert "已退出" in say(services, "取消")


def test_plan_remembered_then_all_routes_on_request(services: Services) -> None:
    plan = services.plans[LINPING]
    services.store.set_dialog("u-mat", {"plan": LINPING, "eligible_routes": ["normal"]})
    first = say(services, "材料清单")
    assert f"申报方式：{plan.route('normal').title}\n" in first and "材料清单 全部" in first
    everything = say(services, "材料清单 全部")
    assert "、".join(r.title for r in plan.routes) in everything


def test_all_routes(services: Services) -> None:
    plan = services.plans[LINPING]
    say(services, "材料清单 临平")
    reply = say(services, "全部")
    for m in plan.materials():
        assert m.text in reply
