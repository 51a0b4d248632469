"""ARCHITECTURE.md stays true to the tree: every module of the package is named in it by its path
inside the package (`load/sources.py`, `pipeline.py`), and every module a table row names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "omegen"
DOC = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _modules() -> list[str]:
    return sorted(
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" or p.parent == PACKAGE
    )


def _named_in_tables() -> set[str]:
    """The `x.py` / `pkg/x.py` paths in the first column of the module tables."""
    named = set()
    for line in DOC.splitlines():
        cells = line.split("|")
        if line.startswith("| `") and len(cells) > 2:
            named.update(re.findall(r"`([a-z_]+(?:/[a-z_]+)?\.py)`", cells[1]))
    return named


def test_every_module_is_named():
    missing = [m for m in _modules() if f"`{m}`" not in DOC and f"`omegen/{m}`" not in DOC]
    assert missing == [], f"modules ARCHITECTURE.md does not name: {missing}"


def test_every_module_a_row_names_exists():
    named = _named_in_tables()
    assert named, "no module table found in ARCHITECTURE.md"
    stale = sorted(m for m in named if not (PACKAGE / m).is_file())
    assert stale == [], f"ARCHITECTURE.md rows for modules that do not exist: {stale}"
