"""Where a YAML syntax error is, and how it is worded: the parser's marks moved to the mistake.

PyYAML reports many mistakes where it noticed them, not where they were made: an unclosed quote or
bracket at the end of the file or at the next key, a missing `:` one line late. These functions take
the parser's marks (anything with 0-based `line` and `column`) and the source text and return the
1-based position and message a person should see. No `yaml` import: `yamlio` reads the exception.
"""

from __future__ import annotations

from typing import Any, Optional


def locate(text: str, problem_mark: Any, context_mark: Any, problem: Optional[str], context: Optional[str]) -> tuple[int, int, str]:
    """(line, column, message) of a marked YAML error."""
    mark = problem_mark or context_mark
    if context_mark and _at_end(text, mark):
        # "found unexpected end of stream (while scanning a quoted scalar)": the mistake is
        # where the unclosed quote or bracket opened, not at the end of the file.
        mark = context_mark
    elif context_mark and mark and "flow" in (context or "") and mark.line > context_mark.line:
        # An unclosed `[` or `{` is found lines later, at the next key: point where it opened.
        mark = context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    message = problem or context or "invalid YAML"
    if context and problem:
        message = f"{problem} ({context})"
    if mark is not None and (problem or "").startswith("mapping values are not allowed"):
        line, column, message = _misplaced_colon(text, line, column, message)
    return line, column, message


def position(text: str, offset: int, byte_offsets: bool) -> tuple[int, int]:
    """1-based line and column of a reader error's offset: libyaml counts UTF-8 bytes
    (`byte_offsets`), PyYAML characters."""
    if byte_offsets:
        offset = len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace"))
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _misplaced_colon(text: str, line: int, column: int, problem: str) -> tuple[int, int, str]:
    """PyYAML finds a missing `:` one line late (`b 1` then `c: 2` reads as the scalar `b 1 c`) and
    a bad indentation at its colon: point at the line that is wrong, at its first character."""
    lines = text.split("\n")
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    previous = line - 1
    while previous > 0 and not lines[previous - 1].strip():
        previous -= 1
    above = lines[previous - 1] if previous > 0 else ""
    indent = len(here) - len(here.lstrip(" "))
    above_indent = len(above) - len(above.lstrip(" "))
    if previous > 0 and above.strip() and ":" not in above and not above.lstrip().startswith(("-", "#")) and above_indent == indent:
        return previous, above_indent + 1, f"missing ':' after the key on this line? ({problem})"
    if indent > above_indent and ":" in above and not above.rstrip().endswith(":"):
        return line, indent + 1, f"bad indentation: this line is indented more than the key above it ({problem})"
    return line, column, problem


def _at_end(text: str, mark: Any) -> bool:
    """Whether a mark lies past the last non-blank character (the parser ran into the end)."""
    lines = text.rstrip().split("\n")
    return (mark.line + 1, mark.column) >= (len(lines), len(lines[-1]))
