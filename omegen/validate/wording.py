"""Diagnostics about output objects: `Deployment team-a/llama-engine: <field path>: <what is wrong>`.

A finding in an emitted object is reported at the InferenceService it was rendered for
(`Rendered.sources[0]`); when the field lies in a pod template, whose containers come from the
serving runtime, the message also names the runtime's source (`Rendered.sources[1]`).
"""

from __future__ import annotations

import re
from typing import Any

from omegen.api import Rendered
from omegen.errors import Diagnostic, ObjectRef, Severity
from omegen.kube.podtemplates import POD_TEMPLATE_PATHS
from omegen.safeget import as_dict

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_$-]+$")


def format_output_path(path) -> str:
    """`("spec", "containers", 0, "ports")` → `spec.containers[0].ports`; keys with dots or slashes
    (label keys) in brackets, as Kubernetes prints them: `metadata.labels[app.kubernetes.io/name]`.
    For output objects only: source paths stay plainly dotted (`yamlio.format_source_path`), the form their
    position index and `source_paths` prefixes are keyed by."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{part}]"
    return out


def describe(obj: Any) -> str:
    """`Deployment team-a/llama-engine` (namespace omitted when the object has none)."""
    if isinstance(obj, Rendered):
        obj = obj.obj
    if not isinstance(obj, dict):
        return "<not an object>"
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) and obj.get("kind") else "<no kind>"
    meta = as_dict(obj.get("metadata"))
    name = meta.get("name") if isinstance(meta.get("name"), str) and meta.get("name") else "<no name>"
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        return f"{kind} {namespace}/{_join_lines(name)}"
    return f"{kind} {_join_lines(name)}"


def in_pod_template(kind: str, path) -> bool:
    path = tuple(path)
    return any(path[: len(prefix)] == prefix for prefix in POD_TEMPLATE_PATHS.get(kind, ()))


def runtime_source(rendered: Rendered) -> str:
    """`runtimes/x.yaml:12`, or "" when the object was not made from a runtime."""
    if len(rendered.sources) < 2:
        return ""
    origin = rendered.sources[1]
    return f"{origin.file}:{origin.line}" if origin.line else origin.file


def _written_at(rendered: Rendered, path: tuple) -> str:
    """` (from runtime runtimes/x.yaml:12)`: the source line that wrote a pod field, when known."""
    origin = rendered.locate(rendered.obj, path) if rendered.locate else None
    if origin is None:
        source = runtime_source(rendered)
        return f" (from runtime {source})" if source else ""
    service_file = rendered.sources[0].file if rendered.sources else None
    what = "service" if origin.file == service_file else "runtime"
    return f" (from {what} {origin.file}:{origin.line}, {origin.field})"


def _patched_by(rendered: Rendered, path: tuple) -> str:
    """` (changed by the overlay patch at omegen.yaml:9 (patches[0]))` when an output patch set
    this field or one that holds it."""
    origins = sorted({f"{o.file}:{o.line} ({o.field})" for at, o in rendered.patched if path[: len(at)] == at or at[: len(path)] == path and path})
    return f" (changed by the overlay patch at {', '.join(origins)})" if origins else ""


def object_diagnostic(
    code: str, rendered: Rendered, path, what: str, severity: Severity = Severity.ERROR
) -> Diagnostic:
    """One line: object, field path, problem (+ runtime source for pod-template fields), located at
    the InferenceService's file and line."""
    field = format_output_path(path)
    message = f"{describe(rendered)}: {field}: {what}" if field else f"{describe(rendered)}: {what}"
    kind = rendered.obj.get("kind", "") if isinstance(rendered.obj, dict) else ""
    if field and in_pod_template(kind, path):
        message += _written_at(rendered, tuple(path))
    message += _patched_by(rendered, tuple(path or ()))
    where = rendered.sources[0] if rendered.sources else None
    return Diagnostic(
        code,
        severity,
        _join_lines(message),
        where.file if where else "",
        where.line if where else 0,
        where.column if where else 0,
        field,
        ObjectRef.of(rendered.obj),
    )


def _join_lines(text: str) -> str:
    # Part of the message (a name, a library's text), so lines become spaces; errors.escape_controls
    # is the printer's lossless escape of whatever control characters reach a line of output.
    return " ".join(str(text).splitlines()) if ("\n" in str(text) or "\r" in str(text)) else str(text)
