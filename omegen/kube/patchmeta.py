"""Strategic-merge metadata from the Kubernetes OpenAPI definitions that kubernetes-validate ships:
which lists merge by which key (`x-kubernetes-patch-merge-key` under `x-kubernetes-patch-strategy:
merge`) and which maps keep only the keys a patch names (`retainKeys`).

`for_object` walks an output object's schema (`kube.schemas.schema_for`), so a LeaderWorkerSet's pod
templates merge as `PodTemplateSpec` does (that schema points them at the core definition); a field
the schema does not describe (or a CRD's own part) has no metadata: its lists are replaced whole, as
Kubernetes does for them. `pod_merge_keys` is the field-name table rendering uses for OME's untyped
engine/decoder/router specs, derived from the same data (see merge.py for where the two differ).
"""

from __future__ import annotations

import functools
from typing import Any, Optional

from omegen.kube.schemas import POD_TEMPLATE_SPEC, definitions, schema_for
from omegen.kube.versions import supported_versions


class PatchMeta:
    """A position in a schema: what merging the value found there means."""

    __slots__ = ("node", "defs")

    def __init__(self, node: Optional[dict], defs: dict):
        self.node = _resolve(node, defs)
        self.defs = defs

    def child(self, key: str) -> "PatchMeta":
        properties = self.node.get("properties") if self.node else None
        if isinstance(properties, dict) and key in properties:
            return PatchMeta(properties[key], self.defs)
        extra = self.node.get("additionalProperties") if self.node else None
        return PatchMeta(extra if isinstance(extra, dict) else None, self.defs)

    def items(self) -> "PatchMeta":
        return PatchMeta(self.node.get("items") if self.node else None, self.defs)

    def _strategies(self) -> set:
        return set(str(self.node.get("x-kubernetes-patch-strategy") or "").split(",")) if self.node else set()

    def merge_key(self) -> Optional[str]:
        """The merge key of the list here, or None when the list is replaced whole."""
        if "merge" in self._strategies():
            return self.node.get("x-kubernetes-patch-merge-key")
        return None

    def retain_keys(self) -> bool:
        return "retainKeys" in self._strategies()


def _resolve(node: Optional[dict], defs: dict) -> Optional[dict]:
    # Follow `$ref` (and the one-branch `allOf` some definitions wrap a reference in).
    for _ in range(8):
        if not isinstance(node, dict):
            return None
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            merged = {k: v for k, v in node.items() if k != "$ref"}
            target = defs.get(ref[len("#/$defs/") :]) or {}
            node = {**target, **{k: v for k, v in merged.items() if k.startswith("x-kubernetes")}}
            continue
        if "allOf" in node and len(node["allOf"]) == 1 and "properties" not in node:
            node = {**node["allOf"][0], **{k: v for k, v in node.items() if k.startswith("x-kubernetes")}}
            continue
        return node
    return node


_NOTHING = PatchMeta(None, {})


def for_object(api_version: str, kind: str, kubernetes_version: str) -> PatchMeta:
    """The metadata of an output kind; nothing (lists replaced) for a kind without a schema."""
    schema = schema_for(api_version, kind, kubernetes_version)
    if schema is None:
        return _NOTHING
    return PatchMeta(schema, schema["$defs"])


@functools.cache
def pod_merge_keys() -> dict[str, str]:
    """List field name → merge key, for every list in a pod template (PodTemplateSpec and what it
    holds) whose key is the same wherever the field name appears there. `ports` is not: containers
    key theirs by `containerPort`, Services by `port`; merge.py tells them apart by their items."""
    defs = definitions(supported_versions()[-1])
    found: dict[str, set] = {}
    seen: set = set()  # definitions already walked (the schema is recursive: JSONSchemaProps)

    def walk(node: Any) -> None:
        ref = node.get("$ref") if isinstance(node, dict) else None
        if ref in seen:
            return
        if ref:
            seen.add(ref)
        meta = PatchMeta(node, defs)
        for key, value in ((meta.node or {}).get("properties") or {}).items():
            child = PatchMeta(value, defs)
            kind = child.node.get("type") if child.node else None
            if kind == "array" or isinstance(kind, list) and "array" in kind:
                found.setdefault(key, set()).add(child.merge_key())
                walk(child.node.get("items"))
            else:
                walk(value)

    walk({"$ref": f"#/$defs/{POD_TEMPLATE_SPEC}"})
    return {key: next(iter(keys)) for key, keys in sorted(found.items()) if len(keys) == 1 and None not in keys}
