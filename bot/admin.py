"""What the HR console does, apart from HTTP and the publishing workflow (bot/publishing.py):
propose a notice's timeline events, publish confirmed events into a plan file, and summarise reminders.
The routes in `bot/routes/admin.py` only parse forms and render pages."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from knowledge.timeline import TimelineEvent

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".docx", ".pdf", ".md", ".markdown", ".txt")
# The nginx site allows 10m on /admin; the app refuses larger files itself too.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


# Front matter fields the review form edits (bot/publishing.py applies them).
FRONT_FIELDS = ("id", "title", "region", "series", "level", "year", "issuer", "amends", "region_aliases",
                "series_aliases")


class AdminError(ValueError):
    """A problem HR can fix; the message is Chinese and shown as is."""


def list_notices(services: Services) -> list[dict[str, Any]]:
    from knowledge.ingest import parse_front_matter

    out = []
    for p in sorted(Path(services.settings.notices_dir).glob("*.md")):
        try:
            meta, _ = parse_front_matter(p.read_text(encoding="utf-8"))
        except Exception:  # a broken file is listed by name; ingest reports the details
            meta = {}
        out.append({"id": str(meta.get("id") or p.stem), "title": meta.get("title") or p.stem,
                    "year": meta.get("year"), "plans": meta.get("plans") or []})
    return out


def notice_path(services: Services, notice_id: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", notice_id):
        raise AdminError("通知编号不正确。")
    path = Path(services.settings.notices_dir) / f"{notice_id}.md"
    if not path.exists():
        raise AdminError(f"没有编号为 {notice_id} 的通知。")
    return path


@dataclass
class ProposalView:
    id: str
    kind: str
    audience: str
    text: str
    when: str
    dated: bool
    sentence: str
    notes: list[str]
    event: TimelineEvent


def proposals(services: Services, notice_id: str) -> tuple[list[ProposalView], int | None]:
    from knowledge.timeline_extract import extract

    found, year = extract(notice_path(services, notice_id))
    return [ProposalView(id=p.event.id, kind=p.event.kind, audience=p.event.audience, text=p.event.text,
                         when=p.event.when_text(), dated=p.event.dated, sentence=p.sentence,
                         notes=list(p.notes), event=p.event) for p in found], year


_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")


def _replace_timeline_block(text: str, block: str) -> str:
    """Swap the top-level `timeline:` block of a plan file, keeping every other line (and
    its comments) as written."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if re.match(r"^timeline\s*:", ln)), None)
    if start is None:
        sep = "" if text.endswith("\n") or not text else "\n"
        return text + sep + block
    end = start + 1
    while end < len(lines) and not _TOP_KEY.match(lines[end]):
        end += 1
    # Comments just above the next key belong to it.
    while end - 1 > start and lines[end - 1].lstrip().startswith("#") and not lines[end - 1].startswith(" "):
        end -= 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def publish_timeline(services: Services, plan_id: str, events: list[TimelineEvent]) -> tuple[list[str], list[str]]:
    """Merge `events` into the plan's timeline (same id = replaced), validate the whole plan,
    then write it atomically. Returns (added ids, replaced ids)."""
    from knowledge.eligibility.plans import PlanError, load_plan_file

    plans_dir = Path(services.settings.plans_dir)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", plan_id or ""):
        raise AdminError("请选择计划。")
    path = plans_dir / f"{plan_id}.yaml"
    if not path.exists():
        raise AdminError(f"没有编号为 {plan_id} 的计划。")
    if not events:
        raise AdminError("没有勾选任何时间节点。")
    with services.store.lock(f"admin:plan:{plan_id}", timeout_s=60):
        plan = load_plan_file(path)
        merged = {e.id: e for e in plan.timeline}
        replaced = [e.id for e in events if e.id in merged]
        added = [e.id for e in events if e.id not in merged]
        merged.update({e.id: e for e in events})
        items = [e.model_dump(mode="python", exclude_none=True) for e in merged.values()]
        block = yaml.safe_dump({"timeline": items}, allow_unicode=True, sort_keys=False, width=1000)
        new_text = _replace_timeline_block(path.read_text(encoding="utf-8"), block)
        with tempfile.TemporaryDirectory() as check_dir:
            # Validate the whole plan as it will be on disk before touching the real file.
            check = Path(check_dir) / f"{plan_id}.yaml"
            check.write_text(new_text, encoding="utf-8")
            try:
                load_plan_file(check)
            except PlanError as exc:
                raise AdminError(f"发布后计划文件校验失败，未作修改：{exc}") from exc
        tmp = plans_dir / f".{plan_id}.yaml.{os.getpid()}.tmp"
        tmp.write_text(new_text, encoding="utf-8")
        os.replace(tmp, path)
    services.__dict__.pop("plans", None)  # this worker reloads plans on next use
    log.info("timeline of plan %s: added %s, replaced %s", plan_id, added, replaced)
    return added, replaced


def event_from_form(base: TimelineEvent, text: str | None, kind: str | None, audience: str | None) -> TimelineEvent:
    data = base.model_dump()
    if text and text.strip():
        data["text"] = text.strip()[:60]
    if kind:
        data["kind"] = kind
    if audience:
        data["audience"] = audience
    try:
        return TimelineEvent.model_validate(data)
    except ValueError as exc:
        raise AdminError(f"时间节点 {base.id} 的类型或对象不正确。") from exc


def plan_choices(services: Services) -> list[tuple[str, str]]:
    from knowledge.eligibility.plans import load_plans

    return [(pid, p.title) for pid, p in sorted(load_plans(services.settings.plans_dir).items())]


def ask_with_sources(services: Services, question: str) -> tuple[Any, list[dict[str, Any]]]:
    """The answer a user would get, and the passages (with fused scores) it was built from."""
    qa = services.qa
    answer = qa.answer(question, use_llm=False)
    chunks = qa.index.chunks
    rows = []
    for s in answer.sources:
        text = next((c.text for c in chunks if c.notice == s.notice and c.section == s.section), "")
        rows.append({"notice": s.notice, "title": s.title, "section": s.section, "score": s.score,
                     "text": text})
    return answer, rows


_ERR = {0: "成功", 43004: "用户未关注", 43101: "用户拒收", 45015: "超出48小时窗口", 45047: "客服消息条数超限",
        45009: "接口调用超限", 40001: "access_token 无效", -1: "微信系统繁忙"}


def reminder_overview(services: Services) -> dict[str, Any]:
    """Subscriber counts per plan and delivery results, from the reminders' own queries."""
    from bot.db import get_engine
    from bot.reminders.repo import ReminderRepo

    stats = ReminderRepo(get_engine(services.settings), services.settings).stats()
    subscribers = []
    for plan_id, p in sorted(stats["plans"].items()):
        subs, box = p["subscribers"], p["outbox"]
        subscribers.append({
            "plan_id": plan_id or "（后续计划）",
            "applicant": sum(n for k, n in subs.items() if k.endswith(":applicant")),
            "hr": sum(n for k, n in subs.items() if k.endswith(":hr")),
            "sent": box.get("sent", 0), "pending": box.get("pending", 0) + box.get("claimed", 0),
            "failed": box.get("failed", 0)})
    results = []
    for a in sorted(stats["attempts"], key=lambda a: -a["count"]):
        code = a["errcode"]
        what = "网络错误" if code is None else _ERR.get(code, f"失败（errcode {code}）")
        if code not in (None, 0) and code in _ERR:
            what = f"{what}（errcode {code}）"
        results.append((f"{a['channel']}：{what}", a["count"]))
    return {"subscribers": subscribers, "results": results, "failures": stats["recent_failures"]}
