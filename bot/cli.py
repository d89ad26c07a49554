"""`python -m bot …` — one entry point; each command group lives in its own module under
`bot/commands/` and registers its sub-commands. The list below is the one place to add one.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module exposes `register(subparsers)`; its sub-commands set `func(args) -> int`.
COMMAND_MODULES = [
    "bot.commands.serve",
    "bot.commands.knowledge",
    "bot.commands.config",
    "bot.commands.wechat",
    "bot.commands.tools",
    "bot.commands.eligibility",
    "bot.commands.reminders",
    "bot.commands.hr",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="职称助手 — 职称申报问答与资格自测")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot import logs
    from bot.settings import get_settings

    logs.configure(get_settings().log_level)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
