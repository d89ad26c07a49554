"""FastAPI application factory. Routes are thin; each router lives in `bot/routes/`.
The list below is the one place a router is mounted.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

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


def create_app(settings: Settings | None = None) -> FastAPI:
    if settings is not None:
        set_services(Services(settings))
    services = get_services()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Warm the knowledge base before accepting traffic so the first question is fast.
        import asyncio

        # One throw-away question loads jieba's dictionary and the embedding engine's pages.
        await asyncio.to_thread(lambda: services.qa.answer("网上申报的时间安排"))
        await asyncio.to_thread(lambda: services.intents.classify("帮我看看能不能评工程师"))
        app.state.ready = True
        log.info("ready (env=%s)", services.settings.app_env)
        sched = await asyncio.to_thread(_start_scheduler, services)
        yield
        if sched is not None:
            await asyncio.to_thread(sched.stop)

    app = FastAPI(title="职称助手", version="0.1.0", lifespan=lifespan)
    app.state.services = services
    app.state.ready = False
    app.add_middleware(MetricsMiddleware)
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
    """The reminder scheduler inside `serve` (SCHEDULER_IN_SERVE); never blocks startup."""
    if not services.settings.scheduler_in_serve:
        return None
    try:
        from bot.reminders.scheduler import start_in_thread

        return start_in_thread(services.settings, services)
    except Exception:
        log.exception("reminder scheduler did not start")
        return None
