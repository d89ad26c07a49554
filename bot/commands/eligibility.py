"""`eligibility` and `plans validate`: the rules engine and the plan files from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eligibility", help="evaluate a facts file against a plan (JSON, or --text in Chinese)")
    p.add_argument("--plan", required=True, help="plan id, e.g. linping-manufacturing-engineer-2022")
    p.add_argument("--facts", required=True, help="JSON file with the facts ('-' for stdin)")
    p.add_argument("--as-of", default=None, help="cut-off date when the plan states none (YYYY-MM-DD)")
    p.add_argument("--text", action="store_true", help="print the plain-Chinese explanation instead of JSON")
    p.set_defaults(func=run_eligibility)

    plans = sub.add_parser("plans", help="plan files (rules, materials, timeline)")
    plans_sub = plans.add_subparsers(dest="plans_command", required=True)
    v = plans_sub.add_parser("validate", help="validate every plan file; exit 1 on the first error")
    v.add_argument("--dir", default=None, help="plans directory (default: PLANS_DIR)")
    v.set_defaults(func=run_validate)
    from bot.commands import hr

    hr.register_plans(plans_sub)  # draft / publish / rollback live with the HR workflow


def run_eligibility(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.settings import get_settings
    from knowledge.eligibility.facts import FactError
    from knowledge.eligibility.plans import PlanError, load_plans
    from knowledge.eligibility.rules import evaluate, render_text

    try:
        plans = load_plans(get_settings().plans_dir)
    except PlanError as exc:
        print(exc, file=sys.stderr)
        return 2
    plan = plans.get(args.plan)
    if plan is None:
        print(f"未知的评审计划「{args.plan}」；可用：{', '.join(sorted(plans))}", file=sys.stderr)
        return 2
    try:
        raw = sys.stdin.read() if args.facts == "-" else Path(args.facts).read_text(encoding="utf-8")
        facts = json.loads(raw)
    except (OSError, ValueError) as exc:
        print(f"读不了 facts 文件：{exc}", file=sys.stderr)
        return 2
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
        result = evaluate(plan, facts, as_of=as_of)
    except (FactError, ValueError) as exc:
        print(f"条件有误：{exc}", file=sys.stderr)
        return 2
    if args.text:
        print(render_text(result, plan))
    else:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from bot.settings import get_settings
    from knowledge.eligibility.plans import PlanError, load_plan_file

    folder = Path(args.dir) if args.dir else get_settings().plans_dir
    files = sorted(folder.glob("*.yaml"))
    if not files:
        print(f"{folder}: no plan files", file=sys.stderr)
        return 1
    bad = 0
    for path in files:
        try:
            plan = load_plan_file(path)
        except PlanError as exc:
            bad += 1
            print(exc, file=sys.stderr)
            continue
        print(f"ok  {path.name}: {len(plan.routes)} routes, {len(plan.rules)} rules, "
              f"{len(plan.timeline)} timeline events")
    if not args.dir:
        from bot.commands.hr import report_missing_plans

        report_missing_plans(get_settings())
    return 1 if bad else 0
