"""The gateway load benchmark on the production topology vs the embedded single process,
in the same run:

    python -m benchmarks.gateway_multiworker                  # echo, then real Q&A
    python -m benchmarks.gateway_multiworker --handler echo --messages 1000

A) single process, embedded: `benchmarks.gateway_load`'s own server (uvicorn, one worker,
   SQLite state and database);
B) gunicorn with 4 uvicorn workers (deploy/gunicorn.conf.py) on PostgreSQL (dialogs,
   subscriptions; a fresh schema) + Redis (dedup, locks, token; a fresh key prefix).

The client is gateway_load's: signed text messages, each MsgId sent 3 times concurrently,
50 requests in flight on keep-alive connections. Handler runs are counted with a store
counter (shared by the workers through Redis) and must equal the distinct messages.
Results: benchmarks/results/gateway_multiworker.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks import gateway_load as gl

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gateway_multiworker.json"


def make_app() -> Any:
    """gunicorn app factory (`benchmarks.gateway_multiworker:make_app()`): the normal app with
    the default handler counted (and replaced by an echo for --handler echo)."""
    from bot.app import create_app, limit_native_threads
    from bot.settings import get_settings
    from handlers import qa, registry
    from handlers.base import Context, Incoming

    inner = {"qa": qa.handle,  # as served: answers cached per question
             "qa-uncached": lambda msg, ctx: ctx.services.qa.answer(msg.text, cached=False).text,
             }.get(os.environ.get("BENCH_HANDLER", ""), lambda msg, ctx: f"收到：{msg.text}")

    def counted(msg: Incoming, ctx: Context) -> str | None:
        ctx.services.store.incr("bench:runs")
        return inner(msg, ctx)

    registry.DEFAULT = counted
    limit_native_threads(get_settings())  # as bot.asgi does for the production workers
    return create_app()


def _messages(codec: Any, n: int, copies: int) -> list[tuple[int, dict[str, str], bytes]]:
    from bot.wechat.webhook import cdata

    qs = gl.questions()
    base_id = time.time_ns() // 1000
    reqs = []
    for i in range(n):
        xml = (f"<xml><ToUserName>{cdata('gh_bench')}</ToUserName>"
               f"<FromUserName>{cdata(f'bench-user-{i % 200}')}</FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content>{cdata(qs[i % len(qs)])}</Content><MsgId>{base_id + i}</MsgId></xml>")
        for _ in range(copies):
            params, body = codec.sign_request(xml)
            reqs.append((i, params, body.encode()))
    return reqs


def _summary(handler: str, n: int, reqs: list[Any], concurrency: int, copies: int, latencies: list[float],
             replies: dict[int, list[str]], wall: float, runs: int) -> dict[str, Any]:
    lat_ms = sorted(x * 1000 for x in latencies)
    return {
        "handler": handler, "distinct_messages": n, "requests": len(reqs), "concurrency": concurrency,
        "copies_per_message": copies,
        "p50_ms": round(statistics.median(lat_ms), 1),
        "p99_ms": round(lat_ms[int(0.99 * (len(lat_ms) - 1))], 1),
        "max_ms": round(lat_ms[-1], 1),
        "msgs_per_s": round(n / wall, 1), "requests_per_s": round(len(reqs) / wall, 1),
        "handler_runs": runs, "handler_runs_equal_messages": runs == n,
        "messages_with_passive_answer": sum(1 for rs in replies.values() if any(r.startswith("<xml>") for r in rs)),
        "http_errors": sum(1 for rs in replies.values() for r in rs if r.startswith("HTTP")),
        "wall_s": round(wall, 2),
    }


def run_multi(handler: str, n: int, concurrency: int, copies: int, workers: int, database_url: str,
              redis_url: str) -> dict[str, Any]:
    import sqlalchemy as sa

    from bot.db import upgrade
    from bot.settings import Settings
    from bot.store import open_store
    from bot.wechat.fake_server import FakeWeChat
    from bot.wechat.webhook import WebhookCodec

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(database_url)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db_url = f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{schema}"
    prefix = f"bench-{uuid.uuid4().hex[:10]}:"
    port = gl.free_port()
    fake = FakeWeChat().start()
    prom = tempfile.mkdtemp(prefix="bench-prom-")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_")},
           "PYTHONUNBUFFERED": "1", "DATABASE_URL": db_url, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix,
           "STATE_URL": "", "WECHAT_API_BASE": fake.base_url, "LOG_LEVEL": "WARNING", "BENCH_HANDLER": handler,
           "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), "GUNICORN_TIMEOUT": "300",
           "PROMETHEUS_MULTIPROC_DIR": prom}
    settings = Settings(database_url=db_url, redis_url=redis_url, redis_prefix=prefix, state_url="")
    upgrade(db_url)
    url = f"http://127.0.0.1:{port}"
    proc = None
    try:
        log = Path(prom) / "gunicorn.log"
        proc = _start_gunicorn(env, workers, log)
        codec = WebhookCodec(settings)
        reqs = _messages(codec, n, copies)
        warm = [(-1 - k, *gl.codec_pair(codec, k)) for k in range(20 * workers)]
        asyncio.run(gl.drive(url, warm, concurrency))
        store = open_store(settings)
        before = int(store.get("bench:runs") or 0)
        try:
            latencies, replies, wall = asyncio.run(gl.drive(url, reqs, concurrency))
        except Exception:
            print(log.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
            raise
        runs = int(store.get("bench:runs") or 0) - before
        store.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        fake.stop()
        from bot.store.redis import drop_prefix

        drop_prefix(redis_url, prefix)
        from bot.db import dispose_engines

        dispose_engines()
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return _summary(handler, n, reqs, concurrency, copies, latencies, replies, wall, runs)


def _start_gunicorn(env: dict[str, str], workers: int, log: Path, timeout_s: float = 600) -> subprocess.Popen[bytes]:
    """gunicorn, returned once every worker has finished its start-up (index loaded)."""
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                                 "benchmarks.gateway_multiworker:make_app()"], cwd=ROOT,
                                env={**env, "GUNICORN_LOGLEVEL": "info"}, stderr=out)
    deadline = time.monotonic() + timeout_s
    while log.read_text(encoding="utf-8", errors="replace").count("Application startup complete") < workers:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"gunicorn workers did not start; see {log}")
        time.sleep(0.2)
    return proc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gateway_multiworker", description=__doc__.split("\n")[0])
    p.add_argument("--handler", choices=["echo", "qa", "qa-uncached", "all"], default="all")
    p.add_argument("--messages", type=int, default=1000, help="distinct messages (echo); Q&A uses a quarter")
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--copies", type=int, default=3)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL")
                   or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)

    # Build the index once, outside the timed runs (every worker loads it at start-up).
    from bot.settings import Settings
    from knowledge.qa.service import QAService

    QAService.from_settings(Settings())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for h in (["echo", "qa", "qa-uncached"] if args.handler == "all" else [args.handler]):
            n = args.messages if h == "echo" else max(100, args.messages // 4)
            print(f"[gateway_multiworker] {h}: single process (SQLite) …", flush=True)
            single = gl.run_once(h, n, args.concurrency, args.copies, f"sqlite:///{Path(tmp) / f's-{h}.db'}",
                                 f"sqlite:///{Path(tmp) / f'b-{h}.db'}")
            print(json.dumps(single, ensure_ascii=False), flush=True)
            print(f"[gateway_multiworker] {h}: {args.workers} workers (PostgreSQL + Redis) …", flush=True)
            multi = run_multi(h, n, args.concurrency, args.copies, args.workers, args.database_url, args.redis_url)
            print(json.dumps(multi, ensure_ascii=False), flush=True)
            rows.append({
                "handler": h,
                "single_process_embedded": single,
                f"{args.workers}_workers_postgresql_redis": multi,
                "throughput_ratio": round(multi["msgs_per_s"] / max(single["msgs_per_s"], 1e-9), 2),
                "p99_ratio": round(multi["p99_ms"] / max(single["p99_ms"], 1e-9), 2),
            })
    report = {
        "benchmark": "gateway_multiworker",
        "command": "python -m benchmarks.gateway_multiworker " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "runs": rows,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"[gateway_multiworker] written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
