"""Applicant tools on the command line: `photo FILE` (ID-photo check), `shuzhi FILE` (述职 count)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("photo", help="check an ID photo against the platform's upload rules")
    p.add_argument("file", type=Path)
    p.add_argument("--fix", type=Path, default=None, metavar="OUT.jpg",
                   help="when a rule fails, write the cropped/re-saved JPEG here")
    p.set_defaults(func=run_photo)

    s = sub.add_parser("shuzhi", help="count a 本人述职 text (UTF-8 file, or - for stdin) against 1000 字")
    s.add_argument("file", type=str)
    s.set_defaults(func=run_shuzhi)


def run_photo(args: argparse.Namespace) -> int:
    from knowledge.photo import check_photo, format_report

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"无法读取文件 {args.file}：{exc.strerror or exc}")
        return 2
    report = check_photo(data)
    print(format_report(report))
    if args.fix:
        if report.fix and report.fix.data:
            args.fix.write_bytes(report.fix.data)
            print(f"已写出修改后的照片：{args.fix}（{len(report.fix.data) / 1024:.0f} KB）")
        elif report.ok:
            print("照片已符合要求，无需修改。")
        else:
            print("无法自动修改这张照片，请按上面的说明处理。")
    return 0 if report.ok else 1


def run_shuzhi(args: argparse.Namespace) -> int:
    import sys

    from handlers.shuzhi import LIMIT, count_text, format_count

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取文件 {args.file}：{exc}")
        return 2
    count = count_text(text)
    print(format_count(count, text))
    return 0 if count.total <= LIMIT else 1
