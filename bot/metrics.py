"""Prometheus metrics: one module-level object per measurement, callable from anywhere.

    from bot import metrics
    metrics.handler_runs.labels("qa").inc()
    with metrics.retrieval_latency.time(): ...

Under gunicorn every worker is a separate process; with PROMETHEUS_MULTIPROC_DIR set
(deploy/gunicorn.conf.py sets it) each worker writes its samples to files there and
`render()` sums them, so one scrape of /metrics sees the whole server.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

# Every process writing samples needs the directory (the scheduler may start before the web).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# Latency buckets around WeChat's 5-second deadline.
_WEB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0)

requests = Counter("zhicheng_http_requests_total", "HTTP requests served", ["method", "route", "status"])
request_latency = Histogram("zhicheng_http_request_duration_seconds", "HTTP request latency",
                            ["method", "route"], buckets=_WEB_BUCKETS)
handler_runs = Counter("zhicheng_handler_runs_total", "messages handled, by handler", ["handler"])
dedup_hits = Counter("zhicheng_dedup_hits_total", "WeChat retries recognised as duplicates", ["kind"])
retrieval_latency = Histogram("zhicheng_retrieval_duration_seconds", "time to retrieve and compose an answer",
                              buckets=_WEB_BUCKETS)
reminders_sent = Counter("zhicheng_reminders_sent_total", "reminders delivered", ["channel"])
reminders_failed = Counter("zhicheng_reminders_failed_total", "reminder deliveries that failed, by WeChat errcode",
                           ["errcode"])


def handler_name(handler: Callable[..., Any]) -> str:
    """A short, stable label for a handler function: `qa`, `eligibility.answer` …"""
    module = getattr(handler, "__module__", "") or ""
    module = module.removeprefix("handlers.")
    name = getattr(handler, "__name__", type(handler).__name__)
    return module if name == "handle" else f"{module}.{name}" if module else name


def render() -> tuple[bytes, str]:
    """The exposition text for a scrape, summed over worker processes when multiprocess."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Pure ASGI middleware counting requests and their latency by route template
    (`/api/ask`, not `/api/ask?q=…`, so label cardinality stays bounded)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "other"  # 404s and mounted static files
            method = scope.get("method", "GET")
            requests.labels(method, label, str(status["code"])).inc()
            request_latency.labels(method, label).observe(time.perf_counter() - start)
