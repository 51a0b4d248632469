"""The one line on stderr after a command that succeeded, and the bounded diff `--check` prints when
OUT is stale: a build that passes is never silent, and a stale tree shows what changed."""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path
from typing import Optional

from omegen.errors import Severity

MAX_DIFF_LINES = 200  # of --check's diff; the rest is counted
_KINDS_SHOWN = 4


def summary_line(build, *, out: Optional[Path] = None, verb: str = "") -> str:
    """`omegen: 7 services → 27 objects (5 Deployment, 2 LeaderWorkerSet, …) in rendered/ (3 changed); 0 errors, 2 warnings`"""
    services = {r.service for r in build.objects if r.service}
    kinds = Counter(r.kind for r in build.objects)
    ordered = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{n} {kind}" for kind, n in ordered[:_KINDS_SHOWN]) + (", …" if len(ordered) > _KINDS_SHOWN else "")
    text = f"omegen: {_count(len(services), 'service')} → {_count(len(build.objects), 'object')}"
    if shown:
        text += f" ({shown})"
    if verb:
        text += f" {verb}"
    if out is not None:
        text += f" in {out.as_posix().rstrip('/')}/"
        changes = build.changes
        if changes is not None:
            changed = len(changes.write) + len(changes.remove)
            text += " (up to date)" if not changed else f" ({changed} changed)"
    errors = sum(d.severity is Severity.ERROR for d in build.diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in build.diagnostics)
    return f"{text}; {_count(errors, 'error')}, {_count(warnings, 'warning')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def check_diff(out: Path, build) -> str:
    """The unified diff from OUT as it is to what the build would write, at most MAX_DIFF_LINES lines."""
    changes = build.changes
    if changes is None:
        return ""
    planned = changes.texts  # what the build would write (a slice's kustomization lists the other slices' files too)
    lines: list[str] = []
    for rel in sorted(set(changes.write) | set(changes.remove)):
        path = out / rel
        old = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.is_file() else []
        new = planned.get(rel, "").splitlines(keepends=True)
        lines.extend(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}" if rel in planned else "/dev/null"))
    lines = [line if line.endswith("\n") else line + "\n" for line in lines]
    if len(lines) > MAX_DIFF_LINES:
        rest = len(lines) - MAX_DIFF_LINES
        lines = lines[:MAX_DIFF_LINES] + [f"… {rest} more diff lines; run omegen build -o {out} to update\n"]
    return "".join(lines)
