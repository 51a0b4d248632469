"""The `no-runtime` error: why no runtime can serve a model, in a few short lines (a headline and
its notes).

Over a catalog of hundreds of runtimes the full verdict list is `omegen explain`'s job; this says how
many runtimes each rule excluded, names the closest few (those that fail the fewest rules) with
what they lack, and points at `omegen explain`. When runtimes were rejected for errors, the error is
a consequence of theirs and says so (`cause`).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import replace

from omegen.api import CLUSTER_SERVING_RUNTIME, SERVING_RUNTIME, FieldOrigin, InferenceService, Model, Runtime, Sources
from omegen.errors import Diagnostic, first_few, at, error
from omegen.resolve.accelerators import required_names
from omegen.resolve.sourcetext import model_label
from omegen.resolve.support import Failure, all_failures

CLOSEST = 3  # near misses named, one line each
_REASON_CHARS = 70  # of one near miss's reasons


def no_runtime(
    service: InferenceService,
    sources: Sources,
    model: Model,
    failures: list[tuple[Runtime, Failure]],
    missing: list[str],
    where: FieldOrigin,
) -> Diagnostic:
    """A one-line headline, then a few short notes (Diagnostic.notes): how many runtimes each rule
    excluded, one line per closest runtime, what the model lacks, which runtimes failed to load,
    and the pointer at `omegen explain`."""
    rejected = rejected_runtimes(service, sources)
    notes = []
    if failures:
        excluded = Counter(f.rule for _, f in failures)
        counts = ", ".join(f"{n} by {rule}" for rule, n in sorted(excluded.items(), key=lambda item: (-item[1], item[0])))
        notes.append(f"{len(failures)} runtime{'s' if len(failures) != 1 else ''} excluded ({counts})")
        notes += [f"closest: {near}" for near in _closest(failures, model, (service.protocol_version, required_names(service)))]
    elif not rejected:
        notes.append("no runtimes are defined")
    if missing:
        notes.append(f"the model lacks {', '.join(missing)}")
    if rejected:
        shown = first_few(rejected)
        notes.append(f"{len(rejected)} runtime{'s' if len(rejected) != 1 else ''} could not be loaded ({shown}; errors reported there)")
    if failures:
        notes.append(f"omegen explain {service.name} -n {service.namespace} lists every runtime")
    diagnostic = replace(at(error, "no-runtime", f"no runtime can be auto-selected for {model_label(model)}", where), notes=tuple(notes))
    return replace(diagnostic, cause=rejected[0]) if rejected else diagnostic


def rejected_runtimes(service: InferenceService, sources: Sources) -> list[str]:
    """Where the runtimes in the service's scope that failed to load are ("file:line"), sorted."""
    return sorted(
        at
        for (kind, namespace, _), at in sources.rejected.items()
        if kind == CLUSTER_SERVING_RUNTIME or (kind == SERVING_RUNTIME and namespace == service.namespace)
    )


def _closest(failures: list[tuple[Runtime, Failure]], model: Model, need: tuple, count: int = CLOSEST) -> list[str]:
    """`name (needs X, needs Y)` for the runtimes that fail the fewest rules, fewest first."""
    scored = sorted(((all_failures(rt, model, *need) or [f], rt) for rt, f in failures), key=lambda item: (len(item[0]), item[1].name))
    shown = []
    for lacks, runtime in scored[:count]:
        needs = [f.needs or f.reason for f in lacks]
        reasons = ", ".join(needs)
        if len(reasons) > _REASON_CHARS:
            reasons = reasons[: _REASON_CHARS - 1] + "…"
        shown.append(f"{runtime.name} ({reasons})")
    return shown


def suggestion(name: str, namespace: str, objects, namespaced_kind: str) -> str:
    """` (did you mean …?)` for a runtime or model name that is not found: the same name in another
    namespace first (a wrong namespace), else the closest names in scope (a typo); "" when none."""
    objects = [key for key, obj in objects.items() if not obj.disabled]  # a disabled one would not help
    elsewhere = sorted(ns for (kind, ns, n) in objects if kind == namespaced_kind and n == name and ns != namespace)
    if elsewhere:
        return f" (a {namespaced_kind} {name} exists in namespace {', '.join(elsewhere[:3])}: did you mean namespace {elsewhere[0]}?)"
    in_scope = sorted({n for (kind, ns, n) in objects if kind != namespaced_kind or ns == namespace})
    close = difflib.get_close_matches(name, in_scope, n=3, cutoff=0.75)
    return f" (did you mean {' or '.join(close)}?)" if close else ""
