"""GET /metrics over real HTTP: requests, latency and handler runs show up in Prometheus format."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot import metrics
from bot.app import create_app
from bot.dispatcher import dispatch
from bot.services import Services, set_services
from bot.settings import Settings
from handlers.base import Incoming


def _value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_latency_and_handler_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    services = Services(Settings(data_dir=tmp_path))
    set_services(services)
    try:
        app = create_app()
        client = TestClient(app)  # no lifespan: the knowledge index is not needed here
        before = client.get("/metrics").text
        for _ in range(3):
            assert client.get("/healthz").status_code in (200, 503)
        client.get("/no-such-page")
        dispatch(Incoming(user="o_metrics", text="帮助"), services)
        text = client.get("/metrics").text
    finally:
        set_services(None)
    assert text.startswith("# HELP") and "text/plain" in client.get("/metrics").headers["content-type"]
    assert _value(text, "zhicheng_http_requests_total", route="/healthz") - \
        _value(before, "zhicheng_http_requests_total", route="/healthz") == 3
    assert _value(text, "zhicheng_http_requests_total", route="other", status="404") >= 1
    assert _value(text, "zhicheng_http_request_duration_seconds_count", route="/healthz") >= 3
    assert _value(text, "zhicheng_handler_runs_total", handler="help") >= 1
    for name in ("zhicheng_dedup_hits_total", "zhicheng_retrieval_duration_seconds",
                 "zhicheng_reminders_sent_total", "zhicheng_reminders_failed_total"):
        assert f"# TYPE {name.removesuffix('_total')}" in text


def test_handler_names_are_short_labels() -> None:
    from handlers import help as help_handler

    assert metrics.handler_name(help_handler.handle) == "help"
    assert metrics.handler_name(dispatch) == "bot.dispatcher.dispatch"
