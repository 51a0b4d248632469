"""Both dialects into one typed model: a checked ome.io document becomes a `Runtime`, `Model` or
`InferenceService` in OME's shape (design.md section 2).

Seed dialect: a runtime's `ome-container` becomes `engine.runner`, its top-level pod fields go into
`engine`, its legacy `workers` become `engine.leader`/`engine.worker` with the same container; a
service's `predictor` becomes `engine` (+ a `runner` from `predictor.model`'s inline container fields)
and the model/runtime references. Each object keeps `source_paths` so a diagnostic about a normalized
field points at what the user wrote.
"""

from __future__ import annotations

import copy
from typing import Optional

from omegen.api import (
    BASE_MODEL,
    CLUSTER_BASE_MODEL,
    CLUSTER_SERVING_RUNTIME,
    COMPONENT_EXTENSION_FIELDS,
    ACCELERATOR_CLASS,
    FINE_TUNED_WEIGHT,
    OME,
    SEED,
    SERVING_CONTAINER,
    SERVING_RUNTIME,
    Config,
    FormatEntry,
    InferenceService,
    Runtime,
)
from omegen.load.discover import SourceDocument
from omegen.errors import Diagnostic, has_errors
from omegen.load import modelkinds
from omegen.load.objectmeta import metadata as _metadata, names as _names, text as _text
from omegen.load.sizes import SizeError, parse_range, parse_size

# Pod-spec fields a seed-dialect runtime or predictor writes at the top of its spec.
_POD_FIELDS = (
    "affinity",
    "dnsPolicy",
    "hostIPC",
    "hostNetwork",
    "imagePullSecrets",
    "initContainers",
    "nodeSelector",
    "schedulerName",
    "securityContext",
    "serviceAccountName",
    "tolerations",
    "volumes",
)
# `predictor.model` fields that are not inline container fields.
_MODEL_REF_FIELDS = ("baseModel", "protocolVersion", "runtime", "fineTunedWeights", "storageUri")


def normalize(found: SourceDocument, config: Config):
    kind = found.kind
    if kind in (CLUSTER_SERVING_RUNTIME, SERVING_RUNTIME):
        return _runtime(found, config)
    if kind in (CLUSTER_BASE_MODEL, BASE_MODEL):
        return modelkinds.model(found, config)
    if kind == FINE_TUNED_WEIGHT:
        return modelkinds.fine_tuned_weight(found, config)
    if kind == ACCELERATOR_CLASS:
        return modelkinds.accelerator_class(found, config)
    return _service(found, config)


# ---------------------------------------------------------------------------------------- runtimes


def _runtime(found: SourceDocument, config: Config):
    spec = found.doc.data.get("spec") or {}
    name, namespace, labels, annotations, created = _metadata(found, config)
    diagnostics: list[Diagnostic] = []

    formats = tuple(_format_entry(i, entry) for i, entry in enumerate(spec.get("supportedModelFormats") or []))
    size_range, problems = _size_range(found, spec.get("modelSizeRange"))
    diagnostics.extend(problems)

    dialect, engine, decoder, router, source_paths, problems = _runtime_components(found, spec)
    diagnostics.extend(problems)
    if has_errors(diagnostics):
        return None, diagnostics
    runtime = Runtime(
        kind=found.kind,
        name=name,
        namespace=namespace,
        origin=found.origin(),
        dialect=dialect,
        formats=formats,
        protocol_versions=tuple(str(p) for p in spec.get("protocolVersions") or ()),
        size_range=size_range,
        disabled=bool(spec.get("disabled")),
        creation_timestamp=created,
        builtin=found.builtin,
        accelerator_classes=_names((spec.get("acceleratorRequirements") or {}).get("acceleratorClasses")),
        engine=engine,
        decoder=decoder,
        router=router,
        seed_containers=len(spec.get("containers") or []) if dialect == SEED else 0,
        labels=labels,
        annotations=annotations,
        field_marks=found.field_marks(),
        source_paths=source_paths,
    )
    return runtime, diagnostics


def _size_range(found: SourceDocument, bounds: Optional[dict]):
    if bounds is None:
        return None, []
    parsed: dict = {}
    for bound in ("min", "max"):
        if bounds.get(bound) is None:
            continue
        try:
            parsed[bound] = parse_size(bounds[bound])
        except SizeError as exc:
            return None, [found.error("invalid-size", f"spec.modelSizeRange.{bound}: {exc}", ("spec", "modelSizeRange", bound))]
    try:
        return parse_range(bounds.get("min"), bounds.get("max")), []
    except SizeError as exc:
        return None, [found.error("invalid-size", str(exc), ("spec", "modelSizeRange", "min"))]


def _format_entry(index: int, entry: dict) -> FormatEntry:
    model_format = entry.get("modelFormat") or {}
    framework = entry.get("modelFramework") or {}
    return FormatEntry(
        path=f"spec.supportedModelFormats[{index}]",
        name=_text(model_format.get("name")) or _text(entry.get("name")),
        version=_text(model_format.get("version")) or _text(entry.get("version")),
        operator=model_format.get("operator") or "Equal",
        model_type=_text(entry.get("modelType")),
        architecture=_text(entry.get("modelArchitecture")),
        quantization=_text(entry.get("quantization")),
        framework=_text(framework.get("name")),
        framework_version=_text(framework.get("version")),
        framework_operator=framework.get("operator") or "Equal",
        auto_select=entry.get("autoSelect") is True,
        priority=entry.get("priority"),
        ome_format=isinstance(entry.get("modelFormat"), dict),
        ome_framework=isinstance(entry.get("modelFramework"), dict),
        weights=(_weight(model_format), _weight(framework)),
        accelerator_config=copy.deepcopy(entry.get("acceleratorConfig") or {}),
    )


def _weight(part: dict) -> int:
    weight = part.get("weight")  # the CRD defaults an unset weight to 1
    return weight if isinstance(weight, int) and not isinstance(weight, bool) else 1


def _runtime_components(found: SourceDocument, spec: dict):
    """Engine/decoder/router configs in OME's shape, from either dialect."""
    diagnostics: list[Diagnostic] = []
    engine = copy.deepcopy(spec.get("engineConfig"))
    decoder = copy.deepcopy(spec.get("decoderConfig"))
    router = copy.deepcopy(spec.get("routerConfig"))
    source_paths = {"engine": "spec.engineConfig", "decoder": "spec.decoderConfig", "router": "spec.routerConfig"}
    pod_fields = {k: copy.deepcopy(spec[k]) for k in _POD_FIELDS if spec.get(k) is not None}
    containers = spec.get("containers") or []

    if engine is None and (containers or pod_fields or spec.get("workers")):
        # Seed dialect: the `ome-container` is the serving container; the spec is its pod.
        engine, seed_paths, problems = _seed_engine(found, spec, pod_fields, containers)
        diagnostics.extend(problems)
        return SEED, engine, decoder, router, seed_paths, diagnostics

    if containers:
        diagnostics.append(
            found.warning(
                "ignored-field",
                "spec.containers is ignored because spec.engineConfig defines the engine",
                ("spec", "containers"),
            )
        )
    for name in sorted(pod_fields):
        if name != "nodeSelector":  # OME reads only nodeSelector at the top of an engineConfig runtime
            diagnostics.append(
                found.warning(
                    "ignored-field",
                    f"spec.{name} is ignored: with spec.engineConfig only spec.nodeSelector reaches the pods "
                    f"(as in OME); move it into spec.engineConfig",
                    ("spec", name),
                )
            )
    # OME merges the runtime's top-level nodeSelector into engine and decoder pods.
    if "nodeSelector" in pod_fields:
        for config in (engine, decoder):
            if config is not None:
                config["nodeSelector"] = {**pod_fields["nodeSelector"], **(config.get("nodeSelector") or {})}
    return OME, engine, decoder, router, source_paths, diagnostics


def _seed_engine(found: SourceDocument, spec: dict, pod_fields: dict, containers: list):
    diagnostics: list[Diagnostic] = []
    serving = [i for i, c in enumerate(containers) if isinstance(c, dict) and c.get("name") == SERVING_CONTAINER]
    for i, container in enumerate(containers):
        if i not in serving[:1]:
            cname = container.get("name") if isinstance(container, dict) else None
            diagnostics.append(
                found.warning(
                    "ignored-container",
                    f"container {cname!r} is ignored: only the container named {SERVING_CONTAINER!r} serves the model",
                    ("spec", "containers", i, "name") if cname else ("spec", "containers", i),
                )
            )
    engine: dict = dict(pod_fields)
    paths = {"engine": "spec"}
    workers = spec.get("workers")
    if containers and not serving:
        diagnostics.append(
            found.error("missing-serving-container", f"no container named {SERVING_CONTAINER!r} in spec.containers", ("spec", "containers"))
        )
        return None, paths, diagnostics
    if serving:
        index = serving[0]
        engine["runner"] = copy.deepcopy(containers[index])
        paths["engine.runner"] = f"spec.containers[{index}]"
    if workers:
        if len(containers) > 1:
            diagnostics.append(
                found.error(
                    "multinode-containers",
                    "a multi-node runtime (spec.workers) must have exactly one container: leader and workers run the same one",
                    ("spec", "containers"),
                )
            )
            return None, paths, diagnostics
        size = workers.get("size", 1)
        worker_pod = {k: copy.deepcopy(v) for k, v in workers.items() if k in _POD_FIELDS}
        engine["leader"] = {"runner": copy.deepcopy(engine.get("runner", {}))}
        engine["worker"] = {**worker_pod, "size": size, "runner": copy.deepcopy(engine.get("runner", {}))}
        if "engine.runner" in paths:
            paths["engine.leader.runner"] = paths["engine.runner"]
            paths["engine.worker.runner"] = paths["engine.runner"]
        paths["engine.worker"] = "spec.workers"
    return engine, paths, diagnostics


# ---------------------------------------------------------------------------------------- services


def _service(found: SourceDocument, config: Config):
    spec = found.doc.data.get("spec") or {}
    name, namespace, labels, annotations, _created = _metadata(found, config)
    predictor = spec.get("predictor")
    ome_fields = [k for k in ("engine", "model", "runtime") if spec.get(k) is not None]
    if predictor is not None and ome_fields:
        return None, [
            found.error(
                "mixed-dialect",
                f"spec.predictor cannot be combined with spec.{ome_fields[0]}: use either the seed form (predictor) or OME's (model/runtime/engine)",
                ("spec", ome_fields[0]),
            )
        ]
    common = dict(
        name=name,
        namespace=namespace,
        origin=found.origin(),
        labels=labels,
        annotations=annotations,
        accelerator_selector=copy.deepcopy(spec.get("acceleratorSelector")),
        field_marks=found.field_marks(),
    )
    if predictor is not None:
        model_ref = predictor.get("model") or {}
        # `containers` stay pod containers: render places the runner into the one of the same name.
        engine = {
            k: copy.deepcopy(v)
            for k, v in predictor.items()
            if k in _POD_FIELDS or k in COMPONENT_EXTENSION_FIELDS or k == "containers"
        }
        source_paths = {
            "engine": "spec.predictor",
            "spec.model.name": "spec.predictor.model.baseModel",
            "spec.runtime.name": "spec.predictor.model.runtime",
        }
        inline = {k: copy.deepcopy(v) for k, v in model_ref.items() if k not in _MODEL_REF_FIELDS}
        if inline:
            engine["runner"] = {"name": SERVING_CONTAINER, **inline}
            source_paths["engine.runner"] = "spec.predictor.model"
        if predictor.get("workerSpec") is not None:
            engine["worker"] = copy.deepcopy(predictor["workerSpec"])
            source_paths["engine.worker"] = "spec.predictor.workerSpec"
        service = InferenceService(
            dialect=SEED,
            model_name=_text(model_ref.get("baseModel")),
            fine_tuned_weights=_names(model_ref.get("fineTunedWeights")),
            runtime_name=_text(model_ref.get("runtime")),
            protocol_version=_text(model_ref.get("protocolVersion")),
            engine=engine,
            source_paths=source_paths,
            **common,
        )
        return service, []
    service = InferenceService(
        dialect=OME,
        model_name=_text((spec.get("model") or {}).get("name")),
        fine_tuned_weights=_names((spec.get("model") or {}).get("fineTunedWeights")),
        runtime_name=_text((spec.get("runtime") or {}).get("name")),
        engine=copy.deepcopy(spec.get("engine")),
        decoder=copy.deepcopy(spec.get("decoder")),
        router=copy.deepcopy(spec.get("router")),
        source_paths={"engine": "spec.engine", "decoder": "spec.decoder", "router": "spec.router"},
        **common,
    )
    return service, []
