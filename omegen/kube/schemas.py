"""JSON Schemas of the objects omegen emits, compiled once and cached.

Core kinds (Deployment, Service, HorizontalPodAutoscaler, ...) come from the strict Kubernetes JSON
Schemas bundled by the PyPI package `kubernetes-validate` (`v<X.Y.Z>-local-strict/<kind>-<group>-<version>.json`
plus a shared `_definitions.json`). We read those files ourselves and never call its per-object
`validate()`, which re-reads 1.4 MB of definitions and rebuilds a validator on every call.

Custom resources (LeaderWorkerSet; OME's ClusterBaseModel and BaseModel, which `emitModels` writes)
come from omegen's own `schemas/<group>/<kind>_<version>.json` (derived from the upstream CRD by
`tools/derive_lws_schema.py`). A CRD schema describes ObjectMeta as
a bare `type: object` and carries its own, older copy of PodTemplateSpec; before compiling we point
both at the core definitions of the configured Kubernetes version, so a LeaderWorkerSet's pod
templates are checked exactly as strictly as a Deployment's.

Every schema is made standalone (the core `$defs` embedded, references rewritten to `#/$defs/...`) and
compiled with `jsonschema-rs`; the pure-Python `jsonschema` is the fallback when the Rust wheel is not
available. Validators are cached per (Kubernetes minor version, apiVersion, kind, backend); which versions are
bundled, and how a version is read, is kube/versions.py.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from omegen.kube.names import is_dns1123_subdomain
from omegen.kube.schemafindings import explain
from omegen.kube.versions import bundle_root, bundled_dir, normalize_version
from omegen.resources import data_dir

try:  # pragma: no cover - exercised by whichever backend is installed
    import jsonschema_rs as _rs
except ImportError:  # pragma: no cover
    _rs = None

RS = "jsonschema-rs"
PY = "jsonschema"
DEFAULT_BACKEND = RS if _rs is not None else PY

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_DEFS_URI = "/api/_definitions.json#"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
POD_TEMPLATE_SPEC = "io.k8s.api.core.v1.PodTemplateSpec"
PERSISTENT_VOLUME_CLAIM = "io.k8s.api.core.v1.PersistentVolumeClaim"

# Parts of a CRD schema that are core Kubernetes types: replaced by a reference to the core
# definition of the configured version. The root `metadata` of every CRD is added below.
_CRD_CORE_TYPES: dict[tuple[str, str, str], tuple[tuple[tuple, str], ...]] = {
    ("leaderworkerset.x-k8s.io", "leaderworkerset", "v1"): (
        (("properties", "spec", "properties", "leaderWorkerTemplate", "properties", "leaderTemplate"), POD_TEMPLATE_SPEC),
        (("properties", "spec", "properties", "leaderWorkerTemplate", "properties", "workerTemplate"), POD_TEMPLATE_SPEC),
        (
            ("properties", "spec", "properties", "leaderWorkerTemplate", "properties", "volumeClaimTemplates", "items"),
            PERSISTENT_VOLUME_CLAIM,
        ),
    ),
}

_SAFE_VERSION = re.compile(r"^v[0-9]+[a-z0-9]*$")
_SAFE_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class SchemaIssue:
    """One schema violation: where in the object (a path of keys and indices) and what is wrong."""

    path: tuple
    message: str


# --- loading ---------------------------------------------------------------------------------------


def _read_json(traversable) -> Any:
    return json.loads(traversable.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _definitions(version: str) -> dict:
    """The `$defs` of `_definitions.json` for one version (shared, never mutated)."""
    return _read_json(bundle_root().joinpath(bundled_dir(version), "_definitions.json"))["$defs"]


def definitions(kubernetes_version: str) -> dict:
    """The core definitions (`io.k8s.api.core.v1.PodSpec`, ...) of a Kubernetes version: shared,
    never to be mutated. They carry the strategic-merge metadata (`x-kubernetes-patch-merge-key`, ...)."""
    return _definitions(normalize_version(kubernetes_version))


def _split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _core_file_name(api_version: str, kind: str) -> str:
    # kubernetes-validate's naming: rbac.authorization.k8s.io/v1 → rbac-v1; core v1 → v1.
    group, version = _split_api_version(api_version)
    prefix = f"{group.split('.')[0]}-" if group else ""
    return f"{kind.lower()}-{prefix}{version}.json"


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_DEFS_URI):
                value = "#" + value[len(_DEFS_URI) :]
            out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _crd_schema_path(api_version: str, kind: str):
    group, version = _split_api_version(api_version)
    if not group:
        return None
    path = data_dir("schemas") / group / f"{kind.lower()}_{version}.json"
    return path if path.is_file() else None


@functools.lru_cache(maxsize=None)
def _crd_schema_text(api_version: str, kind: str) -> Optional[str]:
    path = _crd_schema_path(api_version, kind)
    return path.read_text(encoding="utf-8") if path else None


def _set_at(schema: dict, path: tuple, value: dict) -> None:
    node = schema
    for key in path[:-1]:
        node = node[key]
    description = node[path[-1]].get("description") if isinstance(node.get(path[-1]), dict) else None
    node[path[-1]] = dict(value, description=description) if description else value


def schema_for(api_version: str, kind: str, kubernetes_version: str) -> Optional[dict]:
    """The standalone strict schema of a kind (a fresh dict; `$defs` shared), or None when there is none."""
    version = normalize_version(kubernetes_version)
    group, api_ver = _split_api_version(str(api_version))
    if not (_SAFE_KIND.fullmatch(str(kind)) and _SAFE_VERSION.fullmatch(api_ver) and (not group or is_dns1123_subdomain(group))):
        return None  # never turn an odd apiVersion/kind into a file path
    defs = _definitions(version)
    text = _crd_schema_text(api_version, kind)
    if text is None:
        core = bundle_root().joinpath(bundled_dir(version), _core_file_name(api_version, kind))
        if not core.is_file():
            return None
        schema = _rewrite_refs(_read_json(core))
        schema.pop("$id", None)
        # The bundle names files by the first label of the group only: check the whole apiVersion.
        expected = schema.get("properties", {}).get("apiVersion", {}).get("enum")
        if expected and api_version not in expected:
            return None
    else:
        schema = json.loads(text)
        group, crd_version = _split_api_version(api_version)
        replacements = ((("properties", "metadata"), OBJECT_META),) + _CRD_CORE_TYPES.get(
            (group, kind.lower(), crd_version), ()
        )
        for path, definition in replacements:
            try:
                _set_at(schema, path, {"$ref": f"#/$defs/{definition}"})
            except (KeyError, TypeError):
                pass  # an older CRD without that field
        schema["properties"].setdefault("apiVersion", {})["enum"] = [api_version]
        schema["properties"].setdefault("kind", {})["enum"] = [kind]
    schema["$schema"] = DRAFT_2020_12
    schema["$defs"] = {name: defs[name] for name in _reachable(schema, version)}
    return schema


_REF = "#/$defs/"


def _refs(node: Any, found: list) -> list:
    """Every `#/$defs/NAME` that `node` references, NAME only."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                found.append(value[len(_REF) :])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)
    return found


@functools.lru_cache(maxsize=None)
def _def_refs(version: str, name: str) -> tuple:
    return tuple(_refs(_definitions(version).get(name), []))


def _reachable(schema: dict, version: str) -> list[str]:
    """The definitions a schema can reach, in a stable order. Only these are embedded: compiling a
    kind with all ~700 definitions costs 4-14 ms, with the 11-114 it uses a fraction of that, and a
    definition nothing references cannot change a result."""
    defs = _definitions(version)
    seen: dict[str, None] = {}
    pending = _refs(schema, [])
    while pending:
        name = pending.pop()
        if name in seen or name not in defs:
            continue
        seen[name] = None
        pending.extend(_def_refs(version, name))
    return sorted(seen)


# --- validators ------------------------------------------------------------------------------------


class Checker:
    """A compiled schema: `check(obj)` returns the issues, `[]` when the object is valid."""

    def __init__(self, schema: dict, backend: str):
        self.schema = schema
        if backend == RS:
            if _rs is None:
                raise RuntimeError("jsonschema-rs is not installed")
            self._validator = _rs.validator_for(schema)
            self.check = self._check_rs
        elif backend == PY:
            import jsonschema

            cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
            self._validator = cls(schema)
            self.check = self._check_py
        else:
            raise ValueError(f"unknown schema backend {backend!r}")

    check: Callable[[Any], list]

    def _check_rs(self, obj: Any) -> list[SchemaIssue]:
        if self._validator.is_valid(obj):
            return []
        issues = []
        for err in self._validator.iter_errors(obj):
            schema_path = tuple(err.schema_path)
            keyword = schema_path[-1] if schema_path else ""
            parent = _navigate(self.schema, schema_path[:-1])
            instance = getattr(err, "instance", None)  # older jsonschema-rs releases lack it
            issues += _issues(explain(tuple(err.instance_path), keyword, parent, instance, err.message))
        return _unique(issues)

    def _check_py(self, obj: Any) -> list[SchemaIssue]:
        if self._validator.is_valid(obj):
            return []
        issues = []
        for err in self._validator.iter_errors(obj):
            # Not explain_error: its anyOf branches are the pure-Python library's alone, and both
            # backends must word a finding alike.
            issues += _issues(explain(tuple(err.absolute_path), err.validator, err.schema, err.instance, err.message))
        return _unique(issues)


def checker(api_version: str, kind: str, kubernetes_version: str, backend: str = DEFAULT_BACKEND) -> Optional[Checker]:
    """The compiled validator of a kind (built once per version, kind and backend), or None when no
    schema exists for it. Raises `UnsupportedVersion`."""
    return _checker(api_version, kind, normalize_version(kubernetes_version), backend)


@functools.lru_cache(maxsize=None)
def _checker(api_version: str, kind: str, version: str, backend: str) -> Optional[Checker]:
    schema = schema_for(api_version, kind, version)
    return None if schema is None else Checker(schema, backend)


def _navigate(schema: Any, path: tuple) -> Any:
    node = schema
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _issues(findings) -> list[SchemaIssue]:
    return [SchemaIssue(finding.path, finding.message) for finding in findings]


def _path_key(path: tuple) -> tuple:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)


def _unique(issues: list[SchemaIssue]) -> list[SchemaIssue]:
    """De-duplicated and sorted by path, so both backends report in the same order."""
    unique = {(issue.path, issue.message): issue for issue in issues}
    return sorted(unique.values(), key=lambda issue: (_path_key(issue.path), issue.message))
