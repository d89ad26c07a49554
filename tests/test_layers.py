"""The house's layers: `knowledge/` (what the bot knows) imports nothing from the layers that use
it — `handlers/` (the dialogs) and `bot/` (the service) — so it can be tested and reused alone."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _above(module: str) -> bool:
    # bot.settings is the project's one configuration object, read by every layer.
    return module.split(".")[0] in ("bot", "handlers") and module != "bot.settings"


def test_knowledge_imports_no_layer_above_it() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if _above(m))
                 for p in (ROOT / "knowledge").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}
