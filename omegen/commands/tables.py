"""Tables a person reads (`runtimes`, `models`, `explain`) at the width they fit.

The width is decided here, once: `--wide` or stdout that is not a terminal means no limit (a file or
a pipe gets every character: cutting what a script greps would hide things in silence), unless
`COLUMNS` is set, which is honoured everywhere; on a terminal it is the terminal's width. A table
wider than that narrows the widest of the columns it names as flexible (elided ones first), none below its header or
`MIN_COLUMN` (names and sizes keep their width: a cut name is no name); a cell that no longer fits
is wrapped onto more lines (`wrap`: lists and reasons) or elided with `…` (`elide`: paths). A table
that cannot fit even so is printed as narrow as it goes. `--format json` is never shortened.
"""

from __future__ import annotations

import os
import shutil
import sys
import re
from typing import Iterable, Optional, Sequence

from omegen.errors import escape_controls

MIN_COLUMN = 10
GAP = "  "


def width(wide: bool = False, stream=None) -> Optional[int]:
    """The width a table must fit, or None for no limit."""
    if wide:
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = sys.stdout if stream is None else stream
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError, OSError):
        terminal = False
    return shutil.get_terminal_size().columns if terminal else None


def fit(rows: Sequence[Sequence[str]], limit: Optional[int], wrap: Iterable[int] = (), elide: Iterable[int] = (), indent: str = "") -> list[str]:
    """`rows` (the header first) as aligned lines no wider than `limit` where the columns allow it.
    `wrap` and `elide`: the flexible columns (by index), whose cells continue on the next lines or
    are cut with `…`; every other column keeps its full width."""
    rows = [tuple(escape_controls(str(cell)) for cell in row) for row in rows]
    if not rows:
        return []
    count = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    wrapped, flexible = set(wrap), set(wrap) | set(elide)
    if limit is not None:
        # A wrapped column's header may wrap between its words; an elided one keeps its header whole.
        header = [max(len(w.rstrip()) for w in _BREAK.split(h)) if i in wrapped else len(h) for i, h in enumerate(rows[0])]
        minimum = [min(widths[i], max(header[i], MIN_COLUMN)) if i in flexible else widths[i] for i in range(count)]
        # Elided columns give way first: a wrapped cell loses nothing, an elided one does, but a
        # reason wrapped into a column of ten is worse than a kind cut to "ClusterSe…".
        for group in (set(elide) - wrapped, wrapped):
            widths = _shrunk(widths, [minimum[i] if i in group else widths[i] for i in range(count)], limit - len(indent))
    lines = []
    for row in rows:
        cells = [_cell(cell, widths[i], i in wrapped) for i, cell in enumerate(row)]
        for depth in range(max(len(c) for c in cells)):
            parts = [(c[depth] if depth < len(c) else "").ljust(widths[i]) for i, c in enumerate(cells)]
            lines.append((indent + GAP.join(parts)).rstrip())
    return lines


def _shrunk(widths: list[int], minimum: list[int], limit: int) -> list[int]:
    """Narrow the widest column (never below its minimum) until the row fits `limit`, or cannot."""
    widths = list(widths)
    while sum(widths) + len(GAP) * (len(widths) - 1) > limit:
        shrinkable = [i for i in range(len(widths)) if widths[i] > minimum[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: (widths[i], i))
        widths[widest] -= 1
    return widths


def _cell(text: str, width: int, wrap: bool) -> list[str]:
    if len(text) <= width:
        return [text]
    if wrap:
        return _wrapped(text, width)
    return [text[: width - 1] + "…"]


_BREAK = re.compile(r"(?<=[\s/,:])")  # after a space, a slash, a comma or a colon: where a list may be broken


def _wrapped(text: str, width: int) -> list[str]:
    """Lines of at most `width`, broken after spaces, slashes, commas and colons (inside a word only when
    the word alone is too long)."""
    lines, line = [], ""
    for piece in _BREAK.split(text):
        while len(piece.rstrip()) > width:  # a word longer than the column: cut it
            if line:
                lines.append(line.rstrip())
                line = ""
            lines.append(piece[:width])
            piece = piece[width:]
        if len((line + piece).rstrip()) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines
