"""Start-up and readiness checks: every store, the knowledge index and the scheduler, each by
name, so that a broken file stops the service loudly instead of turning every message into a
500 behind a green health check.

- `startup(services)`: at start (serve, each web worker, the scheduler): opens everything and
  runs SQLite's integrity check; raises `StartupError` naming each broken file or server.
- `readiness(...)`: for `GET /readyz` (the load balancer): a cheap read/write on each store,
  the index answering a lookup, the scheduler's last pass. Which is down, and why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.services import Services

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "scheduler:heartbeat"


class StartupError(RuntimeError):
    """The service must not start; the message lists what is broken, one line each."""


def check_state(services: Services, thorough: bool = False) -> str:
    store = services.store  # opening it may already raise StoreError with the file's name
    store.check(thorough)
    return "ok"


def check_database(services: Services, thorough: bool = False) -> str:
    from bot.db import check_database as check

    return check(services.settings, thorough)


def check_index(services: Services, thorough: bool = False) -> str:
    from knowledge import index as kindex

    settings = services.settings
    where = settings.chroma_url or str(settings.index_dir / (kindex.current_version(settings) or "?") / "chroma")
    try:
        idx = services.qa.index
        vectors = idx.collection.count()
    except Exception as e:
        raise RuntimeError(f"knowledge index {where}: {type(e).__name__}: {e}") from e
    if not idx.chunks:
        raise RuntimeError(f"knowledge index {where}: no passages (run python -m bot ingest --all)")
    if vectors != len(idx.chunks):
        raise RuntimeError(f"knowledge index {where}: {vectors} vectors for {len(idx.chunks)} passages "
                           "(rebuild: python -m bot ingest --all --force)")
    return f"ok ({len(idx.chunks)} passages)"


CHECKS: dict[str, Callable[[Services, bool], str]] = {
    "state": check_state,
    "database": check_database,
    "index": check_index,
}


def startup(services: Services, parts: tuple[str, ...] = ("state", "database", "index")) -> None:
    """Open and verify every part (once per Services); raise StartupError listing each failure."""
    done: set[str] = services.__dict__.setdefault("_checked_at_startup", set())
    parts = tuple(p for p in parts if p not in done)
    failures = []
    for name in parts:
        try:
            CHECKS[name](services, True)
        except Exception as e:
            failures.append(f"{name}: {_one_line(e)}")
    if failures:
        raise StartupError("cannot start:\n  " + "\n  ".join(failures))
    done.update(parts)


def scheduler_status(services: Services, scheduler: Any) -> tuple[bool, str, bool]:
    """(ok, detail, required). In-process: its thread and last pass; otherwise the heartbeat a
    separate `python -m bot scheduler` leaves in the shared store (reported, not required)."""
    stale_after = max(3 * services.settings.scheduler_interval_s, 180.0)
    if scheduler is not None:
        if not scheduler.alive:
            return False, "down: the scheduler thread has stopped", True
        if scheduler.last_error:
            return False, f"down: last pass failed: {_one_line(scheduler.last_error)}", True
        age = time.time() - (scheduler.last_pass or scheduler.started)
        if age > stale_after:
            return False, f"down: no pass for {age:.0f} s", True
        return True, f"ok (in this process, last pass {age:.0f} s ago)", True
    beat = services.store.get_json(HEARTBEAT_KEY)
    if not isinstance(beat, dict):
        return False, f"not seen: no scheduler pass in the last {stale_after:.0f} s " \
                      "(is `python -m bot scheduler` running?)", False
    return True, f"ok (separate process, last pass {time.time() - float(beat.get('at', 0)):.0f} s ago)", False


def readiness(services: Services, scheduler: Any) -> tuple[bool, dict[str, str]]:
    """(ready, {part: "ok …" | "down: why"})."""
    report: dict[str, str] = {}
    ready = True
    for name, check in CHECKS.items():
        try:
            report[name] = check(services, False)
        except Exception as e:
            report[name] = f"down: {_one_line(e)}"
            ready = False
    try:
        ok, detail, required = scheduler_status(services, scheduler)
    except Exception as e:
        ok, detail, required = False, f"down: {_one_line(e)}", True
    report["scheduler"] = detail
    return ready and (ok or not required), report


def _one_line(e: object) -> str:
    return " ".join(str(e).split())[:300] or type(e).__name__
