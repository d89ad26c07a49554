"""YAML front matter of notice files: a `---` block at the very top, then the Markdown body.

Shared by the notice tests and the ingestion code, so both read notices the same way.
"""

from __future__ import annotations

from typing import Any

import yaml

_DELIMITER = "---"


def parse(text: str) -> tuple[dict[str, Any], str]:
    """Split `text` into (front matter mapping, body). Raises ValueError naming what is wrong."""
    text = text.lstrip("\ufeff")  # a BOM from Windows editors must not hide the opening line
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _DELIMITER:
        raise ValueError("缺少 YAML 头信息：文件第一行必须是 '---'")
    for end in range(1, len(lines)):
        if lines[end].strip() == _DELIMITER:
            break
    else:
        raise ValueError("YAML 头信息没有结束：找不到第二个 '---'")
    raw = "".join(lines[1:end])
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ValueError(f"YAML 头信息格式错误：{exc}") from exc
    if meta is None:
        raise ValueError("YAML 头信息为空")
    if not isinstance(meta, dict):
        raise ValueError(f"YAML 头信息必须是键值映射，实际是 {type(meta).__name__}")
    body = "".join(lines[end + 1 :]).lstrip("\n")
    return meta, body
