"""Diagnostics: the one way every stage reports a problem.

A stage never prints and never raises for a problem in the user's sources; it returns
`Diagnostic`s. Only the CLI turns them into text and exit codes.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Optional


class Severity(enum.IntEnum):
    # Lower value sorts first: errors lead the report.
    ERROR = 0
    WARNING = 1
    INFO = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class ObjectRef:
    """The object a diagnostic is about: a source object (`ClusterServingRuntime vllm`) or an output
    one (`Deployment team-a/llama-engine`). `namespace` is "" for a cluster-scoped object,
    `api_version` "" when not known. (A KRM function's `results[].resourceRef`.)"""

    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""

    @classmethod
    def of(cls, obj) -> Optional["ObjectRef"]:
        """The object a mapping is, as written (a source document or an output object; namespace ""
        when it has none), or None when it has no kind and name to name it by."""
        if not isinstance(obj, dict):
            return None
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        kind, name, namespace, api_version = obj.get("kind"), meta.get("name"), meta.get("namespace"), obj.get("apiVersion")
        if not (isinstance(kind, str) and kind and isinstance(name, str) and name):
            return None
        return cls(kind, name, namespace if isinstance(namespace, str) else "", api_version if isinstance(api_version, str) else "")

    def as_dict(self) -> dict:
        out = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name, "namespace": self.namespace}
        return {key: value for key, value in out.items() if value}


@dataclass(frozen=True)
class Diagnostic:
    """One finding, pinned to a place in a source file where there is one, and naming the object it
    is about where that is known (`subject`). Every `code` is in `omegen.codes`."""

    code: str
    severity: Severity
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    field: str = ""
    subject: Optional[ObjectRef] = None
    # Set on a consequence of another finding: where its cause is ("rt.yaml:1"). A brief report
    # leaves it out when an error is reported there (the cause is the whole story); -v keeps it.
    cause: str = ""
    # The details under a one-line headline (`message`), each a short line of its own in the text
    # report (no-runtime's counts, closest runtimes, pointer at explain). One-line forms (a KRM
    # result, GitHub) join them with "; " (`full_message`); JSON lists them as `notes`.
    notes: tuple[str, ...] = ()

    def full_message(self) -> str:
        return "; ".join((self.message, *self.notes))

    def sort_key(self) -> tuple:
        """The report order: errors, warnings, infos; within a severity causes before their
        consequences; then file, line and column."""
        subject = (self.subject,) if self.subject is not None else ()
        return (self.severity, bool(self.cause), self.file, self.line, self.column, self.code, self.message, self.notes, self.field, subject)

    def location(self) -> str:
        """`file:line:col`, as a text line starts (`<omegen>` when the finding has no file)."""
        where = escape_controls(self.file) or "<omegen>"
        return f"{where}:{self.line}:{self.column or 1}" if self.line else where

    def as_text(self) -> str:
        """`file:line:col: error[code]: message`, then each note on a line of its own, indented."""
        head = f"{self.location()}: {self.severity.label}[{self.code}]: {escape_controls(self.message)}"
        return "\n".join((head, *(f"  {escape_controls(note)}" for note in self.notes)))

    def as_github(self) -> str:
        # GitHub Actions workflow command; severities map onto error/warning/notice.
        kind = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}[self.severity]
        props = []
        if self.file:
            props.append(f"file={_gh_escape_property(self.file)}")
        if self.line:
            props.append(f"line={self.line}")
            props.append(f"col={self.column or 1}")
        props.append(f"title={_gh_escape_property(self.code)}")
        # An annotation's message may hold lines (%0A): the notes stay lines of their own.
        return f"::{kind} {','.join(props)}::{_gh_escape_data(chr(10).join((self.message, *self.notes)))}"

    def as_dict(self) -> dict:
        """The JSON form; `subject` only when the diagnostic is about one object."""
        out = {
            "code": self.code,
            "severity": self.severity.label,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
        }
        if self.subject is not None:
            out["subject"] = self.subject.as_dict()
        if self.cause:
            out["cause"] = self.cause
        if self.notes:
            out["notes"] = list(self.notes)
        return out


# Control characters (from a source's keys or values) escaped, so one diagnostic is always one line.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)} | {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def first_few(items, count: int = 3) -> str:
    """`a, b, c and 4 more`: the first `count` of a list a message names, and how many it leaves out."""
    items = list(items)
    return ", ".join(items[:count]) + (f" and {len(items) - count} more" if len(items) > count else "")


def escape_controls(text: str) -> str:
    # Lossless, for printing a diagnostic: validate/wording._join_lines instead joins a library's
    # multi-line message into one sentence of the message itself (JSON output keeps its words).
    return text.translate(_CONTROL)


def _gh_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_escape_property(text: str) -> str:
    return _gh_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error(
    code: str, message: str, file: str = "", line: int = 0, column: int = 0, field: str = "", subject: Optional[ObjectRef] = None, cause: str = ""
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, file, line, column, field, subject, cause)


def warning(
    code: str, message: str, file: str = "", line: int = 0, column: int = 0, field: str = "", subject: Optional[ObjectRef] = None, cause: str = ""
) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, file, line, column, field, subject, cause)


def info(
    code: str, message: str, file: str = "", line: int = 0, column: int = 0, field: str = "", subject: Optional[ObjectRef] = None, cause: str = ""
) -> Diagnostic:
    return Diagnostic(code, Severity.INFO, message, file, line, column, field, subject, cause)


def at(make: Callable[..., Diagnostic], code: str, message: str, where) -> Diagnostic:
    """A diagnostic located at a source field (`api.FieldOrigin`: file, line, column, field and the
    object it belongs to); `make` is `error`, `warning` or `info`."""
    return make(code, message, where.file, where.line, where.column, where.field, getattr(where, "subject", None))


def about(diagnostics: Iterable[Diagnostic], subject: Optional[ObjectRef]) -> list[Diagnostic]:
    """`diagnostics` with `subject` filled in where they name no object yet."""
    if subject is None:
        return list(diagnostics)
    return [d if d.subject is not None else replace(d, subject=subject) for d in diagnostics]


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted and de-duplicated: the same finding reached twice is reported once."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def promote_warnings(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """`--strict`: every warning becomes an error; info stays info."""
    return [replace(d, severity=Severity.ERROR) if d.severity is Severity.WARNING else d for d in diagnostics]


def format_diagnostics(diagnostics: Iterable[Diagnostic], fmt: str) -> str:
    ordered = sort_diagnostics(diagnostics)
    if fmt == "json":
        return json.dumps([d.as_dict() for d in ordered], indent=2) + "\n"
    render = Diagnostic.as_github if fmt == "github" else Diagnostic.as_text
    return "".join(render(d) + "\n" for d in ordered)
