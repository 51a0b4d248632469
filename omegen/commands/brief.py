"""The diagnostics a person reads: brief by default, complete on demand (-v, --format json).

Brief means: errors and warnings (infos with -v; errors only with -q); a consequence left out when an
error is reported at its cause (the cause is the whole story); a code repeated more than
`COLLAPSE_AFTER` times as one line with the count and the first locations; no line over `MAX_LINE`
characters. The JSON report is never shortened: tools get everything. With `colour` (a terminal,
commands/shared.colour decides) the severity label is coloured; nothing else changes.
"""

from __future__ import annotations

from typing import Iterable

import click

from omegen.errors import Diagnostic, Severity, escape_controls, sort_diagnostics
from omegen.pipeline import SILENCED

MAX_LINE = 500
COLLAPSE_AFTER = 3  # a code seen more often than this is one line
_LOCATIONS = 3  # of a collapsed code, besides its first


def shown(diagnostics: Iterable[Diagnostic], *, verbose: bool = False, quiet: bool = False, silenced: bool = False) -> list[Diagnostic]:
    """The diagnostics a report shows, in report order (nothing collapsed yet). `silenced`: also the
    warnings omegen.yaml silenced (kept as infos), as `omegen explain` shows them."""
    ordered = sort_diagnostics(diagnostics)
    if verbose and not quiet:
        return ordered
    ordered = [
        d
        for d in ordered
        if d.severity is Severity.ERROR
        or (d.severity is Severity.WARNING and not quiet)
        or (silenced and not quiet and d.message.endswith(SILENCED))
    ]
    if verbose:
        return ordered
    reported = {d.file for d in ordered if d.severity is Severity.ERROR and not d.cause}
    return [d for d in ordered if not (d.cause and _file_of(d.cause) in reported)]


def text_lines(
    diagnostics: Iterable[Diagnostic], *, verbose: bool = False, quiet: bool = False, silenced: bool = False, colour: bool = False
) -> list[str]:
    """The text report, one line per finding (collapsed and bounded unless `verbose`)."""
    kept = shown(diagnostics, verbose=verbose, quiet=quiet, silenced=silenced)
    paint = painted if colour else (lambda d, line: line)
    if verbose:
        return [paint(d, d.as_text()) for d in kept]
    by_code: dict[tuple, list[Diagnostic]] = {}
    for d in kept:
        by_code.setdefault((d.severity, d.code), []).append(d)
    lines, done = [], set()
    for d in kept:
        group = by_code[(d.severity, d.code)]
        if len(group) <= COLLAPSE_AFTER or d.severity is Severity.ERROR:
            lines.append(paint(d, bounded(d.as_text())))
        elif (d.severity, d.code) not in done:
            done.add((d.severity, d.code))
            lines.append(paint(d, collapsed(group)))
    return lines


_STYLE = {Severity.ERROR: {"fg": "red", "bold": True}, Severity.WARNING: {"fg": "yellow", "bold": True}, Severity.INFO: {"fg": "cyan"}}


def painted(d: Diagnostic, line: str) -> str:
    """`line` (which starts as `d.as_text()` does) with its `error[code]` label coloured."""
    head, label = f"{d.location()}: ", f"{d.severity.label}[{d.code}]"
    if not line.startswith(head + label):
        return line
    return head + click.style(label, **_STYLE[d.severity]) + line[len(head) + len(label) :]


def collapsed(group: list[Diagnostic]) -> str:
    """The first of a repeated code, its headline alone (the notes are -v's), then the count."""
    first, rest = group[0], group[1:]
    places = ", ".join(_place(d) for d in rest[:_LOCATIONS]) + (", …" if len(rest) > _LOCATIONS else "")
    suffix = f" [and {len(rest)} more {first.severity.label}s like it: {places}; -v lists them all]"
    return bounded(first.as_text().split("\n", 1)[0], reserve=len(suffix)) + suffix


def bounded(text: str, reserve: int = 0) -> str:
    """Every line of `text` (a diagnostic and its notes) at most MAX_LINE characters (the first
    `reserve` fewer, for what follows it)."""
    lines = text.split("\n")
    limits = [MAX_LINE - reserve] + [MAX_LINE] * (len(lines) - 1)
    return "\n".join(line if len(line) <= limit else line[: limit - 1] + "…" for line, limit in zip(lines, limits))


def _place(d: Diagnostic) -> str:
    where = escape_controls(d.file) or "<omegen>"
    return f"{where}:{d.line}" if d.line else where


def _file_of(cause: str) -> str:
    head, _, tail = cause.rpartition(":")
    return head if head and tail.isdigit() else cause
