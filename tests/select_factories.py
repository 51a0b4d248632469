"""Small factories for runtime-resolution tests: api objects built directly, no YAML."""

from __future__ import annotations

import dataclasses

from dataclasses import replace
from typing import Optional

from omegen.errors import promote_warnings
from omegen.api import (
    CLUSTER_BASE_MODEL,
    CLUSTER_SERVING_RUNTIME,
    OME,
    SERVING_RUNTIME,
    Config,
    FormatEntry,
    InferenceService,
    Model,
    Origin,
    Runtime,
    Sources,
)
from omegen.load.sizes import parse_range, parse_size

CSR = CLUSTER_SERVING_RUNTIME
SR = SERVING_RUNTIME


def entry(
    name: Optional[str] = "pytorch",
    *,
    version: Optional[str] = None,
    operator: str = "Equal",
    model_type: Optional[str] = None,
    arch: Optional[str] = None,
    quant: Optional[str] = None,
    fw: Optional[str] = None,
    fw_version: Optional[str] = None,
    fw_operator: str = "Equal",
    auto: bool = True,
    priority: Optional[int] = None,
) -> FormatEntry:
    return FormatEntry(
        path="spec.supportedModelFormats[0]",
        name=name,
        version=version,
        operator=operator,
        model_type=model_type,
        architecture=arch,
        quantization=quant,
        framework=fw,
        framework_version=fw_version,
        framework_operator=fw_operator,
        auto_select=auto,
        priority=priority,
    )


def runtime(
    name: str,
    *formats: FormatEntry,
    kind: str = CSR,
    namespace: Optional[str] = None,
    protocols: tuple = (),
    size: Optional[tuple] = None,
    disabled: bool = False,
    created: Optional[str] = None,
    builtin: bool = False,
) -> Runtime:
    """`size=("1B", "10B")` (either may be None). Entries get their paths and a field mark each:
    `spec.supportedModelFormats[i]` at line 10+2i, its `.priority` at line 11+2i."""
    if kind == SR and namespace is None:
        namespace = "default"
    if kind == CSR:
        namespace = None
    formats = formats if formats else (entry(),)
    entries = tuple(replace(f, path=f"spec.supportedModelFormats[{i}]") for i, f in enumerate(formats))
    marks = {"spec.disabled": (5, 3)}
    for i, _ in enumerate(entries):
        marks[f"spec.supportedModelFormats[{i}]"] = (10 + 2 * i, 7)
        marks[f"spec.supportedModelFormats[{i}].priority"] = (11 + 2 * i, 9)
    folder = "<builtin>/runtimes" if builtin else "runtimes"
    return Runtime(
        kind=kind,
        name=name,
        namespace=namespace,
        origin=Origin(f"{folder}/{name}.yaml", 1, 1),
        dialect=OME,
        formats=entries,
        protocol_versions=tuple(protocols),
        size_range=parse_range(*size) if size is not None else None,
        disabled=disabled,
        creation_timestamp=created,
        builtin=builtin,
        field_marks=marks,
    )


def model(
    name: str = "m",
    *,
    fmt: Optional[str] = "pytorch",
    version: Optional[str] = None,
    fw: Optional[str] = None,
    fw_version: Optional[str] = None,
    arch: Optional[str] = None,
    model_type: Optional[str] = None,
    quant: Optional[str] = None,
    size: Optional[str] = None,
    kind: str = CLUSTER_BASE_MODEL,
    namespace: Optional[str] = None,
    disabled: bool = False,
) -> Model:
    return Model(
        kind=kind,
        name=name,
        namespace=namespace,
        origin=Origin(f"models/{name}.yaml", 1, 1),
        format_name=fmt,
        format_version=version,
        framework=fw,
        framework_version=fw_version,
        architecture=arch,
        model_type=model_type,
        quantization=quant,
        size=parse_size(size) if size is not None else None,
        disabled=disabled,
        field_marks={"spec.modelFormat": (6, 3)},
    )


def service(
    name: str = "svc",
    *,
    namespace: str = "default",
    model_name: Optional[str] = "m",
    runtime_name: Optional[str] = None,
    protocol: Optional[str] = None,
) -> InferenceService:
    return InferenceService(
        name=name,
        namespace=namespace,
        origin=Origin(f"services/{name}.yaml", 1, 1),
        dialect=OME,
        model_name=model_name,
        runtime_name=runtime_name,
        protocol_version=protocol,
        field_marks={"spec.model.name": (7, 11), "spec.runtime.name": (9, 11)},
    )


def sources(*objects, strict: bool = False) -> Sources:
    runtimes, models, services = {}, {}, {}
    for obj in objects:
        if isinstance(obj, Runtime):
            runtimes[(obj.kind, obj.namespace, obj.name)] = obj
        elif isinstance(obj, Model):
            models[(obj.kind, obj.namespace, obj.name)] = obj
        elif isinstance(obj, InferenceService):
            services[(obj.namespace, obj.name)] = obj
        else:  # pragma: no cover
            raise TypeError(obj)
    return Sources(config=Config(strict=strict), runtimes=runtimes, models=models, services=services)


__all__ = ["CSR", "SR", "entry", "runtime", "model", "service", "sources"]


def escalated(resolution, strict: bool):
    """What the pipeline makes of a resolution's findings: `--strict` turns warnings into errors."""
    if not strict:
        return resolution
    return dataclasses.replace(resolution, diagnostics=tuple(promote_warnings(resolution.diagnostics)))


# Every value of Resolution.decided_by (select.py's rule constants), for tests that check one is used.
DECIDING_RULES = ("explicit", "only-candidate", "scope", "priority", "size", "creationTimestamp", "name")
