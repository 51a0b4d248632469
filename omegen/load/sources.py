"""Stage 1, load: the source tree (plus the built-in catalog) as checked, normalized `Sources`.

`discover` finds the documents, `inputschema` checks each strictly, `normalize` folds both dialects
into `api` objects; this module applies the identity rules: two source objects with the same kind,
namespace and name are an error naming both files, and a source object with the identity of a
built-in one replaces it (an info diagnostic says so), which is how a team customises the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Optional

from omegen.load import inputschema, layers, targetversion, unrendered
from omegen.api import API_VERSION, CLUSTER_SCOPED, INFERENCE_SERVICE, AcceleratorClass, Config, FineTunedWeight, InferenceService, Model, Runtime, Sources
from omegen.load.config import CONFIG_FILE
from omegen.load.layers import Plan
from omegen.load.discover import SourceDocument, discover, read_documents
from omegen.errors import Diagnostic, ObjectRef, about, error, has_errors, info
from omegen.kube.names import annotations_problem, DNS1035_LABEL, DNS1123_LABEL, DNS1123_SUBDOMAIN, name_problem
from omegen.load.normalize import normalize
from omegen.kube.versions import UnsupportedVersion, normalize_version
from omegen.resources import data_dir
from omegen.yamlio import format_source_path

BUILTIN_PREFIX = "<builtin>"


@dataclass(frozen=True)
class Gathered:
    """What a build reads, before anything is checked: the settings, the omegen.yaml layers (for the
    overlay stage) and every ome.io document found, each with the layers over it."""

    config: Config
    plan: Plan
    documents: tuple[SourceDocument, ...]


def load_sources(
    root: Path,
    *,
    builtin: Optional[bool] = None,
    skip: Iterable[Path] = (),
    output: Optional[Path] = None,
    kubernetes_version: Optional[str] = None,
    cluster_version: Optional[str] = None,
    boundary: Optional[Path] = None,
) -> tuple[Sources, list[Diagnostic]]:
    """Load the source tree or overlay at `root` (plus the built-in catalog unless disabled), without
    source patches (the pipeline applies them between `gather` and `build_sources`).

    `builtin` and `kubernetes_version` override `omegen.yaml`; `cluster_version` fills in when it sets
    no version (`targetversion`); `skip` lists directories (e.g. the output) to ignore.
    """
    gathered, diagnostics = gather(
        root, builtin=builtin, skip=skip, output=output, kubernetes_version=kubernetes_version, cluster_version=cluster_version, boundary=boundary
    )
    return build_sources(gathered, diagnostics), diagnostics


def gather(
    root: Path,
    *,
    builtin: Optional[bool] = None,
    skip: Iterable[Path] = (),
    output: Optional[Path] = None,
    kubernetes_version: Optional[str] = None,
    cluster_version: Optional[str] = None,
    boundary: Optional[Path] = None,
) -> tuple[Gathered, list[Diagnostic]]:
    """The documents of the tree or overlay at `root`; `skip` lists directories to ignore, `output`
    (the output tree, also in `skip`) must hold nothing else when it lies inside the tree."""
    found, diagnostics = layers.plan(Path(root), boundary)
    config = Config(**found.settings)
    config, chosen = targetversion.choose(config, "kubernetes_version" in found.settings, kubernetes_version, cluster_version)
    diagnostics.extend(chosen)
    if builtin is not None:
        config = replace(config, builtin_runtimes=builtin)

    docs: list[SourceDocument] = []
    if config.builtin_runtimes:
        everywhere = tuple(reversed(found.order()))  # every layer may patch the catalog, innermost first
        for name in ("runtimes", "models"):
            directory = data_dir(name)
            for path in discover(directory, ()):
                label = f"{BUILTIN_PREFIX}/{name}/{path.relative_to(directory).as_posix()}"
                docs.extend(replace(d, layers=everywhere) for d in read_documents(path, label, True, diagnostics))
    for part in found.parts:
        paths = [part.path] if part.path.is_file() else discover(part.path, tuple(skip) + ((output,) if output else ()), diagnostics, part.label, output=output)
        for path in paths:
            if path.resolve() in part.excluded:
                continue
            rel = part.label if path == part.path else _join(part.label, path.relative_to(part.path).as_posix())
            if path != part.path and path.relative_to(part.path).as_posix() == CONFIG_FILE:
                continue
            docs.extend(
                replace(d, layers=part.layers, default_namespace=part.default_namespace)
                for d in read_documents(path, rel, False, diagnostics)
            )
    return Gathered(config, found, tuple(docs)), diagnostics


def _join(prefix: str, rel: str) -> str:
    return f"{prefix}/{rel}" if prefix else rel


def build_sources(gathered: Gathered, diagnostics: list[Diagnostic]) -> Sources:
    """Check, normalize and index the gathered documents (diagnostics appended to `diagnostics`)."""
    sources = _build_sources(list(gathered.documents), gathered.config, diagnostics)
    return replace(sources, layers=gathered.plan.layers, layer_order=gathered.plan.order())


def _build_sources(docs: list[SourceDocument], config: Config, diagnostics: list[Diagnostic]) -> Sources:
    runtimes: dict = {}
    models: dict = {}
    services: dict = {}
    weights: dict = {}
    classes: dict = {}
    seen: dict = {}  # identity → SourceDocument, for duplicate reports
    rejected: dict = {}  # identity → "file:line" of documents dropped for their errors
    for found in docs:
        doc_config = config if found.default_namespace is None else replace(config, default_namespace=found.default_namespace)
        identity = _claimed_identity(found, doc_config)
        subject = ObjectRef(identity[0], identity[2], identity[1] or "", API_VERSION) if identity else None
        problems = inputschema.check_document(found.kind, found.doc, found.file, _schema_version(config))
        problems += _check_metadata(found)
        problems += _check_annotation_totals(found)
        problems += unrendered.check(found)
        diagnostics.extend(about(problems, subject))
        obj = None
        if not has_errors(problems):
            obj, problems = normalize(found, doc_config)
            diagnostics.extend(about(problems, subject))
        if obj is None:
            if identity is not None:
                rejected.setdefault(identity, f"{found.file}:{found.doc.line}")
            continue
        identity = _identity(obj)
        table = (
            runtimes if isinstance(obj, Runtime) else models if isinstance(obj, Model) else weights if isinstance(obj, FineTunedWeight)
            else classes if isinstance(obj, AcceleratorClass) else services
        )
        if identity in seen:
            first = seen[identity]
            if first.builtin and not found.builtin:
                line, column = found.where(("metadata", "name"))
                diagnostics.append(
                    info("builtin-replaced", f"{_describe(identity)} replaces the built-in one from {first.file}", found.file, line, column, "metadata.name", obj.ref)
                )
            else:
                line, column = found.where(("metadata", "name"))
                first_line, _ = first.where(("metadata", "name"))
                diagnostics.append(
                    error("duplicate-object", f"{_describe(identity)} is also defined in {first.file}:{first_line}", found.file, line, column, "metadata.name", obj.ref)
                )
                continue
        seen[identity] = found
        if isinstance(obj, InferenceService):
            obj = replace(obj, layers=found.layers)
        if found.patched:
            obj = replace(obj, patched=found.patched)
        table[obj.name if isinstance(obj, AcceleratorClass) else _key(obj)] = obj
    for identity in seen:
        rejected.pop(identity, None)  # another, valid definition exists
    return Sources(config=config, runtimes=runtimes, models=models, services=services, fine_tuned_weights=weights, accelerator_classes=classes, rejected=rejected)


def _claimed_identity(found: SourceDocument, config: Config) -> Optional[tuple]:
    """The identity a rejected document meant to define, when its name can be read at all."""
    metadata = found.doc.data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        return None
    namespace = None
    if found.kind not in CLUSTER_SCOPED:
        namespace = metadata.get("namespace") if isinstance(metadata.get("namespace"), str) else config.default_namespace
    return (found.kind, namespace, metadata["name"])


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


def _check_annotation_totals(found: SourceDocument) -> list[Diagnostic]:
    """Every `annotations` map of a source over the API server's 256 KiB total, at that map: a
    rendered object carries it whole (the rendered objects are checked again, merged)."""
    problems = []
    stack = [((), found.doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            annotations = value.get("annotations")
            if isinstance(annotations, dict):
                why = annotations_problem(annotations)
                if why:
                    problems.append(found.error("annotations-too-large", f"{format_source_path(path + ('annotations',))}: {why}", path + ("annotations",)))
            stack.extend((path + (k,), v) for k, v in value.items() if k != "annotations")
        elif isinstance(value, list):
            stack.extend((path + (i,), v) for i, v in enumerate(value))
    return problems


def _check_metadata(found: SourceDocument) -> list[Diagnostic]:
    metadata = found.doc.data.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return [found.error("missing-field", "metadata.name is required", ("metadata",))]
    problems = []
    if not isinstance(metadata["name"], str):
        return problems  # the input schema reports the type; a second message about "123" adds nothing
    # OME's webhook holds service names to DNS-1035 labels; the endpoint Service is named after it.
    rule = DNS1035_LABEL if found.kind == INFERENCE_SERVICE else DNS1123_SUBDOMAIN
    subject = "InferenceService names" if found.kind == INFERENCE_SERVICE else f"{found.kind} names"
    why = name_problem(str(metadata["name"]), rule, subject)
    if why:
        problems.append(found.error("invalid-name", f"metadata.name: {why}", ("metadata", "name")))
    namespace = metadata.get("namespace")
    if found.kind in CLUSTER_SCOPED and namespace:
        problems.append(found.warning("ignored-field", f"{found.kind} is cluster-scoped; metadata.namespace is ignored", ("metadata", "namespace")))
    elif namespace and isinstance(namespace, str):
        why = name_problem(namespace, DNS1123_LABEL, "namespaces")
        if why:
            problems.append(found.error("invalid-name", f"metadata.namespace: {why}", ("metadata", "namespace")))
    return problems


def _schema_version(config: Config) -> str:
    """The Kubernetes version free-form fields are typed by: the configured one when its schemas are
    bundled (omegen.yaml reports it otherwise), else the default."""
    try:
        return normalize_version(config.kubernetes_version)
    except UnsupportedVersion:
        return inputschema.DEFAULT_KUBERNETES_VERSION
