"""The 资格自测 dialog scripts (tests/handlers/dialogs/eligibility_*.yaml) through the real dispatcher,
a real SQLite state store in a temp dir, and the real plan files; the digression script uses
the real Q&A service (session fixture `qa_service`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.dispatcher import dispatch
from bot.services import Services
from bot.settings import Settings
from handlers.base import Incoming

DIALOGS = sorted((Path(__file__).parent / "dialogs").glob("eligibility_*.yaml"))
MAX_REPLY = 600  # characters; longer replies get paged by the gateway, which is less kind


def _services(tmp: Path) -> Services:
    # WeChat's API on a closed loopback port: a photo's download fails fast, never leaving the machine.
    return Services(Settings(data_dir=tmp, state_url=f"sqlite:///{tmp / 'state.db'}", database_url="",
                             redis_url="", scheduler_in_serve=False, wechat_api_base="http://127.0.0.1:9"))


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        if expected == {}:
            return actual in ({}, None)
        return isinstance(actual, dict) and all(_subset(v, actual.get(k)) for k, v in expected.items())
    return expected == actual


@pytest.mark.parametrize("path", DIALOGS, ids=[p.stem for p in DIALOGS])
def test_dialog(path: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    qa = request.getfixturevalue("qa_service") if script.get("qa") else None
    user = f"u-{path.stem}"

    def boot() -> Services:
        services = _services(tmp_path)
        if qa is not None:
            services.__dict__["qa"] = qa  # the one real QAService of the session, built once
        return services

    services = boot()
    for n, turn in enumerate(script["turns"], 1):
        where = f"{path.name} turn {n}"
        if turn.get("restart"):
            services.store.close()
            services = boot()  # a new process would see only the SQLite file
            continue
        if "menu" in turn:
            msg = Incoming(user=user, kind="event", event="CLICK", event_key=turn["menu"])
        else:
            msg = Incoming(user=user, text=str(turn["user"]))
        reply = dispatch(msg, services) or ""
        for text in turn.get("expect", []):
            assert text in reply, f"{where}: expected {text!r} in reply:\n{reply}"
        for text in turn.get("absent", []):
            assert text not in reply, f"{where}: did not expect {text!r} in reply:\n{reply}"
        if not turn.get("long"):
            assert len(reply) <= MAX_REPLY, f"{where}: reply of {len(reply)} characters"
        assert "Traceback" not in reply
        state = services.store.get_dialog(user)
        if "state" in turn:
            assert _subset(turn["state"], state), f"{where}: state {state}"
        if turn.get("state_empty"):
            assert state == {}, f"{where}: state {state}"


def test_every_question_of_every_plan_can_be_answered_by_its_example(tmp_path: Path) -> None:
    """Answering each question with its own example reaches a result for every plan."""
    from knowledge.eligibility.facts import FACTS

    services = _services(tmp_path)
    for i, (pid, plan) in enumerate(sorted(services.plans.items())):
        user = f"u-all-{i}"
        reply = dispatch(Incoming(user=user, text="资格自测"), services) or ""
        menu = [line for line in reply.splitlines() if plan.title in line]
        reply = dispatch(Incoming(user=user, text=menu[0].split(".")[0]), services) or ""
        for _ in range(40):
            state = services.store.get_dialog(user)
            if state.get("done"):
                break
            reply = dispatch(Incoming(user=user, text=FACTS[state["pending"]].example), services) or ""
        assert services.store.get_dialog(user).get("done"), f"{pid}: no result; last reply {reply}"
        assert "发送「提醒」订阅本计划的截止日期提醒" in reply
        assert len(reply) <= MAX_REPLY


def test_photo_mid_dialog_goes_to_the_photo_check_and_the_test_carries_on(tmp_path: Path) -> None:
    services = _services(tmp_path)
    dispatch(Incoming(user="u-img", text="资格自测 临平"), services)
    reply = dispatch(Incoming(user="u-img", kind="image", media_id="m1"), services) or ""
    assert "请用文字回答" not in reply
    assert "照片" in reply  # the photo check took it (no WeChat server here: it says it cannot download)
    assert services.store.get_dialog("u-img")["pending"] == "specialty"
    assert "公务员" in (dispatch(Incoming(user="u-img", text="电气"), services) or "")


def test_the_dialog_leaves_photos_to_the_dispatcher_and_asks_for_text_otherwise(tmp_path: Path) -> None:
    """A photo mid-test is the dispatcher's one-shot (photo check, then the question again — see
    the test above); a voice message without recognised text gets the question again."""
    from handlers import eligibility
    from handlers.base import Context

    services = _services(tmp_path)
    dispatch(Incoming(user="u-img2", text="资格自测 临平"), services)
    ctx = Context(user="u-img2", state=services.store.get_dialog("u-img2"), services=services)
    assert eligibility.DIALOG.non_text(Incoming(user="u-img2", kind="image", media_id="m1"), ctx) is None
    reply = eligibility.DIALOG.non_text(Incoming(user="u-img2", kind="voice"), ctx) or ""
    assert "请用文字回答" in reply and reply.rstrip().endswith(
        services.plans["linping-manufacturing-engineer-2022"].questions["specialty"])
