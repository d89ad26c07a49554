"""HR console at /admin: login (name + token → a random, expiring, revocable session), notice
upload → front matter review → publish, plan draft → edit (YAML with live validation and the
quoted clause beside each item) → example personas → publish, rollback, audit trail, timeline
review, reminder overview, question tryout. Pages are server-rendered (Jinja2); the work is in
`bot/publishing.py` and `bot/admin.py`. No ADMIN_TOKEN configured → every /admin path is 404.

Every state-changing form carries the session's CSRF token and is refused from another origin;
the token is never accepted in a URL; failed logins are throttled per address.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot import admin
from bot.admin_auth import AdminSessions, Session
from bot.db import get_engine
from bot.publishing import MAX_NAME_CHARS, Publisher, PublishError, check_draft
from bot.services import Services
from knowledge.ingest import IngestError
from knowledge.timeline import KIND_LABELS

log = logging.getLogger(__name__)

router = APIRouter(prefix="/admin", include_in_schema=False)

PAGES = Path(__file__).resolve().parent.parent / "static" / "admin"
_env = Environment(loader=FileSystemLoader(PAGES), autoescape=select_autoescape(["html"]))
COOKIE = "zc_admin"
AUDIENCES = [("both", "申报人和人事"), ("applicant", "申报人"), ("hr", "人事")]
FAILED = "处理失败，请稍后再试；如果问题持续，请联系技术人员。"
MAX_FORM_BYTES = 2 * 1024 * 1024  # a plan draft is tens of KB


def _services(request: Request) -> Services:
    return request.app.state.services


def _token(request: Request) -> str:
    token = _services(request).settings.admin_token
    if not token:
        raise HTTPException(404)  # admin disabled: the console does not exist
    return token


def _sessions(request: Request) -> AdminSessions:
    s = _services(request).settings
    return AdminSessions(get_engine(s), s)


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _session(request: Request) -> Session | None:
    """The console session of this request; a Bearer token (scripts) counts as the officer «api»."""
    token = _token(request)
    bearer = request.headers.get("authorization", "")
    if bearer.startswith("Bearer ") and hmac.compare_digest(bearer[7:].strip().encode(), token.encode()):
        return Session(actor="api", csrf="")
    sid = request.cookies.get(COOKIE, "")
    return _sessions(request).get(sid) if sid else None


def _same_origin(request: Request) -> bool:
    """A browser sends Origin (or at least Referer) with a POST: it must be this site."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser form (curl, scripts with Bearer); the CSRF token still applies
    o = urlsplit(origin)
    return o.netloc == request.headers.get("host", request.url.netloc)


async def _form(request: Request) -> Any:
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        raise HTTPException(413, "提交的内容过大")
    return await request.form()


async def _require(request: Request, form: Any | None = None) -> Session:
    """A state-changing request: a live session, from this site, with the session's CSRF token."""
    session = _session(request)
    if session is None:
        raise HTTPException(403, "需要登录（会话已过期或已退出）")
    if session.actor == "api":
        return session
    if not _same_origin(request):
        raise HTTPException(403, "请求来自其他网站，已拒绝")
    given = request.headers.get("x-csrf-token") or (str(form.get("csrf") or "") if form is not None else "")
    if not given or not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise HTTPException(403, "页面已过期，请刷新后重试")
    return session


def _page(name: str, status: int = 200, session: Session | None = None, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("authed", session is not None)
    ctx.setdefault("csrf", session.csrf if session else "")
    ctx.setdefault("actor", session.actor if session else "")
    resp = HTMLResponse(_env.get_template(name).render(**ctx), status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


def _publisher(request: Request, session: Session) -> Publisher:
    return Publisher(_services(request), session.actor)


@router.get("/static/admin.css")
def stylesheet() -> Response:
    return Response((PAGES / "admin.css").read_text(encoding="utf-8"), media_type="text/css")


# --- login ----------------------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    _token(request)
    return _page("login.html")


@router.post("/login")
async def login(request: Request) -> Response:
    token = _token(request)
    sessions = _sessions(request)
    client = _client(request)
    if not _same_origin(request):
        return _page("login.html", 403, message="请求来自其他网站，已拒绝。", error=True)
    wait = await asyncio.to_thread(sessions.locked_for, client)
    if wait:
        return _page("login.html", 429, message=f"登录失败次数过多，请 {wait} 分钟后再试。", error=True)
    form = await _form(request)
    given = str(form.get("token") or "")
    name = " ".join(str(form.get("name") or "").split())[:32]
    if not hmac.compare_digest(given.encode(), token.encode()):
        await asyncio.to_thread(sessions.failed, client)
        log.warning("admin login refused from %s", client)
        return _page("login.html", 403, message="令牌不正确。", error=True)
    if not name:
        return _page("login.html", 400, message="请填写您的姓名：上传、修改和发布都记录在操作记录中。", error=True)
    await asyncio.to_thread(sessions.succeeded, client)
    sid, _ = await asyncio.to_thread(sessions.open, name)
    await asyncio.to_thread(_publisher_for(request, name).audit.record, name, "login", "session", "", client)
    resp = RedirectResponse("/admin", status_code=303)
    s = _services(request).settings
    resp.set_cookie(COOKIE, sid, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                    path="/admin", max_age=int(s.admin_session_hours * 3600))
    return resp


def _publisher_for(request: Request, actor: str) -> Publisher:
    return Publisher(_services(request), actor)


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    session = await _require(request, form)
    await asyncio.to_thread(_sessions(request).close, request.cookies.get(COOKIE, ""))
    await asyncio.to_thread(_publisher(request, session).audit.record, session.actor, "logout", "session")
    resp = RedirectResponse("/admin/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/admin")
    return resp


# --- overview, audit ---------------------------------------------------------------------------------
@router.get("")
async def home(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect()
    overview = await asyncio.to_thread(admin.reminder_overview, _services(request))
    return _page("index.html", session=session, **overview)


@router.get("/audit")
async def audit(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect()
    rows = await asyncio.to_thread(_publisher(request, session).audit.recent, 300)
    return _page("audit.html", session=session, rows=rows)


# --- notices -----------------------------------------------------------------------------------------
@router.get("/notices")
async def notices(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect()
    return await _notices_page(request, session)


async def _notices_page(request: Request, session: Session, status: int = 200, **ctx: Any) -> HTMLResponse:
    pub = _publisher(request, session)
    cat = await asyncio.to_thread(pub.catalog)
    rows = sorted(cat.entries.values(), key=lambda e: (e.key, -(e.year or 0)))
    return _page("notices.html", status, session=session, entries=rows, pending=pub.pending_ids(),
                 max_mb=admin.MAX_UPLOAD_BYTES // (1024 * 1024), **ctx)


@router.post("/notices")
async def upload(request: Request) -> Response:
    session = _session(request)
    if session is None:
        raise HTTPException(403, "需要登录")
    if int(request.headers.get("content-length") or 0) > admin.MAX_UPLOAD_BYTES + 65536:
        return await _notices_page(request, session, 413, error=True,
                                   message=f"文件超过 {admin.MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请压缩或拆分后再上传。")
    form = await request.form(max_files=1, max_fields=10)
    await _require(request, form)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await _notices_page(request, session, 400, error=True, message="请选择要上传的文件。")
    if len(upload.filename) > MAX_NAME_CHARS:
        return await _notices_page(request, session, 400, error=True,
                                   message=f"文件名太长（{len(upload.filename)} 个字符）。请把文件名改短到 {MAX_NAME_CHARS} 个字符以内后再上传。")
    if Path(upload.filename).suffix.lower() not in admin.UPLOAD_SUFFIXES:
        return await _notices_page(request, session, 400, error=True,
                                   message=f"不支持的文件类型：{upload.filename}。请上传 DOCX、PDF、TXT 或 Markdown 文件。")
    data = await upload.read(admin.MAX_UPLOAD_BYTES + 1)
    if len(data) > admin.MAX_UPLOAD_BYTES:
        return await _notices_page(request, session, 413, error=True,
                                   message=f"文件超过 {admin.MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请压缩或拆分后再上传。")
    year_text = str(form.get("year") or "").strip()
    if year_text and not (year_text.isdigit() and len(year_text) == 4):
        return await _notices_page(request, session, 400, error=True, message="年度请填写四位数字，如 2025。")
    overrides = {"id": str(form.get("notice_id") or "").strip() or None, "year": int(year_text) if year_text else None}
    try:
        up = await asyncio.to_thread(_publisher(request, session).add_notice, upload.filename, data, overrides)
    except (PublishError, IngestError) as exc:
        return await _notices_page(request, session, 400, error=True, message=str(exc))
    except Exception:
        log.exception("upload of %s failed", upload.filename[:80])
        return await _notices_page(request, session, 500, error=True, message=FAILED)
    return _pending_page(request, session, up.notice.id, hints=up.hints,
                         message="已读取通知，请核对下面的信息后发布（尚未发布）。")


def _pending_page(request: Request, session: Session, notice_id: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    notice = _publisher(request, session).pending(notice_id)
    contacts = "\n".join(" | ".join(str(c.get(k, "")) for k in ("org", "name", "phone", "address"))
                         for c in notice.meta.get("contacts") or [])
    return _page("pending.html", status, session=session, n=notice.meta, contacts=contacts,
                 body=notice.body[:20000], **ctx)


@router.get("/pending/{notice_id}")
async def pending(request: Request, notice_id: str) -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect()
    try:
        return _pending_page(request, session, notice_id)
    except PublishError as exc:
        return await _notices_page(request, session, 404, error=True, message=str(exc))


def _contacts(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not any(parts):
            continue
        parts += [""] * (4 - len(parts))
        out.append({k: v for k, v in zip(("org", "name", "phone", "address"), parts, strict=False) if v})
    return out


@router.post("/pending/{notice_id}")
async def pending_save(request: Request, notice_id: str) -> Response:
    form = await _form(request)
    session = await _require(request, form)
    pub = _publisher(request, session)
    fields = {k: str(form.get(k) or "").strip() for k in (*admin.FRONT_FIELDS,)}
    action = str(form.get("action") or "save")
    try:
        notice = await asyncio.to_thread(pub.update_front_matter, notice_id, fields,
                                         _contacts(str(form.get("contacts") or "")))
        if action in ("publish", "archive"):
            published = await asyncio.to_thread(pub.publish_notice, notice.id, action == "archive")
            return RedirectResponse(f"/admin/notices/{published.id}?ingested=1", status_code=303)
    except (PublishError, IngestError, ValueError) as exc:
        try:
            return _pending_page(request, session, fields.get("id") or notice_id, 400, error=True,
                                 message=f"未发布：{exc}")
        except PublishError:
            return await _notices_page(request, session, 400, error=True, message=str(exc))
    except Exception:
        log.exception("front matter of %s failed", notice_id)
        return await _notices_page(request, session, 500, error=True, message=FAILED)
    return _pending_page(request, session, notice.id, message="已保存（尚未发布）。")


@router.get("/notices/{notice_id}")
async def review(request: Request, notice_id: str, ingested: int = 0) -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect()
    services = _services(request)
    try:
        found, year = await asyncio.to_thread(admin.proposals, services, notice_id)
        plans = await asyncio.to_thread(admin.plan_choices, services)
    except admin.AdminError as exc:
        return await _notices_page(request, session, 404, error=True, message=str(exc))
    cat = await asyncio.to_thread(_publisher(request, session).catalog)
    entry = cat.entries.get(notice_id)
    title = entry.title if entry else notice_id
    message = f"已入库，可以检索：{title}" if ingested else ""
    return _page("review.html", session=session, notice_id=notice_id, notice_title=title, year=year, entry=entry,
                 past_label=cat.label_if_past(notice_id), proposals=found, plans=plans,
                 suggested=entry.plans if entry else [], kinds=list(KIND_LABELS.items()), audiences=AUDIENCES,
                 message=message)


@router.post("/notices/{notice_id}/publish")
async def publish_timeline(request: Request, notice_id: str) -> Response:
    form = await _form(request)
    session = await _require(request, form)
    services = _services(request)
    chosen = [str(v) for v in form.getlist("event")]
    plan_id = str(form.get("plan") or "")
    try:
        found, _ = await asyncio.to_thread(admin.proposals, services, notice_id)
        by_id = {p.id: p for p in found}
        events = [admin.event_from_form(by_id[i].event, form.get(f"text-{i}"), form.get(f"kind-{i}"),  # type: ignore[arg-type]
                                        form.get(f"audience-{i}")) for i in chosen if i in by_id]
        added, replaced = await asyncio.to_thread(admin.publish_timeline, services, plan_id, events)
    except admin.AdminError as exc:
        return await _notices_page(request, session, 400, error=True, message=str(exc))
    except Exception:
        log.exception("publish of %s failed", notice_id)
        return await _notices_page(request, session, 500, error=True, message=FAILED)
    await asyncio.to_thread(_publisher(request, session).audit.record, session.actor, "publish_timeline", "plan",
                            plan_id, {"notice": notice_id, "added": added, "replaced": replaced})
    parts = [f"已发布到计划 {plan_id}：新增 {len(added)} 个时间节点"]
    if replaced:
        parts.append(f"更新 {len(replaced)} 个（{'、'.join(replaced)}）")
    return await _notices_page(request, session, message="，".join(parts) + "。")


@router.post("/notices/{notice_id}/draft")
async def draft(request: Request, notice_id: str) -> Response:
    form = await _form(request)
    session = await _require(request, form)
    try:
        pid, _, changes = await asyncio.to_thread(_publisher(request, session).draft_plan, notice_id)
    except PublishError as exc:
        return await _notices_page(request, session, 400, error=True, message=str(exc))
    note = "；".join(changes)
    return RedirectResponse(f"/admin/plans/{pid}" + ("?amended=1" if note else ""), status_code=303)


@router.post("/{kind}/{object_id}/rollback")
async def rollback(request: Request, kind: str, object_id: str) -> Response:
    form = await _form(request)
    session = await _require(request, form)
    what = {"notices": "notice", "plans": "plan"}.get(kind)
    if what is None:
        raise HTTPException(404)
    try:
        msg = await asyncio.to_thread(_publisher(request, session).rollback, what, object_id)
    except PublishError as exc:
        return await _notices_page(request, session, 400, error=True, message=str(exc))
    return await _notices_page(request, session, message=msg)


# --- plan drafts -----------------------------------------------------------------------------------
def _clauses(text: str) -> list[dict[str, str]]:
    """Every drafted item with the clause it quotes, for the panel beside the editor."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return []
    out: list[dict[str, str]] = []
    if not isinstance(data, dict):
        return out
    for r in data.get("rules") or []:
        if isinstance(r, dict) and isinstance(r.get("clause"), dict):
            out.append({"what": f"规则 {r.get('id')}：{r.get('title', '')}", "detail": json.dumps(r.get("params"), ensure_ascii=False),
                        "quote": str(r["clause"].get("quote", "")), "path": str(r["clause"].get("path", ""))})
    for e in data.get("timeline") or []:
        if isinstance(e, dict) and isinstance(e.get("clause"), dict):
            when = e.get("date") or (f"{e.get('start', '')}至{e.get('end', '')}" if e.get("start") or e.get("end") else
                                      e.get("undated_note", ""))
            out.append({"what": f"时间节点 {e.get('id')}：{e.get('text', '')}", "detail": str(when),
                        "quote": str(e["clause"].get("quote", "")), "path": str(e["clause"].get("path", ""))})
    mats = list(data.get("general_materials") or []) + [m for r in data.get("routes") or [] if isinstance(r, dict)
                                                         for m in r.get("materials") or []]
    for m in mats:
        if isinstance(m, dict) and isinstance(m.get("clause"), dict):
            out.append({"what": f"材料：{m.get('text', '')}", "detail": "", "quote": str(m["clause"].get("quote", "")),
                        "path": str(m["clause"].get("path", ""))})
    return out


def _open_items(text: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text) or {}
        return list((data.get("draft") or {}).get("open_items") or []) if isinstance(data, dict) else []
    except (yaml.YAMLError, AttributeError):
        return []


async def _plan_page(request: Request, session: Session, plan_id: str, status: int = 200,
                     text: str | None = None, **ctx: Any) -> HTMLResponse:
    pub = _publisher(request, session)
    text = text if text is not None else await asyncio.to_thread(pub.draft_text, plan_id)
    problems, _ = check_draft(text, plan_id)
    return _page("plan.html", status, session=session, plan_id=plan_id, text=text, problems=problems,
                 clauses=_clauses(text), open_items=_open_items(text), **ctx)


@router.get("/plans/{plan_id}")
async def plan_editor(request: Request, plan_id: str, amended: int = 0) -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect()
    try:
        msg = "已根据补充通知修改原计划的日期，请核对时间节点。" if amended else ""
        return await _plan_page(request, session, plan_id, message=msg)
    except PublishError as exc:
        return await _notices_page(request, session, 404, error=True, message=str(exc))


@router.post("/plans/{plan_id}/check")
async def plan_check(request: Request, plan_id: str) -> Response:
    """Live validation while the officer types (fetch with the X-CSRF-Token header)."""
    form = await _form(request)
    await _require(request, form)
    problems, _ = await asyncio.to_thread(check_draft, str(form.get("text") or ""), plan_id)
    return JSONResponse({"problems": problems})


@router.post("/plans/{plan_id}")
async def plan_action(request: Request, plan_id: str) -> Response:
    form = await _form(request)
    session = await _require(request, form)
    pub = _publisher(request, session)
    text = str(form.get("text") or "")
    action = str(form.get("action") or "save")
    try:
        problems = await asyncio.to_thread(pub.save_draft, plan_id, text)
        if action == "personas":
            results = await asyncio.to_thread(pub.personas, plan_id)
            return await _plan_page(request, session, plan_id, text=text, personas=results,
                                    message="示例申报人的结果见下方。")
        if action == "publish":
            res = await asyncio.to_thread(pub.publish_plan, plan_id, text)
            msg = (f"已发布计划 {plan_id}：资格自测、提醒、材料清单即刻可用；{res['open_items_as_notes']} 条待核对条款作为提示发布；"
                   f"新年度提醒已排队 {res['series_notified']} 人。")
            return await _notices_page(request, session, message=msg)
    except PublishError as exc:
        return await _plan_page(request, session, plan_id, 400, text=text, error=True, message=str(exc))
    except Exception:
        log.exception("plan %s: %s failed", plan_id, action)
        return await _plan_page(request, session, plan_id, 500, text=text, error=True, message=FAILED)
    return await _plan_page(request, session, plan_id, text=text,
                            message="草稿已保存。" + ("（尚有校验问题，见下方）" if problems else "校验通过。"))


# --- tryout ----------------------------------------------------------------------------------------
@router.get("/ask")
async def ask(request: Request, q: str = "") -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect()
    q = q.strip()[:200]
    if not q:
        return _page("ask.html", session=session, q="")
    try:
        answer, sources = await asyncio.to_thread(admin.ask_with_sources, _services(request), q)
    except Exception:
        log.exception("admin ask failed")
        return _page("ask.html", 500, session=session, q=q, message=FAILED, error=True)
    return _page("ask.html", session=session, q=q, answer=answer, sources=sources,
                 has_text=any(s.get("text") for s in sources))
