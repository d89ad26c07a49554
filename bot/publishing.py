"""Upload → review → publish, for the HR console and the CLI alike: a notice is uploaded (its
front matter proposed from the text and kept aside for correction), published (indexed: Q&A
works at once), a plan is drafted from it, edited, checked against example personas and
published (资格自测, 提醒 and 材料清单 work; 「新年度通知发布后提醒我」 is pushed once). Every
step is audited; every published version is kept, so a publication can be rolled back.

Files stay the one source of truth (notices in NOTICES_DIR, plans in PLANS_DIR); uploads
waiting for review and plan drafts live under DATA_DIR.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.audit import AuditLog
from bot.db import get_engine
from knowledge.catalog import Catalog
from knowledge.ingest import Limits, Notice, load_notice, notice_problem, parse_front_matter

if TYPE_CHECKING:
    from bot.services import Services
    from knowledge.eligibility.draft import Draft

log = logging.getLogger(__name__)

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MAX_NAME_CHARS = 120  # longer upload names are refused: they cannot be stored or shown sensibly
EDITABLE = ("id", "title", "region", "series", "level", "year", "issuer", "amends")
LIST_FIELDS = ("region_aliases", "series_aliases")


class PublishError(ValueError):
    """A problem the officer can fix; the message is Chinese and shown as is. Nothing changed."""


@dataclass
class Uploaded:
    notice: Notice
    hints: list[str]  # what the catalog noticed (last year's notice, similar series wording …)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _check_id(value: str, what: str = "通知编号") -> str:
    if not ID_RE.fullmatch(value or ""):
        raise PublishError(f"{what}只能包含字母、数字、点、下划线和连字符（不超过 100 个字符）。")
    return value


class Publisher:
    def __init__(self, services: Services, actor: str) -> None:
        self.services = services
        self.settings = services.settings
        self.actor = (actor or "?").strip()[:64] or "?"
        self.audit = AuditLog(get_engine(self.settings))

    # --- places ------------------------------------------------------------------------------
    @property
    def pending_dir(self) -> Path:
        return Path(self.settings.data_dir) / "uploads"

    @property
    def drafts_dir(self) -> Path:
        return Path(self.settings.data_dir) / "drafts"

    def catalog(self) -> Catalog:
        return Catalog.load(Path(self.settings.notices_dir), Path(self.settings.plans_dir), self.drafts_dir)

    # --- notices -----------------------------------------------------------------------------
    def add_notice(self, filename: str, data: bytes, overrides: dict[str, Any] | None = None) -> Uploaded:
        """Read an uploaded file (bounded), propose its front matter and keep it for review.
        Nothing is published; the original file is kept beside it."""
        name = Path((filename or "").replace("\\", "/")).name or "upload"
        if len(name) > MAX_NAME_CHARS:
            raise PublishError(f"文件名太长（{len(name)} 个字符）。请把文件名改短到 {MAX_NAME_CHARS} 个字符以内后再上传。")
        if not data:
            raise PublishError(f"文件 {name} 是空的。")
        overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
        if overrides.get("id"):
            _check_id(str(overrides["id"]))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            notice = load_notice(path, overrides, limits=Limits.from_settings(self.settings))
        problem = notice_problem(notice.body, name)
        if problem:
            raise PublishError(problem)
        _check_id(notice.id)
        hints = self._align_with_catalog(notice)
        originals = self.pending_dir / "originals"
        originals.mkdir(parents=True, exist_ok=True)
        (originals / f"{notice.id}{Path(name).suffix.lower()}").write_bytes(data)
        _atomic_write(self.pending_dir / f"{notice.id}.md", notice.to_markdown())
        self.audit.record(self.actor, "upload", "notice", notice.id, {"file": name, "bytes": len(data)})
        return Uploaded(notice, hints)

    def _align_with_catalog(self, notice: Notice) -> list[str]:
        """Same series as an existing notice worded a little differently: use its wording, so
        the new year supersedes the old one. Also says what the new notice will replace."""
        cat = self.catalog()
        hints: list[str] = []
        meta = notice.meta
        similar = cat.similar_series(meta)
        if similar is not None:
            old = cat.metas[similar.id]
            if (old.get("series"), old.get("region")) != (meta.get("series"), meta.get("region")):
                hints.append(f"系列写法已与《{similar.title}》统一为「{old.get('series')}」，以便新年度通知接替往年通知。")
            for k in ("region", "series", "level"):
                meta[k] = old.get(k)
            for k in ("region_aliases", "series_aliases"):
                meta[k] = list(dict.fromkeys([*(old.get(k) or []), *(meta.get(k) or [])]))
            if not meta.get("contacts") and old.get("contacts"):
                hints.append("通知中没有找到联系人，请核对；往年通知的联系人没有自动沿用。")
        if not meta.get("amends"):
            from knowledge.catalog import amended_notice

            amended = amended_notice(meta, cat.metas)
            quoted = set(re.findall(r"《([^》]{8,80})》", notice.body))
            amended = amended or next((e.id for e in cat.entries.values() if e.title in quoted), None)
            if amended:
                meta["amends"] = amended
                hints.append(f"这是《{cat.entries[amended].title}》的补充通知：不会取代原通知，起草计划时只修改原计划中变化的日期。")
        prev = cat.predecessor(meta)
        if prev is not None and not meta.get("amends"):
            hints.append(f"发布后将取代《{prev.title}》（{prev.year or '未注明'}年度）成为该系列的现行通知；往年通知只在用户问到该年度时回答。")
        problem = cat.older_than_current(meta)
        if problem:
            hints.append(problem)
        if not meta.get("contacts"):
            hints.append("没有识别出联系人和电话：请在「联系人」中补充，否则用户问到联系方式时无法提供。")
        return hints

    def pending(self, notice_id: str) -> Notice:
        path = self.pending_dir / f"{_check_id(notice_id)}.md"
        if not path.exists():
            raise PublishError(f"没有待发布的通知 {notice_id}。")
        meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
        return Notice(meta=meta, body=body, path=path)

    def pending_ids(self) -> list[str]:
        return sorted(p.stem for p in self.pending_dir.glob("*.md")) if self.pending_dir.exists() else []

    def update_front_matter(self, notice_id: str, fields: dict[str, Any],
                            contacts: list[dict[str, str]] | None = None) -> Notice:
        notice = self.pending(notice_id)
        before = dict(notice.meta)
        for k in EDITABLE:
            if k in fields:
                v = fields[k]
                if k == "year":
                    v = int(v) if str(v or "").strip() else None
                notice.meta[k] = v if v not in ("",) else None
        for k in LIST_FIELDS:
            if k in fields:
                notice.meta[k] = [x.strip() for x in re.split(r"[,，、\n]", str(fields[k] or "")) if x.strip()]
        if contacts is not None:
            notice.meta["contacts"] = contacts
        new_id = _check_id(str(notice.meta.get("id") or notice_id))
        if new_id != notice_id:
            notice.meta["plans"] = [new_id.lower()]
            (self.pending_dir / f"{notice_id}.md").unlink(missing_ok=True)
        _atomic_write(self.pending_dir / f"{new_id}.md", notice.to_markdown())
        changed = sorted(k for k in notice.meta if notice.meta.get(k) != before.get(k))
        self.audit.record(self.actor, "edit_front_matter", "notice", new_id, {"changed": changed})
        return notice

    def publish_notice(self, notice_id: str, archive: bool = False) -> Notice:
        """Into NOTICES_DIR and the index; the previous file (if any) is kept as a version."""
        from knowledge import index

        notice = self.pending(notice_id)
        meta = notice.meta
        missing = [label for k, label in (("title", "标题"), ("region", "地区"), ("series", "系列"), ("level", "级别"))
                   if not meta.get(k)]
        if missing:
            raise PublishError(f"请先补全：{'、'.join(missing)}。")
        problem = self.catalog().older_than_current(meta)
        if problem and not archive:
            raise PublishError(problem)
        target = Path(self.settings.notices_dir) / f"{notice.id}.md"
        text = notice.to_markdown()
        with self.services.store.lock("admin:ingest", timeout_s=600):
            previous = target.read_text(encoding="utf-8") if target.exists() else ""
            _atomic_write(target, text)
            try:
                index.ensure(self.settings)
            except BaseException:
                if previous:
                    _atomic_write(target, previous)
                else:
                    target.unlink(missing_ok=True)
                raise
        self._versioned("notice", notice.id, previous, text)
        (self.pending_dir / f"{notice.id}.md").unlink(missing_ok=True)
        self.audit.record(self.actor, "publish", "notice", notice.id, {"archive": archive, "title": notice.title})
        log.info("notice %s published by %s", notice.id, self.actor)
        notice.path = target
        return notice

    def _versioned(self, kind: str, object_id: str, previous: str, text: str) -> None:
        if not self.audit.versions(kind, object_id):
            # The first publication through here: remember what was there before (or nothing).
            self.audit.save_version(kind, object_id, previous, self.actor, "before")
        self.audit.save_version(kind, object_id, text, self.actor, "publish")

    # --- plans -------------------------------------------------------------------------------
    def _published_notice(self, notice_id: str) -> Notice:
        path = Path(self.settings.notices_dir) / f"{_check_id(notice_id)}.md"
        if not path.exists():
            raise PublishError(f"通知 {notice_id} 还没有发布：请先发布通知，再起草计划。")
        return load_notice(path)

    def draft_plan(self, notice_id: str) -> tuple[str, Draft, list[str]]:
        """A draft for the notice (or, for a supplement, the amended notice's plan with the
        changed dates). Returns (plan id, draft, one line per change for a supplement)."""
        from knowledge.eligibility.draft import draft_amendment, draft_plan

        notice = self._published_notice(notice_id)
        cat = self.catalog()
        entry = cat.entries.get(notice.id)
        changes: list[str] = []
        if entry is not None and entry.amends:
            main = cat.entries.get(entry.amends)
            if main is None or not main.published_plans:
                raise PublishError(f"这是补充通知，但被补充的通知 {entry.amends} 还没有发布的计划：请先为原通知起草并发布计划。")
            pid = main.published_plans[0]
            base = yaml.safe_load((Path(self.settings.plans_dir) / f"{pid}.yaml").read_text(encoding="utf-8"))
            draft, changes = draft_amendment(base, notice.meta, notice.body)
        else:
            prev_plan = None
            prev = cat.predecessor(notice.meta)
            if prev is not None and prev.published_plans:
                prev_plan = yaml.safe_load((Path(self.settings.plans_dir) / f"{prev.published_plans[0]}.yaml")
                                           .read_text(encoding="utf-8"))
            draft = draft_plan(notice.meta, notice.body, prev_plan)
            pid = str(draft.plan["id"])
        _atomic_write(self.drafts_dir / f"{pid}.yaml", draft.to_yaml())
        self.audit.record(self.actor, "draft", "plan", pid, {
            "notice": notice.id, "rules": len(draft.plan.get("rules", [])),
            "events": len(draft.plan.get("timeline", [])), "open_items": len(draft.open_items), "changes": changes})
        return pid, draft, changes

    def draft_path(self, plan_id: str) -> Path:
        path = self.drafts_dir / f"{_check_id(plan_id, '计划编号')}.yaml"
        if not path.exists():
            raise PublishError(f"没有计划 {plan_id} 的草稿：请先起草。")
        return path

    def draft_text(self, plan_id: str) -> str:
        return self.draft_path(plan_id).read_text(encoding="utf-8")

    def save_draft(self, plan_id: str, text: str) -> list[str]:
        """Keep the officer's text even when it does not validate (nothing typed is lost);
        returns the problems to show."""
        self.draft_path(plan_id)
        _atomic_write(self.drafts_dir / f"{plan_id}.yaml", text)
        problems, _ = check_draft(text, plan_id)
        self.audit.record(self.actor, "edit_draft", "plan", plan_id, {"problems": len(problems)})
        return problems

    def personas(self, plan_id: str) -> list[dict[str, Any]]:
        from knowledge.eligibility.draft import run_personas

        text = self.draft_text(plan_id)
        problems, plan = check_draft(text, plan_id)
        if plan is None:
            raise PublishError("草稿还不能通过校验，无法运行示例：\n" + "\n".join(problems))
        data = yaml.safe_load(text) or {}
        return run_personas(plan, list((data.get("draft") or {}).get("personas") or []))

    def publish_plan(self, plan_id: str, text: str | None = None) -> dict[str, Any]:
        """Validate strictly, turn open items into notes, write PLANS_DIR, version, audit, and
        queue reminders (「新年度通知发布后提醒我」 once per subscriber)."""
        text = text if text is not None else self.draft_text(plan_id)
        problems, plan = check_draft(text, plan_id)
        if plan is None:
            raise PublishError("计划没有通过校验，未发布：\n" + "\n".join(problems))
        notice_file = Path(self.settings.notices_dir) / f"{plan.notice}.md"
        if not notice_file.exists():
            raise PublishError(f"计划引用的通知 {plan.notice} 还没有发布：请先发布通知。")
        final = plan_yaml(text)
        target = Path(self.settings.plans_dir) / f"{plan_id}.yaml"
        with self.services.store.lock(f"admin:plan:{plan_id}", timeout_s=60):
            previous = target.read_text(encoding="utf-8") if target.exists() else ""
            _atomic_write(target, final)
        self._versioned("plan", plan_id, previous, final)
        notes = len((yaml.safe_load(text).get("draft") or {}).get("open_items") or [])
        self.services.__dict__.pop("plans", None)
        counts = self._sync_reminders()
        (self.drafts_dir / f"{plan_id}.yaml").unlink(missing_ok=True)
        self.audit.record(self.actor, "publish", "plan", plan_id, {"notice": plan.notice, "open_items_as_notes": notes,
                                                                    **counts})
        return {"plan": plan, "open_items_as_notes": notes, **counts}

    def _sync_reminders(self) -> dict[str, int]:
        from bot.reminders.plans import load_plan_infos
        from bot.reminders.repo import ReminderRepo

        try:
            repo = ReminderRepo(get_engine(self.settings), self.settings)
            return repo.sync_plans(load_plan_infos(Path(self.settings.plans_dir)))
        except Exception:  # the scheduler syncs on its next pass anyway; publishing is done
            log.exception("reminders not synced after publishing; the scheduler will")
            return {"added": 0, "series_notified": 0}

    # --- rollback ---------------------------------------------------------------------------
    def rollback(self, kind: str, object_id: str) -> str:
        """Restore the version live before the current one (a first publication is removed)."""
        from knowledge import index

        if kind not in ("notice", "plan"):
            raise PublishError("只能回滚通知或计划。")
        folder = Path(self.settings.notices_dir if kind == "notice" else self.settings.plans_dir)
        target = folder / f"{_check_id(object_id)}.{'md' if kind == 'notice' else 'yaml'}"
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        previous = self.audit.previous_content(kind, object_id, current)
        if previous is None:
            raise PublishError(f"{object_id} 没有可以恢复的更早版本。")
        lock = "admin:ingest" if kind == "notice" else f"admin:plan:{object_id}"
        with self.services.store.lock(lock, timeout_s=600):
            if previous:
                _atomic_write(target, previous)
            else:
                target.unlink(missing_ok=True)
            if kind == "notice":
                try:
                    index.ensure(self.settings)
                except BaseException:
                    if current:
                        _atomic_write(target, current)
                    raise
        self.audit.save_version(kind, object_id, previous, self.actor, "rollback")
        if kind == "plan":
            self.services.__dict__.pop("plans", None)
            self._sync_reminders()
        what = "已恢复上一版本" if previous else "已撤下（此前没有这个文件）"
        self.audit.record(self.actor, "rollback", kind, object_id, what)
        return f"{object_id}：{what}。"


def plan_yaml(text: str) -> str:
    """The plan file published from a draft: `draft.open_items` become plan notes (the
    applicant sees them as conditions to check), the rest of `draft:` is dropped."""
    data = yaml.safe_load(text) or {}
    draft = data.pop("draft", None) or {}
    notes = list(data.get("notes") or [])
    for item in draft.get("open_items") or []:
        note: dict[str, Any] = {"text": f"还须符合：{item['text']}"}
        if item.get("clause"):
            note["clause"] = item["clause"]
        notes.append(note)
    if notes:
        data["notes"] = notes
    head = f"# {data.get('title', '')} — 由 HR 控制台从通知起草、核对后发布；每条规则引用通知原文。\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def check_draft(text: str, plan_id: str | None = None) -> tuple[list[str], Any]:
    """(problems, plan): strict schema validation of a draft as it would be published.
    Problems name the place (「rules.3.params」) in Chinese-friendly form."""
    from pydantic import ValidationError

    from knowledge.eligibility.plans import Plan

    try:
        data = yaml.safe_load(plan_yaml(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        return [f"YAML 格式错误{where}：{getattr(exc, 'problem', exc)}"], None
    except (KeyError, TypeError, AttributeError) as exc:
        return [f"draft.open_items 格式不正确：{exc}"], None
    if not isinstance(data, dict):
        return ["计划必须是键值映射（YAML 对象）。"], None
    problems: list[str] = []
    if plan_id and data.get("id") != plan_id:
        problems.append(f"id 应为 {plan_id}（与草稿文件名一致）。")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            problems.append(f"{loc or '(计划)'}：{err['msg']}")
        return problems, None
    return problems, (plan if not problems else None)
