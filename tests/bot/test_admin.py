"""The HR console in headless Chromium against uvicorn on a loopback port: token login,
notice upload → searchable, timeline review → published into the plan file, reminder
overview, question tryout with passages and scores; plus the access rules over plain HTTP."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from bot.app import create_app
from bot.services import set_services
from bot.settings import KNOWLEDGE_DIR, Settings
from bot.wechat.loopback import serve_in_thread

TOKEN = "hr-secret-0123456789abcdef"
PLAN = "linping-manufacturing-engineer-2022"
NEW_ID = "ningbo-textile-engineer-2025"


@dataclass
class Live:
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("admin")
    notices, plans = root / "notices", root / "plans"
    notices.mkdir()
    # One seed notice keeps each index build short; the plan that cites it comes along.
    shutil.copy(KNOWLEDGE_DIR / "notices" / f"{PLAN}.md", notices)
    shutil.copytree(KNOWLEDGE_DIR / "plans", plans)
    settings = Settings(data_dir=root / "data", notices_dir=notices, plans_dir=plans, admin_token=TOKEN,
                        scheduler_in_serve=False)
    app = create_app(settings)
    try:
        with serve_in_thread(app, lifespan="on", timeout_s=180) as url:
            yield Live(url, settings)
    finally:
        set_services(None)


def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("关于做好2025年度宁波市纺织工程专业工程师职称评审工作的通知", level=0)
    d.add_paragraph("各有关单位：现将2025年度宁波市纺织工程专业工程师职称评审有关事项通知如下。")
    d.add_heading("一、申报时间", level=1)
    d.add_paragraph("网上个人申报时间为2025年7月1日至7月20日，逾期不予受理。")
    d.add_paragraph("用人单位须于2025年7月25日前完成审核推荐。")
    d.add_heading("二、评审费用", level=1)
    d.add_paragraph("纺织工程专业工程师评审费为每人280元，由申报人在资格审查通过后缴纳。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# --- access rules over plain HTTP --------------------------------------------------------------
def test_console_does_not_exist_without_a_token(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bot.services import Services, get_services

    keep = get_services()
    try:
        app = create_app(Settings(data_dir=tmp_path, admin_token=""))
        client = TestClient(app)
        for path in ("/admin", "/admin/login", "/admin/notices", "/admin/ask?q=x"):
            assert client.get(path, follow_redirects=False).status_code == 404
        assert client.post("/admin/login", data={"token": ""}).status_code == 404
    finally:
        set_services(keep if isinstance(keep, Services) else None)


def _login(http: httpx.Client, name: str = "王老师") -> str:
    """Log in through the form; returns the session's CSRF token (from a page's hidden field)."""
    r = http.post("/admin/login", data={"name": name, "token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return re.search(r'name="csrf" value="([^"]+)"', http.get("/admin/notices").text).group(1)  # type: ignore[union-attr]


def test_wrong_token_is_refused_and_actions_need_a_session(live: Live) -> None:
    with httpx.Client(base_url=live.url) as http:
        r = http.post("/admin/login", data={"name": "王", "token": TOKEN + "x"})
        assert r.status_code == 403 and "令牌不正确" in r.text and "zc_admin" not in r.headers.get("set-cookie", "")
        assert http.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"
        r = http.post("/admin/notices", files={"file": ("x.md", b"# x\n" * 20)})
        assert r.status_code == 403
        ok = http.post("/admin/login", data={"name": "王老师", "token": TOKEN}, follow_redirects=False)
        assert ok.status_code == 303
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and TOKEN.lower() not in cookie
        assert http.get("/admin").status_code == 200


def test_sessions_are_random_end_at_logout_and_expire(live: Live) -> None:
    from sqlalchemy import update

    from bot.db import admin_sessions, get_engine, utcnow

    with httpx.Client(base_url=live.url) as a, httpx.Client(base_url=live.url) as b:
        csrf = _login(a)
        _login(b)
        # Two logins, two unrelated session ids: nothing about the cookie follows from the token.
        assert a.cookies["zc_admin"] != b.cookies["zc_admin"]
        stolen = a.cookies["zc_admin"]
        assert a.post("/admin/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        with httpx.Client(base_url=live.url, cookies={"zc_admin": stolen}) as thief:
            assert thief.get("/admin", follow_redirects=False).status_code == 303  # revoked at logout
        with get_engine(live.settings).begin() as c:
            c.execute(update(admin_sessions).values(last_seen=utcnow() - dt.timedelta(hours=2)))
        assert b.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"  # idle expiry


def test_state_changes_need_the_csrf_token_and_this_origin(live: Live) -> None:
    with httpx.Client(base_url=live.url) as http:
        csrf = _login(http)
        files = {"file": ("n.txt", "关于2026年度职称评审工作的通知 工程师 评审".encode() * 5)}
        assert http.post("/admin/notices", files=files).status_code == 403  # no token
        assert http.post("/admin/notices", files=files, data={"csrf": "forged"}).status_code == 403
        r = http.post("/admin/notices", files=files, data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "其他网站" in r.text
        assert http.post("/admin/plans/x/check", data={"text": "a: 1"}).status_code == 403
        r = http.post("/admin/plans/x/check", data={"text": "id: x"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["problems"]


def test_the_token_is_never_accepted_in_the_url(live: Live) -> None:
    with httpx.Client(base_url=live.url) as http:
        for path in (f"/admin?token={TOKEN}", f"/admin/notices?token={TOKEN}"):
            assert http.get(path, follow_redirects=False).headers.get("location") == "/admin/login"


def test_failed_logins_are_throttled_per_address(live: Live) -> None:
    from sqlalchemy import delete

    from bot.db import admin_login_failures, get_engine

    with httpx.Client(base_url=live.url) as http:
        for _ in range(live.settings.admin_login_max_failures):
            assert http.post("/admin/login", data={"name": "x", "token": "guess"}).status_code == 403
        r = http.post("/admin/login", data={"name": "x", "token": TOKEN})  # even the right token waits
        assert r.status_code == 429 and "分钟后再试" in r.text
    with get_engine(live.settings).begin() as c:
        c.execute(delete(admin_login_failures))


def _many_paragraphs_docx(n: int) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("关于做好2026年度职称评审工作的通知（工程师）")
    for _ in range(n):
        d.add_paragraph("")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _scanned_pdf() -> bytes:
    """A PDF page holding only a picture (what a scanner makes): no text layer."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (600, 800), (250, 250, 250)).save(buf, format="PDF")
    return buf.getvalue()


def _not_a_notice_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("2026年第三季度部门例会纪要", level=0)
    for line in ("会议时间：2026年9月8日下午。", "参会人员：各科室负责人。", "会议议题：食堂菜单调整、停车位分配、年终联欢会筹备。"):
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_bad_uploads_get_a_clear_message_and_lose_nothing(live: Live) -> None:
    before = sorted(p.name for p in live.settings.notices_dir.iterdir())
    plans_before = sorted(p.name for p in live.settings.plans_dir.iterdir())
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
        r = http.post("/admin/notices", files={"file": ("坏文件.docx", b"PK\x03\x04 not really a zip")})
        assert r.status_code == 400 and "已损坏" in r.text and "Traceback" not in r.text
        r = http.post("/admin/notices", files={"file": ("表格.xlsx", b"whatever")})
        assert r.status_code == 400 and "不支持的文件类型" in r.text
        r = http.post("/admin/notices", files={"file": ("空.pdf", b"")})
        assert r.status_code == 400
        r = http.post("/admin/notices", files={"file": ("大.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))})
        assert r.status_code == 413 and "超过 10 MB" in r.text
        r = http.post("/admin/notices", files={"file": ("通" * 300 + ".docx", b"PK")})
        assert r.status_code == 400 and "文件名太长" in r.text
        # 46 KB, 50,000 empty paragraphs: refused before python-docx builds them (it took 42 s and 1.4 GB).
        r = http.post("/admin/notices", files={"file": ("空段落.docx", _many_paragraphs_docx(50_000))})
        assert r.status_code == 400 and "段落过多" in r.text
        r = http.post("/admin/notices", files={"file": ("扫描件.pdf", _scanned_pdf())})
        assert r.status_code == 400 and "扫描件" in r.text and "文字识别" in r.text
        r = http.post("/admin/notices", files={"file": ("例会纪要.docx", _not_a_notice_docx())})
        assert r.status_code == 400 and "不是职称评审通知" in r.text
    assert sorted(p.name for p in live.settings.notices_dir.iterdir()) == before
    assert sorted(p.name for p in live.settings.plans_dir.iterdir()) == plans_before


def test_a_notice_older_than_the_published_one_is_not_published(live: Live) -> None:
    """Last year's notice of a series that already has this year's: refused with the reason;
    kept aside (nothing lost) and publishable as a past notice on purpose."""
    older = (KNOWLEDGE_DIR / "notices" / f"{PLAN}.md").read_text(encoding="utf-8")
    newer = older.replace("year: 2022", "year: 2023").replace(f"id: {PLAN}", "id: linping-manufacturing-engineer-2023")
    newer = newer.replace(f"plans: [{PLAN}]", "plans: [linping-manufacturing-engineer-2023]")
    target = live.settings.notices_dir / "linping-manufacturing-engineer-2023.md"
    target.write_text(newer, encoding="utf-8")
    try:
        with httpx.Client(base_url=live.url, timeout=120) as http:
            csrf = _login(http)
            src = older.replace(f"id: {PLAN}", "id: linping-manufacturing-engineer-2021").replace(
                "year: 2022", "year: 2021").replace(f"plans: [{PLAN}]", "plans: [linping-manufacturing-engineer-2021]")
            r = http.post("/admin/notices", files={"file": ("linping-2021.md", src.encode())}, data={"csrf": csrf})
            assert r.status_code == 200 and "不能作为现行通知发布" in r.text  # said at once, as a hint
            form = {"csrf": csrf, "id": "linping-manufacturing-engineer-2021", "title": "2021年度临平区制造业工程师",
                    "region": "临平区", "series": "制造业", "level": "工程师", "year": "2021", "action": "publish"}
            r = http.post("/admin/pending/linping-manufacturing-engineer-2021", data=form)
            assert r.status_code == 400 and "已发布 2023 年度通知" in r.text and "作为往年通知存档" in r.text
            assert not (live.settings.notices_dir / "linping-manufacturing-engineer-2021.md").exists()
            assert "linping-manufacturing-engineer-2021" in http.get("/admin/notices").text  # still waiting, not lost
    finally:
        target.unlink()


# --- the browser (fixture in tests/bot/conftest.py) ------------------------------------------------
@pytest.mark.slow
def test_hr_uploads_reviews_publishes_and_tries_a_question(live: Live, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    d = browser

    def find(by: str, value: str, text: str = ""):  # type: ignore[no-untyped-def]
        """Wait for the page a click navigates to (a click does not wait for it)."""
        def ready(drv):  # type: ignore[no-untyped-def]
            els = drv.find_elements(by, value)
            return els[0] if els and text in els[0].text else False
        # A page being replaced mid-check leaves a stale element: look again, it is not a failure.
        return WebDriverWait(d, 60, ignored_exceptions=[StaleElementReferenceException]).until(ready)

    d.get(f"{live.url}/admin")
    assert d.current_url.endswith("/admin/login")
    d.find_element(By.ID, "name").send_keys("王老师")
    d.find_element(By.ID, "token").send_keys("wrong")
    d.find_element(By.ID, "login").click()
    find(By.ID, "message", "令牌不正确")
    d.find_element(By.ID, "name").send_keys("王老师")
    d.find_element(By.ID, "token").send_keys(TOKEN)
    d.find_element(By.ID, "login").click()
    find(By.TAG_NAME, "h1", "概览")
    session = next(c for c in d.get_cookies() if c["name"] == "zc_admin")
    assert session["httpOnly"] is True

    # Upload a DOCX notice: it is ingested and the proposed dates are shown for review.
    upload = tmp_path / "宁波纺织2025.docx"
    upload.write_bytes(_docx())
    d.find_element(By.ID, "nav-notices").click()
    find(By.ID, "file").send_keys(str(upload))
    d.find_element(By.ID, "notice_id").send_keys(NEW_ID)
    d.find_element(By.ID, "upload").click()
    find(By.ID, "message", "请核对")  # the proposed front matter first; nothing is published yet
    assert not (live.settings.notices_dir / f"{NEW_ID}.md").exists()
    d.find_element(By.ID, "publish-notice").click()
    find(By.ID, "message", "已入库")
    page = find(By.ID, "proposals").text
    rows = d.find_elements(By.CSS_SELECTOR, "#proposals tr")[1:]
    assert "2025年7月1日至7月20日" in page and "7月25日" in page
    assert (live.settings.notices_dir / f"{NEW_ID}.md").exists()

    # Publish the submission window (text edited by HR) to the plan.
    window = next(r for r in rows if "7月1日至7月20日" in r.text)
    box = window.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
    event_id = box.get_attribute("value")
    text_box = window.find_element(By.CSS_SELECTOR, "input[type=text]")
    text_box.clear()
    text_box.send_keys("网上个人申报（宁波纺织）")
    for other in rows:
        cb = other.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
        if cb.is_selected() != (cb.get_attribute("value") == event_id):
            cb.click()
    Select(d.find_element(By.ID, "plan")).select_by_value(PLAN)
    d.find_element(By.ID, "publish").click()
    find(By.ID, "message", f"已发布到计划 {PLAN}")
    plan = yaml.safe_load((live.settings.plans_dir / f"{PLAN}.yaml").read_text(encoding="utf-8"))
    published = [e for e in plan["timeline"] if e["id"] == event_id]
    assert published and published[0]["text"] == "网上个人申报（宁波纺织）"
    assert str(published[0]["start"]) == "2025-07-01" and str(published[0]["end"]) == "2025-07-20"
    assert published[0]["clause"]["notice"] == NEW_ID
    from knowledge.eligibility.plans import load_plan_file

    assert load_plan_file(live.settings.plans_dir / f"{PLAN}.yaml").timeline  # still a valid plan

    # The new notice is searchable: the tryout shows the answer and its passages with scores.
    d.find_element(By.ID, "nav-ask").click()
    find(By.ID, "q").send_keys("宁波纺织工程专业工程师评审费是多少？")
    d.find_element(By.ID, "ask").click()
    assert "280元" in find(By.ID, "answer").text
    sources = d.find_elements(By.CSS_SELECTOR, "#sources tr")[1:]
    assert sources and NEW_ID in sources[0].text
    assert float(sources[0].find_element(By.CLASS_NAME, "score").text) > 0

    # Overview: subscriber counts per plan and delivery results from the reminders database.
    _seed_reminders(live.settings)
    d.find_element(By.ID, "nav-home").click()
    find(By.ID, "subscribers", PLAN)
    row = next(r for r in d.find_elements(By.CSS_SELECTOR, "#subscribers tr") if PLAN in r.text)
    assert [c.text for c in row.find_elements(By.TAG_NAME, "td")][1:3] == ["2", "1"]
    results = d.find_element(By.ID, "deliveries").text
    assert "template：成功 1" in results and "errcode 45015" in results


def _seed_reminders(settings: Settings) -> None:
    """Two applicants and one HR officer subscribed; two deliveries logged (one refused)."""
    from bot.db import deliveries, get_engine, utcnow
    from bot.reminders.plans import load_plan_infos
    from bot.reminders.repo import ReminderRepo

    engine = get_engine(settings)
    repo = ReminderRepo(engine, settings)
    info = load_plan_infos(settings.plans_dir)[PLAN]
    for openid, role in (("o_app_1", "applicant"), ("o_app_2", "applicant"), ("o_hr_1", "hr")):
        repo.subscribe(openid, info, role)
    with engine.begin() as c:
        c.execute(deliveries.insert(), [
            {"openid": "o_app_1", "plan_id": PLAN, "channel": "template", "errcode": 0, "at": utcnow()},
            {"openid": "o_app_2", "plan_id": PLAN, "channel": "custom", "errcode": 45015, "at": utcnow()}])
