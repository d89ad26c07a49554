"""Production topology on one machine: gunicorn with 4 uvicorn workers on PostgreSQL + Redis,
the fake WeChat API for outbound calls, and two reminder schedulers started by mistake.

- WeChat's retries of one message (same MsgId, separate connections) land on different
  workers → the handler runs once per message (summed over workers by /metrics);
- one access token serves every process (the fake counts token requests);
- a multi-turn eligibility dialog whose turns hit different workers gets exactly the replies
  a single process gives;
- two scheduler processes deliver each due reminder once.

Runs when TEST_DATABASE_URL and TEST_REDIS_URL are set (`.ci/run`); everything lives in a
fresh PostgreSQL schema and Redis key prefix, removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
import yaml

from bot.settings import KNOWLEDGE_DIR, ROOT, Settings
from bot.wechat.fake_server import FakeWeChat
from bot.wechat.webhook import WebhookCodec, cdata, parse_xml

DB = os.environ.get("TEST_DATABASE_URL", "")
REDIS = os.environ.get("TEST_REDIS_URL", "")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (DB and REDIS), reason="TEST_DATABASE_URL and TEST_REDIS_URL not set")]

PLAN = "linping-manufacturing-engineer-2022"
WORKERS = 4
SUBSCRIBERS = 12
TPL = "/cgi-bin/message/template/send"
QUESTION = "临平区制造业工程师网上申报是几号到几号？"
DIALOG = ["资格自测", "2", "助理工程师", "2017年7月", "本科", "2013年6月", "是", "合格", "跳过", "跳过", "跳过"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _today_plan(plans: Path, tz: ZoneInfo) -> dt.date:
    """The Linping plan with one event today, so its reminder is due while the test runs."""
    path = plans / f"{PLAN}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = dt.datetime.now(tz).date()
    clause = data["timeline"][0]["clause"] if data.get("timeline") else None
    data["timeline"] = [{"id": "today_deadline", "kind": "paper_forms_deadline", "audience": "both",
                         "text": "纸质材料报送（测试）", "date": today, "clause": clause}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return today


@dataclass
class Cluster:
    url: str
    env: dict[str, str]
    settings: Settings
    fake: FakeWeChat
    codec: WebhookCodec
    prom_dir: Path
    root: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def post(self, xml: str) -> httpx.Response:
        query, body = self.codec.sign_request(xml)
        # A new connection per attempt, as WeChat's retries arrive: gunicorn hands each to
        # whichever worker accepts it first.
        with httpx.Client(timeout=15, headers={"Connection": "close"}) as http:
            return http.post(f"{self.url}/wechat", params=query, content=body.encode("utf-8"),
                             headers={"Content-Type": "text/xml"})

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        total = 0.0
        for line in text.splitlines():
            if (line.startswith(name + "{") or line.startswith(name + " ")) and \
                    all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total


_ids = iter(range(7 * 10**9, 8 * 10**9))


def text_xml(user: str, content: str, msg_id: int) -> str:
    return (f"<xml><ToUserName>{cdata('gh_test')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
            f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId></xml>")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from bot.db import upgrade

    root = tmp_path_factory.mktemp("multiworker")
    notices, plans, data, prom = root / "notices", root / "plans", root / "data", root / "prometheus"
    notices.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "notices" / f"{PLAN}.md", notices)
    shutil.copytree(KNOWLEDGE_DIR / "plans", plans)
    schema = f"t_mw_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(DB)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db_url = f"{DB}{'&' if '?' in DB else '?'}options=-csearch_path%3D{schema}"
    prefix = f"test-mw-{uuid.uuid4().hex[:10]}:"
    fake = FakeWeChat().start()
    port = _free_port()
    now_local = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    if now_local.hour == 0 and now_local.minute < 5:
        pytest.skip("reminder due-time arithmetic needs a few minutes of the local day")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "TEST_"))},
        "APP_ENV": "development", "DATA_DIR": str(data), "NOTICES_DIR": str(notices), "PLANS_DIR": str(plans),
        "DATABASE_URL": db_url, "REDIS_URL": REDIS, "REDIS_PREFIX": prefix, "STATE_URL": "",
        "CHROMA_URL": "", "WECHAT_API_BASE": fake.base_url, "TEMPLATE_ID_REMINDER": "TPL",
        # Answers slower than this go out as customer-service messages: web workers call the API too.
        "REPLY_BUDGET_S": "0.3",
        "QUIET_HOURS": "", "REMINDER_LEAD_DAYS": "[0]",
        "REMINDER_SEND_TIME": (now_local - dt.timedelta(minutes=2)).strftime("%H:%M"),
        "SCHEDULER_INTERVAL_S": "0.2", "LOG_LEVEL": "WARNING", "GUNICORN_LOGLEVEL": "info",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(WORKERS), "GUNICORN_TIMEOUT": "120",
        "PROMETHEUS_MULTIPROC_DIR": str(prom), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    }
    fields = {k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields}
    fields["reminder_lead_days"] = json.loads(fields["reminder_lead_days"])
    settings = Settings(_env_file=None, **fields)  # type: ignore[call-arg]
    _today_plan(plans, ZoneInfo(settings.timezone))
    upgrade(db_url)
    # Build the index once; every worker then only opens it.
    from knowledge.qa.service import QAService

    QAService.from_settings(settings)
    cl = Cluster(f"http://127.0.0.1:{port}", env, settings, fake, WebhookCodec(settings), prom, root)
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cl.procs.append(gunicorn)
    ready = threading.Semaphore(0)
    log: list[str] = []

    def watch() -> None:
        assert gunicorn.stderr is not None
        for raw in gunicorn.stderr:
            line = raw.decode("utf-8", "replace")
            log.append(line)
            if "Application startup complete" in line:
                ready.release()

    threading.Thread(target=watch, daemon=True).start()
    try:
        deadline = time.monotonic() + 90
        for _ in range(WORKERS):
            if not ready.acquire(timeout=max(0.1, deadline - time.monotonic())):
                pytest.fail("gunicorn workers did not start:\n" + "".join(log[-40:]))
        yield cl
    finally:
        for p in cl.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in cl.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        fake.stop()
        from bot.store.redis import drop_prefix

        drop_prefix(REDIS, prefix)
        from bot.db import dispose_engines

        dispose_engines()
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _requests_per_worker(prom_dir: Path) -> dict[str, float]:
    """/wechat requests served by each worker process, from the per-process sample files."""
    from prometheus_client.mmap_dict import MmapedDict

    out: Counter[str] = Counter()
    for f in prom_dir.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(f)):
            _metric, sample, labels, _help = json.loads(key)
            if sample == "zhicheng_http_requests_total" and labels.get("route") == "/wechat":
                out[f.stem.split("_")[-1]] += value
    return dict(out)


def _reply(cl: Cluster, user: str, resp: httpx.Response, before: int) -> str | None:
    """The text the user sees for one message: the passive reply, or (when it came late) the
    customer-service message that followed."""
    assert resp.status_code == 200, resp.text
    if resp.text != "success":
        return parse_xml(resp.text)["Content"]
    if cl.fake.wait_for(lambda f: len(f.texts(user)) > before, timeout=20):
        return cl.fake.texts(user)[before]
    return None


def test_retries_across_workers_run_each_handler_once(cluster: Cluster) -> None:
    runs_before = cluster.metric("zhicheng_handler_runs_total")
    dedup_before = cluster.metric("zhicheng_dedup_hits_total")
    messages = [(f"o_retry_{i}", next(_ids)) for i in range(16)]
    attempts = [(user, msg_id, text_xml(user, QUESTION if i % 2 else "帮助", msg_id))
                for i, (user, msg_id) in enumerate(messages) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda a: cluster.post(a[2]), attempts))
    assert all(r.status_code == 200 for r in responses)
    # Answers slower than the budget went out as customer-service messages: every message is
    # answered one way or the other.
    passive = {a[0] for a, r in zip(attempts, responses, strict=True) if r.text != "success"}
    assert cluster.fake.wait_for(lambda f: all(u in passive or f.texts(u) for u, _ in messages), timeout=30)
    assert cluster.metric("zhicheng_handler_runs_total") - runs_before == len(messages)
    assert cluster.metric("zhicheng_dedup_hits_total") - dedup_before == 2 * len(messages)
    for user, _ in messages:
        # No answer is delivered twice: at most one customer-service message per message.
        assert len(cluster.fake.texts(user)) <= 1
    per_worker = _requests_per_worker(cluster.prom_dir)
    assert len([p for p, n in per_worker.items() if n > 0]) >= 2, per_worker
    # Outbound calls (late answers, when the machine is slow enough to have any) share one
    # token; the scheduler test below makes calls from several processes deterministically.
    assert cluster.fake.token_requests <= 1


def test_dialog_state_is_consistent_across_workers(cluster: Cluster, tmp_path: Path) -> None:
    from bot.dispatcher import dispatch
    from bot.services import Services
    from handlers.base import Incoming

    # What one process answers, turn by turn (embedded SQLite; same plans and knowledge index).
    local = Services(cluster.settings.model_copy(update={
        "state_url": f"sqlite:///{tmp_path / 'state.db'}", "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "redis_url": ""}))
    expected = [dispatch(Incoming(user="o_local", text=t), local) for t in DIALOG]
    assert any("？" in (e or "") for e in expected[2:]), "the script should reach the questions"

    user = "o_dialog"
    served_before = _requests_per_worker(cluster.prom_dir)
    got = []
    for turn in DIALOG:
        before = len(cluster.fake.texts(user))
        got.append(_reply(cluster, user, cluster.post(text_xml(user, turn, next(_ids))), before))
    assert got == expected
    served = _requests_per_worker(cluster.prom_dir)
    workers = [p for p, n in served.items() if n > served_before.get(p, 0)]
    assert len(workers) >= 2, f"all turns went to one worker: {served}"
    from bot.store import open_store

    store = open_store(cluster.settings)
    try:
        def comparable(state: dict) -> dict:  # type: ignore[type-arg]
            return {k: v for k, v in state.items() if k != "done_at"}  # a wall-clock second

        assert comparable(store.get_dialog(user)) == comparable(local.store.get_dialog("o_local"))
    finally:
        store.close()


def test_two_schedulers_deliver_each_reminder_once(cluster: Cluster) -> None:
    from bot.db import get_engine, utcnow
    from bot.reminders.plans import load_plan_infos
    from bot.reminders.repo import ReminderRepo

    s = cluster.settings
    # Subscribed a little earlier: the reminder (2 minutes ago) was still ahead then.
    repo = ReminderRepo(get_engine(s), s, clock=lambda: utcnow() - dt.timedelta(minutes=10))
    info = load_plan_infos(s.plans_dir)[PLAN]
    users = [f"o_sub_{i}" for i in range(SUBSCRIBERS)]
    for i, u in enumerate(users):
        assert repo.subscribe(u, info, "hr" if i % 3 == 0 else "applicant") == 1
    sent_before = cluster.metric("zhicheng_reminders_sent_total", channel="template")
    for _ in range(2):
        cluster.procs.append(subprocess.Popen([sys.executable, "-m", "bot", "scheduler", "--threads", "4"],
                                              cwd=ROOT, env=cluster.env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
    assert cluster.fake.wait_for(lambda f: len(f.calls_to(TPL)) >= SUBSCRIBERS, timeout=40)
    time.sleep(1.0)  # five more scheduler passes each: a duplicate would show up now
    calls = cluster.fake.calls_to(TPL)
    keys = Counter((c.json["touser"], c.json["client_msg_id"]) for c in calls)
    assert sorted(u for u, _ in keys) == sorted(users)
    assert max(keys.values()) == 1
    with get_engine(s).connect() as c:
        status = dict(c.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
    assert status == {"sent": SUBSCRIBERS}
    # The schedulers write to the same metrics directory: /metrics shows their deliveries.
    assert cluster.metric("zhicheng_reminders_sent_total", channel="template") - sent_before == SUBSCRIBERS
    assert cluster.fake.token_requests == 1
    assert re.fullmatch(r"\d+", str(len(calls)))
