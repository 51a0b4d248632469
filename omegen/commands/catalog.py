"""`omegen runtimes` and `omegen models`: every runtime and model the build would see, as a table
(commands/tables.py fits it to the terminal) or as JSON: a list of objects in the table's order,
keyed by the lower-cased column names, whose values are the cells as the table prints them."""

from __future__ import annotations

from typing import Optional

from omegen.api import Runtime, Sources
from omegen.commands import tables
from omegen.render.shape import component_shape
from omegen.resolve.select import candidate_order


def _shape(runtime: Runtime) -> str:
    """Each component as a service that adds nothing would render it (`render.shape` decides)."""
    parts = []
    for component, config in (("engine", runtime.engine), ("decoder", runtime.decoder), ("router", runtime.router)):
        if config:
            parts.append(f"{component}:{component_shape(component, config).label()}")
    return " ".join(parts) or "-"


def _formats(runtime: Runtime) -> str:
    out = []
    for entry in runtime.formats:
        text = entry.name or "*"
        if entry.version:
            text += f"@{entry.version}"
        if entry.architecture:
            text += f"/{entry.architecture}"
        if entry.quantization:
            text += f"/{entry.quantization}"
        out.append(text)
    return ", ".join(out) or "-"


def _selection(runtime: Runtime) -> str:
    if runtime.disabled:
        return "disabled"
    auto = [e for e in runtime.formats if e.auto_select]
    if not auto:
        return "explicit only"
    priorities = sorted({e.priority for e in auto if e.priority is not None})
    return "auto" + (f" p{','.join(map(str, priorities))}" if priorities else "")


_COLUMNS = ("NAME", "SCOPE", "SOURCE", "FORMATS/ARCHITECTURES", "SIZE", "PROTOCOLS", "SELECTION", "SHAPE")


def runtime_rows(sources: Sources) -> list[tuple[str, ...]]:
    """One row per runtime (the table's cells), in the stable candidate order."""
    rows = []
    for runtime in sorted(sources.runtimes.values(), key=candidate_order):
        scope = f"ns/{runtime.namespace}" if runtime.namespace else "cluster"
        rows.append(
            (
                runtime.name,
                scope,
                "builtin" if runtime.builtin else runtime.origin.file,
                _formats(runtime),
                runtime.size_range.text() if runtime.size_range else "-",
                ",".join(runtime.protocol_versions) or "-",
                _selection(runtime),
                _shape(runtime),
            )
        )
    return rows


def runtime_json(sources: Sources) -> list[dict]:
    """`omegen runtimes --format json`: the table's rows as objects keyed by lower-case column names."""
    return _as_json(_COLUMNS, runtime_rows(sources))


def runtime_table(sources: Sources, limit: Optional[int] = None) -> str:
    # Narrowed on a terminal: the lists wrap, the source path is elided; name, scope and size stay whole.
    return "".join(line + "\n" for line in tables.fit([_COLUMNS] + runtime_rows(sources), limit, wrap=(3, 5, 6, 7), elide=(2,)))


_MODEL_COLUMNS = ("NAME", "SCOPE", "SOURCE", "FORMAT", "ARCHITECTURE", "QUANTIZATION", "SIZE", "STATE")


def model_rows(sources: Sources) -> list[tuple[str, ...]]:
    """One row per model: cluster-scoped first, then by namespace and name."""
    rows = []
    for model in sorted(sources.models.values(), key=lambda m: (m.namespace is not None, m.namespace or "", m.name)):
        fmt = model.format_name or "-"
        if model.format_name and model.format_version:
            fmt += f"@{model.format_version}"
        rows.append(
            (
                model.name,
                f"ns/{model.namespace}" if model.namespace else "cluster",
                "builtin" if model.builtin else model.origin.file,
                fmt,
                model.architecture or "-",
                model.quantization or "-",
                model.size.text if model.size else "-",
                "disabled" if model.disabled else "enabled",
            )
        )
    return rows


def model_json(sources: Sources) -> list[dict]:
    """`omegen models --format json`: the table's rows as objects keyed by lower-case column names."""
    return _as_json(_MODEL_COLUMNS, model_rows(sources))


def model_table(sources: Sources, limit: Optional[int] = None) -> str:
    return "".join(line + "\n" for line in tables.fit([_MODEL_COLUMNS] + model_rows(sources), limit, wrap=(3, 4, 5), elide=(2,)))


def _as_json(columns: tuple, rows: list) -> list[dict]:
    keys = [c.lower().replace("/", "_") for c in columns]
    return [dict(zip(keys, row)) for row in rows]
