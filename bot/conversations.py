"""Scoring conversation sets (format of ../shared/eval/dialogs_dev.yaml) through the real webhook.

Each conversation is one fresh WeChat user; every turn is signed XML POSTed over loopback HTTP
to `/wechat`, exactly as WeChat's servers send it, and the passive reply is checked. A reply
that ends by offering 「更多」 is read on (up to 3 pages) before the checks, as a user would.

Checks (after NFKC with spaces removed): `expect_any` — one string appears; `expect_all` — all
appear; `forbid` — none appears. A turn passes when all of its checks hold; a conversation
passes whole when every turn does.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.settings import Settings
from knowledge.lang.text import compact

MORE_PAGES = 3


@dataclass
class TurnResult:
    say: str
    reply: str
    passed: bool
    problems: list[str]
    ms: float


@dataclass
class ConversationResult:
    id: str
    about: str
    turns: list[TurnResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.turns)


@dataclass
class ConversationReport:
    conversations: list[ConversationResult]

    def summary(self) -> dict[str, Any]:
        turns = [t for c in self.conversations for t in c.turns]
        ms = sorted(t.ms for t in turns)
        return {
            "conversations": len(self.conversations),
            "conversations_passed": sum(c.passed for c in self.conversations),
            "turns": len(turns),
            "turns_passed": sum(t.passed for t in turns),
            "turn_accuracy": round(sum(t.passed for t in turns) / len(turns), 4) if turns else 1.0,
            "latency_ms_p50": round(statistics.median(ms), 1) if ms else 0.0,
            "latency_ms_max": round(ms[-1], 1) if ms else 0.0,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(),
                "conversations": [{**asdict(c), "passed": c.passed} for c in self.conversations]}


def is_conversation_set(items: Any) -> bool:
    return isinstance(items, list) and bool(items) and all(isinstance(i, dict) and "turns" in i for i in items)


def check(reply: str, turn: dict[str, Any]) -> list[str]:
    """What is wrong with `reply` for this turn (empty: it passes)."""
    text = compact(reply)
    problems = []
    any_ = [str(s) for s in turn.get("expect_any") or []]
    if any_ and not any(compact(s) in text for s in any_):
        problems.append(f"none of {any_}")
    missing = [str(s) for s in turn.get("expect_all") or [] if compact(str(s)) not in text]
    if missing:
        problems.append(f"missing {missing}")
    found = [str(s) for s in turn.get("forbid") or [] if compact(str(s)) in text]
    if found:
        problems.append(f"forbidden {found}")
    return problems


class WebhookUser:
    """One WeChat user talking to the bot's `/wechat` over HTTP, as WeChat's servers relay it."""

    def __init__(self, base_url: str, settings: Settings, openid: str) -> None:
        from bot.wechat.webhook import WebhookCodec

        self.url = base_url.rstrip("/") + "/wechat"
        self.codec = WebhookCodec(settings)
        self.openid = openid
        self.http = httpx.Client(timeout=60)

    def send(self, text: str) -> str:
        from bot.wechat.webhook import cdata, parse_xml

        xml = (f"<xml><ToUserName>{cdata('gh_eval')}</ToUserName><FromUserName>{cdata(self.openid)}</FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content>{cdata(text)}</Content><MsgId>{secrets.randbits(63)}</MsgId></xml>")
        params, body = self.codec.sign_request(xml)
        r = self.http.post(self.url, params=params, content=body.encode("utf-8"),
                           headers={"Content-Type": "text/xml"})
        r.raise_for_status()
        if r.text in ("", "success"):
            return ""
        return parse_xml(r.text).get("Content", "")

    def say(self, text: str) -> str:
        """The reply, with up to MORE_PAGES 「更多」 pages read on."""
        from handlers.more import MORE_HINT

        reply = self.send(text)
        pages = [reply]
        for _ in range(MORE_PAGES):
            if not pages[-1].endswith(MORE_HINT):
                break
            pages[-1] = pages[-1][: -len(MORE_HINT)]
            pages.append(self.send("更多"))
        return "\n".join(pages)

    def close(self) -> None:
        self.http.close()


def evaluate_conversations(items: list[dict[str, Any]], settings: Settings) -> ConversationReport:
    """Run every conversation against a fresh app on a loopback port. Dialog state and reminder
    subscriptions go to a throw-away directory; the live index in DATA_DIR answers questions."""
    from bot.app import create_app
    from bot.wechat.loopback import serve_in_thread

    with tempfile.TemporaryDirectory(prefix="zhicheng-eval-") as tmp:
        settings = settings.model_copy(update={
            "state_url": f"sqlite:///{Path(tmp) / 'state.db'}", "database_url": f"sqlite:///{Path(tmp) / 'bot.db'}",
            "redis_url": "", "scheduler_in_serve": False, "reply_budget_s": 60.0})
        app = create_app(settings)
        with serve_in_thread(app, timeout_s=600) as base:
            return run_conversations(items, base, settings)


def run_conversations(items: list[dict[str, Any]], base_url: str, settings: Settings) -> ConversationReport:
    """Every conversation against a running app at `base_url`, each as a fresh WeChat user."""
    results = []
    run = secrets.token_hex(3)
    for n, conv in enumerate(items, 1):
        cid = str(conv.get("id", n))
        user = WebhookUser(base_url, settings, f"eval-{run}-{cid}")
        res = ConversationResult(id=cid, about=str(conv.get("about", "")))
        try:
            for turn in conv.get("turns") or []:
                t0 = time.perf_counter()
                reply = user.say(str(turn["say"]))
                ms = (time.perf_counter() - t0) * 1000
                problems = check(reply, turn)
                res.turns.append(TurnResult(say=str(turn["say"]), reply=reply, passed=not problems,
                                            problems=problems, ms=round(ms, 1)))
        finally:
            user.close()
        results.append(res)
    return ConversationReport(results)


def render(report: ConversationReport, verbose: bool = False) -> str:
    lines = []
    for c in report.conversations:
        ok = sum(t.passed for t in c.turns)
        lines.append(f"{'PASS' if c.passed else 'FAIL'} {c.id:8} {ok}/{len(c.turns)}  {c.about}")
        for i, t in enumerate(c.turns, 1):
            if t.passed and not verbose:
                continue
            lines.append(f"   {'ok ' if t.passed else 'BAD'} {i}. 「{t.say}」 {'; '.join(t.problems)}")
            lines.append("        " + t.reply.replace("\n", "\n        "))
    s = report.summary()
    lines.append("")
    lines.append(f"conversations: turns {s['turn_accuracy']:.1%} ({s['turns_passed']}/{s['turns']}), "
                 f"whole conversations {s['conversations_passed']}/{s['conversations']}, "
                 f"reply p50 {s['latency_ms_p50']} ms, max {s['latency_ms_max']} ms")
    return "\n".join(lines)


def load(path: Path | str) -> list[dict[str, Any]]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not is_conversation_set(items):
        raise ValueError(f"{path}: expected a list of conversations with turns")
    return items
