"""Gateway load: simulated WeChat servers on loopback sending signed text questions.

    python -m benchmarks.gateway_load                 # echo handler, then real Q&A
    python -m benchmarks.gateway_load --handler echo  # gateway overhead only
    python -m benchmarks.gateway_load --state-url redis://127.0.0.1:6379/15

The bot runs in its own process (uvicorn, one worker, as `serve` runs it) so client and
server do not share a GIL. Every message is sent 3 times with the same MsgId, the copies
concurrently (the hardest case for once-only execution); 50 requests are in flight at any
time. Reported: p50/p99 latency over all requests, messages/s (distinct) and requests/s,
and handler executions (a store counter incremented by the handler) vs distinct messages.
Results go to benchmarks/results/gateway.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gateway.json"
TARGETS = {"p99_ms": 300.0, "msgs_per_s": 150.0}


# --- server side (runs in the child process) ------------------------------------------------------
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.app import create_app, limit_native_threads
    from bot.settings import Settings
    from bot.wechat.fake_server import FakeWeChat
    from handlers import qa, registry
    from handlers.base import Context, Incoming

    fake = FakeWeChat().start()  # late answers go somewhere real, never to the internet
    overrides: dict[str, Any] = {"state_url": args.state_url, "wechat_api_base": fake.base_url,
                                 "log_level": "WARNING", "database_url": args.database_url}
    settings = Settings(**overrides)
    limit_native_threads(settings)  # as `serve` and the gunicorn workers do
    # qa: as served (answers cached per question, the realistic season mix of repeated
    # questions); qa-uncached: every answer retrieved afresh, as if every question were new.
    inner = {"qa": qa.handle,
             "qa-uncached": lambda msg, ctx: ctx.services.qa.answer(msg.text, cached=False).text,
             }.get(args.handler, lambda msg, ctx: f"收到：{msg.text}")

    # The counts stay in this process (one server process) and are read over HTTP at the end:
    # counting in the state store would add two write transactions per message to what is measured.
    counts = {"runs": 0, "handler_us": 0}
    counting = threading.Lock()

    def counted(msg: Incoming, ctx: Context) -> str | None:
        t0 = time.perf_counter()
        try:
            return inner(msg, ctx)
        finally:
            with counting:
                counts["handler_us"] += int((time.perf_counter() - t0) * 1e6)

    # Every message is interpreted first and may go to a tool rather than Q&A («证件照有什么要求»):
    # runs are counted where the dispatcher runs a message, whoever answers it.
    from bot import dispatcher

    routed = dispatcher._run

    def counted_run(msg: Incoming, ctx: Context) -> str | None:
        with counting:
            counts["runs"] += 1
        return routed(msg, ctx)

    dispatcher._run = counted_run
    registry.DEFAULT = counted
    app = create_app(settings)
    app.add_api_route("/bench/counts", lambda: dict(counts), methods=["GET"])
    app.state.services.intents.classify("你好")  # every message is interpreted: its examples ready first
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                lifespan="off" if args.handler == "echo" else "on")
    return 0


# --- client side ----------------------------------------------------------------------------------
def questions() -> list[str]:
    dev = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "qa_dev.yaml"
    items = yaml.safe_load(dev.read_text(encoding="utf-8")) if dev.exists() else []
    qs = [str(i["q"]) for i in items if isinstance(i, dict) and i.get("q")]
    return qs or ["临平区制造业工程师网上申报是几号到几号？", "证件照有什么要求？", "本人述职最多能写多少字"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, handler: str, proc: subprocess.Popen[bytes], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            qa_like = handler != "echo"
            r = httpx.get(url + ("/healthz" if qa_like else "/wechat"), timeout=2)
            if (qa_like and r.status_code == 200) or (not qa_like and r.status_code == 403):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not ready")


async def drive(url: str, reqs: list[tuple[int, dict[str, str], bytes]], concurrency: int
                ) -> tuple[list[float], dict[int, list[str]], float]:
    """Closed loop: `concurrency` workers on as many keep-alive connections take requests in
    order, so the copies of one message are in flight together."""
    import aiohttp

    latencies: list[float] = []
    replies: dict[int, list[str]] = {}
    queue = iter(reqs)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        async def worker() -> None:
            for mid, params, body in queue:
                t0 = time.perf_counter()
                async with session.post(url + "/wechat", params=params, data=body,
                                        headers={"Content-Type": "text/xml"}) as r:
                    text = await r.text()
                    status = r.status
                latencies.append(time.perf_counter() - t0)
                replies.setdefault(mid, []).append(text if status == 200 else f"HTTP {status}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, replies, wall


def run_once(handler: str, messages: int, concurrency: int, copies: int, state_url: str,
             database_url: str) -> dict[str, Any]:
    from bot.settings import Settings
    from bot.wechat.webhook import WebhookCodec, cdata

    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.gateway_load", "--serve", "--port", str(port),
                             "--handler", handler, "--state-url", state_url, "--database-url", database_url],
                            cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, handler, proc)
        codec = WebhookCodec(Settings())
        qs = questions()
        base_id = time.time_ns() // 1000
        reqs: list[tuple[int, dict[str, str], bytes]] = []
        for i in range(messages):
            xml = (f"<xml><ToUserName>{cdata('gh_bench')}</ToUserName>"
                   f"<FromUserName>{cdata(f'bench-user-{i % 200}')}</FromUserName>"
                   f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                   f"<Content>{cdata(qs[i % len(qs)])}</Content><MsgId>{base_id + i}</MsgId></xml>")
            for _ in range(copies):  # WeChat's retries carry a fresh signature, same MsgId
                params, body = codec.sign_request(xml)
                reqs.append((i, params, body.encode()))
        # warm-up, not measured, not counted: connections, and each question once (the first
        # answers after start-up pay for lazy initialisation inside retrieval)
        warm = [(-1 - k, *codec_pair(codec, k, q)) for k, q in enumerate(["帮助", *qs])]
        asyncio.run(drive(url, warm, concurrency))
        before = httpx.get(url + "/bench/counts", timeout=10).json()
        latencies, replies, wall = asyncio.run(drive(url, reqs, concurrency))
        after = httpx.get(url + "/bench/counts", timeout=10).json()
        runs = after["runs"] - before["runs"]
        handler_s = (after["handler_us"] - before["handler_us"]) / 1e6
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lat_ms = sorted(x * 1000 for x in latencies)
    answered = sum(1 for rs in replies.values() if any(r.startswith("<xml>") for r in rs))
    # Every copy of a message should carry its answer: a copy answered `success` ends WeChat's
    # attempts without it (when it is the attempt WeChat is still waiting on).
    every_copy = sum(1 for rs in replies.values() if all(r.startswith("<xml>") for r in rs))
    errors = sum(1 for rs in replies.values() for r in rs if r.startswith("HTTP"))
    return {
        "handler": handler,
        "distinct_messages": messages,
        "requests": len(reqs),
        "concurrency": concurrency,
        "copies_per_message": copies,
        "p50_ms": round(statistics.median(lat_ms), 1),
        "p99_ms": round(lat_ms[int(0.99 * (len(lat_ms) - 1))], 1),
        "max_ms": round(lat_ms[-1], 1),
        "msgs_per_s": round(messages / wall, 1),
        "requests_per_s": round(len(reqs) / wall, 1),
        "handler_runs": runs,
        # time inside the handler (wall, in its thread): what the gateway cannot make faster
        "handler_mean_ms": round(1000 * handler_s / max(runs, 1), 1),
        "handler_busy_share": round(handler_s / wall, 2),  # mean handlers running at once
        "handler_share_of_p50": round(1000 * handler_s / max(runs, 1) / max(statistics.median(lat_ms), 1e-9), 2),
        "handler_runs_equal_messages": runs == messages,
        "messages_with_passive_answer": answered,
        "messages_answered_on_every_copy": every_copy,
        "http_errors": errors,
        "wall_s": round(wall, 2),
    }


def codec_pair(codec: Any, k: int, text: str = "帮助") -> tuple[dict[str, str], bytes]:
    from bot.wechat.webhook import cdata

    xml = (f"<xml><ToUserName>{cdata('gh_bench')}</ToUserName><FromUserName>{cdata(f'warm-{k}')}</FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content>{cdata(text)}</Content><MsgId>{time.time_ns() + k}</MsgId></xml>")
    params, body = codec.sign_request(xml)
    return params, body.encode()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gateway_load", description=__doc__.split("\n")[0])
    p.add_argument("--handler", choices=["echo", "qa", "qa-uncached", "all"], default="all")
    p.add_argument("--messages", type=int, default=1000, help="distinct messages per run")
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--copies", type=int, default=3, help="sends of each MsgId (WeChat's 3 attempts)")
    p.add_argument("--state-url", default="", help="state store; default a fresh SQLite file")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--database-url", default="", help="subscriptions/activity DB; default a fresh SQLite file")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        return serve(args)

    handlers = ["echo", "qa", "qa-uncached"] if args.handler == "all" else [args.handler]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for h in handlers:
            state_url = args.state_url or f"sqlite:///{Path(tmp) / f'state-{h}.db'}"
            n = args.messages if h == "echo" else max(100, args.messages // 4)
            print(f"[gateway_load] {h}: {n} messages × {args.copies} sends, {args.concurrency} concurrent …",
                  flush=True)
            database_url = args.database_url or f"sqlite:///{Path(tmp) / f'bot-{h}.db'}"
            result = run_once(h, n, args.concurrency, args.copies, state_url, database_url)
            result["state_store"] = "redis" if state_url.startswith("redis") else "sqlite"
            result["meets_targets"] = (result["p99_ms"] <= TARGETS["p99_ms"]
                                       and result["msgs_per_s"] >= TARGETS["msgs_per_s"]
                                       and result["handler_runs_equal_messages"])
            print(json.dumps(result, ensure_ascii=False), flush=True)
            runs.append(result)
    report = {
        "benchmark": "gateway_load",
        "command": " ".join(["python -m benchmarks.gateway_load", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "targets": {**TARGETS, "handler_runs": "== distinct messages"},
        "runs": runs,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"[gateway_load] written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
