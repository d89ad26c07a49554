"""Time and peak memory of the ID-photo check on typical uploads.

    .venv/bin/python benchmarks/photo_check.py

The check runs inside WeChat's 5 s passive-reply window, so the largest phone photos must
be checked (including computing a fix) in well under a second on one core.
"""

from __future__ import annotations

import io
import multiprocessing
import random
import resource
import time

from PIL import Image, ImageChops, ImageDraw

from knowledge.photo import check_photo


def photo(w: int, h: int) -> bytes:
    img = Image.new("RGB", (w, h), (250, 250, 250))
    d = ImageDraw.Draw(img)
    d.ellipse((w * 0.3, h * 0.15, w * 0.7, h * 0.6), fill=(205, 160, 130))
    d.rectangle((w * 0.1, h * 0.68, w * 0.9, h), fill=(30, 40, 90))
    grain = Image.frombytes("L", (w, h), random.Random(1).randbytes(w * h)).point(lambda v: v * 40 // 256)
    buf = io.BytesIO()
    ImageChops.subtract(img, Image.merge("RGB", [grain] * 3)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _run(data: bytes) -> tuple[float, float, str]:
    """In a fresh process; the peak-RSS mark is reset first (Linux clear_refs), so the growth
    measured is this one check's, Pillow's C buffers included."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        before, peak = _status_kb("VmRSS"), lambda: _status_kb("VmHWM")
    except OSError:  # not Linux: the lifetime peak is the best available
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # noqa: E731
    t = time.perf_counter()
    report = check_photo(data)
    elapsed = time.perf_counter() - t
    grown = (peak() - before) / 1024
    fix = report.fix
    verdict = "ok" if report.ok else f"fix crop={fix and fix.crop} resize={fix and fix.resize} q={fix and fix.quality}"
    return elapsed, grown, verdict


def main() -> None:
    cases = [("2寸 413×579, passes", 413, 579), ("WeChat-compressed 1080×1440", 1080, 1440),
             ("12 MP portrait 3000×4000", 3000, 4000), ("12 MP landscape 4000×3000", 4000, 3000),
             ("36 MP 6000×6000", 6000, 6000)]
    print(f"{'case':30} {'file':>8} {'time':>6} {'peak RSS +':>10}  verdict")
    ctx = multiprocessing.get_context("spawn")
    for name, w, h in cases:
        data = photo(w, h)
        with ctx.Pool(1) as pool:
            elapsed, grown, verdict = pool.apply(_run, (data,))
        print(f"{name:30} {len(data) / 1024:6.0f}KB {elapsed:5.2f}s {grown:8.0f}MB  {verdict}")


if __name__ == "__main__":
    main()
