"""Where a source object and its fields are written: `Origin` (file, line, column), `FieldOrigin`
(a field of an object, and the object), and how a normalized field path is traced back to the
position of what the user wrote (`api`'s source objects use these for `where(path)`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from omegen.errors import ObjectRef


@dataclass(frozen=True, order=True)
class Origin:
    """Where a source object (or one of its fields) was written. `file` is relative to SRC;
    built-in catalog files are `<builtin>/runtimes/<file>`."""

    file: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True, order=True)
class FieldOrigin:
    """A field of a source object: where it is written and which object it belongs to."""

    file: str
    line: int
    column: int
    field: str
    subject: Optional[ObjectRef] = field(default=None, compare=False)


def to_source_path(source_paths: Mapping, field_path: str) -> str:
    """A normalized field path as the user wrote it: the longest `source_paths` prefix replaced
    (`engine.runner.args[2]` → `spec.containers[0].args[2]` in a seed runtime)."""
    best = ""
    for prefix in source_paths:
        if (field_path == prefix or field_path.startswith(prefix + ".") or field_path.startswith(prefix + "[")) and len(
            prefix
        ) > len(best):
            best = prefix
    return source_paths[best] + field_path[len(best) :] if best else field_path


def nearest_mark(marks: Mapping, field_path: str, origin: Origin) -> tuple[int, int]:
    """The position of a source field, or of its nearest ancestor that is written, else the object's."""
    path = field_path
    while path:
        if path in marks:
            return marks[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return (origin.line, origin.column)
