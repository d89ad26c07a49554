"""`serve`: the HTTP app (API, WeChat webhook, simulator)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start the HTTP app (WeChat webhook, /api, /simulator)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import uvicorn

    from bot.app import create_app, limit_native_threads
    from bot.readiness import StartupError, startup
    from bot.services import get_services
    from bot.settings import get_settings

    s = get_settings()
    limit_native_threads(s)
    host, port = args.host or s.host, args.port or s.port
    try:  # before uvicorn: a broken file is one clear message, not a traceback
        startup(get_services())
    except StartupError as e:
        print(e, file=sys.stderr)
        return 1
    if s.is_dev:
        print(f"职称助手 (development): http://{host}:{port}/simulator 试聊 · POST /api/ask 提问 · "
              f"/healthz 状态；Ctrl+C 停止", flush=True)
    uvicorn.run(create_app(), host=host, port=port, log_level=s.log_level.lower(), access_log=False)
    return 0
