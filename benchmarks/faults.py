"""Fault and abuse suite: what a crash and a hostile client do to the bot, over loopback HTTP.

    python -m benchmarks.faults                      # 5 crash rounds of each kind + abuse cases
    python -m benchmarks.faults --rounds 2 --users 30
    python -m benchmarks.faults --postgres postgresql+psycopg://…/db --redis redis://…/15  # + production stores

Crash rounds. The bot runs as `python -m bot serve` in its own process (embedded SQLite, the
shipped index); the fake WeChat API (bot/wechat/fake_server.py) takes its customer-service
messages. Each of N users is three turns into a 资格自测 dialog; then all N send their next turn
at once and, as soon as the first few replies are back, the bot is killed with SIGKILL. It is
restarted on the same files, and WeChat's resends follow: every message again with the same
MsgId (new timestamp and nonce), twice, one after the other. Then every user sends one more turn.

- passive: replies within the 5-second budget, as usual;
- late: REPLY_BUDGET_S=0, so every answer goes out as a customer-service message after
  `success` (after which WeChat never resends): only messages with no response at all are resent.

Each turn's expected reply comes from the same dialog run in-process beforehand. A turn applied
twice would show as a different reply (the answer to the next question), a lost one as none.
Counted per round: messages in flight at the crash (no response received), delivered after it,
delivered exactly once with the expected text, and wrong or duplicate deliveries.

Abuse cases: each sent to a running bot; the status and message it got.
Results: benchmarks/results/faults.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "faults.json"

# Three turns before the burst (plan, specialty); the burst answers 「否」 to the first yes/no
# question and the last turn 「否」 to the second. Applied twice, the burst would answer the
# second question itself: both its reply and the next turn's would differ from the reference.
DIALOG = ["资格自测", "2", "机电制造", "否", "否"]
BURST_TURN = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text_xml(user: str, content: str, msg_id: int) -> str:
    from bot.wechat.webhook import cdata

    return (f"<xml><ToUserName>{cdata('gh_faults')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId></xml>")


# --- the bot in its own process -------------------------------------------------------------------
class BotProcess:
    """`python -m bot serve` on a fixed port and data directory; killed with SIGKILL on demand."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str], log: Path) -> None:
        self.data_dir, self.port, self.env, self.log = data_dir, port, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> BotProcess:
        env = {**os.environ, "DATA_DIR": str(self.data_dir), "SCHEDULER_IN_SERVE": "false",
               "LOG_LEVEL": "WARNING", "EMBEDDING_THREADS": "1", **self.env}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(self.port)],
                                         cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bot did not start (exit {self.proc.poll()}); see {self.log}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def expected_dialog(data_dir: Path) -> list[str | None]:
    """What one process answers, turn by turn (same plans, a fresh store)."""
    from bot.dispatcher import dispatch
    from bot.services import Services
    from bot.settings import Settings
    from handlers.base import Incoming

    services = Services(Settings(data_dir=data_dir, scheduler_in_serve=False))
    try:
        return [dispatch(Incoming(user="o_reference", text=t), services) for t in DIALOG]
    finally:
        services.store.close()


# --- one crash round --------------------------------------------------------------------------------
@dataclass
class Round:
    mode: str
    users: int
    stores: str = "SQLite"
    in_flight: int = 0  # burst messages with no response when the bot was killed
    answered_before: int = 0  # … with a response (a reply, or `success` for a late answer)
    committed_unanswered: int = 0  # in flight, yet their effects and reply were committed: not run again
    delivered_after: int = 0  # in-flight messages whose answer reached the user after the restart
    exactly_once: int = 0  # burst messages delivered once, with the expected text
    wrong: int = 0  # a delivery with another text (a turn applied twice, or lost)
    duplicates: int = 0  # a burst message delivered more than once
    next_turn_ok: int = 0  # the following turn got the expected reply
    copies_answered: int = 0  # resends of an answered message that got the answer, not `success`
    copies: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


class Client:
    def __init__(self, url: str, settings: Any) -> None:
        from bot.wechat.webhook import WebhookCodec

        self.url = url
        self.codec = WebhookCodec(settings)
        self.http = httpx.Client(timeout=20)

    def post(self, xml: str) -> httpx.Response:
        params, body = self.codec.sign_request(xml)  # a new timestamp and nonce, as WeChat's resends
        return self.http.post(f"{self.url}/wechat", params=params, content=body.encode("utf-8"),
                              headers={"Content-Type": "text/xml"})

    @staticmethod
    def text(r: httpx.Response) -> str | None:
        from bot.wechat.webhook import parse_xml

        if r.status_code != 200:
            raise AssertionError(f"HTTP {r.status_code}: {r.text[:200]}")
        return None if r.text == "success" else parse_xml(r.text).get("Content")


def crash_round(template: Path, work: Path, fake: Any, mode: str = "passive", users: int = 30,
                kill_after: int = 3, expected: list[str | None] | None = None,
                stores: dict[str, str] | None = None) -> Round:
    """`stores`: environment naming the stores (DATABASE_URL, REDIS_URL, REDIS_PREFIX); default the
    embedded SQLite files."""
    from bot.settings import Settings

    t0 = time.monotonic()
    data = work / f"data-{mode}-{time.time_ns()}"
    shutil.copytree(template, data)
    env = {"WECHAT_API_BASE": fake.base_url, "REPLY_BUDGET_S": "0" if mode == "late" else "4.0", **(stores or {})}
    bot = BotProcess(data, free_port(), env, work / "bot.log")
    expected = expected or expected_dialog(work / f"ref-{time.time_ns()}")
    client = Client(bot.url, Settings(data_dir=data))
    names = [f"o_crash_{mode}_{i:03d}_{time.time_ns() % 10**6}" for i in range(users)]
    ids = iter(range(time.time_ns() // 1000, 2**62))
    result = Round(mode, users, "PostgreSQL + Redis" if stores else "SQLite")

    def cs_count(user: str, text: str | None) -> int:
        return sum(t == text for t in fake.texts(user))

    def turn(user: str, i: int) -> str | None:
        """One turn as a user sees it: the passive reply, or the customer-service message."""
        before = cs_count(user, expected[i])
        reply = client.text(client.post(text_xml(user, DIALOG[i], next(ids))))
        if reply is None and expected[i] is not None:
            fake.wait_for(lambda f: cs_count(user, expected[i]) > before, timeout=15)
            return expected[i] if cs_count(user, expected[i]) > before else None
        return reply

    try:
        bot.start()
        with ThreadPoolExecutor(min(users, 32)) as pool:
            for i in range(BURST_TURN):
                got = list(pool.map(lambda u, i=i: turn(u, i), names))
                if got != [expected[i]] * users:
                    result.problems.append(f"set-up turn {i} answered wrongly")
            # The burst: every user's next turn at once; SIGKILL after the first few responses.
            burst_ids = {u: next(ids) for u in names}
            burst = {u: text_xml(u, DIALOG[BURST_TURN], burst_ids[u]) for u in names}
            futures = {pool.submit(client.post, burst[u]): u for u in names}
            deadline = time.monotonic() + 30
            while sum(f.done() for f in futures) < kill_after and time.monotonic() < deadline:
                time.sleep(0.001)
            bot.kill()
            wait(futures, timeout=30)
        passive: dict[str, set[str | None]] = {u: set() for u in names}
        answered: set[str] = set()
        for f, u in futures.items():
            try:
                r = f.result()
                passive[u].add(Client.text(r))
                answered.add(u)
            except (httpx.HTTPError, AssertionError):
                pass  # the connection died with the bot
        result.answered_before = len(answered)
        result.in_flight = users - len(answered)
        from bot.store import open_store

        store = open_store(Settings(data_dir=data, **{k.lower(): v for k, v in (stores or {}).items()}))
        try:  # what the killed process had committed without getting the reply out
            result.committed_unanswered = sum(store.get(f"done:msg:{burst_ids[u]}") is not None
                                              for u in names if u not in answered)
        finally:
            store.close()

        client.http.close()  # no keep-alive connection to the dead process
        client.http = httpx.Client(timeout=20)
        bot.start()
        # WeChat resends what got no response; in passive mode it may also resend what it did
        # get (a reply lost on the way): every copy must carry the same answer.
        resend = names if mode == "passive" else [u for u in names if u not in answered]
        for _ in range(2):
            with ThreadPoolExecutor(min(users, 32)) as pool:
                replies = dict(zip(resend, pool.map(lambda u: Client.text(client.post(burst[u])), resend),
                                   strict=True))
            for u, reply in replies.items():
                passive[u].add(reply)
                if u in answered:
                    result.copies += 1
                    result.copies_answered += reply == expected[BURST_TURN]
        # Late answers arrive as customer-service messages, from either process.
        fake.wait_for(lambda f: all(passive[u] - {None} or cs_count(u, expected[BURST_TURN]) for u in names),
                      timeout=20)
        time.sleep(0.5)  # a duplicate would come now
        for u in names:
            shown = passive[u] - {None}
            cs = fake.texts(u)
            burst_cs = [t for t in cs if t == expected[BURST_TURN]]
            deliveries = (1 if shown else 0) + len(burst_cs)
            others = [t for t in shown if t != expected[BURST_TURN]]
            if others:
                result.wrong += 1
                result.problems.append(f"{u}: got {others[0][:60]!r}")
            elif deliveries == 1:
                result.exactly_once += 1
            elif deliveries > 1:
                result.duplicates += 1
                result.problems.append(f"{u}: delivered {deliveries} times")
            else:
                result.problems.append(f"{u}: never answered")
            if u not in answered and deliveries >= 1:
                result.delivered_after += 1
        with ThreadPoolExecutor(min(users, 32)) as pool:
            nxt = list(pool.map(lambda u: turn(u, BURST_TURN + 1), names))
        result.next_turn_ok = sum(r == expected[BURST_TURN + 1] for r in nxt)
        if result.next_turn_ok < users:
            result.problems.append(f"next turn: {users - result.next_turn_ok} users got another reply")
    finally:
        bot.stop()
        client.http.close()
    result.seconds = round(time.monotonic() - t0, 1)
    return result


# --- abuse cases --------------------------------------------------------------------------------------
@dataclass
class Abuse:
    name: str
    send: Callable[[httpx.Client, Any], httpx.Response]
    expect: tuple[int, ...]
    needle: str = ""  # in the answer


def _nested(depth: int) -> bytes:
    return b'{"question": ' + b"[" * depth + b"]" * depth + b"}"


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


def _signed(codec: Any, xml: str, **override: str) -> tuple[dict[str, Any], bytes]:
    params, body = codec.sign_request(xml)
    params.update(override)
    return params, body.encode("utf-8")


def _replay(http: httpx.Client, codec: Any) -> httpx.Response:
    """A signature seen once (a log, port 80), reused with another user's 「删除我的信息」."""
    seen_params, seen_body = _signed(codec, text_xml("o_abuse_sender", "帮助", 9_000_000_001))
    first = http.post("/wechat", params=seen_params, content=seen_body)
    assert first.status_code == 200
    forged = text_xml("o_abuse_victim", "删除我的信息", 9_000_000_002).encode("utf-8")
    return http.post("/wechat", params=seen_params, content=forged)


def _resend(http: httpx.Client, codec: Any) -> httpx.Response:
    params, body = _signed(codec, text_xml("o_abuse_resend", "帮助", 9_000_000_003))
    http.post("/wechat", params=params, content=body)
    return http.post("/wechat", params=params, content=body)


def _long_timestamp(http: httpx.Client, codec: Any) -> httpx.Response:
    from bot.wechat.webhook import sign

    ts, nonce = "9" * 400, "n0nce"
    return http.post("/wechat", params={"timestamp": ts, "nonce": nonce, "signature": sign(codec.token, ts, nonce)},
                     content=text_xml("o_abuse_ts", "帮助", 9_000_000_004).encode())


def _long_user(http: httpx.Client, codec: Any) -> httpx.Response:
    params, body = _signed(codec, text_xml("o" * 300, "帮助", 9_000_000_005))
    return http.post("/wechat", params=params, content=body)


def _forged_log_line(http: httpx.Client, codec: Any) -> httpx.Response:
    xml = text_xml("o_abuse_media", "", 9_000_000_006).replace(
        "<MsgType><![CDATA[text]]></MsgType>",
        "<MsgType><![CDATA[image]]></MsgType><MediaId><![CDATA[m1\n2030-01-01 00:00:00 INFO forged]]></MediaId>")
    params, body = _signed(codec, xml)
    return http.post("/wechat", params=params, content=body)


def _escaped_question(http: httpx.Client, codec: Any) -> httpx.Response:
    body = ('{"question": "' + "\\u8bc4" * 1998 + '"}').encode()  # 1,998 characters, 12 KB on the wire
    return http.post("/api/ask", content=body, headers={"content-type": "application/json"})


ABUSE: list[Abuse] = [
    Abuse("replayed signature, another body (forged 删除我的信息)", _replay, (403,)),
    Abuse("identical resend of a signed request", _resend, (200,), "<xml>"),
    Abuse("400-digit timestamp on /wechat", _long_timestamp, (403,)),
    Abuse("300-character FromUserName", _long_user, (400,)),
    Abuse("MediaId carrying a newline (log forging)", _forged_log_line, (200,)),
    Abuse("/wechat 200 MB chunked body", lambda h, c: h.post(
        "/wechat", params=c.sign_request("<xml/>")[0], content=_chunks(200 * 1024 * 1024)), (413,)),
    Abuse("/api/ask 4,000 nested brackets", lambda h, c: h.post(
        "/api/ask", content=_nested(4000), headers={"content-type": "application/json"}), (400,), "嵌套太深"),
    Abuse("/api/ask 900 nested brackets (below the parser's limit)", lambda h, c: h.post(
        "/api/ask", content=_nested(900), headers={"content-type": "application/json"}), (400,), "嵌套太深"),
    Abuse("/api/eligibility 30,000 nested brackets (60 KB)", lambda h, c: h.post(
        "/api/eligibility", content=b'{"plan": "x", "facts": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        headers={"content-type": "application/json"}), (400,), "嵌套太深"),
    Abuse("/api/eligibility 100,000 nested brackets", lambda h, c: h.post(
        "/api/eligibility", content=b'{"plan": "x", "facts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        headers={"content-type": "application/json"}), (400, 413)),
    Abuse("/api/eligibility ce_credits: 10**400", lambda h, c: h.post(
        "/api/eligibility", content=b'{"plan": "linping-manufacturing-engineer-2022", "facts": {"ce_credits": '
        + b"1" + b"0" * 400 + b"}}", headers={"content-type": "application/json"}), (400,), "太大"),
    Abuse("/api/eligibility ce_credits: 1e400", lambda h, c: h.post(
        "/api/eligibility", content=b'{"plan": "linping-manufacturing-engineer-2022", "facts": {"ce_credits": 1e400}}',
        headers={"content-type": "application/json"}), (400,), "超出范围"),
    Abuse("/api/ask NaN", lambda h, c: h.post(
        "/api/ask", content=b'{"question": NaN}', headers={"content-type": "application/json"}), (400,)),
    Abuse("/api/ask 50 MB body (declared)", lambda h, c: h.post(
        "/api/ask", content=b"x" * (50 * 1024 * 1024), headers={"content-type": "application/json"}), (413,)),
    Abuse("/api/ask 50 MB body (chunked)", lambda h, c: h.post(
        "/api/ask", content=_chunks(50 * 1024 * 1024), headers={"content-type": "application/json"}), (413,)),
    Abuse("/api/ask 1,998-character question as \\u escapes", _escaped_question, (200,), '"answer"'),
    Abuse("/api/ask 2,001-character question", lambda h, c: h.post(
        "/api/ask", json={"question": "问" * 2001}), (422,), "最长 2000 字"),
    Abuse("/api/ask 101-character plan", lambda h, c: h.post(
        "/api/ask", json={"question": "评审费", "plan": "p" * 101}), (422,), "plan 太长：最长 100 字"),
]


def run_abuse(url: str, settings: Any) -> list[dict[str, Any]]:
    from bot.wechat.webhook import WebhookCodec

    codec = WebhookCodec(settings)
    out = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for case in ABUSE:
            try:
                r = case.send(http, codec)
                status, text = r.status_code, r.text
            except httpx.HTTPError as e:  # the server closed the connection mid-upload
                status, text = 0, f"{type(e).__name__}"
            ok = status in case.expect and case.needle in text
            out.append({"case": case.name, "status": status, "expected": list(case.expect), "ok": ok,
                        "answer": " ".join(text.split())[:120]})
    return out


# --- command line -------------------------------------------------------------------------------------
@contextlib.contextmanager
def postgres_and_redis(database_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    """The production stores for a round: a fresh PostgreSQL schema (migrated) and a Redis
    key prefix, both removed afterwards. Yields the bot's environment for them."""
    import uuid

    import sqlalchemy as sa

    from bot.db import upgrade

    schema, prefix = f"t_crash_{uuid.uuid4().hex[:10]}", f"test-crash-{uuid.uuid4().hex}:"
    admin = sa.create_engine(database_url)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield {"DATABASE_URL": url, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix}
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        from bot.store.redis import drop_prefix

        drop_prefix(redis_url, prefix)


@contextlib.contextmanager
def template_data(work: Path) -> Iterator[Path]:
    """A data directory with the knowledge index built once; each round copies it."""
    tpl = work / "template"
    tpl.mkdir()
    env = {**os.environ, "DATA_DIR": str(tpl), "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "bot", "ingest", "--all"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    yield tpl


def main(argv: list[str] | None = None) -> int:
    from bot.settings import Settings
    from bot.wechat.fake_server import FakeWeChat

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--kill-after", type=int, default=3)
    ap.add_argument("--postgres", default="", help="also run the rounds on PostgreSQL (+ --redis): a base URL")
    ap.add_argument("--redis", default="", help="Redis URL for the --postgres rounds")
    args = ap.parse_args(argv)
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="zc-faults-") as tmp, template_data(Path(tmp)) as tpl, \
            FakeWeChat() as fake:
        work = Path(tmp)
        expected = expected_dialog(work / "ref")
        setups: list[tuple[str, str]] = [("passive", ""), ("late", "")]
        if args.postgres and args.redis:
            setups += [("passive", "pg"), ("late", "pg")]
        for mode, backend in setups:
            for n in range(args.rounds):
                with contextlib.ExitStack() as stack:
                    stores = stack.enter_context(postgres_and_redis(args.postgres, args.redis)) if backend else None
                    r = crash_round(tpl, work, fake, mode, args.users, args.kill_after, expected, stores)
                rounds.append(r)
                print(f"{mode:8} {r.stores:18} round {n + 1}: in flight {r.in_flight:2}/{r.users} "
                      f"({r.committed_unanswered} committed), delivered after "
                      f"{r.delivered_after:2}, exactly once {r.exactly_once}/{r.users}, wrong {r.wrong}, "
                      f"duplicates {r.duplicates}, next turn {r.next_turn_ok}/{r.users}, "
                      f"copies answered {r.copies_answered}/{r.copies} ({r.seconds} s)", flush=True)
                for p in r.problems[:5]:
                    print("   ", p)
        data = work / "abuse"
        shutil.copytree(tpl, data)
        bot = BotProcess(data, free_port(), {"WECHAT_API_BASE": fake.base_url}, work / "abuse.log").start()
        try:
            abuse = run_abuse(bot.url, Settings(data_dir=data))
        finally:
            bot.stop()
        log = (work / "abuse.log").read_text(encoding="utf-8", errors="replace")
        forged_line = any(line.startswith("2030-01-01") for line in log.splitlines())
    for a in abuse:
        print(f"{'ok ' if a['ok'] else 'BAD'} {a['status']:3}  {a['case']}: {a['answer'][:70]}")
    print(f"log line forged through a MediaId: {'YES' if forged_line else 'no'}")
    summary = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()[0]},
        "rounds": [asdict(r) for r in rounds],
        "totals": {f"{mode} / {stores}": {
            k: sum(getattr(r, k) for r in rounds if (r.mode, r.stores) == (mode, stores))
            for k in ("users", "in_flight", "committed_unanswered", "delivered_after", "exactly_once", "wrong",
                      "duplicates",
                      "next_turn_ok", "copies", "copies_answered")}
            for mode, stores in sorted({(r.mode, r.stores) for r in rounds})},
        "abuse": abuse,
        "forged_log_line": forged_line,
    }
    RESULTS.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    bad = any(r.problems for r in rounds) or not all(a["ok"] for a in abuse) or forged_line
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
