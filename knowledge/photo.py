"""ID-photo check against the platform's upload rules, with measured numbers and fixes.

All five notices state the same rule for the photo uploaded to the provincial platform
(PHOTO_CLAUSE). Everything here is pure: bytes in, a PhotoReport out; no I/O, no WeChat.

Safety: the format is read from the content (magic bytes), never from a file name; the
header dimensions are checked before any pixel is decoded, so a decompression bomb is
refused without allocating its pixels; corrupt or truncated files become a report.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

from PIL import Image, ImageOps, UnidentifiedImageError

from knowledge.citation import Clause

log = logging.getLogger(__name__)

PHOTO_CLAUSE = Clause(
    notice="linping-manufacturing-engineer-2022",
    path="附件2 工程师资格个人申报流程 › 二、个人申报 › 1. 上传证件照",
    quote=(
        "如自己上传照片，应为1寸、2寸白底证件照，JPG或JPEG格式，文件大于30K且小于1M，"
        "大于215*300（宽*高）像素，照片宽高比大于等于0.65且小于等于0.8。"
    ),
)

# How the clause is named to users (the five notices word it identically).
PHOTO_SOURCE = "各通知“上传证件照”一条（如临平区2022制造业工程师通知 附件2 二、1）"

# Byte limits. The notices say 「大于30K且小于1M」 without saying 1K = 1000 or 1024 bytes,
# so both ends take the stricter reading: > 30 × 1024 bytes and < 1000 × 1000 bytes.
MIN_BYTES = 30 * 1024
MAX_BYTES = 1000 * 1000
KB = 1024
MIN_W, MIN_H = 215, 300  # 「大于215*300（宽*高）像素」: strictly larger
RATIO_MIN, RATIO_MAX = Fraction(65, 100), Fraction(80, 100)  # inclusive (大于等于 / 小于等于)
TARGET_RATIO = Fraction(5, 7)  # 1寸 25×35 mm and 2寸 35×49 mm are both 5:7 (≈ 0.714)

# No ID photo needs more than this; anything larger is refused before decoding. The
# limit is checked from the header ourselves rather than by lowering the process-wide
# Image.MAX_IMAGE_PIXELS, which other Pillow users in the process would also feel.
MAX_PIXELS = 40_000_000
# A fix for a photo taller than BIG_HEIGHT that does not fit as is gets scaled to FIX_HEIGHT:
# plenty for an electronic certificate (a 2寸 photo at 300 dpi is 413×579) and fast to encode.
BIG_HEIGHT = 1600
FIX_HEIGHT = 1200
# JPEGs above this many pixels are decoded at a reduced scale (memory and time), keeping
# the shorter side at least DRAFT_SIDE pixels: enough for the background and a fixed copy.
DRAFT_PIXELS = 8_000_000
DRAFT_SIDE = 800
# Re-saved files aim inside the limits with a margin, so a later tool's re-encode still fits.
FIT_MIN_BYTES = 40 * KB
FIT_MAX_BYTES = 900 * KB

# Magic bytes of things people send instead of a JPEG that Pillow may not open.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"%PDF", 0, "PDF 文档"),
    (b"PK\x03\x04", 0, "压缩包或 Word/Excel 文档"),
    (b"\xd0\xcf\x11\xe0", 0, "旧版 Office 文档"),
    (b"ftypheic", 4, "HEIC（苹果手机照片格式）"),
    (b"ftypheix", 4, "HEIC（苹果手机照片格式）"),
    (b"ftypmif1", 4, "HEIF"),
    (b"ftypavif", 4, "AVIF"),
    (b"Rar!", 0, "RAR 压缩包"),
]
_FORMAT_NAMES = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WebP",
                 "BMP": "BMP", "TIFF": "TIFF", "ICO": "ICO"}


@dataclass
class Check:
    key: str  # format | size | pixels | ratio
    label: str
    ok: bool
    measured: str
    rule: str


@dataclass
class Background:
    mean: float  # mean brightness of the border strip, 0–255
    spread: float  # standard deviation of brightness in the strip (uniformity)
    tint: float  # mean colourfulness (max − min channel), 0 for pure grey/white

    @property
    def looks_white(self) -> bool:
        return self.mean >= 200 and self.spread <= 25 and self.tint <= 30


@dataclass
class Fix:
    crop: tuple[int, int] | None = None  # target (w, h) after cropping, if a crop is needed
    resize: tuple[int, int] | None = None  # final (w, h) if the image must be scaled as well
    quality: int | None = None  # JPEG quality that fits the size limits
    size_bytes: int | None = None  # resulting file size at that quality
    data: bytes | None = None  # the fixed JPEG (for the CLI's --fix)
    notes: list[str] = field(default_factory=list)


@dataclass
class PhotoReport:
    size_bytes: int
    format: str | None = None  # from the content; None when not an image at all
    width: int | None = None  # as stored in the file
    height: int | None = None
    shown: tuple[int, int] | None = None  # after the EXIF orientation, if it differs
    checks: list[Check] = field(default_factory=list)
    error: str | None = None  # why the file could not be checked at all
    notes: list[str] = field(default_factory=list)
    background: Background | None = None
    fix: Fix | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.ok for c in self.checks)


def check_photo(data: bytes, *, make_fix: bool = True) -> PhotoReport:
    """Check `data` against the platform's rules. Never raises on bad input."""
    report = PhotoReport(size_bytes=len(data))
    if not data:
        report.error = "收到的文件是空的（0 字节），请重新发送照片。"
        return report
    known = _sniff(data)
    try:
        with warnings.catch_warnings():
            # Pillow warns (not raises) on large images; make that a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        report.error = _bomb_message(None)
        return report
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        log.info("photo: not an image (%s bytes): %s", len(data), exc)
        if known:
            report.format = known
            report.error = f"这是{known}，不是 JPG 照片。请导出或另存为 JPG 格式后再发送。"
        elif len(data) < 100:
            report.error = f"文件只有 {len(data)} 字节，不是有效的图片，请重新发送。"
        else:
            report.error = "无法识别为图片：文件可能已损坏或不是图片格式。请重新导出 JPG 照片后再发送。"
        return report

    with img:
        report.format = _FORMAT_NAMES.get(img.format or "", img.format or "未知")
        report.width, report.height = img.size
        w, h = img.size
        if w * h > MAX_PIXELS:
            report.error = _bomb_message((w, h))
            return report
        frames = getattr(img, "n_frames", 1) if getattr(img, "is_animated", False) else 1
        if img.format in ("JPEG", "MPO") and w * h > DRAFT_PIXELS:
            # Decode big JPEGs at 1/2–1/8 scale (the decoder still reads the whole stream, so
            # corruption is still caught); the rules only need the header's size.
            r = DRAFT_SIDE / min(w, h)
            img.draft(None, (int(w * r) + 1, int(h * r) + 1))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            report.error = _bomb_message((w, h))
            return report
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            log.info("photo: decode failed for %sx%s %s: %s", w, h, img.format, exc)
            report.error = (f"文件头显示是 {report.format} 图片（{w}×{h} 像素），但内容已损坏或不完整，"
                            "无法打开。请重新导出照片后再发送。")
            return report

        _describe(report, img, frames)
        report.checks = _checks(report)
        n = report.size_bytes
        if 30 * 1000 < n <= MIN_BYTES or MAX_BYTES <= n < 1024 * 1024:
            report.notes.append(
                f"文件为 {n} 字节，正好落在「K/M 按 1000 还是 1024 计」两种算法之间；平台口径不明，"
                "这里按严格的算法判断（大于 30×1024 字节、小于 1000×1000 字节），另存时请留些余量。")
        if report.shown:
            shown_checks = _checks(report, size=report.shown)
            changed = [c for c, s in zip(report.checks, shown_checks, strict=True) if c.ok != s.ok]
            if changed:
                names = "、".join(c.label for c in changed)
                report.notes.append(
                    f"注意：照片带方向标记，文件里存的是 {w}×{h}，手机和浏览器显示为"
                    f" {report.shown[0]}×{report.shown[1]}，两种读法的{names}结论不同，平台可能按任一种判断。"
                    "请把照片转正后重新另存（去掉方向标记），使两者一致。")
                for c in report.checks:
                    if c in changed:
                        c.ok = False
        try:  # advice and fixes are extras: an odd pixel format must not cost the verdicts
            shown_img = _upright(img)
            report.background = _background(shown_img)
            if make_fix and not report.ok:
                report.fix = _make_fix(report, shown_img)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("photo: no background/fix for %s %s: %s", report.format, img.mode, exc)
            report.notes.append(f"这张图的色彩格式（{img.mode}）无法自动分析背景和给出修改方案，请另存为普通 JPG 后再发。")
    return report


def _bomb_message(size: tuple[int, int] | None) -> str:
    dims = f"（{size[0]}×{size[1]} 像素）" if size else ""
    return (f"图片尺寸过大{dims}，超出证件照的合理范围，为安全起见未打开。"
            "证件照一般几百像素宽即可，请缩小后另存为 JPG 再发送。")


def _sniff(data: bytes) -> str | None:
    for magic, offset, name in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            return name
    return None


def _describe(report: PhotoReport, img: Image.Image, frames: int) -> None:
    """Facts worth telling beyond the four rules: animation, colour mode, orientation."""
    if frames > 1:
        report.notes.append(f"这是一个动图（{report.format}，{frames} 帧），平台需要静态 JPG 照片。")
    elif img.format == "MPO":
        report.notes.append("文件是手机相机的多图 JPEG（MPO），平台按普通 JPG 读取第一张。")
    if img.mode == "CMYK":
        report.notes.append("照片是 CMYK 印刷色彩模式：部分网站和证书系统读不出或颜色失真，建议转为 RGB 后另存。")
    orientation = img.getexif().get(0x0112, 1) if img.format in ("JPEG", "MPO", "WEBP", "PNG", "TIFF") else 1
    if orientation in (5, 6, 7, 8):
        report.shown = (report.height or 0, report.width or 0)
    elif orientation not in (1, None):
        report.notes.append("照片带有翻转/旋转标记，显示效果可能与文件不同，建议转正后另存。")


def _checks(report: PhotoReport, size: tuple[int, int] | None = None) -> list[Check]:
    w, h = size or (report.width or 0, report.height or 0)
    n = report.size_bytes
    return rule_checks(report.format or "未知", report.format or "未知", n, f"{n / KB:.1f} KB", (w, h))


def rule_checks(fmt: str | None, fmt_shown: str, n_bytes: float | None, size_shown: str,
                pixels: tuple[int, int] | None) -> list[Check]:
    """The platform's rules, one Check each, for the values known (None: not checked): a file
    measured here and a photo described in words are held to the same rules."""
    out = []
    if fmt is not None:
        out.append(Check("format", "格式", fmt == "JPEG", fmt_shown, "JPG 或 JPEG"))
    if n_bytes is not None:
        out.append(Check("size", "文件大小", MIN_BYTES < n_bytes < MAX_BYTES, size_shown, "大于 30K 且小于 1M"))
    if pixels is not None:
        w, h = pixels
        ratio = Fraction(w, h) if h else Fraction(0)
        out.append(Check("pixels", "像素", w > MIN_W and h > MIN_H, f"{w}×{h}", "宽大于 215 且高大于 300"))
        out.append(Check("ratio", "宽高比", RATIO_MIN <= ratio <= RATIO_MAX, f"{float(ratio):.3f}",
                         "0.65–0.8，含两端"))
    return out


def _upright(img: Image.Image) -> Image.Image:
    """The first frame, as displayed (EXIF orientation applied), in RGB."""
    if getattr(img, "is_animated", False):
        img.seek(0)
    shown = img
    if img.getexif().get(0x0112, 1) in range(2, 9):  # transpose (a full copy) only when flagged
        try:
            shown = ImageOps.exif_transpose(img) or img
        except (OSError, ValueError, TypeError):  # a broken EXIF block is not worth failing on
            shown = img
    if shown.mode in ("RGBA", "LA", "P", "PA"):
        base = Image.new("RGB", shown.size, (255, 255, 255))
        rgba = shown.convert("RGBA")
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return shown if shown.mode == "RGB" else shown.convert("RGB")


def _background(img: Image.Image) -> Background:
    """Sample the top strip and the upper two thirds of the side strips (shoulders usually
    reach the bottom and lower sides, so those are not background)."""
    thumb = img.copy()
    thumb.thumbnail((300, 300))
    w, h = thumb.size
    band = max(2, round(min(w, h) * 0.06))
    boxes = [(0, 0, w, band), (0, band, band, max(band + 1, h * 2 // 3)),
             (w - band, band, w, max(band + 1, h * 2 // 3))]
    pixels: list[tuple[int, int, int]] = []
    for box in boxes:
        part = thumb.crop(box)
        # Pillow 13 renamed getdata(); keep working on the older versions pyproject allows.
        flat = getattr(part, "get_flattened_data", None) or part.getdata
        pixels.extend(flat())
    n = len(pixels) or 1
    # ITU-R 601 luma, as Pillow's "L" conversion uses.
    luma = [(299 * r + 587 * g + 114 * b) / 1000 for r, g, b in pixels]
    mean = sum(luma) / n
    spread = (sum((v - mean) ** 2 for v in luma) / n) ** 0.5
    tint = sum(max(p) - min(p) for p in pixels) / n
    return Background(mean=mean, spread=spread, tint=tint)


def _make_fix(report: PhotoReport, img: Image.Image) -> Fix:
    """Crop to the 5:7 ID ratio if needed, then find a JPEG quality that lands inside the
    size limits by actually encoding (scaling only if no quality fits)."""
    fix = Fix()
    # Sizes in the file's own pixels (as displayed); `img` may be a reduced decode of it.
    w, h = report.shown or (report.width or img.width, report.height or img.height)
    k = img.width / w
    ratio = Fraction(w, h)
    work = img
    if not RATIO_MIN <= ratio <= RATIO_MAX:
        if ratio > RATIO_MAX:  # too wide: keep the height, trim both sides
            cw, ch = round(h * TARGET_RATIO), h
            left = (w - cw) // 2
            box = (left, 0, left + cw, h)
        else:  # too tall: keep the width, trim mostly from the bottom (the head is near the top)
            cw, ch = w, round(w / TARGET_RATIO)
            top = (h - ch) // 4
            box = (0, top, w, top + ch)
        if cw <= MIN_W or ch <= MIN_H:  # the crop itself would break the pixel rule: no crop to offer
            fix.notes.append(f"按证件照比例裁剪后只剩 {cw}×{ch} 像素，达不到「大于215×300」，"
                             "请重新拍摄或扫描（2寸照一般为 413×579 像素）。")
            return fix
        fix.crop = (cw, ch)
        work = img.crop(tuple(round(v * k) for v in box))
    if k < 1:  # only a reduced decode exists: the fix is necessarily a smaller image
        target = min(FIX_HEIGHT, work.height)
        work = work.resize((round(work.width * target / work.height), target), Image.Resampling.LANCZOS)
        fix.resize = work.size
    if work.width <= MIN_W or work.height <= MIN_H:
        fix.notes.append(f"照片像素太小（{work.width}×{work.height}），放大会发虚，建议重新拍摄或扫描"
                         "（2寸照一般为 413×579 像素）。")
        return fix
    if work.height > BIG_HEIGHT:
        # Large photos: one encode at the full size may already fit; otherwise shrink to an
        # ID-photo size before searching, which keeps the whole check well inside WeChat's 5 s.
        data = _encode(work, 90)
        if FIT_MIN_BYTES <= len(data) <= FIT_MAX_BYTES:
            fix.quality, fix.data, fix.size_bytes = 90, data, len(data)
            return fix
        work = work.resize((round(work.width * FIX_HEIGHT / work.height), FIX_HEIGHT), Image.Resampling.LANCZOS)
        fix.resize = work.size
    for candidate in _sizes(work):
        found = _fit_quality(candidate)
        if found:
            fix.quality, fix.data = found
            fix.size_bytes = len(fix.data)
            if candidate.size != work.size or fix.resize:
                fix.resize = candidate.size
            return fix
    fix.notes.append("即使以最高质量另存为 JPEG 也落不进 30K–1M：画面过于简单（不像真实照片），请换一张照片。")
    return fix


def _sizes(img: Image.Image) -> list[Image.Image]:
    """The image itself, then smaller copies (file too big), then larger ones (too small)."""
    out = [img]
    w, h = img.size
    scale = 0.75
    while (w * scale) > MIN_W * 1.5 and (h * scale) > MIN_H * 1.5 and len(out) < 8:
        out.append(img.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS))
        scale *= 0.75
    if h < 579:  # a plain, small photo can compress below 30K: offer the 2寸 300 dpi size
        out.append(img.resize((round(579 * w / h), 579), Image.Resampling.LANCZOS))
    return out


def _encode(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    # 4:4:4 at high quality keeps skin edges clean and keeps small files above the floor.
    img.save(buf, "JPEG", quality=quality, optimize=True, subsampling=0 if quality >= 90 else 2)
    return buf.getvalue()


def _fit_quality(img: Image.Image) -> tuple[int, bytes] | None:
    """The highest quality in 60–95 whose file lies within FIT_MIN..FIT_MAX, if any."""
    lo, hi = 60, 95
    best: tuple[int, bytes] | None = None
    top = _encode(img, hi)
    if len(top) <= FIT_MAX_BYTES:
        return (hi, top) if len(top) >= FIT_MIN_BYTES else None
    while lo <= hi:  # size grows with quality: binary search the largest that fits
        mid = (lo + hi) // 2
        data = _encode(img, mid)
        if len(data) <= FIT_MAX_BYTES:
            if len(data) >= FIT_MIN_BYTES:
                best = (mid, data)
            lo = mid + 1
        else:
            hi = mid - 1
    return best


# --- the reply ------------------------------------------------------------------------

def format_report(report: PhotoReport) -> str:
    """The Chinese reply: verdict per rule with numbers, advice, and how to fix."""
    if report.error:
        return f"照片检查：{report.error}\n\n{requirements_text(short=True)}"
    lines = ["照片检查结果：" + ("全部符合 ✅" if report.ok else "有不符合项 ❌")]
    for c in report.checks:
        lines.append(f"{'✅' if c.ok else '❌'} {c.label}：{c.measured}（要求 {c.rule}）")
    if report.shown:
        lines.append(f"（文件存储为 {report.width}×{report.height}，按方向标记显示为 "
                     f"{report.shown[0]}×{report.shown[1]}）")
    lines.extend(report.notes)
    bg = report.background
    if bg:
        verdict = "看起来是浅色均匀背景" if bg.looks_white else "可能不是白色或不够均匀，请确认是白底"
        lines.append(f"背景（建议，不作判定）：边缘平均亮度 {bg.mean:.0f}/255，"
                     f"均匀度（标准差）{bg.spread:.0f}，{verdict}。")
    if report.fix:
        lines.extend(_fix_lines(report))
    rule = PHOTO_CLAUSE.quote.removeprefix("如自己上传照片，应")
    lines.append(f"依据：{PHOTO_SOURCE}「{rule}」")
    return "\n".join(lines)


def _fix_lines(report: PhotoReport) -> list[str]:
    fix = report.fix
    assert fix is not None
    steps: list[str] = []
    if fix.crop:
        cw, ch = fix.crop
        steps.append(f"裁剪为 {cw}×{ch} 像素左右（宽高比 {cw / ch:.3f}），人像居中")
    if fix.resize:
        steps.append(f"缩放到 {fix.resize[0]}×{fix.resize[1]} 像素")
    if fix.quality is not None and fix.size_bytes is not None:
        steps.append(f"另存为 JPEG，质量 {fix.quality}（实测约 {fix.size_bytes / KB:.0f} KB）")
    out = []
    if steps and report.notes and "动图" in report.notes[0]:
        steps.insert(0, "取动图第一帧")
    if steps:
        out.append("修改方法：" + "，再".join(steps) + "。")
        if report.shown:
            out.append("另存前先在相册里把照片转正（旋转后保存）。")
    out.extend(fix.notes)
    return out


_STATED_PIXELS = re.compile(r"(\d{2,5})\s*(?:[x×*＊乘]|[xX])\s*(\d{2,5})(?:\s*(?:像素|px))?")
_STATED_WH = re.compile(r"宽\s*(\d{2,5})\D{0,6}?高\s*(\d{2,5})")
_STATED_BYTES = re.compile(r"(\d+(?:\.\d+)?)\s*(k|kb|m|mb|兆|千字节)(?![a-z])", re.I)
_STATED_FORMAT = re.compile(r"(?<![a-z])(jpe?g|png|bmp|gif|heic|heif|webp|tiff?)(?![a-z])", re.I)


def check_stated(text: str) -> list[Check]:
    """The rules a photo described in words meets («400x600 png 200k»): one check per figure the
    message states (none: it describes no photo). Pixels and ratio need both sides."""
    t = (text or "").replace("，", ",")
    fmt = _STATED_FORMAT.search(t)
    size = _STATED_BYTES.search(t)
    px = _STATED_PIXELS.search(t) or _STATED_WH.search(t)
    n_bytes = None
    if size:
        n_bytes = float(size.group(1)) * (1000 * 1000 if size.group(2).lower() in ("m", "mb", "兆") else KB)
    return rule_checks(fmt.group(1).upper().replace("JPG", "JPEG") if fmt else None, fmt.group(1) if fmt else "",
                       n_bytes, size.group(0) if size else "",
                       (int(px.group(1)), int(px.group(2))) if px else None)


def format_stated(checks: list[Check]) -> str:
    """The reply to a photo described in words: each stated figure against its rule."""
    lines = ["按您说的数值核对：" + ("说到的几项都符合 ✅" if all(c.ok for c in checks) else "有不符合项 ❌")]
    lines += [f"{'✅' if c.ok else '❌'} {c.label}：{c.measured}（要求 {c.rule}）" for c in checks]
    said = {c.key for c in checks}
    missing = [label for key, label in (("format", "格式"), ("size", "文件大小"), ("pixels", "像素")) if key not in said]
    if missing:
        lines.append(f"没说到的：{'、'.join(missing)}，以及白底。")
    ratio = next((c for c in checks if c.key == "ratio" and not c.ok), None)
    px = next((c for c in checks if c.key == "pixels"), None)
    if ratio is not None and px is not None:
        w, h = (int(v) for v in px.measured.split("×"))
        # Keep the longer fit: crop the width of a wide photo, the height of a tall one.
        cw, ch = (int(h * TARGET_RATIO), h) if Fraction(w, h) > RATIO_MAX else (w, int(w / TARGET_RATIO))
        lines.append(f"宽高比不符：人像居中裁剪为 {cw}×{ch} 像素左右（宽高比 {cw / ch:.3f}）即可。")
    if any(c.key == "format" and not c.ok for c in checks):
        lines.append("格式不符：用手机相册或画图工具「另存为」JPG 即可。")
    lines.append(f"依据：{PHOTO_SOURCE}「{PHOTO_CLAUSE.quote.removeprefix('如自己上传照片，应')}」")
    lines.append("把照片直接发给我，可以逐项实测（并给出修改方法）。")
    return "\n".join(lines)


def requirements_text(short: bool = False) -> str:
    """What the platform requires, in the notice's words."""
    if short:
        return ("平台要求：JPG/JPEG 格式，文件大于30K且小于1M，大于215×300（宽×高）像素，"
                "宽高比 0.65–0.8（含），白底证件照。")
    return (
        "证件照要求（各通知相同）：\n"
        f"「{PHOTO_CLAUSE.quote}」\n"
        f"——{PHOTO_SOURCE}\n"
        "即：① JPG 或 JPEG 格式；② 文件大于 30K 且小于 1M；③ 宽大于 215、高大于 300 像素；"
        "④ 宽÷高在 0.65 到 0.8 之间（含两端）；⑤ 白底。"
    )
