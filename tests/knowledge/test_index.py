"""Re-indexing builds beside the live index and swaps only when complete."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import KNOWLEDGE_DIR, Settings
from knowledge import index
from knowledge.ingest import IngestError
from knowledge.qa.service import QAService

LINPING = "linping-manufacturing-engineer-2022"
WATER = "zhejiang-water-senior-2022"
Q_LINPING = "临平制造业工程师网上申报是几号到几号？"
Q_WATER = "水利高工评审表要打印几份"


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, QAService]:
    root = tmp_path_factory.mktemp("small-kb")
    notices = root / "notices"
    notices.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "notices" / f"{LINPING}.md", notices)
    settings = Settings(data_dir=root / "data", notices_dir=notices)
    return settings, QAService.from_settings(settings)


def _leftovers(settings: Settings) -> list[str]:
    return [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".building")]


def test_unchanged_notices_are_a_no_op(small_kb: tuple[Settings, QAService]) -> None:
    settings, qa = small_kb
    assert index.ensure(settings, qa.embeddings, qa.tokenizer) == (qa.index.version, False)


@pytest.mark.parametrize(("name", "content"), [
    ("broken.md", "---\nid: [unclosed\n---\n正文正文正文正文正文正文正文正文正文正文正文\n"),
    # Readable, but without a single clause: fails inside the build, after the staging dir exists.
    ("no-clauses.md", "---\nid: no-clauses\ntitle: 空通知\n---\n\n# 附件1\n\n# 标题甲\n\n# 标题乙\n\n# 标题丙\n\n# 标题丁\n"),
    (f"{LINPING}-copy.md", (KNOWLEDGE_DIR / "notices" / f"{LINPING}.md").read_text(encoding="utf-8")),
])
def test_failed_rebuild_leaves_the_live_index(small_kb: tuple[Settings, QAService], name: str,
                                              content: str) -> None:
    settings, qa = small_kb
    live = index.current_version(settings)
    bad = settings.notices_dir / name
    bad.write_text(content, encoding="utf-8")
    try:
        with pytest.raises(IngestError):
            index.ensure(settings, qa.embeddings, qa.tokenizer)
    finally:
        bad.unlink()
    assert index.current_version(settings) == live
    assert _leftovers(settings) == []
    qa.reload_every_s = 0
    ans = qa.answer(Q_LINPING)
    assert ans.answered and "8 月 1 日" in ans.text


def test_successful_rebuild_swaps_and_a_running_service_reloads(small_kb: tuple[Settings, QAService]) -> None:
    settings, qa = small_kb
    before = qa.index.version
    assert not qa.answer(Q_WATER).answered  # not in the knowledge base yet
    shutil.copy(KNOWLEDGE_DIR / "notices" / f"{WATER}.md", settings.notices_dir)
    try:
        version, rebuilt = index.ensure(settings, qa.embeddings, qa.tokenizer)
        assert rebuilt and version != before
        assert index.current_version(settings) == version
        qa.reload_every_s = 0
        ans = qa.answer(Q_WATER)
        assert qa.index.version == version
        assert ans.answered and ans.sources[0].notice == WATER
        assert "3份" in ans.text.replace(" ", "")
        # The previous version stays on disk for processes that have not reloaded yet.
        assert (settings.index_dir / before).is_dir()
    finally:
        (settings.notices_dir / f"{WATER}.md").unlink()
        index.ensure(settings, qa.embeddings, qa.tokenizer)


def test_missing_index_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="索引尚未建立"):
        index.open_index(Settings(data_dir=tmp_path))
