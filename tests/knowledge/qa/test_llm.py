"""Optional LLM rewriting against a real OpenAI-compatible HTTP server on 127.0.0.1: the prompt holds
only retrieved passages, the citation survives, and a slow or failing server changes nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from knowledge.qa.service import QAService

Q = "临平区制造业工程师网上申报是几号到几号？"


class ChatServer:
    """POST /v1/chat/completions as OpenAI serves it; `mode` = ok | slow | error | garbage."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 0.0
        self.reply = "网上申报时间为8月1日至15日，逾期不再受理。\n出处：我自己编的出处"
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                outer.requests.append({"path": self.path, "body": body, "auth": self.headers.get("authorization")})
                if outer.mode == "slow":
                    time.sleep(outer.delay_s)
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                if outer.mode == "error":
                    return self._send(500, {"error": {"message": "overloaded", "type": "server_error"}})
                if outer.mode == "garbage":
                    raw = b"<html>bad gateway</html>"
                    self.send_response(200)
                    self.send_header("content-type", "text/html")
                    self.send_header("content-length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return None
                return self._send(200, {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "test"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": outer.reply}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                })

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # The client gives up on the slow reply (that is the point); the late write's broken pipe is expected.
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def llm(qa_service: QAService) -> Iterator[tuple[ChatServer, QAService]]:
    server = ChatServer()
    settings = qa_service.settings.model_copy(update={
        "llm_base_url": server.url, "llm_model": "test-model", "llm_api_key": "sk-test", "llm_timeout_s": 1.0})
    service = QAService(settings, qa_service.embeddings, qa_service.tokenizer, qa_service.index)
    try:
        yield server, service
    finally:
        server.close()


def test_llm_answer_keeps_our_citation(llm: tuple[ChatServer, QAService], qa_service: QAService) -> None:
    server, service = llm
    extractive = qa_service.answer(Q)
    ans = service.answer(Q)
    assert ans.answered
    assert ans.text.startswith("网上申报时间为8月1日至15日")
    assert "我自己编的出处" not in ans.text
    assert ans.text.splitlines()[-1] == extractive.text.splitlines()[-1]
    assert [s.notice for s in ans.sources] == [s.notice for s in extractive.sources]
    req = server.requests[-1]
    assert req["body"]["model"] == "test-model" and req["auth"] == "Bearer sk-test"


def test_prompt_holds_only_the_retrieved_passages(llm: tuple[ChatServer, QAService]) -> None:
    server, service = llm
    ans = service.answer(Q)
    messages = server.requests[-1]["body"]["messages"]
    prompt = "\n".join(m["content"] for m in messages)
    assert Q.rstrip("？") in prompt
    assert "时间为 8 月 1 日至 15 日" in prompt  # the passage that answers
    passages = [line for line in prompt.splitlines() if line.startswith("[")]
    assert 1 <= len(passages) <= 3
    titles = {s.title for s in ans.sources}
    assert all(any(f"《{t}》" in line for t in titles) for line in passages)
    assert "水利" not in prompt and "爆破" not in prompt  # nothing from other notices


@pytest.mark.parametrize("mode", ["slow", "error", "garbage"])
def test_slow_or_failing_llm_falls_back_to_the_extractive_answer(
        llm: tuple[ChatServer, QAService], qa_service: QAService, mode: str) -> None:
    server, service = llm
    server.mode, server.delay_s = mode, 6.0
    t0 = time.perf_counter()
    ans = service.answer(Q)
    took = time.perf_counter() - t0
    assert ans.answered and ans.text == qa_service.answer(Q).text
    assert server.requests, "the LLM server was not asked"
    assert took < 5.0  # the 1 s timeout cut the 6 s wait, and nothing was retried


def test_abstentions_and_small_talk_never_reach_the_llm(llm: tuple[ChatServer, QAService]) -> None:
    server, service = llm
    assert not service.answer("今天杭州天气怎么样").answered
    assert not service.answer("你好").answered
    assert server.requests == []
