"""FastAPI application factory. Routes are thin; each router lives in `bot/routes/`.
The list below is the one place a router is mounted.

Start-up (the lifespan) refuses to serve on broken ground: every store is opened and checked
(bot/readiness.py) and the scheduler must start; a failure names the file and stops the
process instead of answering every message with a 500.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.limits import BodyLimit, BodyTooLarge, too_large
from bot.metrics import MetricsMiddleware
from bot.services import Services, get_services, set_services
from bot.settings import Settings

log = logging.getLogger(__name__)

ROUTER_MODULES = [
    "bot.routes.health",
    "bot.routes.metrics",
    "bot.routes.admin",
    "bot.routes.wechat",
    "bot.routes.simulator",
    "bot.routes.eligibility",
    "bot.routes.hr",
    "bot.routes.api",
]

# Bodies every route may receive, capped while they stream (bot/limits.py). The webhook and
# the JSON API apply their own, smaller limits on top; HR console uploads are the large ones.
BODY_LIMIT = 64 * 1024
# Above the console's own check (10 MB + form overhead, with its page) and nginx's 11m: this one
# stops only what those do not see, a chunked upload without a declared length.
UPLOAD_LIMIT = 12 * 1024 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    if settings is not None:
        set_services(Services(settings))
    services = get_services()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from bot.readiness import StartupError, startup

        try:
            # Opens the stores and the index (a broken one names its file) and warms the
            # knowledge base so that the first question is fast.
            await asyncio.to_thread(startup, services)
            await asyncio.to_thread(lambda: services.qa.answer("网上申报的时间安排"))
            await asyncio.to_thread(lambda: services.qa.tokenizer.nouns("证件照"))  # the POS tables
            await asyncio.to_thread(lambda: services.intents.classify("帮我看看能不能评工程师"))
            app.state.scheduler = await asyncio.to_thread(_start_scheduler, services)
        except StartupError as e:
            for line in str(e).splitlines():
                log.critical("%s", line.strip())
            raise
        from bot.routes.wechat import gateway_of

        gateway_of(app).start()  # finishes late answers a dead worker left behind
        app.state.ready = True
        if services.settings.wechat_require_aes is False and not services.settings.is_dev:
            log.warning("WECHAT_REQUIRE_AES=false in production: plaintext webhook bodies are not signed")
        log.info("ready (env=%s)", services.settings.app_env)
        yield
        if app.state.scheduler is not None:
            await asyncio.to_thread(app.state.scheduler.stop)

    # Production publishes no API schema or docs: fewer doors, nothing to learn the routes from.
    dev = services.settings.is_dev
    app = FastAPI(title="职称助手", version="0.1.0", lifespan=lifespan,
                  docs_url="/docs" if dev else None, redoc_url="/redoc" if dev else None,
                  openapi_url="/openapi.json" if dev else None)
    app.state.services = services
    app.state.ready = False
    app.state.scheduler = None
    app.add_middleware(MetricsMiddleware)
    app.add_exception_handler(BodyTooLarge, too_large)
    from bot.routes import api

    app.add_middleware(BodyLimit, default=BODY_LIMIT, limits={
        "/admin": UPLOAD_LIMIT, "/wechat": services.settings.max_body_bytes, "/api/ask": api.MAX_BODY})
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    return app


def limit_native_threads(settings: Settings) -> None:
    """Call before the embedding engine loads, in server processes only. Requests already run
    in parallel; OpenMP threads per query on top of that spin against each other on a small
    machine (measured under load: 85 ms CPU per question with 2 threads, 24 ms with 1)."""
    if settings.embedding_threads > 0:
        os.environ.setdefault("OMP_NUM_THREADS", str(settings.embedding_threads))


def _start_scheduler(services: Services):  # type: ignore[no-untyped-def]
    """The reminder scheduler inside `serve` (SCHEDULER_IN_SERVE). If it cannot start, neither
    does the process: reminders must not stop silently."""
    if not services.settings.scheduler_in_serve:
        return None
    from bot.readiness import StartupError
    from bot.reminders.scheduler import start_in_thread

    try:
        return start_in_thread(services.settings, services)
    except Exception as e:
        raise StartupError(f"cannot start:\n  scheduler: {type(e).__name__}: {e}") from e
