"""Run an ASGI app with uvicorn on a free loopback port in a thread (tests, benchmark, simulator
development). Real HTTP, real sockets; `lifespan` is configurable because the knowledge-base
warm-up is not needed by gateway tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0,
                    lifespan: Literal["auto", "on", "off"] = "on", timeout_s: float = 60.0) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:PORT) while the server runs."""
    config = uvicorn.Config(app, host=host, port=port, lifespan=lifespan, log_level="warning",
                            access_log=False, timeout_keep_alive=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
