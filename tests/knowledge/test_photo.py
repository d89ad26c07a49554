"""ID-photo check: every verdict is measured from images generated here with Pillow."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageDraw

from knowledge.photo import MAX_BYTES, MIN_BYTES, check_photo, check_stated, format_report, format_stated


def portrait(w: int, h: int, bg: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """A crude ID photo: plain background, a face, shoulders, and grain below the top band
    (so JPEG sizes behave like a real photo's while the background stays clean)."""
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    d.ellipse((w * 0.3, h * 0.15, w * 0.7, h * 0.6), fill=(205, 160, 130))
    d.rectangle((w * 0.1, h * 0.68, w * 0.9, h), fill=(30, 40, 90))
    rnd = random.Random(w * 7919 + h)
    grain = Image.frombytes("L", (w, h), rnd.randbytes(w * h)).point(lambda v: v * 50 // 256)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rectangle((w // 8, int(h * 0.15), w - w // 8, h), fill=255)
    return Image.composite(ImageChops.subtract(img, Image.merge("RGB", [grain] * 3)), img, mask)


def encode(img: Image.Image, fmt: str = "JPEG", **kw: object) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        kw.setdefault("quality", 92)
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def verdicts(data: bytes) -> dict[str, bool]:
    return {c.key: c.ok for c in check_photo(data).checks}


def test_good_jpeg_passes_every_rule_with_numbers() -> None:
    data = encode(portrait(413, 579))
    report = check_photo(data)
    assert report.ok, format_report(report)
    assert (report.format, report.width, report.height) == ("JPEG", 413, 579)
    text = format_report(report)
    assert "413×579" in text and "0.713" in text and f"{len(data) / 1024:.1f} KB" in text
    assert report.background is not None and report.background.looks_white
    assert "看起来是浅色均匀背景" in text
    assert report.fix is None


def test_grey_background_is_advice_not_a_verdict() -> None:
    report = check_photo(encode(portrait(413, 579, bg=(90, 120, 200))))
    assert report.ok  # the four rules still pass
    assert report.background is not None and not report.background.looks_white
    assert "请确认是白底" in format_report(report)


def test_too_small_in_pixels_and_bytes() -> None:
    report = check_photo(encode(portrait(200, 280), quality=60))
    got = {c.key: c.ok for c in report.checks}
    assert got == {"format": True, "size": False, "pixels": False, "ratio": True}
    text = format_report(report)
    assert "200×280" in text and "重新拍摄" in text


def test_exactly_215_by_300_is_not_larger_than_the_minimum() -> None:
    assert verdicts(encode(portrait(215, 300), quality=100, subsampling=0))["pixels"] is False
    assert verdicts(encode(portrait(216, 301), quality=100, subsampling=0))["pixels"] is True


def test_wrong_ratio_gets_a_crop_computed_from_the_image() -> None:
    img = portrait(600, 600)
    report = check_photo(encode(img))
    assert [c.key for c in report.checks if not c.ok] == ["ratio"]
    assert report.fix is not None and report.fix.crop == (429, 600)
    text = format_report(report)
    assert "1.000" in text and "裁剪为 429×600 像素左右（宽高比 0.715）" in text
    # the fix really works: the produced file passes every rule
    assert report.fix.data is not None and check_photo(report.fix.data).ok


def test_no_crop_is_offered_that_would_break_the_pixel_rule() -> None:
    """300×300 cropped to 5:7 is 214×300 — not «大于215×300»: a retake is advised instead."""
    text = format_report(check_photo(encode(portrait(300, 300))))
    assert "裁剪为" not in text and "重新拍摄" in text


@pytest.mark.parametrize(("w", "h", "ok"), [(260, 400, True), (320, 400, True), (259, 400, False),
                                             (321, 400, False), (650, 1000, True), (649, 1000, False)])
def test_ratio_boundaries_are_inclusive(w: int, h: int, ok: bool) -> None:
    assert verdicts(encode(portrait(w, h), quality=100, subsampling=0))["ratio"] is ok


def test_png_renamed_jpg_is_reported_as_png_from_its_content() -> None:
    report = check_photo(encode(portrait(413, 579), "PNG"))
    assert report.format == "PNG"
    assert [c.key for c in report.checks if not c.ok] == ["format"]
    text = format_report(report)
    assert "❌ 格式：PNG" in text and "另存为 JPEG，质量" in text
    assert report.fix is not None and report.fix.data is not None
    assert check_photo(report.fix.data).ok


def test_oversized_file_gets_a_quality_that_really_fits() -> None:
    data = encode(portrait(1500, 2100), quality=100, subsampling=0)
    assert len(data) >= MAX_BYTES
    report = check_photo(data)
    assert [c.key for c in report.checks if not c.ok] == ["size"]
    fix = report.fix
    assert fix is not None and fix.quality is not None and fix.data is not None
    assert MIN_BYTES < len(fix.data) < MAX_BYTES
    assert f"质量 {fix.quality}（实测约 {len(fix.data) / 1024:.0f} KB）" in format_report(report)
    assert check_photo(fix.data).ok


def test_corrupt_bytes_get_a_clear_answer() -> None:
    good = encode(portrait(413, 579))
    truncated = check_photo(good[:4000])
    assert truncated.error and "损坏" in truncated.error and "413×579" in truncated.error
    garbage = check_photo(b"\xff\xd8\xff" + bytes(range(256)) * 200)
    assert garbage.error and not garbage.ok
    assert "无法" in format_report(garbage)


def test_empty_and_tiny_files() -> None:
    assert "空的" in (check_photo(b"").error or "")
    assert "字节" in (check_photo(b"hello").error or "")


def _png_header(w: int, h: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [7_000, 30_000])  # above our limit; above Pillow's own bomb limit
def test_decompression_bomb_header_is_refused_before_decoding(side: int) -> None:
    report = check_photo(_png_header(side, side))
    assert report.error and "过大" in report.error
    assert not report.checks


def test_animated_gif_is_named_as_such() -> None:
    frames = [portrait(300, 420).quantize(64), portrait(300, 420, bg=(250, 250, 240)).quantize(64)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    report = check_photo(buf.getvalue())
    assert report.format == "GIF" and not report.ok
    assert "动图（GIF，2 帧）" in format_report(report)


def test_exif_rotated_jpeg_reports_stored_and_shown_size() -> None:
    stored = portrait(413, 579).transpose(Image.Transpose.ROTATE_90)  # saved sideways: 579×413
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display" → shown 413×579
    report = check_photo(encode(stored, exif=exif.tobytes()))
    assert (report.width, report.height) == (579, 413) and report.shown == (413, 579)
    text = format_report(report)
    assert "579×413" in text and "413×579" in text and "转正" in text
    assert not report.ok  # the platform may read either size, so the ratio is not safe
    assert report.fix is not None and report.fix.data is not None
    fixed = check_photo(report.fix.data)
    assert fixed.ok and fixed.shown is None and (fixed.width, fixed.height) == (413, 579)


def test_cmyk_jpeg_passes_with_advice() -> None:
    report = check_photo(encode(portrait(413, 579).convert("CMYK")))
    assert report.ok
    assert "CMYK" in format_report(report)


def test_every_reply_fits_a_wechat_passive_reply() -> None:
    cases = [encode(portrait(600, 600)), encode(portrait(200, 280)), b"", _png_header(30_000, 30_000)]
    for data in cases:
        assert len(format_report(check_photo(data)).encode()) < 1900


def test_big_jpeg_is_decoded_reduced_but_reported_and_cropped_in_full_pixels() -> None:
    report = check_photo(encode(portrait(4800, 3600), quality=80))
    assert (report.width, report.height) == (4800, 3600)
    assert {c.key for c in report.checks if not c.ok} == {"size", "ratio"}  # a 17 MP, 1 MB+ file
    fix = report.fix
    assert fix is not None and fix.crop == (2571, 3600) and fix.data is not None
    assert "裁剪为 2571×3600 像素左右" in format_report(report)
    assert check_photo(fix.data).ok


def test_sizes_between_the_two_readings_of_30k_fail_with_an_explanation() -> None:
    small = encode(portrait(300, 420), quality=60)
    pad = 30_500 - len(small) - 4  # a JPEG comment segment (FF FE + length) fills it to 30,500 bytes
    assert 0 < pad < 65_000
    data = small[:2] + b"\xff\xfe" + struct.pack(">H", pad + 2) + b"x" * pad + small[2:]
    assert len(data) == 30_500
    report = check_photo(data)
    assert {c.key: c.ok for c in report.checks}["size"] is False
    assert "1000 还是 1024" in format_report(report)


@pytest.mark.parametrize(("text", "failing"), [
    ("我的照片是 400x600 png 200k 可以吗", {"format"}),  # PNG is not accepted; the rest fits
    ("照片358*441，50kb的jpg行吗", {"ratio"}),  # 0.812 is over 0.8
    ("宽300高400 2M", {"size"}),
    ("证件照400×600行不行", set()),
])
def test_a_photo_described_in_words_is_checked_on_what_is_said(text: str, failing: set[str]) -> None:
    checks = check_stated(text)
    assert checks and {c.key for c in checks if not c.ok} == failing
    reply = format_stated(checks)
    assert ("❌" in reply) == bool(failing)
    if "ratio" in failing:
        assert "裁剪为 315×441" in reply  # 441 × 5/7: the 1寸/2寸 shape
    assert not check_stated("证件照要求是什么")  # no figures: the rules themselves are the answer
