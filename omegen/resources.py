"""Where the files that ship with omegen live: the installed package, or the source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`runtimes`, `models` or `schemas`: inside the wheel under `omegen/_data/`, else the repo root."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
