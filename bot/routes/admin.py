"""HR console at /admin: token login (cookie), notice upload → ingest, timeline review and
publish, reminder overview, question tryout. Pages are server-rendered (Jinja2); the work
itself is in `bot/admin.py`. No ADMIN_TOKEN configured → every /admin path is 404."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot import admin
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


def _services(request: Request) -> Services:
    return request.app.state.services


def _token(request: Request) -> str:
    token = _services(request).settings.admin_token
    if not token:
        raise HTTPException(404)  # admin disabled: the console does not exist
    return token


def _session(token: str) -> str:
    # The cookie holds a MAC of the token, never the token itself.
    return hmac.new(token.encode(), b"zhicheng-admin-session-v1", hashlib.sha256).hexdigest()


def _authed(request: Request) -> bool:
    token = _token(request)
    cookie = request.cookies.get(COOKIE, "")
    if cookie and hmac.compare_digest(cookie.encode(), _session(token).encode()):
        return True
    bearer = request.headers.get("authorization", "")
    return bearer.startswith("Bearer ") and hmac.compare_digest(bearer[7:].strip().encode(), token.encode())


def _page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("authed", True)
    return HTMLResponse(_env.get_template(name).render(**ctx), status_code=status)


def _require(request: Request) -> None:
    if not _authed(request):
        raise HTTPException(403, "需要管理令牌")


@router.get("/static/admin.css")
def stylesheet() -> Response:
    return Response((PAGES / "admin.css").read_text(encoding="utf-8"), media_type="text/css")


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    _token(request)
    return _page("login.html", authed=False)


@router.post("/login")
async def login(request: Request) -> Response:
    token = _token(request)
    form = await request.form()
    given = str(form.get("token") or "")
    if not hmac.compare_digest(given.encode(), token.encode()):
        log.warning("admin login refused from %s", request.client.host if request.client else "?")
        return _page("login.html", 403, authed=False, message="令牌不正确。", error=True)
    resp = RedirectResponse("/admin", status_code=303)
    resp.set_cookie(COOKIE, _session(token), httponly=True, samesite="strict",
                    secure=request.url.scheme == "https", path="/admin", max_age=12 * 3600)
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    _token(request)
    resp = RedirectResponse("/admin/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/admin")
    return resp


@router.get("")
async def home(request: Request) -> Response:
    if not _authed(request):
        return RedirectResponse("/admin/login", status_code=303)
    overview = await asyncio.to_thread(admin.reminder_overview, _services(request))
    return _page("index.html", **overview)


@router.get("/notices")
def notices(request: Request) -> Response:
    if not _authed(request):
        return RedirectResponse("/admin/login", status_code=303)
    return _notices_page(request)


def _notices_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    return _page("notices.html", status, notices=admin.list_notices(_services(request)),
                 max_mb=admin.MAX_UPLOAD_BYTES // (1024 * 1024), **ctx)


@router.post("/notices")
async def upload(request: Request) -> Response:
    _require(request)
    if int(request.headers.get("content-length") or 0) > admin.MAX_UPLOAD_BYTES + 65536:
        return _notices_page(request, 413, error=True,
                             message=f"文件超过 {admin.MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请压缩或拆分后再上传。")
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _notices_page(request, 400, error=True, message="请选择要上传的文件。")
    data = await upload.read(admin.MAX_UPLOAD_BYTES + 1)
    year_text = str(form.get("year") or "").strip()
    try:
        year = int(year_text) if year_text else None
        notice = await asyncio.to_thread(admin.ingest_upload, _services(request), upload.filename, data,
                                         str(form.get("notice_id") or "").strip() or None, year)
    except ValueError as exc:  # AdminError, and a year that is not a number
        msg = str(exc) if isinstance(exc, admin.AdminError) else "年度请填写四位数字，如 2025。"
        return _notices_page(request, 400, error=True, message=msg)
    except IngestError as exc:
        return _notices_page(request, 400, error=True, message=str(exc))
    except Exception:
        log.exception("upload of %s failed", upload.filename)
        return _notices_page(request, 500, error=True, message=FAILED)
    return RedirectResponse(f"/admin/notices/{notice.id}?ingested=1", status_code=303)


@router.get("/notices/{notice_id}")
async def review(request: Request, notice_id: str, ingested: int = 0) -> Response:
    if not _authed(request):
        return RedirectResponse("/admin/login", status_code=303)
    services = _services(request)
    try:
        found, year = await asyncio.to_thread(admin.proposals, services, notice_id)
        plans = await asyncio.to_thread(admin.plan_choices, services)
    except admin.AdminError as exc:
        return _notices_page(request, 404, error=True, message=str(exc))
    notice = next((n for n in admin.list_notices(services) if n["id"] == notice_id), {"title": notice_id,
                                                                                      "plans": []})
    message = f"已入库，可以检索：{notice['title']}" if ingested else ""
    return _page("review.html", notice_id=notice_id, notice_title=notice["title"], year=year,
                 proposals=found, plans=plans, suggested=notice["plans"], kinds=list(KIND_LABELS.items()),
                 audiences=AUDIENCES, message=message)


@router.post("/notices/{notice_id}/publish")
async def publish(request: Request, notice_id: str) -> Response:
    _require(request)
    services = _services(request)
    form = await request.form()
    chosen = [str(v) for v in form.getlist("event")]
    try:
        found, _ = await asyncio.to_thread(admin.proposals, services, notice_id)
        by_id = {p.id: p for p in found}
        events = [admin.event_from_form(by_id[i].event, form.get(f"text-{i}"), form.get(f"kind-{i}"),  # type: ignore[arg-type]
                                        form.get(f"audience-{i}")) for i in chosen if i in by_id]
        plan_id = str(form.get("plan") or "")
        added, replaced = await asyncio.to_thread(admin.publish_timeline, services, plan_id, events)
    except admin.AdminError as exc:
        return _page("review.html", 400, notice_id=notice_id, notice_title=notice_id, year=None,
                     proposals=[], plans=[], suggested=[], kinds=[], audiences=[], message=str(exc), error=True)
    except Exception:
        log.exception("publish of %s failed", notice_id)
        return _notices_page(request, 500, error=True, message=FAILED)
    parts = [f"已发布到计划 {plan_id}：新增 {len(added)} 个时间节点"]
    if replaced:
        parts.append(f"更新 {len(replaced)} 个（{'、'.join(replaced)}）")
    return _notices_page(request, message="，".join(parts) + "。")


@router.get("/ask")
async def ask(request: Request, q: str = "") -> Response:
    if not _authed(request):
        return RedirectResponse("/admin/login", status_code=303)
    q = q.strip()[:200]
    if not q:
        return _page("ask.html", q="")
    try:
        answer, sources = await asyncio.to_thread(admin.ask_with_sources, _services(request), q)
    except Exception:
        log.exception("admin ask failed")
        return _page("ask.html", 500, q=q, message=FAILED, error=True)
    return _page("ask.html", q=q, answer=answer, sources=sources,
                 has_text=any(s.get("text") for s in sources))
