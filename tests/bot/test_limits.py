"""Bodies are capped while they stream, on every route, and production publishes no API docs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.services import set_services
from bot.settings import Settings
from bot.wechat.loopback import serve_in_thread


def _chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
    for _ in range(total // size):
        yield b"x" * size


TOKEN = "a-long-enough-admin-token-1234"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("limits"), admin_token=TOKEN)
    try:
        with serve_in_thread(create_app(settings), lifespan="off") as u:
            yield u
    finally:
        set_services(None)


@pytest.mark.parametrize(("path", "total"), [
    ("/api/ask", 50 * 1024 * 1024),
    ("/api/eligibility", 50 * 1024 * 1024),
    ("/simulator/send", 50 * 1024 * 1024),
    ("/admin/notices", 200 * 1024 * 1024),  # the console's own check reads the declared length only
])
def test_a_chunked_body_is_refused_early_not_read_in_full(url: str, path: str, total: int) -> None:
    t0 = time.monotonic()
    try:
        r = httpx.post(f"{url}{path}", content=_chunks(total), timeout=60,
                       headers={"content-type": "multipart/form-data; boundary=b" if path.startswith("/admin")
                                else "application/json", "authorization": f"Bearer {TOKEN}"})
        status = r.status_code
    except httpx.HTTPError:  # the server answered 413 and closed while the client still sent
        status = 413
    assert status == 413
    assert time.monotonic() - t0 < 30


def test_a_declared_length_over_the_limit_is_refused_before_reading(url: str) -> None:
    r = httpx.post(f"{url}/api/eligibility", content=b"{}" + b" " * (70 * 1024),
                   headers={"content-type": "application/json"})
    assert r.status_code == 413 and "最多 64 KB" in r.json()["error"]


def test_docs_are_published_in_development_only(url: str, tmp_path: Path, production_secrets: dict[str, str]) -> None:
    assert httpx.get(f"{url}/openapi.json").status_code == 200
    prod = Settings(app_env="production", data_dir=tmp_path, **production_secrets)
    try:
        with serve_in_thread(create_app(prod), lifespan="off") as p:
            for path in ("/docs", "/redoc", "/openapi.json"):
                assert httpx.get(f"{p}{path}").status_code == 404, path
    finally:
        set_services(None)
