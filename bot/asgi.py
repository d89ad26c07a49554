"""ASGI entry point for process managers (gunicorn `bot.asgi:app`, uvicorn --workers).

Each worker imports this module after the fork, so every worker builds its own
services (store connections, knowledge index) from the environment.
"""

from __future__ import annotations

from bot import logs
from bot.app import create_app, limit_native_threads
from bot.settings import get_settings

logs.configure(get_settings().log_level)
limit_native_threads(get_settings())
app = create_app()
