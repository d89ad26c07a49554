"""Reminder delivery at scale: N subscribers × one event, scheduled by the real plan sync and
delivered to the fake WeChat API (a separate process) by the real scheduler (leased batch
claims, a thread pool of keep-alive HTTP sends, outcome batches). `enqueue_s` is the plan
sync; `deliver_s` the delivery, the figure the target is about.

    python -m benchmarks.reminders            # 10k and 100k, writes benchmarks/results/reminders.json
    python -m benchmarks.reminders --one 20000

Each size runs in its own process so peak RSS (ru_maxrss) is per size: memory should stay
flat beyond the outbox itself (claims are batches, nothing is loaded whole).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "reminders.json"


def _fake(port_q: mp.Queue) -> None:
    from bot.wechat.fake_server import FakeWeChat

    fake = FakeWeChat().start()
    port_q.put(fake.port)
    while True:
        time.sleep(3600)


def run_one(n: int, threads: int) -> dict:
    import sqlalchemy as sa

    from bot.db import get_engine, outbox, subscriptions
    from bot.reminders.delivery import WeChatSender
    from bot.reminders.plans import PlanInfo
    from bot.reminders.repo import ReminderRepo
    from bot.reminders.scheduler import Scheduler
    from bot.settings import Settings
    from bot.store.sqlite import SQLiteStore
    from bot.wechat.client import WeChatAPI
    from knowledge.citation import Clause
    from knowledge.timeline import TimelineEvent

    q: mp.Queue = mp.Queue()
    fake = mp.Process(target=_fake, args=(q,), daemon=True)
    fake.start()
    port = q.get(timeout=30)
    tmp = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    s = Settings(data_dir=tmp, wechat_api_base=f"http://127.0.0.1:{port}", template_id_reminder="TPL",
                 quiet_hours="", reminder_lead_days=[0])
    engine = get_engine(s)
    clock = [dt.datetime(2027, 8, 20)]
    repo = ReminderRepo(engine, s, lambda: clock[0])
    event = TimelineEvent(id="unit_review", kind="unit_review_deadline", audience="both", text="用人单位网上审核推荐截止",
                          date=dt.date(2027, 8, 26),
                          clause=Clause(notice="bench", path="二、时间安排 › 2. 用人单位审核",
                                        quote="用人单位网上审核推荐截止时间为 8 月 26 日。"))
    plan = PlanInfo("bench-2027", "2027年度临平区制造业专业工程师资格评审", "杭州市临平区", "制造业", "工程师", 2027,
                    [event])
    # n subscribers (rows written directly: the chat dialog is not what is measured) …
    with engine.begin() as c:
        for start in range(0, n, 10_000):
            c.execute(sa.insert(subscriptions), [
                {"openid": f"o{i:07d}", "plan_id": plan.id, "series": "", "role": "applicant", "kind": "plan",
                 "created": clock[0], "active": True} for i in range(start, min(n, start + 10_000))])
    # … scheduled by the real plan sync (streams subscribers in chunks) …
    t0 = time.perf_counter()
    repo.sync_plans({plan.id: plan})
    enqueue_s = time.perf_counter() - t0
    with engine.connect() as c:
        queued = c.execute(sa.select(sa.func.count()).select_from(outbox)).scalar()
    # … and delivered on the day by the real scheduler.
    clock[0] = dt.datetime(2027, 8, 26, 1, 1)  # 09:01 Asia/Shanghai
    sched = Scheduler(repo, WeChatSender(WeChatAPI(s, SQLiteStore(tmp / "state.db"))), s,
                      threads=threads, batch=threads * 16)
    t0 = time.perf_counter()
    tally = sched.run_once()
    deliver_s = time.perf_counter() - t0
    sched.stop()
    with engine.connect() as c:
        sent = c.execute(sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "sent")).scalar()
    fake.kill()
    return {"subscribers": n, "queued": queued, "sent": sent, "claimed": tally.claimed,
            "enqueue_s": round(enqueue_s, 2),
            "deliver_s": round(deliver_s, 2), "per_s": round(n / deliver_s, 1), "threads": threads,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.reminders")
    ap.add_argument("--one", type=int, help="run one size in this process and print JSON")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.threads)))
        return 0
    runs = []
    for n in [int(x) for x in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, "-m", "benchmarks.reminders", "--one", str(n),
                              "--threads", str(args.threads)], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1], ensure_ascii=False))
    big = max(runs, key=lambda r: r["subscribers"])
    report = {"benchmark": "reminders", "target": "100,000 subscribers × 1 event in ≤ 120 s",
              "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
              "database": "SQLite (embedded default)", "runs": runs,
              "passed": big["subscribers"] >= 100_000 and big["deliver_s"] <= 120 and big["sent"] == big["subscribers"]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
