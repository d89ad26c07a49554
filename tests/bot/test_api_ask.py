"""POST /api/ask over real HTTP (uvicorn on a loopback port)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.app import create_app
from bot.services import set_services
from bot.wechat.loopback import serve_in_thread


@pytest.fixture(scope="module")
def api(kb_settings, qa_service) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    app = create_app(kb_settings)  # the lifespan loads the index the session fixture built
    try:
        with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            yield client
    finally:
        set_services(None)


def test_ready_after_warm_up(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}


def test_ask_returns_a_cited_answer(api: httpx.Client) -> None:
    r = api.post("/api/ask", json={"question": "临平制造业工程师单位审核截止到哪天？"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"answer", "sources", "answered"}
    assert body["answered"] is True and "8 月 26 日" in body["answer"]
    top = body["sources"][0]
    assert top["notice"] == "linping-manufacturing-engineer-2022"
    assert top["section"].endswith("2. 用人单位审核") and top["title"].startswith("关于做好2022年度")
    assert isinstance(top["score"], float)


def test_plan_restricts_the_answer(api: httpx.Client) -> None:
    r = api.post("/api/ask", json={"question": "评审材料公示期多长", "plan": "hangzhou-construction-engineer-2024"})
    body = r.json()
    assert body["answered"] and {s["notice"] for s in body["sources"]} == {"hangzhou-construction-engineer-2024"}


def test_unanswerable_question_is_declined(api: httpx.Client) -> None:
    body = api.post("/api/ask", json={"question": "中小学教师职称怎么评"}).json()
    assert body["answered"] is False and body["sources"] == [] and "没有" in body["answer"]


@pytest.mark.parametrize(("content", "status", "message"), [
    (b"{not json", 400, "不是合法的 JSON"),
    (b"[1, 2]", 400, "JSON 对象"),
    (b"", 400, "JSON 对象"),
    (b'{"plan": "x"}', 422, "缺少字段 question"),
    (b'{"question": 42}', 422, "应为字符串"),
    (('{"question": "' + "问" * 2001 + '"}').encode(), 422, "太长"),
])
def test_bad_requests_get_a_clear_message(api: httpx.Client, content: bytes, status: int, message: str) -> None:
    r = api.post("/api/ask", content=content, headers={"content-type": "application/json"})
    assert r.status_code == status
    assert message in r.json()["error"]


@pytest.mark.parametrize("question", ["", "   ", "😀", "<script>alert(1)</script>", "评审" * 1000])
def test_odd_questions_get_a_reply_not_an_error(api: httpx.Client, question: str) -> None:
    r = api.post("/api/ask", json={"question": question})
    assert r.status_code == 200
    body = r.json()
    assert body["answered"] is False and body["answer"]
