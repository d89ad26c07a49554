"""`python -m bot ingest / ask / chat / eval` as an HR officer or developer runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import KNOWLEDGE_DIR, ROOT

NEW_NOTICE = """关于做好2023年度余杭区建筑专业工程师资格评审工作的通知

一、时间安排
1. 网上个人申报。申报时间为 9 月 4 日至 22 日，逾期不再受理。
2. 用人单位审核。截止时间为 9 月 29 日。
"""


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli")
    notices = root / "notices"
    notices.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "notices" / "linping-manufacturing-engineer-2022.md", notices)
    return {**os.environ, "DATA_DIR": str(root / "data"), "NOTICES_DIR": str(notices), "LOG_LEVEL": "WARNING",
            "LLM_BASE_URL": "", "SCHEDULER_IN_SERVE": "false"}


def test_ingest_all_builds_once_then_is_a_no_op(env: dict[str, str]) -> None:
    first = _run(["ingest", "--all"], env)
    assert first.returncode == 0, first.stderr
    assert "索引已更新" in first.stdout
    again = _run(["ingest", "--all"], env)
    assert again.returncode == 0 and "无需重建" in again.stdout


def test_ingest_a_new_txt_notice_and_ask_it(env: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "yuhang-build-2023.txt"
    src.write_text(NEW_NOTICE, encoding="utf-8")
    r = _run(["ingest", str(src), "--series", "建筑工程"], env)
    assert r.returncode == 0, r.stderr
    saved = Path(env["NOTICES_DIR"]) / "yuhang-build-2023.md"
    assert saved.exists() and "series: 建筑工程" in saved.read_text(encoding="utf-8")
    ask = _run(["ask", "余杭建筑工程工程师网上申报什么时候截止", "--json"], env)
    body = json.loads(ask.stdout)
    assert body["answered"] and "9 月 4 日至 22 日" in body["answer"]
    assert body["sources"][0]["notice"] == "yuhang-build-2023"


def test_corrupt_upload_is_refused_and_changes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    before = sorted(p.name for p in Path(env["NOTICES_DIR"]).iterdir())
    current = (Path(env["DATA_DIR"]) / "index" / "CURRENT").read_text()
    bad = tmp_path / "2024通知.pdf"
    bad.write_bytes(b"%PDF-1.7 truncated")
    r = _run(["ingest", str(bad)], env)
    assert r.returncode == 1
    assert "无法读取 2024通知.pdf：文件已损坏或不是 PDF" in r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in Path(env["NOTICES_DIR"]).iterdir()) == before
    assert (Path(env["DATA_DIR"]) / "index" / "CURRENT").read_text() == current


def test_chat_goes_through_the_dispatcher(env: dict[str, str]) -> None:
    r = _run(["chat"], env, stdin="你好\n临平制造业单位审核截止到哪天\n帮助\n退出\n不会被处理\n")
    assert r.returncode == 0, r.stderr
    assert "我是职称助手" in r.stdout  # greeting and the 帮助 command
    assert "8 月 26 日" in r.stdout and "出处：《" in r.stdout
    assert "不会被处理" not in r.stdout


def test_chat_exit_word_goes_to_an_open_dialog_and_no_log_lines(env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"  # a fresh index: the first run says it is preparing, once
    cache = next((Path(env["DATA_DIR"]) / "index").glob("embedding-cache-*.npz"), None)
    if cache is not None:  # reuse the module's embeddings: only the build path is under test
        (data / "index").mkdir(parents=True)
        shutil.copy(cache, data / "index" / cache.name)
    r = _run(["chat"], {**env, "DATA_DIR": str(data), "LOG_LEVEL": "INFO"},
             stdin="述职检查\n第一段\n退出\n帮助\n退出\n不会被处理\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("正在准备知识库（首次约需 30 秒）…") == 1
    assert "已退出述职检查" in r.stdout  # 「退出」 inside the dialog ended the dialog, not the CLI
    assert "我是职称助手" in r.stdout  # the CLI went on
    assert "不会被处理" not in r.stdout  # the second 「退出」 (no dialog) ended it
    assert " INFO " not in r.stderr + r.stdout
    again = _run(["chat"], {**env, "DATA_DIR": str(data)}, stdin="/quit\n帮助\n")
    assert "正在准备知识库" not in again.stdout and "我是职称助手" not in again.stdout


def test_eval_reports_per_question_and_summary(env: dict[str, str], tmp_path: Path) -> None:
    qset = tmp_path / "set.yaml"
    qset.write_text(
        "- id: a\n  q: 临平制造业工程师继续教育要多少学分\n  source: [003_0ab6147c026b6031.txt]\n  expect: [[\"45\"]]\n"
        "- id: b\n  q: 今天天气怎么样\n  answerable: false\n", encoding="utf-8")
    r = _run(["eval", str(qset), "--json"], env)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)["summary"]
    assert summary["answer_accuracy"] == 1.0 and summary["abstention_accuracy"] == 1.0
    assert summary["recall_at_3"] == 1.0 and summary["latency_ms_p95"] > 0
    text = _run(["eval", str(qset), "--mode", "bm25"], env)
    assert "PASS a" in text.stdout and "mode bm25" in text.stdout
