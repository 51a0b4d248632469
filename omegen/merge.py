"""Kubernetes strategic merge over plain dicts: the one merge omegen has.

It serves three callers: a runtime's `engineConfig`/`decoderConfig`/`routerConfig` patched by the
service's `engine`/`decoder`/`router`, the runner container placed into its pod, and a group's
leader/worker layered over its component. The rules are the Kubernetes ones (as OME applies them,
see ome-behaviour 4.1):

- maps merge key by key, recursively; a scalar (or a value of another type) from the patch wins;
- lists of objects with a merge key merge item by item (`containers`, `env`, `volumes` by `name`;
  container `ports` by `containerPort`, Service `ports` by `port`; `volumeMounts` by `mountPath`, ...);
- in a merged list, the patch's items come first in patch order, then the items only the base has,
  in base order (OME's order: env `[ENV1(isvc), ENV3, ENV2(runtime)]`);
- every other list (`tolerations`, `args`, `command`, ...) is replaced by the patch's;
- one-of fields do not mix: a patched env var that sets `value` drops the base's `valueFrom` (and the
  reverse); a patched volume keeps only the source the patch names (Kubernetes' `retainKeys`); a
  patched probe or lifecycle handler that names `exec`/`httpGet`/`tcpSocket`/`grpc` drops the
  base's other handler; a patched Deployment strategy that names its `type` keeps only the keys
  the patch names (`retainKeys`: `Recreate` drops `rollingUpdate`);
- directives (a service may use them on the runtime's values): a `null` value deletes the key;
  `$patch: delete` on a map or list item deletes it; `$patch: replace` on a map replaces it whole; a
  list item `{$patch: replace}` makes the patch's list replace the base's.

Which lists merge by which key comes from the Kubernetes OpenAPI definitions (kube.patchmeta):
- overlay patches on output objects (`strategic_merge(base, patch, meta)`) follow the object's schema,
  field by field, as `kubectl` does; a LeaderWorkerSet's pod templates are PodTemplateSpecs there;
- rendering merges OME's engine/decoder/router specs, which have no schema, by field name
  (`merge_key`): the table is derived from the same definitions (every list under a PodTemplateSpec
  whose key is the same wherever its name appears). Where the two differ: `ports` is keyed by what
  its items hold (`containerPort` in a container, `port` in a Service), since rendering cannot know
  which it is merging; and a field the schema does not describe has no merge key with `meta`.
The one-of rules below (env `value`/`valueFrom`, probe handlers) are omegen's in both: the
definitions do not carry them, and a merge that kept both would make an object the API refuses.

Pure functions: inputs are never mutated; the result shares no mutable structure with them.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

from omegen.kube.patchmeta import PatchMeta, pod_merge_keys

PATCH_DIRECTIVE = "$patch"


def _merge_keys() -> dict[str, str]:
    return {field: key for field, key in pod_merge_keys().items() if field != "ports"}


# Mutually exclusive fields (one-of groups), by the field the map sits under.
_ENV_VALUE = frozenset({"value", "valueFrom"})
_HANDLERS = frozenset({"exec", "httpGet", "tcpSocket", "grpc", "sleep"})
_HANDLER_FIELDS = frozenset({"readinessProbe", "livenessProbe", "startupProbe", "postStart", "preStop"})
_STRATEGY_FIELDS = frozenset({"strategy", "deploymentStrategy"})


def strategic_merge(base: Any, patch: Any, meta: Optional[PatchMeta] = None) -> Any:
    """Merge `patch` onto `base` (either may be None); returns a new value. With `meta` (the schema
    position of `base`, kube.patchmeta.for_object) lists merge as the schema says; without it, by
    field name (rendering)."""
    result = _merge(base, patch, "", _ByName() if meta is None else _BySchema(meta))
    return None if result is _DELETED else result


def merge_all(*layers: Any) -> Any:
    """Fold `strategic_merge` over layers, lowest precedence first; None layers are skipped."""
    result = None
    for layer in layers:
        if layer is not None:
            result = strategic_merge(result, layer)
    return result


def merge_key(field: str, base: Any, patch: Any) -> Optional[str]:
    """The merge key of list `field`, or None when the list is replaced wholesale.

    `ports` is keyed by `containerPort` in a container and by `port` in a Service; which one is told
    by the items themselves.
    """
    if field == "ports":
        items = [i for i in (base or []) + (patch or []) if isinstance(i, dict) and PATCH_DIRECTIVE not in i]
        if items and all("containerPort" in i for i in items):
            return "containerPort"
        if items and all("port" in i for i in items):
            return "port"
        return None
    return _merge_keys().get(field)


class _ByName:
    """Rendering's rules: merge keys by field name, wherever the field is."""

    def child(self, _key: str) -> "_ByName":
        return self

    items = child

    def list_key(self, field: str, base: list, patch: list) -> Optional[str]:
        return merge_key(field, base, patch)

    def retain_keys(self, field: str) -> Optional[str]:
        """"item" (a list item that names another source drops the base's), "map" (a map that
        names its type keeps only the keys it names), or None."""
        return "item" if field == "volumes" else "map" if field in _STRATEGY_FIELDS else None


class _BySchema:
    """Overlay rules: the schema position of the value being merged."""

    __slots__ = ("meta", "item_of_retaining_list")

    def __init__(self, meta: PatchMeta, item_of_retaining_list: bool = False):
        self.meta = meta
        self.item_of_retaining_list = item_of_retaining_list

    def child(self, key: str) -> "_BySchema":
        return _BySchema(self.meta.child(key))

    def items(self, _key: str = "") -> "_BySchema":
        return _BySchema(self.meta.items(), self.meta.retain_keys())

    def list_key(self, _field: str, _base: list, _patch: list) -> Optional[str]:
        return self.meta.merge_key()

    def retain_keys(self, _field: str) -> Optional[str]:
        if self.item_of_retaining_list:
            return "item"
        return "map" if self.meta.retain_keys() else None


class _Deleted:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<deleted>"


_DELETED = _Deleted()


def _merge(base: Any, patch: Any, field: str, rules) -> Any:
    if isinstance(patch, dict):
        directive = patch.get(PATCH_DIRECTIVE)
        if directive == "delete":
            return _DELETED
        if directive == "replace":
            return _clean({k: v for k, v in patch.items() if k != PATCH_DIRECTIVE})
        if isinstance(base, dict):
            return _merge_maps(base, patch, field, rules)
        return _clean({k: v for k, v in patch.items() if k != PATCH_DIRECTIVE})
    if isinstance(patch, list):
        if isinstance(base, list):
            return _merge_lists(base, patch, field, rules)
        return _clean_list(patch)
    if patch is None:
        return copy.deepcopy(base)
    return patch


def _merge_maps(base: dict, patch: dict, field: str, rules) -> dict:
    base = _drop_exclusive(base, patch, field, rules)
    out = {k: copy.deepcopy(v) for k, v in base.items()}
    for key, value in patch.items():
        if key == PATCH_DIRECTIVE:
            continue
        if value is None:
            out.pop(key, None)
            continue
        merged = _merge(base.get(key), value, key, rules.child(key))
        if merged is _DELETED:
            out.pop(key, None)
        else:
            out[key] = merged
    return out


def _drop_exclusive(base: dict, patch: dict, field: str, rules) -> dict:
    """Base keys a patch displaces by naming another member of their one-of group."""
    if field == "env":
        group = _ENV_VALUE
    elif field in _HANDLER_FIELDS:
        group = _HANDLERS
    elif rules.retain_keys(field) == "item":
        # Volume: `retainKeys` — a patch that names a source keeps only the keys it names.
        if set(patch) - {"name", PATCH_DIRECTIVE}:
            return {k: v for k, v in base.items() if k == "name" or k in patch}
        return base
    elif rules.retain_keys(field) == "map":
        # Deployment strategy: `retainKeys` — a patch that names the type keeps only the keys it
        # names, so `Recreate` drops the base's `rollingUpdate` (which the API server would refuse).
        if patch.get("type") is not None:
            return {k: v for k, v in base.items() if k in patch}
        return base
    else:
        return base
    named = group.intersection(k for k, v in patch.items() if v is not None)
    if not named:
        return base
    return {k: v for k, v in base.items() if k not in group or k in named}


def _merge_lists(base: list, patch: list, field: str, rules) -> list:
    if any(isinstance(i, dict) and i.get(PATCH_DIRECTIVE) == "replace" and len(i) == 1 for i in patch):
        return _clean_list([i for i in patch if not (isinstance(i, dict) and i.get(PATCH_DIRECTIVE) == "replace")])
    key = rules.list_key(field, base, patch)
    if key is None:
        return _clean_list(patch)
    base_index: dict = {}
    for i, item in enumerate(base):
        if isinstance(item, dict) and key in item:
            base_index.setdefault(_hashable(item[key]), i)
    used: set = set()
    out = []
    for item in patch:
        # An item without its merge key (or matching an item already merged) is added as written.
        i = base_index.get(_hashable(item[key])) if isinstance(item, dict) and key in item else None
        if i in used:
            i = None
        if i is not None:
            used.add(i)
        merged = _merge(base[i] if i is not None else None, item, field, rules.items(field))
        if merged is not _DELETED:
            out.append(merged)
    out.extend(copy.deepcopy(item) for i, item in enumerate(base) if i not in used)
    return out


def _hashable(value: Any) -> Any:
    # Merge keys are scalars; `containerPort: 8080` and `"8080"` are the same port.
    return str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else repr(value)


def _clean(value: Any) -> Any:
    """A deep copy of patch-only content with directives and null map values removed."""
    if isinstance(value, dict):
        return {
            k: _clean(v)
            for k, v in value.items()
            if k != PATCH_DIRECTIVE and v is not None and not (isinstance(v, dict) and v.get(PATCH_DIRECTIVE) == "delete")
        }
    if isinstance(value, list):
        return _clean_list(value)
    return value


def _clean_list(items: list) -> list:
    return [_clean(i) for i in items if not (isinstance(i, dict) and i.get(PATCH_DIRECTIVE) in ("delete", "replace"))]
