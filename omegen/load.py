"""Stage 1: find the source documents, check them, and normalize both dialects into `api` objects.

Discovery (design.md section 2): every `*.yaml`/`*.yml` under the root, not following symlinks out of
it, skipping hidden directories, `overlays/` and the output directory; every document with
`apiVersion: ome.io/v1beta1` and a known kind. The built-in catalog (runtimes and models shipped with
omegen) is loaded first; a source object with the same identity replaces the built-in one.
"""

from __future__ import annotations

import copy
import difflib
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional

from omegen import yamlio
from omegen.api import (
    API_VERSION,
    BASE_MODEL,
    CLUSTER_BASE_MODEL,
    CLUSTER_SCOPED,
    CLUSTER_SERVING_RUNTIME,
    COMPONENT_FIELDS,
    INFERENCE_SERVICE,
    KINDS,
    OME,
    SEED,
    SERVING_CONTAINER,
    SERVING_RUNTIME,
    Config,
    FormatEntry,
    InferenceService,
    Model,
    Origin,
    Runtime,
    Sources,
)
from omegen.config import CONFIG_FILE, load_config
from omegen.errors import Diagnostic, error, has_errors, info, warning
from omegen.resources import data_dir
from omegen.sizes import SizeError, parse_range, parse_size

BUILTIN_PREFIX = "<builtin>"
SKIPPED_DIRECTORIES = {"overlays"}
# ome.io kinds OME defines that omegen does not compile: noted, not rejected.
OTHER_OME_KINDS = {"FineTunedWeight", "AcceleratorClass", "BenchmarkJob"}

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


@dataclass(frozen=True)
class _Doc:
    """One ome.io document found on disk, with what is needed to report on it."""

    file: str
    doc: yamlio.Document
    builtin: bool

    @property
    def kind(self) -> str:
        return self.doc.data.get("kind")

    def where(self, path: tuple) -> tuple[int, int]:
        return self.doc.mark(path)

    def origin(self) -> Origin:
        return Origin(self.file, self.doc.line, self.doc.column)

    def error(self, code: str, message: str, path: tuple = ()) -> Diagnostic:
        line, column = self.where(path)
        return error(code, message, self.file, line, column, yamlio.format_path(path))

    def warning(self, code: str, message: str, path: tuple = ()) -> Diagnostic:
        line, column = self.where(path)
        return warning(code, message, self.file, line, column, yamlio.format_path(path))

    def field_marks(self) -> dict:
        return {yamlio.format_path(path): mark for path, mark in self.doc.marks.items() if path}


def load_sources(
    root: Path,
    *,
    builtin: Optional[bool] = None,
    strict: Optional[bool] = None,
    skip: Iterable[Path] = (),
) -> tuple[Sources, list[Diagnostic]]:
    """Load the source tree at `root` (plus the built-in catalog unless disabled).

    `builtin`/`strict` override `omegen.yaml`; `skip` lists directories (e.g. the output) to ignore.
    """
    root = Path(root)
    config, diagnostics = load_config(root)
    overrides = {}
    if builtin is not None:
        overrides["builtin_runtimes"] = builtin
    if strict is not None:
        overrides["strict"] = strict
    if overrides:
        config = Config(**{**config.__dict__, **overrides})

    docs: list[_Doc] = []
    if config.builtin_runtimes:
        for name in ("runtimes", "models"):
            directory = data_dir(name)
            for path in _discover(directory, ()):
                label = f"{BUILTIN_PREFIX}/{name}/{path.relative_to(directory).as_posix()}"
                docs.extend(_read(path, label, True, diagnostics))
    for path in _discover(root, skip):
        rel = path.relative_to(root).as_posix()
        if rel == CONFIG_FILE:
            continue
        docs.extend(_read(path, rel, False, diagnostics))

    sources = _build_sources(docs, config, diagnostics)
    return sources, diagnostics


def _discover(root: Path, skip: Iterable[Path]) -> list[Path]:
    """Every YAML file under `root`, sorted, never leaving the tree through a symlink."""
    if not root.is_dir():
        return []
    real_root = root.resolve()
    skipped = {Path(s).resolve() for s in skip}
    found: list[Path] = []
    for directory, subdirs, files in os.walk(root, followlinks=False):
        here = Path(directory)
        subdirs[:] = sorted(
            d
            for d in subdirs
            if not d.startswith(".")
            and d not in SKIPPED_DIRECTORIES
            and (here / d).resolve() not in skipped
            and not (here / d).is_symlink()
        )
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")) or name.startswith("."):
                continue
            path = here / name
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _read(path: Path, label: str, builtin: bool, diagnostics: list[Diagnostic]) -> list[_Doc]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        diagnostics.append(error("unreadable-file", "file is not UTF-8 text", label))
        return []
    except OSError as exc:
        diagnostics.append(error("unreadable-file", f"cannot read file: {exc.strerror}", label))
        return []
    found: list[_Doc] = []
    try:
        for doc in yamlio.load_documents(text):
            found_doc = _classify(doc, label, builtin, diagnostics)
            if found_doc:
                found.append(found_doc)
    except yamlio.YAMLError as exc:
        diagnostics.append(error(exc.code, exc.message, label, exc.line, exc.column))
        return []  # a malformed file contributes nothing, so no half-read objects
    return found


def _classify(doc: yamlio.Document, label: str, builtin: bool, diagnostics: list[Diagnostic]) -> Optional[_Doc]:
    data = doc.data
    if data is None:
        return None
    if not isinstance(data, dict) or "apiVersion" not in data or "kind" not in data:
        diagnostics.append(info("ignored-document", "not a Kubernetes object (no apiVersion/kind); ignored", label, doc.line, doc.column))
        return None
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if api_version != API_VERSION:
        diagnostics.append(
            info("ignored-document", f"{kind} {api_version} is not an {API_VERSION} source; ignored", label, doc.line, doc.column)
        )
        return None
    if kind in KINDS:
        return _Doc(label, doc, builtin)
    line, column = doc.mark(("kind",))
    if kind in OTHER_OME_KINDS:
        diagnostics.append(info("ignored-document", f"{kind} is not compiled by omegen; ignored", label, line, column, "kind"))
        return None
    hint = difflib.get_close_matches(str(kind), KINDS, n=1)
    suggestion = f" (did you mean {hint[0]}?)" if hint else f" (known kinds: {', '.join(KINDS)})"
    diagnostics.append(error("unknown-kind", f"unknown kind {kind!r} for {API_VERSION}{suggestion}", label, line, column, "kind"))
    return None


def _build_sources(docs: list[_Doc], config: Config, diagnostics: list[Diagnostic]) -> Sources:
    from omegen import inputschema  # late: keeps `load` importable while schemas load lazily

    runtimes: dict = {}
    models: dict = {}
    services: dict = {}
    seen: dict = {}  # identity → _Doc, for duplicate reports
    for found in docs:
        problems = inputschema.check_document(found.kind, found.doc, found.file)
        problems += _check_metadata(found)
        diagnostics.extend(problems)
        if has_errors(problems):
            continue
        obj, problems = _normalize(found, config)
        diagnostics.extend(problems)
        if obj is None:
            continue
        identity = _identity(obj)
        table = runtimes if isinstance(obj, Runtime) else models if isinstance(obj, Model) else services
        if identity in seen:
            first = seen[identity]
            if first.builtin and not found.builtin:
                line, column = found.where(("metadata", "name"))
                diagnostics.append(
                    info("builtin-replaced", f"{_describe(identity)} replaces the built-in one from {first.file}", found.file, line, column, "metadata.name")
                )
            else:
                line, column = found.where(("metadata", "name"))
                first_line, _ = first.where(("metadata", "name"))
                diagnostics.append(
                    error("duplicate-object", f"{_describe(identity)} is also defined in {first.file}:{first_line}", found.file, line, column, "metadata.name")
                )
                continue
        seen[identity] = found
        table[_key(obj)] = obj
    return Sources(config=config, runtimes=runtimes, models=models, services=services)


def _identity(obj) -> tuple:
    kind = obj.kind if not isinstance(obj, InferenceService) else INFERENCE_SERVICE
    return (kind, obj.namespace, obj.name)


def _key(obj) -> tuple:
    if isinstance(obj, InferenceService):
        return (obj.namespace, obj.name)
    return (obj.kind, obj.namespace, obj.name)


def _describe(identity: tuple) -> str:
    kind, namespace, name = identity
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _check_metadata(found: _Doc) -> list[Diagnostic]:
    metadata = found.doc.data.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return [found.error("missing-field", "metadata.name is required", ("metadata",))]
    if found.kind in CLUSTER_SCOPED and metadata.get("namespace"):
        return [found.warning("ignored-field", f"{found.kind} is cluster-scoped; metadata.namespace is ignored", ("metadata", "namespace"))]
    return []


def _normalize(found: _Doc, config: Config):
    kind = found.kind
    if kind in (CLUSTER_SERVING_RUNTIME, SERVING_RUNTIME):
        return _runtime(found, config)
    if kind in (CLUSTER_BASE_MODEL, BASE_MODEL):
        return _model(found, config)
    return _service(found, config)


def _metadata(found: _Doc, config: Config) -> tuple[str, Optional[str], dict, dict, Optional[str]]:
    metadata = found.doc.data["metadata"]
    namespace = None if found.kind in CLUSTER_SCOPED else (metadata.get("namespace") or config.namespace)
    created = metadata.get("creationTimestamp")
    if isinstance(created, datetime):
        created = created.astimezone(timezone.utc).isoformat() if created.tzinfo else created.isoformat()
    elif isinstance(created, date):
        created = created.isoformat()
    labels = {str(k): str(v) for k, v in (metadata.get("labels") or {}).items()}
    annotations = {str(k): str(v) for k, v in (metadata.get("annotations") or {}).items()}
    return str(metadata["name"]), namespace, labels, annotations, created


# ---------------------------------------------------------------------------------------- runtimes


def _runtime(found: _Doc, config: Config):
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
        engine=engine,
        decoder=decoder,
        router=router,
        labels=labels,
        annotations=annotations,
        field_marks=found.field_marks(),
        source_paths=source_paths,
    )
    return runtime, diagnostics


def _size_range(found: _Doc, bounds: Optional[dict]):
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
    )


def _text(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    return str(value)


def _runtime_components(found: _Doc, spec: dict):
    """Engine/decoder/router configs in OME's shape, from either dialect."""
    diagnostics: list[Diagnostic] = []
    engine = copy.deepcopy(spec.get("engineConfig")) if spec.get("engineConfig") is not None else None
    decoder = copy.deepcopy(spec.get("decoderConfig")) if spec.get("decoderConfig") is not None else None
    router = copy.deepcopy(spec.get("routerConfig")) if spec.get("routerConfig") is not None else None
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
    # OME merges the runtime's top-level nodeSelector into engine and decoder pods.
    if "nodeSelector" in pod_fields:
        for config in (engine, decoder):
            if config is not None:
                config["nodeSelector"] = {**pod_fields["nodeSelector"], **(config.get("nodeSelector") or {})}
    return OME, engine, decoder, router, source_paths, diagnostics


def _seed_engine(found: _Doc, spec: dict, pod_fields: dict, containers: list):
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


# ------------------------------------------------------------------------------------------ models


def _model(found: _Doc, config: Config):
    spec = found.doc.data.get("spec") or {}
    name, namespace, _labels, annotations, _created = _metadata(found, config)
    model_format = spec.get("modelFormat") or {}
    framework = spec.get("modelFramework") or {}
    storage = spec.get("storage") or {}
    size = None
    if spec.get("modelParameterSize") is not None:
        try:
            size = parse_size(spec["modelParameterSize"])
        except SizeError as exc:
            return None, [found.error("invalid-size", f"spec.modelParameterSize: {exc}", ("spec", "modelParameterSize"))]
    model = Model(
        kind=found.kind,
        name=name,
        namespace=namespace,
        origin=found.origin(),
        format_name=_text(model_format.get("name")),
        format_version=_text(model_format.get("version")),
        framework=_text(framework.get("name")),
        framework_version=_text(framework.get("version")),
        architecture=_text(spec.get("modelArchitecture")),
        model_type=_text(spec.get("modelType")),
        quantization=_text(spec.get("quantization")),
        size=size,
        storage_path=_text(storage.get("path")),
        storage_uri=_text(storage.get("storageUri")),
        vendor=_text(spec.get("vendor")),
        disabled=bool(spec.get("disabled")),
        builtin=found.builtin,
        annotations=annotations,
        field_marks=found.field_marks(),
    )
    return model, []


# ---------------------------------------------------------------------------------------- services


def _service(found: _Doc, config: Config):
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
        field_marks=found.field_marks(),
    )
    if predictor is not None:
        model_ref = predictor.get("model") or {}
        # `containers` stay pod containers: render places the runner into the one of the same name.
        engine = {
            k: copy.deepcopy(v)
            for k, v in predictor.items()
            if k in _POD_FIELDS or k in COMPONENT_FIELDS or k == "containers"
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
        runtime_name=_text((spec.get("runtime") or {}).get("name")),
        engine=copy.deepcopy(spec.get("engine")) if spec.get("engine") is not None else None,
        decoder=copy.deepcopy(spec.get("decoder")) if spec.get("decoder") is not None else None,
        router=copy.deepcopy(spec.get("router")) if spec.get("router") is not None else None,
        source_paths={"engine": "spec.engine", "decoder": "spec.decoder", "router": "spec.router"},
        **common,
    )
    return service, []
