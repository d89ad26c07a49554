"""Logging set-up: one format, and values that cannot forge log lines.

A value logged with `%s` (a MediaId, a question, an exception message) may carry a newline
and so start what looks like a log line of its own. The filter below escapes control
characters in every argument of every record; tracebacks are added by the formatter after
it, so they keep their lines.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]")
NOISY = ("jieba", "chromadb", "httpx", "urllib3", "alembic")


def escape(value: str) -> str:
    """Control characters as their escapes: a newline becomes the two characters \\n."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def _clean(arg: object) -> object:
    if isinstance(arg, int | float | bool) or arg is None:
        return arg
    text = str(arg)
    return escape(text) if _CONTROL.search(text) else arg


class EscapeControlChars(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        if not record.args and isinstance(record.msg, str) and _CONTROL.search(record.msg):
            record.msg = escape(record.msg)  # a pre-formatted message
        return True


def configure(level: str | int) -> None:
    """The root handler for every process (CLI, serve, gunicorn workers, the scheduler)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, EscapeControlChars) for f in handler.filters):
            handler.addFilter(EscapeControlChars())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
