"""Who uploaded, changed, published or rolled back what, and when — and every version of a
notice or plan file that went live, so a publication can be rolled back. In the database of
bot/db.py (shared by every worker), never in files beside the content."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, desc, insert, select

from bot.db import audit_log, content_versions, utcnow


@dataclass
class Version:
    id: int
    kind: str
    object_id: str
    content: str
    actor: str
    action: str
    at: dt.datetime


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, actor: str, action: str, kind: str, object_id: str = "", detail: Any = "") -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
        with self.engine.begin() as c:
            c.execute(insert(audit_log).values(at=utcnow(), actor=(actor or "?")[:64], action=action[:32],
                                               kind=kind, object_id=object_id[:128], detail=text[:4000]))

    def recent(self, limit: int = 200, kind: str | None = None, object_id: str | None = None) -> list[dict[str, Any]]:
        q = select(audit_log).order_by(desc(audit_log.c.id)).limit(limit)
        if kind:
            q = q.where(audit_log.c.kind == kind)
        if object_id:
            q = q.where(audit_log.c.object_id == object_id)
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q).mappings().all()]

    # --- versions ----------------------------------------------------------------------------
    def save_version(self, kind: str, object_id: str, content: str, actor: str, action: str = "publish") -> int:
        """Remember what is live now (after a publish or a rollback)."""
        with self.engine.begin() as c:
            res = c.execute(insert(content_versions).values(
                kind=kind, object_id=object_id, content=content,
                digest=hashlib.sha256(content.encode()).hexdigest(), actor=(actor or "?")[:64],
                action=action, at=utcnow()))
            return int(res.inserted_primary_key[0])

    def versions(self, kind: str, object_id: str) -> list[Version]:
        """Newest first."""
        q = (select(content_versions).where(content_versions.c.kind == kind,
                                            content_versions.c.object_id == object_id)
             .order_by(desc(content_versions.c.id)))
        with self.engine.connect() as c:
            return [Version(id=r["id"], kind=r["kind"], object_id=r["object_id"], content=r["content"],
                            actor=r["actor"], action=r["action"], at=r["at"])
                    for r in c.execute(q).mappings().all()]

    def previous_content(self, kind: str, object_id: str, current: str) -> str | None:
        """The content live before `current` (None: no earlier version is known). Rolling back
        twice walks further back: versions equal to what is live now are skipped."""
        seen_current = False
        for v in self.versions(kind, object_id):
            if v.content == current:
                seen_current = True
                continue
            if seen_current:
                return v.content
        return None
