"""Type-only Kubernetes schemas for the free-form parts of a source: runner containers, pod-spec
fields (affinity, tolerations, volumes, ...), a Deployment strategy.

The input schemas (`schemas/ome/*.json`) describe these as a bare `{"type": "object"}`; rendering
code reads into them (`resources.limits`, `volumeMounts[*].mountPath`, `env[*].name`), so a wrong
type there (`resources: 10`, `volumeMounts: 5`, a list where a name belongs) must be reported at
the source field before any rendering code runs. `enrich` gives such a bare schema the structure
of its Kubernetes definition, reduced to what can be checked on a fragment that a strategic merge
patch may still complete: types, properties and items. Required fields, enums, patterns and
unknown keys stay with the strict output validation, which words them at the rendered object.
`null` stays allowed wherever Kubernetes allows it (a service's `null` deletes a runtime's value).
"""

from __future__ import annotations

import functools
from typing import Any, Optional

from omegen.kube.schemas import _definitions
from omegen.kube.versions import normalize_version

CONTAINER = "io.k8s.api.core.v1.Container"
POD_SPEC = "io.k8s.api.core.v1.PodSpec"
_EXTRA = {"deploymentStrategy": "io.k8s.api.apps.v1.DeploymentStrategy"}
_KEPT = ("type", "properties", "items", "additionalProperties", "$ref", "anyOf", "oneOf", "allOf")
REF_PREFIX = "#/$defs/"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


@functools.lru_cache(maxsize=None)
def type_only_definitions(kubernetes_version: str) -> dict:
    """Every definition reachable from Container and PodSpec (plus `_EXTRA`), type-only."""
    defs = _definitions(normalize_version(kubernetes_version))
    out: dict = {}
    pending = [CONTAINER, POD_SPEC, *_EXTRA.values()]
    while pending:
        name = pending.pop()
        if name in out or name not in defs:
            continue
        out[name] = _reduce(defs[name], pending)
    return out


def _reduce(node: Any, refs: list) -> Any:
    if not isinstance(node, dict):
        return node
    out = {}
    for key in _KEPT:
        if key not in node:
            continue
        value = node[key]
        if key == "$ref":
            refs.append(value.removeprefix(REF_PREFIX))
            out[key] = value
        elif key == "properties":
            out[key] = {name: _reduce(sub, refs) for name, sub in value.items()}
        elif key == "additionalProperties":
            if isinstance(value, dict):  # a map's value type; `false` (strictness) is not ours to check
                out[key] = _reduce(value, refs)
        elif key in ("anyOf", "oneOf", "allOf"):
            # oneOf → anyOf: IntOrString's branches both accept null, which oneOf would refuse.
            out["allOf" if key == "allOf" else "anyOf"] = [_reduce(branch, refs) for branch in value]
        else:
            out[key] = _reduce(value, refs) if key == "items" else value
    if node.get("format") == "int32":  # a replica count or port past int32 would be refused
        out.update(minimum=INT32_MIN, maximum=INT32_MAX)
    return out


def pod_field(name: str, kubernetes_version: str) -> Optional[dict]:
    """The type-only schema of the pod-spec field `name` (or `deploymentStrategy`), if Kubernetes has one."""
    if name in _EXTRA:
        return {"$ref": REF_PREFIX + _EXTRA[name]}
    spec = type_only_definitions(kubernetes_version)[POD_SPEC]
    return spec["properties"].get(name)


def container_field(name: str, kubernetes_version: str) -> Optional[dict]:
    return type_only_definitions(kubernetes_version)[CONTAINER]["properties"].get(name)


def enrich(schema: dict, kubernetes_version: str) -> dict:
    """An input schema (a fresh copy) whose bare free-form fields carry their Kubernetes structure;
    the type-only definitions are added to its `$defs`.

    A container is a schema named `container` in `$defs`, or any object schema that declares an
    `image`; a pod-spec-like schema is any object schema that declares `tolerations` or `affinity`.
    Only fields whose input schema is bare (no properties, no $ref) are enriched, so every check the
    input schema makes itself stays as it is."""
    schema = _copy(schema)
    defs = schema.setdefault("$defs", {})
    if isinstance(defs.get("container"), dict) and "properties" not in defs["container"]:
        defs["container"] = {**defs["container"], **_structure({"$ref": REF_PREFIX + CONTAINER}, kubernetes_version)}
    found = []  # (properties, lookup): gathered first, so inserted Kubernetes parts are not walked
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        properties = node.get("properties")
        if isinstance(properties, dict):
            if "image" in properties:
                found.append((properties, container_field))
            elif "tolerations" in properties or "affinity" in properties:
                found.append((properties, pod_field))
        stack.extend(node.values())
    for properties, lookup in found:
        for name, sub in list(properties.items()):
            k8s = lookup(name, kubernetes_version)
            if k8s is not None and _bare(sub):
                properties[name] = {**sub, **_structure(k8s, kubernetes_version)}
    defs.update(type_only_definitions(kubernetes_version))
    return schema


def _bare(schema: Any) -> bool:
    if not isinstance(schema, dict) or "properties" in schema or "$ref" in schema:
        return False
    items = schema.get("items")
    return items is None or (isinstance(items, dict) and "properties" not in items and "$ref" not in items)


def _structure(k8s: dict, kubernetes_version: str) -> dict:
    """A Kubernetes field schema's structure without its own `type` (the input schema keeps its type,
    and with it its wording: "expected object", not "expected object or null")."""
    if "$ref" in k8s and len(k8s) == 1:
        k8s = type_only_definitions(kubernetes_version).get(k8s["$ref"].removeprefix(REF_PREFIX), k8s)
    out = {k: v for k, v in k8s.items() if k != "type"}
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
