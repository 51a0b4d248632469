"""A source tree that exists only in memory (a KRM function's items): written to a private
temporary directory for the length of one build, so every loader reads it exactly as it reads a
directory, and every diagnostic names the item's own path."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path, PurePosixPath
from typing import Iterator, Mapping


def safe_relative(path: str) -> bool:
    """A path that stays inside the tree: relative, no `..`, no empty parts."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path and pure.suffix in (".yaml", ".yml")


@contextlib.contextmanager
def materialize(files: Mapping[str, str]) -> Iterator[Path]:
    """`files`: relative path → text (every path `safe_relative`)."""
    with tempfile.TemporaryDirectory(prefix="omegen-items-") as tmp:
        root = Path(tmp)
        for rel, text in sorted(files.items()):
            if not safe_relative(rel):
                raise ValueError(f"unsafe path for an in-memory source: {rel!r}")
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield root
