"""Knowledge commands: `ingest`, `ask`, `chat`, `eval`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="add/replace notices (Markdown, TXT, DOCX, PDF) and rebuild the index")
    p.add_argument("files", nargs="*", type=Path, help="notice files to add or replace")
    p.add_argument("--all", action="store_true", help="(re)build the index from the notices directory")
    p.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    for flag in ("id", "title", "region", "series", "level", "year", "plan"):
        p.add_argument(f"--{flag}", default=None, help=f"notice {flag} (overrides what is read or guessed)")
    p.set_defaults(func=run_ingest)

    p = sub.add_parser("ask", help="answer one question from the notices")
    p.add_argument("question")
    p.add_argument("--plan", default=None, help="restrict to one plan id")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(func=run_ask)

    p = sub.add_parser("chat", help="interactive chat through the dispatcher (exit: /quit, Ctrl-D, or 退出 outside a dialog)")
    p.add_argument("--user", default="cli-local", help="user id for the dialog state")
    p.set_defaults(func=run_chat)

    p = sub.add_parser("eval", help="score a question set (qa_dev.yaml format) or a conversation set "
                       "(dialogs_dev.yaml format, run through the webhook)")
    p.add_argument("file", type=Path)
    p.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="show every answer, not only failures")
    p.set_defaults(func=run_eval)


def run_ingest(args: argparse.Namespace) -> int:
    from bot.settings import get_settings
    from knowledge import index
    from knowledge.ingest import IngestError, load_notice, save_notice

    settings = get_settings()
    if not args.files and not args.all:
        print("请指定要导入的文件，或用 --all 从通知目录重建索引。", file=sys.stderr)
        return 2
    overrides = {k: getattr(args, k) for k in ("id", "title", "region", "series", "level", "year")}
    if args.plan:
        overrides["plans"] = [args.plan]
    if args.files and len(args.files) > 1 and args.id:
        print("--id 只能用于单个文件。", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        # Read every file first: one bad file changes nothing.
        notices = [load_notice(f, overrides) for f in args.files]
        for n in notices:
            target = settings.notices_dir / f"{n.id}.md"
            action = "替换" if target.exists() else "新增"
            save_notice(n, settings.notices_dir)
            print(f"{action}通知 {n.id}：《{n.title}》→ {target}")
        version, rebuilt = index.ensure(settings, force=args.force)
    except IngestError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    took = time.perf_counter() - t0
    if rebuilt:
        manifest = json.loads((settings.index_dir / version / "manifest.json").read_text(encoding="utf-8"))
        print(f"索引已更新：{len(manifest['notices'])} 份通知，{manifest['chunks']} 段，用时 {took:.1f} 秒（{version}）")
    else:
        print(f"索引已是最新（{version}），无需重建。")
    return 0


def _qa():  # type: ignore[no-untyped-def]
    from bot.settings import get_settings
    from knowledge.qa.service import QAService

    return QAService.from_settings(get_settings())


def run_ask(args: argparse.Namespace) -> int:
    ans = _qa().answer(args.question, plan=args.plan)
    if args.json:
        print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(ans.text)
    return 0


def run_chat(args: argparse.Namespace) -> int:
    import logging

    from bot.dispatcher import dispatch
    from bot.services import get_services
    from handlers.base import Incoming

    # The chat is read by a person: log lines (index build, model load) would land between answers.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    services = get_services()
    user = args.user if args.user.startswith("cli-") else f"cli-{args.user}"
    interactive = sys.stdin.isatty()
    if _index_needs_build(services.settings):
        print("正在准备知识库（首次约需 30 秒）…", flush=True)
        try:
            _ = services.qa  # build it now, not in the middle of the first answer
        except Exception as exc:  # the tools still work without Q&A; say so instead of a trace
            print(f"知识库没能准备好（{exc}），问答暂不可用，其他功能照常。", file=sys.stderr)
    if interactive:
        print("职称助手（输入问题后回车；输入 /quit 或按 Ctrl-D 结束；没有进行中的对话时「退出」也可结束）")
    while True:
        try:
            line = input("> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            break
        text = line.strip()
        if not text:
            continue
        if text.lower() in ("/quit", "/exit"):
            break
        # 「退出」 inside a dialog belongs to the dialog (退出述职检查 …); only without one does it end the CLI.
        in_dialog = bool(services.store.get_dialog(user).get("flow"))
        if text in ("退出", "exit", "quit") and not in_dialog:
            break
        reply = dispatch(Incoming(user=user, text=text), services)
        if reply:
            print(reply)
            print()
    return 0


def _index_needs_build(settings) -> bool:  # type: ignore[no-untyped-def]
    from knowledge import index

    live = index.current_version(settings)
    if not live:
        return True
    try:
        manifest = json.loads((settings.index_dir / live / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return manifest.get("digest") != index.build_digest(settings)


def run_eval(args: argparse.Namespace) -> int:
    from bot import conversations
    from knowledge.qa.evaluation import evaluate, load_set, render

    if not args.file.exists():
        print(f"找不到题集 {args.file}", file=sys.stderr)
        return 2
    items = load_set(args.file)
    if conversations.is_conversation_set(items):
        import logging

        from bot.settings import get_settings

        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
        creport = conversations.evaluate_conversations(items, get_settings())
        if args.json:
            print(json.dumps(creport.to_dict(), ensure_ascii=False, indent=1))
        else:
            print(conversations.render(creport, verbose=args.verbose))
        return 0
    report = evaluate(_qa(), items, mode=args.mode)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(render(report, verbose=args.verbose))
    return 0
