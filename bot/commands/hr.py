"""The HR workflow from the command line: `notices add|publish|list|rollback`,
`plans draft|publish|rollback` (with `plans validate`), `audit`, `admin sessions`.
Each step is the same code the console runs (bot/publishing.py) and is audited under
`--by NAME` (default: the login name)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any


def _by(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", default=None, help="who does this (recorded in the audit log; default: login name)")


def register(sub: argparse._SubParsersAction) -> None:
    notices = sub.add_parser("notices", help="upload, review and publish notices")
    ns = notices.add_subparsers(dest="notices_command", required=True)
    a = ns.add_parser("add", help="read a notice (DOCX, PDF, TXT, MD) and propose its front matter for review")
    a.add_argument("file", type=Path)
    for flag in ("id", "title", "region", "series", "level", "year"):
        a.add_argument(f"--{flag}", default=None, help=f"notice {flag} (overrides what is guessed)")
    a.add_argument("--publish", action="store_true", help="publish right away (no review)")
    _by(a)
    a.set_defaults(func=run_add)
    p = ns.add_parser("publish", help="publish a reviewed notice: indexed, Q&A answers from it at once")
    p.add_argument("notice_id")
    p.add_argument("--archive", action="store_true", help="publish an older year's notice as a past notice")
    _by(p)
    p.set_defaults(func=run_publish_notice)
    ls = ns.add_parser("list", help="notices: current / past / waiting for review, and their plans")
    ls.set_defaults(func=run_list)
    r = ns.add_parser("rollback", help="restore the previous published version of a notice")
    r.add_argument("notice_id")
    _by(r)
    r.set_defaults(func=run_rollback, kind="notice")

    au = sub.add_parser("audit", help="who uploaded, changed, published or rolled back what, and when")
    au.add_argument("--limit", type=int, default=50)
    au.set_defaults(func=run_audit)

    adm = sub.add_parser("admin", help="HR console sessions")
    adm_sub = adm.add_subparsers(dest="admin_command", required=True)
    s = adm_sub.add_parser("sessions", help="list console sessions, or end them all (--revoke-all)")
    s.add_argument("--revoke-all", action="store_true")
    s.set_defaults(func=run_sessions)


def register_plans(plans_sub: argparse._SubParsersAction) -> None:
    d = plans_sub.add_parser("draft", help="draft a plan from a published notice (rules, materials, timeline, "
                             "open items, example personas) into DATA_DIR/drafts")
    d.add_argument("notice_id")
    d.add_argument("--print", action="store_true", help="also print the draft")
    _by(d)
    d.set_defaults(func=run_draft)
    p = plans_sub.add_parser("publish", help="validate a draft (or --file) and publish it as the plan")
    p.add_argument("plan_id")
    p.add_argument("--file", type=Path, default=None, help="publish this edited YAML instead of the stored draft")
    _by(p)
    p.set_defaults(func=run_publish_plan)
    c = plans_sub.add_parser("check", help="validate a draft and run its example personas")
    c.add_argument("plan_id")
    c.set_defaults(func=run_check)
    r = plans_sub.add_parser("rollback", help="restore the previous published version of a plan")
    r.add_argument("plan_id")
    _by(r)
    r.set_defaults(func=run_rollback, kind="plan")


def _publisher(args: argparse.Namespace) -> Any:
    from bot.publishing import Publisher
    from bot.services import get_services

    return Publisher(get_services(), getattr(args, "by", None) or getpass.getuser())


def _fail(exc: Exception) -> int:
    print(str(exc), file=sys.stderr)
    return 1


def run_add(args: argparse.Namespace) -> int:
    from bot.publishing import PublishError
    from knowledge.ingest import IngestError

    pub = _publisher(args)
    overrides = {k: getattr(args, k) for k in ("id", "title", "region", "series", "level", "year")}
    if not args.file.exists():
        return _fail(FileNotFoundError(f"找不到文件 {args.file}"))
    try:
        up = pub.add_notice(args.file.name, args.file.read_bytes(), overrides)
    except (PublishError, IngestError) as exc:
        return _fail(exc)
    m = up.notice.meta
    print(f"已读取：{up.notice.id}")
    for k in ("title", "region", "series", "level", "year", "issuer"):
        print(f"  {k}: {m.get(k)}")
    print(f"  series_aliases: {'、'.join(m.get('series_aliases') or [])}")
    for c in m.get("contacts") or []:
        print(f"  联系人: {c.get('org', '')} {c.get('name', '')} {c.get('phone', '')}")
    for h in up.hints:
        print(f"提示：{h}")
    if args.publish:
        return run_publish_notice(argparse.Namespace(notice_id=up.notice.id, archive=False, by=args.by))
    print(f"请核对 {pub.pending_dir / (up.notice.id + '.md')} 的头信息，然后：python -m bot notices publish {up.notice.id}")
    return 0


def run_publish_notice(args: argparse.Namespace) -> int:
    from bot.publishing import PublishError
    from knowledge.ingest import IngestError

    try:
        n = _publisher(args).publish_notice(args.notice_id, archive=args.archive)
    except (PublishError, IngestError) as exc:
        return _fail(exc)
    print(f"已发布通知 {n.id}：《{n.title}》，问答即刻可用。下一步：python -m bot plans draft {n.id}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    pub = _publisher(args)
    cat = pub.catalog()
    for e in sorted(cat.entries.values(), key=lambda e: (e.key, -(e.year or 0))):
        state = "往年" if e.past else ("补充" if e.amends else "现行")
        plans = "，".join(f"{p}（{s}）" for p, s in e.plan_status.items()) or "无计划"
        print(f"{state}  {e.id}  {e.year or '-'}  《{e.title}》  计划：{plans}")
    for nid in pub.pending_ids():
        print(f"待审  {nid}（python -m bot notices publish {nid}）")
    return 0


def run_draft(args: argparse.Namespace) -> int:
    from bot.publishing import PublishError

    pub = _publisher(args)
    try:
        pid, draft, changes = pub.draft_plan(args.notice_id)
    except PublishError as exc:
        return _fail(exc)
    p = draft.plan
    print(f"已起草计划 {pid} → {pub.drafts_dir / (pid + '.yaml')}")
    print(f"  规则 {len(p.get('rules', []))} 条，申报方式 {len(p.get('routes', []))} 种，时间节点 {len(p.get('timeline', []))} 个，"
          f"材料 {len(p.get('general_materials', [])) + sum(len(r.get('materials', [])) for r in p.get('routes', []))} 项，"
          f"待核对条款 {len(draft.open_items)} 条")
    for c in changes:
        print(f"  变更：{c}")
    if args.print:
        print(draft.to_yaml())
    print(f"核对、编辑后：python -m bot plans check {pid}；python -m bot plans publish {pid}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from bot.publishing import PublishError, check_draft

    pub = _publisher(args)
    try:
        problems, plan = check_draft(pub.draft_text(args.plan_id), args.plan_id)
        if plan is None:
            print("\n".join(problems), file=sys.stderr)
            return 1
        results = pub.personas(args.plan_id)
    except PublishError as exc:
        return _fail(exc)
    print(f"{args.plan_id}：校验通过。示例申报人：")
    for r in results:
        print(f"  {'✓' if r['ok'] else '✗'} {r['name']}：{r['result']}")
    return 0 if all(r["ok"] for r in results) else 1


def run_publish_plan(args: argparse.Namespace) -> int:
    from bot.publishing import PublishError

    pub = _publisher(args)
    try:
        text = args.file.read_text(encoding="utf-8") if args.file else None
        res = pub.publish_plan(args.plan_id, text)
    except (PublishError, OSError) as exc:
        return _fail(exc)
    print(f"已发布计划 {args.plan_id}：资格自测、提醒、材料清单可用。"
          f"{res['open_items_as_notes']} 条待核对条款作为提示发布；新年度提醒已排队 {res['series_notified']} 人。")
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from bot.publishing import PublishError

    object_id = args.notice_id if args.kind == "notice" else args.plan_id
    try:
        print(_publisher(args).rollback(args.kind, object_id))
    except PublishError as exc:
        return _fail(exc)
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from bot.audit import AuditLog
    from bot.db import get_engine
    from bot.settings import get_settings

    for r in AuditLog(get_engine(get_settings())).recent(args.limit):
        print(f"{r['at']:%Y-%m-%d %H:%M:%S}  {r['actor']}  {r['action']}  {r['kind']} {r['object_id']}  {r['detail'][:100]}")
    return 0


def run_sessions(args: argparse.Namespace) -> int:
    from bot.admin_auth import AdminSessions
    from bot.db import get_engine
    from bot.settings import get_settings

    s = get_settings()
    sessions = AdminSessions(get_engine(s), s)
    if args.revoke_all:
        print(f"已结束 {sessions.revoke_all()} 个控制台会话。")
        return 0
    for row in sessions.active():
        print(f"{row['actor']}  登录 {row['created']:%Y-%m-%d %H:%M}  最近 {row['last_seen']:%H:%M}  到期 {row['expires']:%H:%M}")
    return 0


def report_missing_plans(settings: Any) -> None:
    """`plans validate`: current notices without a published plan (资格自测 is not online for them)."""
    from bot.publishing import Publisher
    from bot.services import Services

    cat = Publisher(Services(settings), "validate").catalog()
    missing = cat.notices_without_plan()
    for e in missing:
        state = "草稿待发布" if any(s == "draft" for s in e.plan_status.values()) else "没有计划"
        print(f"notice {e.id}: {state}（资格自测、提醒、材料清单对该通知不可用）", file=sys.stderr)
