"""The typed, normalized model every stage after `load` works on.

Both source dialects (the seed document's and OME's) become these frozen dataclasses. Pod-spec
shaped parts (engine/decoder/router configs) stay plain dicts in OME's shape
(`{runner, leader, worker, minReplicas, tolerations, ...}`), because they are merged as
Kubernetes objects, not interpreted field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping, Optional

API_VERSION = "ome.io/v1beta1"

CLUSTER_SERVING_RUNTIME = "ClusterServingRuntime"
SERVING_RUNTIME = "ServingRuntime"
CLUSTER_BASE_MODEL = "ClusterBaseModel"
BASE_MODEL = "BaseModel"
INFERENCE_SERVICE = "InferenceService"
KINDS = (CLUSTER_SERVING_RUNTIME, SERVING_RUNTIME, CLUSTER_BASE_MODEL, BASE_MODEL, INFERENCE_SERVICE)
CLUSTER_SCOPED = (CLUSTER_SERVING_RUNTIME, CLUSTER_BASE_MODEL)

SEED = "seed"
OME = "ome"

# The container that serves the model; the seed: "The container name must be `ome-container`".
SERVING_CONTAINER = "ome-container"


@dataclass(frozen=True, order=True)
class Origin:
    """Where a source object (or one of its fields) was written. `file` is relative to SRC;
    built-in catalog files are `<builtin>/runtimes/<file>`."""

    file: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True, order=True)
class FieldOrigin:
    file: str
    line: int
    column: int
    field: str


@dataclass(frozen=True)
class Size:
    """A parameter count parsed exactly (`7B` → Decimal(7e9)); `text` is what the user wrote."""

    value: Decimal
    text: str


@dataclass(frozen=True)
class SizeRange:
    min: Optional[Size]
    max: Optional[Size]

    def contains(self, size: Size) -> bool:
        if self.min is not None and size.value < self.min.value:
            return False
        if self.max is not None and size.value > self.max.value:
            return False
        return True

    def text(self) -> str:
        lo = self.min.text if self.min else ""
        hi = self.max.text if self.max else ""
        return f"[{lo}, {hi}]"


class _Located:
    """`where(path)` for source objects: the file, line and column of one of their fields."""

    def where(self, field_path: str = "") -> FieldOrigin:
        """Accepts source paths or normalized ones (`engine.runner.args[2]` → `spec.containers[0].args[2]`)."""
        field_path = _to_source_path(self.source_paths, field_path)
        line, column = _nearest_mark(self.field_marks, field_path, self.origin)
        return FieldOrigin(self.origin.file, line, column, field_path)


# Fields of an engine/decoder/router spec that describe the component, not its pod.
COMPONENT_FIELDS = frozenset(
    {
        "labels",
        "annotations",
        "minReplicas",
        "maxReplicas",
        "scaleMetric",
        "scaleTarget",
        "minAvailable",
        "maxUnavailable",
        "deploymentStrategy",
        "containerConcurrency",
        "timeoutSeconds",
        "canaryTrafficPercent",
    }
)


@dataclass(frozen=True)
class FormatEntry:
    """One `supportedModelFormats[]` entry, both dialects folded together.

    `name`/`version` come from the seed's `name`/`version` or OME's `modelFormat.name/version`
    (OME's wins when both are set). `path` is the entry's field path, for diagnostics.
    """

    path: str
    name: Optional[str] = None
    version: Optional[str] = None
    operator: str = "Equal"  # Equal | GreaterThan | GreaterThanOrEqual (OME dialect)
    model_type: Optional[str] = None
    architecture: Optional[str] = None
    quantization: Optional[str] = None
    framework: Optional[str] = None
    framework_version: Optional[str] = None
    framework_operator: str = "Equal"
    auto_select: bool = False
    priority: Optional[int] = None


@dataclass(frozen=True)
class Runtime(_Located):
    """A ClusterServingRuntime or ServingRuntime."""

    kind: str
    name: str
    namespace: Optional[str]  # None for ClusterServingRuntime
    origin: Origin
    dialect: str
    formats: tuple[FormatEntry, ...] = ()
    protocol_versions: tuple[str, ...] = ()
    size_range: Optional[SizeRange] = None
    disabled: bool = False
    creation_timestamp: Optional[str] = None  # RFC 3339 text as written; compared as a datetime
    builtin: bool = False
    # OME-shaped component configs after dialect normalization (seed `containers` → engine runner).
    engine: Optional[dict] = field(default=None, compare=False)
    decoder: Optional[dict] = field(default=None, compare=False)
    router: Optional[dict] = field(default=None, compare=False)
    labels: dict = field(default_factory=dict, compare=False)
    annotations: dict = field(default_factory=dict, compare=False)
    # Position of fields inside the source document: dotted field path → (line, column).
    field_marks: dict = field(default_factory=dict, compare=False, repr=False)
    # Normalized prefix → source prefix, e.g. {"engine.runner": "spec.containers[0]"}.
    source_paths: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_cluster(self) -> bool:
        return self.kind == CLUSTER_SERVING_RUNTIME


@dataclass(frozen=True)
class Model(_Located):
    """A ClusterBaseModel or BaseModel: the facts selection and rendering need."""

    kind: str
    name: str
    namespace: Optional[str]
    origin: Origin
    format_name: Optional[str] = None
    format_version: Optional[str] = None
    framework: Optional[str] = None
    framework_version: Optional[str] = None
    architecture: Optional[str] = None
    model_type: Optional[str] = None
    quantization: Optional[str] = None
    size: Optional[Size] = None
    storage_path: Optional[str] = None
    storage_uri: Optional[str] = None
    vendor: Optional[str] = None
    disabled: bool = False
    builtin: bool = False
    annotations: dict = field(default_factory=dict, compare=False)
    field_marks: dict = field(default_factory=dict, compare=False, repr=False)
    source_paths: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class InferenceService(_Located):
    """An InferenceService with `predictor` (seed) folded into `engine`/`model`/`runtime` (OME)."""

    name: str
    namespace: str
    origin: Origin
    dialect: str
    model_name: Optional[str] = None
    runtime_name: Optional[str] = None
    protocol_version: Optional[str] = None
    engine: Optional[dict] = field(default=None, compare=False)
    decoder: Optional[dict] = field(default=None, compare=False)
    router: Optional[dict] = field(default=None, compare=False)
    labels: dict = field(default_factory=dict, compare=False)
    annotations: dict = field(default_factory=dict, compare=False)
    field_marks: dict = field(default_factory=dict, compare=False, repr=False)
    source_paths: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Config:
    """`omegen.yaml` merged with command-line flags."""

    kubernetes_version: str = "1.33"
    namespace: str = "default"
    builtin_runtimes: bool = True
    strict: bool = False


@dataclass(frozen=True)
class Sources:
    """Everything `load` found, built-ins included, keyed for lookup.

    Runtimes and models are keyed by (kind, namespace or None, name); services by (namespace, name).
    """

    config: Config
    runtimes: Mapping[tuple, Runtime] = field(default_factory=dict)
    models: Mapping[tuple, Model] = field(default_factory=dict)
    services: Mapping[tuple, InferenceService] = field(default_factory=dict)

    def runtime(self, kind: str, name: str, namespace: Optional[str] = None) -> Optional[Runtime]:
        return self.runtimes.get((kind, namespace if kind == SERVING_RUNTIME else None, name))

    def model_for(self, service: InferenceService) -> Optional[Model]:
        """Namespaced BaseModel first, then ClusterBaseModel (as OME's GetBaseModel)."""
        if service.model_name is None:
            return None
        return self.models.get((BASE_MODEL, service.namespace, service.model_name)) or self.models.get(
            (CLUSTER_BASE_MODEL, None, service.model_name)
        )


@dataclass(frozen=True)
class Rendered:
    """One output Kubernetes object and the sources it was made from (for diagnostics)."""

    obj: dict = field(compare=False)
    service: tuple  # (namespace, name) of the InferenceService
    sources: tuple[FieldOrigin, ...] = ()
    # (obj, output field path) → the source field that wrote it, when render knows (pod fields).
    locate: Optional[Callable[[dict, tuple], Optional[FieldOrigin]]] = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.obj.get("kind", "")

    @property
    def name(self) -> str:
        return self.obj.get("metadata", {}).get("name", "")

    @property
    def namespace(self) -> Optional[str]:
        return self.obj.get("metadata", {}).get("namespace")


@dataclass(frozen=True)
class Verdict:
    """How one runtime fared for one service: eligible or not, its rank, and why."""

    runtime: Runtime
    eligible: bool
    rank: Optional[int]  # 1 = winner; None when not eligible
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """The outcome of runtime resolution for one InferenceService."""

    service: InferenceService
    model: Optional[Model]
    runtime: Optional[Runtime]
    candidates: tuple[Verdict, ...] = ()
    # Which rule decided: explicit | only-candidate | scope | priority | size | creationTimestamp | name
    decided_by: Optional[str] = None
    diagnostics: tuple = ()  # of errors.Diagnostic


def _to_source_path(source_paths: Mapping, field_path: str) -> str:
    best = ""
    for prefix in source_paths:
        if (field_path == prefix or field_path.startswith(prefix + ".") or field_path.startswith(prefix + "[")) and len(
            prefix
        ) > len(best):
            best = prefix
    return source_paths[best] + field_path[len(best) :] if best else field_path


def _nearest_mark(marks: Mapping, field_path: str, origin: Origin) -> tuple[int, int]:
    path = field_path
    while path:
        if path in marks:
            return marks[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return (origin.line, origin.column)


