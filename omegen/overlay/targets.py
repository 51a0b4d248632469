"""Which objects a patch or transform targets, as Kustomize's `target` selects them: group, version,
kind, name and namespace (each an anchored regular expression, as in Kustomize), labelSelector and
annotationSelector (Kubernetes label-selector syntax)."""

from __future__ import annotations

import re
from typing import Optional

OME_GROUP = "ome.io"


def group_version(api_version: str) -> tuple[str, str]:
    group, _, version = str(api_version or "").rpartition("/")
    return group, version


def matches(obj: dict, target: dict, namespace_default: Optional[str] = None) -> bool:
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    group, version = group_version(obj.get("apiVersion", ""))
    values = {
        "group": group,
        "version": version,
        "kind": obj.get("kind", ""),
        "name": metadata.get("name", ""),
        "namespace": metadata.get("namespace") or namespace_default or "",
    }
    for key, value in values.items():
        wanted = target.get(key)
        if wanted is not None and not _anchored(wanted, str(value)):
            return False
    for key, holder in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        if target.get(key) is not None:
            found = metadata.get(holder) if isinstance(metadata.get(holder), dict) else {}
            if not selector_matches(target[key], found):
                return False
    return True


def _anchored(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


_REQUIREMENT = re.compile(r"\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def selector_problem(text: str) -> Optional[str]:
    for requirement in _split(text):
        if not _REQUIREMENT.match(requirement):
            return f"cannot read {requirement.strip()!r} as a label selector requirement"
    return None


def selector_matches(text: str, labels: dict) -> bool:
    for requirement in _split(text):
        match = _REQUIREMENT.match(requirement)
        if not match:
            return False
        negated, key, op, value, set_op, values = match.groups()
        present = key in labels
        if set_op:
            options = {v.strip() for v in values.split(",") if v.strip()}
            inside = present and str(labels[key]) in options
            if (set_op == "in") != inside:
                return False
        elif op in ("=", "=="):
            if not present or str(labels[key]) != value:
                return False
        elif op == "!=":
            if present and str(labels[key]) == value:
                return False
        elif bool(negated) == present:
            return False
    return True


def _split(text: str) -> list[str]:
    # Commas separate requirements, except inside the parentheses of `in (a, b)`.
    parts, depth, current = [], 0, ""
    for char in str(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts
