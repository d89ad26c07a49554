"""Kill -9 the scheduler process in the middle of a batch, restart it: every reminder is
delivered exactly once (the fake, like WeChat, de-duplicates template messages on
client_msg_id; it answers slowly so the kill lands while calls are in flight)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.db import get_engine, outbox, utcnow
from bot.reminders.repo import idem_key
from bot.settings import ROOT, Settings
from bot.wechat.fake_server import FakeWeChat

T = "/cgi-bin/message/template/send"


class SlowDedupWeChat(FakeWeChat):
    """WeChat's documented template behaviour: one message per (openid, client_msg_id)."""

    delay_s = 0.05

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[tuple[str, str]] = []
        self._seen: set[tuple[str, str]] = set()

    def _post(self, path: str, payload: dict[str, Any]) -> tuple[int, str, Any]:
        if path == T:
            key = (str(payload.get("touser")), str(payload.get("client_msg_id")))
            if key not in self._seen:
                self._seen.add(key)
                self.delivered.append(key)
        return super()._post(path, payload)

    def _handle(self, method: str, path: str, query: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
        out = super()._handle(method, path, query, body)
        if path == T:
            time.sleep(self.delay_s)  # accepted, but the answer is still on its way
        return out


def _scheduler(env: dict[str, str], once: bool) -> subprocess.Popen:
    args = [sys.executable, "-m", "bot", "scheduler", "--threads", "4", "--lease", "1"]
    return subprocess.Popen(args + (["--once"] if once else []), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_kill_mid_batch_then_restart_delivers_each_once(db_settings: Settings, tmp_path: Path) -> None:
    n = 300
    s = db_settings
    db = s.db_url
    engine = get_engine(s)
    now = utcnow()
    payload = json.dumps({"plan": "测试计划", "event": "网上申报", "kind": "submission_window", "edge": "end",
                          "day": "2027-08-15", "lead": 1, "when": "8月15日", "cite": ""}, ensure_ascii=False)
    with engine.begin() as c:
        c.execute(sa.insert(outbox), [
            {"openid": f"o{i:04d}", "plan_id": "p", "event_id": "e", "lead": 1,
             "due_at": now - dt.timedelta(minutes=1), "status": "pending", "attempts": 0,
             "idem_key": idem_key(f"o{i:04d}", "p", "e", 1), "payload": payload, "created": now}
            for i in range(n)])
    with SlowDedupWeChat() as fake:
        env = {**os.environ, "DATABASE_URL": db, "DATA_DIR": str(s.data_dir), "PLANS_DIR": str(s.plans_dir),
               "STATE_URL": f"sqlite:///{tmp_path / 'state.db'}", "WECHAT_API_BASE": fake.base_url,
               "TEMPLATE_ID_REMINDER": "TPL", "SCHEDULER_INTERVAL_S": "0.2", "QUIET_HOURS": ""}
        proc = _scheduler(env, once=False)
        assert fake.wait_for(lambda f: len(f.calls_to(T)) >= n // 3, timeout=60)
        os.kill(proc.pid, signal.SIGKILL)  # mid-batch: calls are in flight in the slow fake
        proc.wait()
        before = len(fake.delivered)
        assert 0 < before < n
        with engine.connect() as c:
            in_flight = c.execute(sa.select(sa.func.count()).select_from(outbox)
                                  .where(outbox.c.status == "claimed")).scalar()
        assert in_flight > 0  # the crash left claimed rows behind
        time.sleep(1.2)  # let the dead worker's lease (1 s) expire
        proc = _scheduler(env, once=True)
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode() if proc.stderr else ""
    with engine.connect() as c:
        status = dict(Counter(r.status for r in c.execute(sa.select(outbox.c.status))))
    assert status == {"sent": n}
    per_user = Counter(u for u, _ in fake.delivered)
    assert len(per_user) == n and max(per_user.values()) == 1  # none lost, none twice
    assert len(fake.calls_to(T)) >= n  # re-sends after the crash were absorbed by client_msg_id
