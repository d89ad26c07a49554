"""The fault and abuse suite (benchmarks/faults.py has the harness and the full report):
kill -9 during a burst with WeChat's resends, corrupt databases at start-up, a store going
down while running, and hostile requests. Real processes, real files, loopback only."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks import faults
from bot.settings import Settings
from bot.wechat.fake_server import FakeWeChat

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(kb_settings: Settings, qa_service: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding only the knowledge index the session built."""
    tpl = tmp_path_factory.mktemp("faults-template")
    shutil.copytree(kb_settings.index_dir, tpl / "index")
    return tpl


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeChat]:
    with FakeWeChat() as f:
        yield f


# --- kill -9 with messages in flight ---------------------------------------------------------------
@pytest.mark.parametrize("mode", ["passive", "late"])
def test_kill_9_in_a_burst_every_message_answered_once(mode: str, template: Path, fake: FakeWeChat,
                                                        tmp_path: Path) -> None:
    r = faults.crash_round(template, tmp_path, fake, mode=mode, users=30, kill_after=3)
    assert r.in_flight >= 1, "the bot finished the whole burst before it was killed: nothing was tested"
    assert r.problems == []
    assert r.exactly_once == r.users and r.wrong == 0 and r.duplicates == 0
    assert r.delivered_after == r.in_flight
    assert r.next_turn_ok == r.users  # each message moved the dialog exactly one step
    assert r.copies_answered == r.copies  # a resend of an answered message gets the answer again


@pytest.fixture
def pg_redis() -> Iterator[dict[str, str]]:
    import os

    base, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    if not base or not redis_url:
        pytest.skip("TEST_DATABASE_URL / TEST_REDIS_URL not set")
    with faults.postgres_and_redis(base, redis_url) as env:
        yield env


def test_kill_9_on_postgres_and_redis_every_message_answered_once(template: Path, fake: FakeWeChat,
                                                                  tmp_path: Path, pg_redis: dict[str, str]) -> None:
    r = faults.crash_round(template, tmp_path, fake, mode="passive", users=30, kill_after=3, stores=pg_redis)
    assert r.in_flight >= 1 and r.problems == []
    assert r.exactly_once == r.users and r.next_turn_ok == r.users and r.copies_answered == r.copies


# --- broken files at start-up ---------------------------------------------------------------------
def _serve(data: Path, fake: FakeWeChat, **env: str) -> subprocess.CompletedProcess[str]:
    port = faults.free_port()
    full = {"DATA_DIR": str(data), "SCHEDULER_IN_SERVE": "false", "WECHAT_API_BASE": fake.base_url,
            "LOG_LEVEL": "WARNING", **env}
    import os

    return subprocess.run([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=ROOT, timeout=120,
                          env={**os.environ, **full}, capture_output=True, text=True)


@pytest.mark.parametrize("broken", ["state.db", "bot.db", "index"])
def test_a_corrupt_database_stops_start_up_naming_the_file(broken: str, template: Path, fake: FakeWeChat,
                                                           tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(template, data)
    target = next((data / "index").glob("v*/chroma/chroma.sqlite3")) if broken == "index" else data / broken
    target.write_bytes(b"\x00garbage, not SQLite\x00" * 4096)
    done = _serve(data, fake)
    assert done.returncode != 0, "the server started on a corrupt file"
    named = str(target.parent) if broken == "index" else str(target)
    assert named in done.stderr, done.stderr[-2000:]
    assert "cannot start" in done.stderr


def test_an_unreachable_redis_stops_start_up(template: Path, fake: FakeWeChat, tmp_path: Path) -> None:
    shutil.copytree(template, tmp_path / "data")
    port = faults.free_port()  # nothing listens there
    done = _serve(tmp_path / "data", fake, STATE_URL=f"redis://:secret@127.0.0.1:{port}/0")
    assert done.returncode != 0
    assert f"127.0.0.1:{port}" in done.stderr and "secret" not in done.stderr


# --- a store going down while serving --------------------------------------------------------------
@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    exe = shutil.which("redis-server") or pytest.skip("redis-server not installed")
    port = faults.free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    import redis

    while True:
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_readiness_names_the_store_that_went_down(template: Path, fake: FakeWeChat, tmp_path: Path,
                                                  own_redis: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, redis_proc = own_redis
    data = tmp_path / "data"
    shutil.copytree(template, data)
    bot = faults.BotProcess(data, faults.free_port(), {"STATE_URL": url, "WECHAT_API_BASE": fake.base_url},
                            tmp_path / "bot.log").start()
    try:
        ready = httpx.get(f"{bot.url}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert {"state", "database", "index", "scheduler"} <= set(ready.json()["checks"])
        redis_proc.kill()
        redis_proc.wait(10)
        down = httpx.get(f"{bot.url}/readyz", timeout=30)
        assert down.status_code == 503
        checks = down.json()["checks"]
        assert checks["state"].startswith("down:") and url.rsplit("/", 1)[0].split("//")[1] in checks["state"]
        assert checks["database"].startswith("ok") and checks["index"].startswith("ok")
        assert httpx.get(f"{bot.url}/healthz", timeout=10).status_code == 200  # alive, not ready
    finally:
        bot.stop()


# --- hostile requests --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def running_bot(template: Path, fake: FakeWeChat, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[str, Path, Path]]:
    work = tmp_path_factory.mktemp("abuse")
    data = work / "data"
    shutil.copytree(template, data)
    bot = faults.BotProcess(data, faults.free_port(), {"WECHAT_API_BASE": fake.base_url}, work / "bot.log").start()
    try:
        yield bot.url, data, work / "bot.log"
    finally:
        bot.stop()


def test_abuse_cases_get_a_clear_4xx_and_nothing_runs(running_bot: tuple[str, Path, Path]) -> None:
    url, data, log = running_bot
    results = faults.run_abuse(url, Settings(data_dir=data))
    bad = [r for r in results if not r["ok"]]
    assert not bad, bad
    assert httpx.get(f"{url}/healthz").status_code == 200  # and the bot is still serving
    # The MediaId's newline was written escaped: no line of the log starts with the forged date.
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "m1\\n2030-01-01" in text
    assert not any(line.startswith("2030-01-01") for line in text.splitlines())
