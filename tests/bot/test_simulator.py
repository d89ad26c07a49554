"""/simulator: the dev chat page, through the real webhook, in headless Chromium."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.services import set_services
from bot.settings import Settings
from bot.wechat.fake_server import FakeWeChat
from bot.wechat.loopback import serve_in_thread
from handlers import registry
from handlers.base import Context, Incoming
from handlers.help import CAPABILITIES


def answer(msg: Incoming, ctx: Context) -> str:
    return f"模拟答复：{msg.text.removeprefix('模拟').strip()}"


def slow(msg: Incoming, ctx: Context) -> str:
    time.sleep(0.8)
    return "迟到的答复"


COMMANDS = [registry.Command((), answer, prefixes=("模拟",)), registry.Command(("迟到",), slow)]


@dataclass
class Sim:
    url: str
    fake: FakeWeChat


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    registry.COMMANDS[:0] = COMMANDS
    fake = FakeWeChat().start()
    settings = Settings(data_dir=tmp_path_factory.mktemp("sim"), wechat_api_base=fake.base_url,
                        reply_budget_s=0.4)
    try:
        with serve_in_thread(create_app(settings), lifespan="off") as url:
            # The first message of a process loads the models (seconds on a busy machine); the
            # tests below are about the webhook path and the 0.4 s budget, not about that start.
            first = httpx.post(f"{url}/simulator/send", json={"user": "warm-up", "text": "你好"}, timeout=120)
            if first.json().get("reply") is None:
                fake.wait_for(lambda f: bool(f.texts("warm-up")), timeout=120)
            yield Sim(url, fake)
    finally:
        for c in COMMANDS:
            registry.COMMANDS.remove(c)
        fake.stop()
        set_services(None)


@pytest.mark.parametrize("mode", ["plain", "compat", "aes"])
def test_send_goes_through_the_webhook(sim: Sim, mode: str) -> None:
    r = httpx.post(f"{sim.url}/simulator/send", json={"user": "sim-http", "text": "帮助", "mode": mode})
    data = r.json()
    assert data["reply"] == CAPABILITIES
    assert data["encrypted"] is (mode != "plain")


def test_late_answer_is_read_back(sim: Sim) -> None:
    start = httpx.get(f"{sim.url}/simulator/messages", params={"user": "sim-late"}).json()["next"]
    r = httpx.post(f"{sim.url}/simulator/send", json={"user": "sim-late", "text": "迟到"}, timeout=10)
    assert r.json()["reply"] is None
    assert sim.fake.wait_for(lambda f: "迟到的答复" in f.texts("sim-late"), timeout=5)
    got = httpx.get(f"{sim.url}/simulator/messages", params={"user": "sim-late", "since": start}).json()
    assert got["messages"] == ["迟到的答复"] and got["fake"] is True


def test_simulator_signs_only_for_its_own_server(sim: Sim) -> None:
    # A Host header naming another server must not make the simulator post a signed
    # request (token-derived signature, optionally our AES key's ciphertext) there.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Elsewhere(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"success")

        def log_message(self, *args: object) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        r = httpx.post(f"{sim.url}/simulator/send", json={"user": "sim-host", "text": "模拟 主机"},
                       headers={"Host": f"127.0.0.1:{other.server_port}"})
        assert r.status_code == 200 and r.json()["reply"] == "模拟答复：主机"
        assert seen == []
    finally:
        other.shutdown()


def test_bad_input_refused(sim: Sim) -> None:
    r = httpx.post(f"{sim.url}/simulator/send", json={"user": "<script>", "text": "x"})
    assert r.status_code == 422


def test_production_has_no_simulator(tmp_path: Path, production_secrets: dict[str, str]) -> None:
    settings = Settings(app_env="production", data_dir=tmp_path, **production_secrets)
    try:
        with serve_in_thread(create_app(settings), lifespan="off") as url:
            assert httpx.get(f"{url}/simulator").status_code == 404
            assert httpx.get(f"{url}/simulator/app.js").status_code == 404
            r = httpx.post(f"{url}/simulator/send", json={"user": "u", "text": "帮助"})
            assert r.status_code == 404
    finally:
        set_services(None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    driver_path = shutil.which("chromedriver")
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    if not driver_path or not chrome:
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path_factory.mktemp('chrome')}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.slow
def test_chat_in_headless_chromium(sim: Sim, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    d = browser
    d.get(f"{sim.url}/simulator")  # type: ignore[attr-defined]
    wait = WebDriverWait(d, 10)
    d.find_element(By.ID, "text").send_keys("模拟 网上申报截止是哪天？")  # type: ignore[attr-defined]
    d.find_element(By.ID, "send").click()  # type: ignore[attr-defined]
    wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "模拟答复：网上申报截止是哪天？"))
    bots = d.find_elements(By.CSS_SELECTOR, ".bubble.bot")  # type: ignore[attr-defined]
    assert bots[-1].text == "模拟答复：网上申报截止是哪天？"

    # encrypted mode and a menu click go through the same webhook
    d.find_element(By.CSS_SELECTOR, "#mode option[value=aes]").click()  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, "button[data-key=HELP]").click()  # type: ignore[attr-defined]
    wait.until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, ".bubble.bot")) >= 2)
    assert "我是职称助手" in d.find_elements(By.CSS_SELECTOR, ".bubble.bot")[-1].text  # type: ignore[attr-defined]

    # a late answer arrives as a customer-service message
    d.find_element(By.ID, "text").send_keys("迟到")  # type: ignore[attr-defined]
    d.find_element(By.ID, "send").click()  # type: ignore[attr-defined]
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".bubble.bot.late")))
    assert d.find_element(By.CSS_SELECTOR, ".bubble.bot.late").text == "迟到的答复"  # type: ignore[attr-defined]
