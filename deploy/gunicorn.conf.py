"""gunicorn settings for the web tier: `gunicorn -c deploy/gunicorn.conf.py`.

Several uvicorn workers share nothing in memory: dialog state lives on PostgreSQL,
dedup keys / locks / pending answers / the access token on Redis (see deploy/README.md).
The reminder scheduler is NOT run here; it is one separate process (`python -m bot scheduler`).
Environment knobs: GUNICORN_BIND, WEB_CONCURRENCY, GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS,
PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "uvicorn.workers.UvicornWorker"
wsgi_app = "bot.asgi:app"
# Import the app in each worker, not in the master: sockets and threads must not cross a fork.
preload_app = False
# A WeChat reply is due within 5 s; anything slower runs in the background anyway.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Trust X-Forwarded-For / X-Forwarded-Proto only from the local nginx.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", os.environ.get("LOG_LEVEL", "info")).lower()
# Web workers never run the scheduler, whatever .env says.
raw_env = ["SCHEDULER_IN_SERVE=false"]

# Prometheus: each process (web workers AND the scheduler, which sets the same variable) writes
# its samples to files in one directory; /metrics sums them. Files are kept across restarts:
# counters only grow, so a restarted worker's old file still counts toward the totals.
_prom_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(tempfile.gettempdir()) / f"zhicheng-prometheus-{bind.rsplit(':', 1)[-1]}"))


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    Path(_prom_dir).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
