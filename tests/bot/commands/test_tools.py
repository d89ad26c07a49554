"""`python -m bot photo FILE [--fix OUT]` and `python -m bot shuzhi FILE`, as a user runs them."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from knowledge.photo import check_photo

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def wide_photo(path: Path) -> None:
    img = Image.new("RGB", (800, 600), (255, 255, 255))
    ImageDraw.Draw(img).ellipse((300, 100, 500, 400), fill=(205, 160, 130))
    noise = Image.effect_noise((800, 600), 40).convert("RGB")
    buf = io.BytesIO()
    Image.blend(img, noise, 0.3).save(buf, "JPEG", quality=95)
    path.with_suffix(".jpg").write_bytes(buf.getvalue())


def test_photo_command_reports_and_writes_a_fix(tmp_path: Path) -> None:
    src = tmp_path / "me.jpg"
    wide_photo(src)
    out = tmp_path / "fixed.jpg"
    r = run("photo", str(src), "--fix", str(out))
    assert r.returncode == 1, r.stderr  # a rule failed
    assert "❌ 宽高比：1.333" in r.stdout and "已写出修改后的照片" in r.stdout
    assert check_photo(out.read_bytes()).ok
    again = run("photo", str(out))
    assert again.returncode == 0 and "全部符合" in again.stdout


def test_photo_command_on_a_missing_file(tmp_path: Path) -> None:
    r = run("photo", str(tmp_path / "nope.jpg"))
    assert r.returncode == 2 and "无法读取文件" in r.stdout and "Traceback" not in r.stderr


def test_shuzhi_command_counts_a_file(tmp_path: Path) -> None:
    f = tmp_path / "shuzhi.txt"
    f.write_text("本人" * 501, encoding="utf-8")
    r = run("shuzhi", str(f))
    assert r.returncode == 1 and "共 1002 字" in r.stdout and "超出 2 字" in r.stdout
