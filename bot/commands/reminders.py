"""`db upgrade`, `timeline extract FILE`, `reminders upcoming|purge`, `scheduler` (reminders)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema (Alembic migrations)")
    dsub = p.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="apply migrations up to head (or --revision)")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=db_upgrade)

    p = sub.add_parser("timeline", help="plan timelines")
    tsub = p.add_subparsers(dest="timeline_command", required=True)
    ex = tsub.add_parser("extract", help="propose timeline events from a notice's date expressions (YAML)")
    ex.add_argument("file", type=Path)
    ex.add_argument("--year", type=int, default=None, help="year for dates without one (default: the notice's)")
    ex.set_defaults(func=timeline_extract)

    p = sub.add_parser("reminders", help="deadline reminders")
    rsub = p.add_subparsers(dest="reminders_command", required=True)
    upc = rsub.add_parser("upcoming", help="list what will be sent when")
    upc.add_argument("--limit", type=int, default=50)
    upc.set_defaults(func=reminders_upcoming)
    pur = rsub.add_parser("purge", help="apply the retention policy now (the scheduler does it daily)")
    pur.set_defaults(func=reminders_purge)

    p = sub.add_parser("scheduler", help="run the reminder scheduler as its own process")
    p.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--lease", type=float, default=None, help="claim lease in seconds")
    p.set_defaults(func=run_scheduler)


def db_upgrade(args: argparse.Namespace) -> int:
    from bot.db import upgrade
    from bot.settings import get_settings

    upgrade(get_settings().db_url, args.revision)
    print("数据库已升级到", args.revision)
    return 0


def timeline_extract(args: argparse.Namespace) -> int:
    from knowledge.timeline_extract import extract, to_yaml

    if not args.file.is_file():
        print(f"找不到文件：{args.file}", file=sys.stderr)
        return 2
    proposals, year = extract(args.file, args.year)
    if year is None:
        print("提示：无法从通知中确定年份，没有写年份的日期已跳过；请用 --year 指定。", file=sys.stderr)
    print(to_yaml(proposals, year), end="")
    return 0


def reminders_upcoming(args: argparse.Namespace) -> int:
    from bot.db import get_engine
    from bot.reminders.repo import ReminderRepo
    from bot.reminders.schedule import to_local
    from bot.settings import get_settings

    s = get_settings()
    rows = ReminderRepo(get_engine(s), s).upcoming(args.limit)
    if not rows:
        print("没有待发送的提醒。")
        return 0
    print(f"{'发送时间（' + s.timezone + '）':<24}{'人数':>6}  计划 / 事件 / 提前天数")
    for r in rows:
        when = to_local(r["due_at"], s).strftime("%Y-%m-%d %H:%M")
        print(f"{when:<24}{r['n']:>6}  {r['plan_id']} / {r['event_id']} / {r['lead']}")
    return 0


def reminders_purge(args: argparse.Namespace) -> int:
    from bot.db import get_engine
    from bot.reminders.repo import ReminderRepo
    from bot.settings import get_settings

    s = get_settings()
    counts = ReminderRepo(get_engine(s), s).purge_expired(s.retention_unfollowed_days, s.retention_deliveries_days)
    print(f"已删除（取关超过 {s.retention_unfollowed_days} 天的用户；超过 {s.retention_deliveries_days} 天的发送记录）：")
    for name, n in counts.items():
        print(f"  {name}: {n}")
    return 0


def run_scheduler(args: argparse.Namespace) -> int:
    import logging

    from bot.readiness import StartupError, startup
    from bot.reminders.scheduler import build
    from bot.services import Services
    from bot.settings import get_settings

    s = get_settings()
    services = Services(s)
    try:  # a broken database stops the scheduler loudly, not one failing pass after another
        startup(services, parts=("state", "database"))
    except StartupError as e:
        print(e, file=sys.stderr)
        return 1
    kw = {"threads": args.threads}
    if args.lease:
        kw["lease_s"] = args.lease
    sched = build(s, services, **kw)
    if args.once:
        t = sched.run_once()
        print(f"claimed {t.claimed}, sent {t.sent}, retry {t.retry}, failed {t.failed}, cancelled {t.cancelled}")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sched._stop.set())
    logging.getLogger(__name__).info("scheduler running (every %ss)", s.scheduler_interval_s)
    try:
        sched.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sched.stop()
    return 0
