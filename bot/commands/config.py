"""`config`: show the effective settings (secrets masked) or the Markdown table for the README."""

from __future__ import annotations

import argparse

from bot.settings import Settings, get_settings

SECRET_FIELDS = {"wechat_token", "wechat_app_secret", "wechat_aes_key", "llm_api_key", "admin_token"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show effective settings (secrets masked)")
    p.add_argument("--markdown", action="store_true", help="print the README configuration table")
    p.set_defaults(func=run)


def markdown_table() -> str:
    rows = ["| Setting (env var) | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if name == "data_dir" or name.endswith("_dir"):
            default = "(repo)/" + "/".join(str(default).split("/")[-2:]) if name != "data_dir" else "(repo)/data"
        shown = "" if default in ("", None) else f"`{default}`"
        rows.append(f"| `{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        print(markdown_table())
        return 0
    s = get_settings()
    for name in Settings.model_fields:
        value = getattr(s, name)
        if name in SECRET_FIELDS and value:
            value = "***"
        print(f"{name.upper()}={value}")
    return 0
