"""`omegen runtimes`: every runtime the build would see, as a table."""

from __future__ import annotations

from omegen.api import Runtime, Sources
from omegen.errors import escape_controls
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
    keys = [c.lower().replace("/", "_") for c in _COLUMNS]
    return [dict(zip(keys, row)) for row in runtime_rows(sources)]


def runtime_table(sources: Sources) -> str:
    header = _COLUMNS
    rows = [header] + runtime_rows(sources)
    rows = [tuple(escape_controls(cell) for cell in row) for row in rows]  # a newline in a value must not break the table
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n" for row in rows)
