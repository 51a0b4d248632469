"""Every input omegen accepts but does not render, in one table, each reported by name.

OME's API has fields and annotations that only mean something with software omegen does not render
(Knative, KEDA, ingress controllers). Our
output is applied with pruning on, so none of them may vanish in silence:

- a field that changes *what is served* is an error until it is rendered (the base model would be
  served instead of the fine-tuned weights);
- every other one is a warning (an error under --strict).

When one of them becomes rendered, its row is deleted here, and nothing else needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from omegen.api import (
    BASE_MODEL,
    CLUSTER_BASE_MODEL,
    CLUSTER_SERVING_RUNTIME,
    INFERENCE_SERVICE,
    SERVING_RUNTIME,
)
from omegen.errors import Diagnostic, Severity
from omegen.yamlio import format_source_path

UNRENDERED_FIELD = "unrendered-field"
UNRENDERED_KIND = "unrendered-kind"

RUNTIMES = (CLUSTER_SERVING_RUNTIME, SERVING_RUNTIME)
MODELS = (CLUSTER_BASE_MODEL, BASE_MODEL)
SERVICES = (INFERENCE_SERVICE,)

# The component specs of each kind (a runtime's configs; a service's components and seed predictor).
_RUNTIME_COMPONENTS = ("engineConfig", "decoderConfig", "routerConfig")
_SERVICE_COMPONENTS = ("engine", "decoder", "router", "predictor")


@dataclass(frozen=True)
class Unrendered:
    """One input omegen accepts and does not render. `path` is a field path in the source
    document (`*` matches any key or list index); `annotation` names an annotation instead, looked
    for in metadata.annotations and in every component's annotations."""

    kinds: tuple[str, ...]
    severity: Severity
    why: str
    path: tuple = ()
    annotation: str = ""
    applies: Optional[Callable[[object], bool]] = None  # only for some values (None: any value)


_SERVED = "so the pods would serve something other than what this asks for; omegen does not render it yet"
_NOT_READ = "OME's controller does not read it (acceleratorclassselector, components/base.go), so it changes nothing"
_OVERRIDE_CONSTRAINTS = "OME filters classes by spec.acceleratorSelector.constraints only (acceleratorclassselector getAcceleratorClassByPolicy)"
_RUNTIME_OVERRIDE = "OME reads acceleratorOverride from the InferenceService only (acceleratorclassselector getComponentAcceleratorOverride)"
_KNATIVE = "it needs Knative Serving, which omegen does not render"
_KEDA = "KEDA autoscaling is not rendered (no ScaledObject); replicas follow minReplicas/maxReplicas"


def _component_rows(kinds, components, field, severity, why) -> list[Unrendered]:
    return [Unrendered(kinds, severity, why, ("spec", component, field)) for component in components]


def _not_one(value) -> bool:
    return value != 1  # OME's CRD default; any other weight would change OME's pick, not omegen's


TABLE: tuple[Unrendered, ...] = (
    # What is served: errors (none today). Everything else: warnings.
    *_component_rows(RUNTIMES, ("engineConfig", "decoderConfig"), "acceleratorOverride", Severity.WARNING, _RUNTIME_OVERRIDE),
    *[Unrendered(SERVICES, Severity.WARNING, _OVERRIDE_CONSTRAINTS, ("spec", c, "acceleratorOverride", "constraints")) for c in ("engine", "decoder")],
    *[
        Unrendered(RUNTIMES, Severity.WARNING, _NOT_READ, ("spec", "acceleratorRequirements", name))
        for name in ("minMemory", "minComputePerformanceTFLOPS", "minArchitectureVersion", "requiredFeatures", "preferredPrecisions")
    ],
    Unrendered(RUNTIMES, Severity.WARNING, _NOT_READ, ("spec", "supportedModelFormats", "*", "acceleratorConfig", "*", "minMemoryPerBillionParams")),
    Unrendered(RUNTIMES, Severity.WARNING, _NOT_READ, ("spec", "supportedModelFormats", "*", "acceleratorConfig", "*", "tensorParallelismOverride", "dataParallelSize")),
    Unrendered(SERVICES, Severity.WARNING, _KEDA, ("spec", "kedaConfig")),
    *_component_rows(SERVICES, _SERVICE_COMPONENTS, "kedaConfig", Severity.WARNING, _KEDA),
    *_component_rows(RUNTIMES, _RUNTIME_COMPONENTS, "kedaConfig", Severity.WARNING, _KEDA),
    *[
        row
        for field in ("containerConcurrency", "timeoutSeconds", "canaryTrafficPercent")
        for row in _component_rows(SERVICES, _SERVICE_COMPONENTS, field, Severity.WARNING, _KNATIVE)
        + _component_rows(RUNTIMES, _RUNTIME_COMPONENTS, field, Severity.WARNING, _KNATIVE)
    ],
    Unrendered(SERVICES, Severity.WARNING, "the seed's model storageUri is not rendered: the model's storage.path is mounted", ("spec", "predictor", "model", "storageUri")),
    *[
        Unrendered(
            RUNTIMES,
            Severity.WARNING,
            "omegen ranks candidates by scope, priority and size fit, not by weight (README: where omegen differs)",
            ("spec", "supportedModelFormats", "*", part, "weight"),
            applies=_not_one,
        )
        for part in ("modelFormat", "modelFramework")
    ],
    Unrendered(
        SERVICES,
        Severity.WARNING,
        "ingress objects are not rendered (omegen renders the endpoint Service, as OME does with ingress creation disabled)",
        annotation="ome.io/ingress-disable-creation",
        applies=lambda value: str(value).lower() != "true",  # "true" is what omegen renders
    ),
)

# ome.io kinds omegen reads no further than their kind: documents, not fields.
UNRENDERED_KINDS: dict[str, str] = {
    "BenchmarkJob": "benchmark jobs are not rendered; run them with OME",
}


def unrendered_kind(kind: str) -> Optional[str]:
    """Why documents of `kind` are not compiled, or None when omegen compiles them (or they are not OME's)."""
    return UNRENDERED_KINDS.get(kind)


def check(found) -> list[Diagnostic]:
    """Every row of TABLE that the source document `found` (a discover.SourceDocument) sets, at
    its field, in document order."""
    data, problems = found.doc.data, []
    for row in TABLE:
        if found.kind not in row.kinds:
            continue
        if row.annotation:
            for path, value in _annotation_paths(data, row.annotation):
                if row.applies is None or row.applies(value):
                    problems.append(_report(found, row, path, f"{format_source_path(path)} is not rendered: {row.why}"))
            continue
        for path, value in _matches(data, row.path):
            if row.applies is None or row.applies(value):
                problems.append(_report(found, row, path, f"{format_source_path(path)} is not rendered: {row.why}"))
    return sorted(problems, key=lambda d: (d.line, d.column, d.message))


def _report(found, row: Unrendered, path: tuple, message: str) -> Diagnostic:
    line, column = found.where(path)
    return Diagnostic(UNRENDERED_FIELD, row.severity, message, found.file, line, column, format_source_path(path))


def _matches(data, pattern: tuple, prefix: tuple = ()) -> Iterator[tuple[tuple, object]]:
    if not pattern:
        yield prefix, data
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(data, dict):
        keys = sorted(data, key=str) if head == "*" else ([head] if head in data else [])
        for key in keys:
            yield from _matches(data[key], rest, prefix + (key,))
    elif isinstance(data, list) and head == "*":
        for index, item in enumerate(data):
            yield from _matches(item, rest, prefix + (index,))


def _annotation_paths(data: dict, name: str) -> Iterator[tuple[tuple, object]]:
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    holders = [("metadata",)] + [("spec", component) for component in _SERVICE_COMPONENTS if isinstance(spec.get(component), dict)]
    for holder in holders:
        node = data
        for key in holder:
            node = node.get(key) if isinstance(node, dict) else None
        annotations = node.get("annotations") if isinstance(node, dict) else None
        if isinstance(annotations, dict) and name in annotations:
            yield holder + ("annotations", name), annotations[name]
