"""Where Kustomize's transforms reach in an object: its pod templates, selectors and containers.

Kustomize knows the built-in workload kinds only; omegen also knows LeaderWorkerSet (its leader and
worker templates are pod templates), so a label, annotation, image or name reaches those pods too.
"""

from __future__ import annotations

from typing import Iterator

from omegen.kube.podtemplates import POD_TEMPLATE_PATHS
from omegen.safeget import as_dict

# Kinds whose spec.selector is a LabelSelector Kustomize adds selector labels to (creating it).
_MATCH_LABEL_SELECTORS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "PodDisruptionBudget")
_AFFINITIES = ("podAffinity", "podAntiAffinity")
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


def get_in(obj, path: tuple):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def ensure_map(obj: dict, path: tuple) -> dict:
    """The map at `path`, created (as Kustomize's `create: true` field specs do) when absent."""
    for key in path:
        if not isinstance(obj.get(key), dict):
            obj[key] = {}
        obj = obj[key]
    return obj


def templates(obj: dict) -> Iterator[dict]:
    """The pod templates of a workload (existing ones; a LeaderWorkerSet may lack its leader's)."""
    for path in POD_TEMPLATE_PATHS.get(obj.get("kind"), ()):
        template = get_in(obj, path)
        if isinstance(template, dict):
            yield template


def template_paths(kind: str) -> tuple:
    return POD_TEMPLATE_PATHS.get(kind, ())


def is_core_template_kind(kind: str) -> bool:
    """Whether Kustomize itself knows this kind's pod template."""
    return kind in POD_TEMPLATE_PATHS and kind != "LeaderWorkerSet"


def selector_maps(obj: dict) -> Iterator[dict]:
    """Every label map that selects pods, as Kustomize's `includeSelectors` reaches them (created
    where Kustomize creates them)."""
    kind = obj.get("kind")
    if kind == "Service":
        yield ensure_map(obj, ("spec", "selector"))
    elif kind in _MATCH_LABEL_SELECTORS:
        yield ensure_map(obj, ("spec", "selector", "matchLabels"))
    for template in templates(obj):
        yield from _pod_selectors(as_dict(template.get("spec")))


def _pod_selectors(spec: dict) -> Iterator[dict]:
    affinity = as_dict(spec.get("affinity"))
    for name in _AFFINITIES:
        rules = as_dict(affinity.get(name))
        for term in rules.get(REQUIRED) or ():
            found = get_in(term, ("labelSelector", "matchLabels"))
            if isinstance(found, dict):
                yield found
        for weighted in rules.get(PREFERRED) or ():
            found = get_in(weighted, ("podAffinityTerm", "labelSelector", "matchLabels"))
            if isinstance(found, dict):
                yield found
    for constraint in spec.get("topologySpreadConstraints") or ():
        found = get_in(constraint, ("labelSelector", "matchLabels"))
        if isinstance(found, dict):
            yield found


def containers(obj) -> Iterator[dict]:
    """Every container (and init container) anywhere in the object, as Kustomize's images
    transformer finds them."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        yield item
            else:
                yield from containers(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from containers(item)
