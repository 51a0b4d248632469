"""One omegen.yaml's transforms on the output objects, with Kustomize's names and meanings:
`namespace`, `namePrefix`/`nameSuffix` (names.py), `commonLabels`, `labels`, `commonAnnotations`,
`replicas` and `images`. Each function changes the objects in place (the caller owns copies) and
returns the problems it met as (field, message) pairs."""

from __future__ import annotations

import re
from typing import Optional

from omegen.overlay import fields

_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass"}
_SCALED_KINDS = {"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController", "LeaderWorkerSet"}


def set_namespace(objects: list[dict], namespace: str) -> None:
    """Every namespaced object moves; RoleBinding subjects that name a ServiceAccount of the moved
    objects follow it (as Kustomize does), others keep theirs."""
    moved = {
        (obj.get("metadata", {}).get("namespace"), obj.get("metadata", {}).get("name"))
        for obj in objects
        if obj.get("kind") == "ServiceAccount"
    }
    for obj in objects:
        if obj.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
            for subject in obj.get("subjects") or ():
                if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount":
                    if (subject.get("namespace"), subject.get("name")) in moved:
                        subject["namespace"] = namespace
        if obj.get("kind") not in _CLUSTER_SCOPED:
            fields.ensure_map(obj, ("metadata",))["namespace"] = namespace


def add_labels(objects: list[dict], pairs: dict, selectors: bool, templates: bool) -> None:
    for obj in objects:
        fields.ensure_map(obj, ("metadata", "labels")).update(pairs)
        if selectors or templates:
            for path in fields.template_paths(obj.get("kind")):
                if fields.get_in(obj, path) is not None or path[-1] == "template":
                    fields.ensure_map(obj, path + ("metadata", "labels")).update(pairs)
        if selectors:
            for selector in fields.selector_maps(obj):
                selector.update(pairs)


def add_annotations(objects: list[dict], pairs: dict) -> None:
    for obj in objects:
        fields.ensure_map(obj, ("metadata", "annotations")).update(pairs)
        for path in fields.template_paths(obj.get("kind")):
            if fields.get_in(obj, path) is not None or path[-1] == "template":
                fields.ensure_map(obj, path + ("metadata", "annotations")).update(pairs)


def set_replicas(objects: list[dict], names: list[str], rules: list[dict], scaled: set) -> list[tuple[int, str]]:
    """`names[i]` is object i's name before this build's renames (Kustomize matches either).
    `scaled`: (namespace, kind, name) of every workload an HPA scales: fixing their replicas would
    fight the autoscaler, and is refused."""
    problems = []
    for i, rule in enumerate(rules):
        hits = [
            obj
            for obj, original in zip(objects, names)
            if obj.get("kind") in _SCALED_KINDS and rule["name"] in (original, obj.get("metadata", {}).get("name"))
        ]
        if not hits:
            problems.append((i, f"no Deployment or LeaderWorkerSet named {rule['name']!r} in the output"))
            continue
        for obj in hits:
            metadata = obj.get("metadata", {})
            if (metadata.get("namespace"), obj.get("kind"), metadata.get("name")) in scaled:
                problems.append((i, f"{obj['kind']} {metadata.get('namespace')}/{metadata.get('name')} is scaled by a HorizontalPodAutoscaler; "
                                    "set the service's minReplicas/maxReplicas instead (a fixed count would fight the autoscaler)"))
                continue
            fields.ensure_map(obj, ("spec",))["replicas"] = rule["count"]
    return problems


_IMAGE = re.compile(r"^(?P<name>[^@]+?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+))?$")


def split_image(image: str) -> tuple[str, Optional[str], Optional[str]]:
    """`registry:5000/repo/name:tag@sha256:…` → (name, tag, digest); a port is not a tag."""
    match = _IMAGE.match(image)
    if not match:
        return image, None, None
    name, tag, digest = match.group("name"), match.group("tag"), match.group("digest")
    return name, tag, digest


def set_images(objects: list[dict], rules: list[dict]) -> list[tuple[int, str]]:
    used = set()
    for obj in objects:
        for container in fields.containers(obj):
            image = container.get("image")
            if not isinstance(image, str):
                continue
            name, tag, digest = split_image(image)
            for i, rule in enumerate(rules):
                if rule["name"] != name:
                    continue
                used.add(i)
                new_name = rule.get("newName", name)
                if "digest" in rule:
                    container["image"] = f"{new_name}@{rule['digest']}"
                elif "newTag" in rule:
                    container["image"] = f"{new_name}:{rule['newTag']}"
                else:
                    suffix = (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
                    container["image"] = new_name + suffix
                break
    return [(i, f"no container in the output uses the image {rule['name']!r}") for i, rule in enumerate(rules) if i not in used]
