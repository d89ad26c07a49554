"""Logged values cannot forge log lines: control characters in arguments are escaped."""

from __future__ import annotations

import io
import logging

from bot.logs import EscapeControlChars


def _logged(fmt: str, *args: object, exc: bool = False) -> str:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(EscapeControlChars())
    log = logging.getLogger("test-logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        if exc:
            try:
                raise ValueError("boom")
            except ValueError:
                log.exception(fmt, *args)
        else:
            log.warning(fmt, *args)
    finally:
        log.removeHandler(handler)
    return out.getvalue()


def test_a_newline_in_a_value_stays_on_its_line() -> None:
    text = _logged("photo: media download failed for %s", "m1\n2030-01-01 00:00:00 INFO forged\r\x1b[2J")
    assert text.count("\n") == 1
    assert "m1\\n2030-01-01 00:00:00 INFO forged\\r\\x1b[2J" in text


def test_numbers_and_tracebacks_are_untouched() -> None:
    assert _logged("%d messages, %.1f s", 3, 1.5).strip() == "WARNING 3 messages, 1.5 s"
    text = _logged("failed for %s", "a\nb", exc=True)
    assert "failed for a\\nb" in text and "Traceback" in text and "ValueError: boom" in text
    assert text.count("\n") > 2  # the traceback keeps its lines
