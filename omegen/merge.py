"""Kubernetes strategic merge over plain dicts: the one merge omegen has.

It serves three callers: a runtime's `engineConfig`/`decoderConfig`/`routerConfig` patched by the
service's `engine`/`decoder`/`router`, the runner container placed into its pod, and a group's
leader/worker layered over its component. The rules are the Kubernetes ones (as OME applies them,
see ome-behaviour 4.1):

- maps merge key by key, recursively; a scalar (or a value of another type) from the patch wins;
- lists of objects with a merge key merge item by item: `containers`, `initContainers`,
  `ephemeralContainers`, `volumes`, `imagePullSecrets`, `env`, `resourceClaims` by `name`; container
  `ports` by `containerPort` (Service `ports` by `port`); `volumeMounts` by `mountPath`,
  `volumeDevices` by `devicePath`, `hostAliases` by `ip`, `topologySpreadConstraints` by `topologyKey`;
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

Pure functions: inputs are never mutated; the result shares no mutable structure with them.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

PATCH_DIRECTIVE = "$patch"

# List field name → merge key of its items.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "env": "name",
    "resourceClaims": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}

# Mutually exclusive fields (one-of groups), by the field the map sits under.
_ENV_VALUE = frozenset({"value", "valueFrom"})
_HANDLERS = frozenset({"exec", "httpGet", "tcpSocket", "grpc", "sleep"})
_HANDLER_FIELDS = frozenset({"readinessProbe", "livenessProbe", "startupProbe", "postStart", "preStop"})
_STRATEGY_FIELDS = frozenset({"strategy", "deploymentStrategy"})


def strategic_merge(base: Any, patch: Any) -> Any:
    """Merge `patch` onto `base` (either may be None); returns a new value."""
    result = _merge(base, patch, "")
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
    return MERGE_KEYS.get(field)


class _Deleted:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<deleted>"


_DELETED = _Deleted()


def _merge(base: Any, patch: Any, field: str) -> Any:
    if isinstance(patch, dict):
        directive = patch.get(PATCH_DIRECTIVE)
        if directive == "delete":
            return _DELETED
        if directive == "replace":
            return _clean({k: v for k, v in patch.items() if k != PATCH_DIRECTIVE})
        if isinstance(base, dict):
            return _merge_maps(base, patch, field)
        return _clean({k: v for k, v in patch.items() if k != PATCH_DIRECTIVE})
    if isinstance(patch, list):
        if isinstance(base, list):
            return _merge_lists(base, patch, field)
        return _clean_list(patch)
    if patch is None:
        return copy.deepcopy(base)
    return patch


def _merge_maps(base: dict, patch: dict, field: str) -> dict:
    base = _drop_exclusive(base, patch, field)
    out = {k: copy.deepcopy(v) for k, v in base.items()}
    for key, value in patch.items():
        if key == PATCH_DIRECTIVE:
            continue
        if value is None:
            out.pop(key, None)
            continue
        merged = _merge(base.get(key), value, key)
        if merged is _DELETED:
            out.pop(key, None)
        else:
            out[key] = merged
    return out


def _drop_exclusive(base: dict, patch: dict, field: str) -> dict:
    """Base keys a patch displaces by naming another member of their one-of group."""
    if field == "env":
        group = _ENV_VALUE
    elif field in _HANDLER_FIELDS:
        group = _HANDLERS
    elif field == "volumes":
        # Volume: `retainKeys` — a patch that names a source keeps only the keys it names.
        if set(patch) - {"name", PATCH_DIRECTIVE}:
            return {k: v for k, v in base.items() if k == "name" or k in patch}
        return base
    elif field in _STRATEGY_FIELDS:
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


def _merge_lists(base: list, patch: list, field: str) -> list:
    if any(isinstance(i, dict) and i.get(PATCH_DIRECTIVE) == "replace" and len(i) == 1 for i in patch):
        return _clean_list([i for i in patch if not (isinstance(i, dict) and i.get(PATCH_DIRECTIVE) == "replace")])
    key = merge_key(field, base, patch)
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
        merged = _merge(base[i] if i is not None else None, item, field)
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
