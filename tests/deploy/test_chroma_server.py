"""CHROMA_URL: the knowledge index built into a real Chroma server (`chroma run` on a
loopback port) instead of the embedded store, and questions answered from it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.settings import KNOWLEDGE_DIR, Settings

CHROMA = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMA).exists(), reason="chroma CLI not installed")]
NOTICE = "linping-manufacturing-engineer-2022"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path, port = tmp_path_factory.mktemp("chroma"), _free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    proc = subprocess.Popen([CHROMA, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("chroma server did not start")
        time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_index_lives_in_the_chroma_server_and_answers(chroma_url: str, tmp_path: Path) -> None:
    import chromadb

    from knowledge.qa.service import QAService

    notices = tmp_path / "notices"
    notices.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "notices" / f"{NOTICE}.md", notices)
    settings = Settings(data_dir=tmp_path / "data", notices_dir=notices, chroma_url=chroma_url)
    qa = QAService.from_settings(settings)
    version = qa.index.version
    # The vectors are in the server, not in an embedded store under DATA_DIR.
    assert not (settings.index_dir / version / "chroma").exists()
    host, port = chroma_url.removeprefix("http://").split(":")
    server = chromadb.HttpClient(host=host, port=int(port))
    names = [c.name if hasattr(c, "name") else str(c) for c in server.list_collections()]
    assert f"zhicheng-{version}" in names
    assert server.get_collection(f"zhicheng-{version}").count() == len(qa.index.chunks)

    answer = qa.answer("临平区制造业工程师评审，网上申报的截止时间是什么时候？")
    assert answer.answered and answer.sources and answer.sources[0].notice == NOTICE
    # A second process (another worker) opens the same version from the server without rebuilding.
    again = QAService.from_settings(settings)
    assert again.index.version == version
    assert again.answer("临平区制造业工程师评审，网上申报的截止时间是什么时候？").text == answer.text
