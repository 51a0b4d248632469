"""Runtime validation: the seed's priority constraints, checked across all runtimes.

`check_runtimes` reports, each at the offending field (a priority that is not an integer above 0 is
the input schema's `invalid-field`, in load): a priority on an entry without `autoSelect`
(`priority-ignored`); `autoSelect`
entries of one format with different versions and different priorities (`priority-version-mismatch`;
entries without `autoSelect` are left out, as their priority is ignored anyway); and two
runtimes of one scope that auto-select the same thing with the same priority (`priority-clash`), an
error when some InferenceService's auto-selection cannot choose between them (found with
`omegen.resolve.select`), else a warning. Protocol lists "share a protocol version" for the clash check when
they intersect or either is empty (an empty list accepts every protocol).
"""

from __future__ import annotations

import itertools
from typing import Optional

from omegen.api import FieldOrigin, FormatEntry, InferenceService, Runtime, SizeRange, Sources
from omegen.errors import Diagnostic, at, error, warning
from omegen.resolve.select import candidate_order, tied_at_top
from omegen.resolve.sourcetext import position, runtime_label, short_path
from omegen.resolve.support import size_range
from omegen.resolve.versions import EQUAL


def _priority_where(runtime: Runtime, entry: FormatEntry) -> FieldOrigin:
    return runtime.where(f"{entry.path}.priority" if entry.priority is not None else entry.path)


def _ci(value: Optional[str]) -> Optional[str]:
    return value.casefold() if value is not None else None


def _same_support(a: FormatEntry, b: FormatEntry) -> bool:
    """Two entries that agree on everything selection compares (format name and version,
    modelType, architecture, quantization, framework)."""
    return (
        _ci(a.name) == _ci(b.name)
        and a.version == b.version
        and (a.operator or EQUAL) == (b.operator or EQUAL)
        and _ci(a.model_type) == _ci(b.model_type)
        and a.architecture == b.architecture
        and a.quantization == b.quantization
        and a.framework == b.framework
        and a.framework_version == b.framework_version
        and (a.framework_operator or EQUAL) == (b.framework_operator or EQUAL)
    )


def _protocols_overlap(a: Runtime, b: Runtime) -> bool:
    return not a.protocol_versions or not b.protocol_versions or bool(set(a.protocol_versions) & set(b.protocol_versions))


def _same_range(a: Runtime, b: Runtime) -> bool:
    ra, rb = size_range(a), size_range(b)
    if ra is None or rb is None:
        return ra is None and rb is None

    def values(r: SizeRange) -> tuple:
        return (r.min.value if r.min else None, r.max.value if r.max else None)

    return values(ra) == values(rb)


def _entry_summary(entry: FormatEntry, runtime: Runtime) -> str:
    parts = [f"format {entry.name or '*'}" + (f" {entry.version}" if entry.version else "")]
    if entry.model_type:
        parts.append(f"modelType {entry.model_type}")
    if entry.architecture:
        parts.append(f"architecture {entry.architecture}")
    if entry.quantization:
        parts.append(f"quantization {entry.quantization}")
    if entry.framework or entry.framework_version:
        parts.append(f"framework {entry.framework or '*'}" + (f" {entry.framework_version}" if entry.framework_version else ""))
    r = size_range(runtime)
    parts.append(f"size range {r.text()}" if r else "no size range")
    return ", ".join(parts)


def _runtime_key(runtime: Runtime) -> tuple:
    return (runtime.kind, runtime.namespace, runtime.name)


def _contested(sources: Sources) -> dict[frozenset, InferenceService]:
    """Pairs of runtimes that tie at the top of some service's auto-selection (rules 1-3),
    mapped to the first such service."""
    contested: dict[frozenset, InferenceService] = {}
    for key in sorted(sources.services):
        service = sources.services[key]
        if service.runtime_name is not None:
            continue
        model = sources.model_for(service)
        if model is None or model.disabled or model.format_name is None:
            continue
        for a, b in itertools.combinations(tied_at_top(service, sources, model), 2):
            contested.setdefault(frozenset((_runtime_key(a), _runtime_key(b))), service)
    return contested


def check_runtimes(sources: Sources) -> list[Diagnostic]:
    """The seed's priority constraints, each reported at the offending field."""
    diagnostics: list[Diagnostic] = []
    runtimes = sorted(sources.runtimes.values(), key=candidate_order)
    for runtime in runtimes:
        for entry in runtime.formats:
            if entry.priority is None:
                continue
            where = runtime.where(f"{entry.path}.priority")
            if not entry.auto_select:
                diagnostics.append(
                    at(warning, "priority-ignored",
                            f"{runtime_label(runtime)}: priority {entry.priority} is ignored because "
                            f"{short_path(entry.path)} does not set autoSelect: true", where)
                )
        auto = [e for e in runtime.formats if e.auto_select]
        for i, entry in enumerate(auto):
            for earlier in auto[:i]:
                if _ci(earlier.name) == _ci(entry.name) and earlier.version != entry.version and earlier.priority != entry.priority:
                    diagnostics.append(
                        at(
                            error,
                            "priority-version-mismatch",
                            f"{runtime_label(runtime)}: {short_path(entry.path)} (format {entry.name or '*'} "
                            f"{entry.version or '(any version)'}, priority {_show(entry.priority)}) must share the priority of "
                            f"{short_path(earlier.path)} (version {earlier.version or '(any version)'}, priority "
                            f"{_show(earlier.priority)}): entries for one format with different versions need one priority",
                            _priority_where(runtime, entry),
                        )
                    )
                    break
    diagnostics += _priority_clashes(sources, runtimes)
    return diagnostics


def _show(priority: Optional[int]) -> str:
    return "unset" if priority is None else str(priority)


def _priority_clashes(sources: Sources, runtimes: list[Runtime]) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    contested: Optional[dict] = None
    enabled = [rt for rt in runtimes if not rt.disabled and any(e.auto_select and e.priority is not None for e in rt.formats)]
    for a, b in itertools.combinations(enabled, 2):
        if a.kind != b.kind or a.namespace != b.namespace:
            continue
        if not _protocols_overlap(a, b) or not _same_range(a, b):
            continue
        for ea in a.formats:
            if not ea.auto_select or ea.priority is None:
                continue
            for eb in b.formats:
                if not eb.auto_select or eb.priority != ea.priority or not _same_support(ea, eb):
                    continue
                if contested is None:
                    contested = _contested(sources)
                service = contested.get(frozenset((_runtime_key(a), _runtime_key(b))))
                # Report at the runtime the user can edit: the non-built-in one, else the later one.
                if b.builtin and not a.builtin:
                    here, he, there, te = a, ea, b, eb
                else:
                    here, he, there, te = b, eb, a, ea
                message = (
                    f"{runtime_label(here)}: priority {he.priority} of {short_path(he.path)} clashes with "
                    f"{runtime_label(there)} {short_path(te.path)} ({position(there.where(te.path + '.priority'))}): both auto-select "
                    f"{_entry_summary(he, here)} with the same priority"
                )
                if service is not None:
                    message += f"; InferenceService {service.namespace}/{service.name} cannot choose between them"
                message += "; give one a different priority"
                severity = error if service is not None else warning
                diagnostics.append(at(severity, "priority-clash", message, here.where(f"{he.path}.priority")))
    return diagnostics
