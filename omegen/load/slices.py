"""Slices: the InferenceServices one build renders (`--only-namespace`, `--only-selector`).

A slice matches the namespace and labels of an InferenceService as written, before any overlay
patch or transform (`namespace` in omegen.yaml moves every object; that is why the flag is not
called `--namespace`); a service without a namespace is in its tree's `defaultNamespace`.

- `--only-namespace NS` (repeatable): the service is in one of them.
- `--only-selector SEL` (repeatable): a label selector as `kubectl -l` writes it, requirements
  separated by commas: `key=value` (or `key==value`), `key!=value` (absent counts as not equal),
  `key` (present), `!key` (absent). Every requirement of every flag must hold (AND), and so must
  the namespace, when both are given. Set-based requirements (`in`, `notin`) are not supported.

Only the matching services are checked, resolved, rendered, validated and emitted; the runtimes,
models and `omegen.yaml` files are read whole, as every build reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from omegen.api import CLUSTER_SCOPED, INFERENCE_SERVICE
from omegen.kube.names import DNS1123_LABEL, label_key_problem, label_value_problem, name_problem

_REQUIREMENT = re.compile(r"^(?P<key>[^=!]+?)\s*(?P<op>==|!=|=)\s*(?P<value>[^=!]*)$")


class SliceError(ValueError):
    """A namespace or selector that cannot be a slice (the message names it)."""


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "exists", "!exists"
    value: str = ""

    def holds(self, labels: dict) -> bool:
        if self.op == "=":
            return labels.get(self.key) == self.value
        if self.op == "!=":
            return labels.get(self.key) != self.value
        return (self.key in labels) == (self.op == "exists")

    def __str__(self) -> str:
        return {"=": f"{self.key}={self.value}", "!=": f"{self.key}!={self.value}", "exists": self.key}.get(self.op, f"!{self.key}")


@dataclass(frozen=True)
class Slice:
    """Which services one build renders. Empty (no namespaces, no requirements): every service."""

    namespaces: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.namespaces or self.requirements)

    def matches(self, namespace: Optional[str], labels: dict) -> bool:
        if self.namespaces and namespace not in self.namespaces:
            return False
        return all(r.holds(labels) for r in self.requirements)

    def describe(self) -> str:
        """`--only-namespace a --only-selector team=x,tier!=gpu`, as a person would have typed it."""
        parts = [f"--only-namespace {ns}" for ns in self.namespaces]
        if self.requirements:
            parts.append("--only-selector " + ",".join(str(r) for r in self.requirements))
        return " ".join(parts)


def make_slice(namespaces: Iterable[str] = (), selectors: Iterable[str] = ()) -> Slice:
    """The slice of `--only-namespace` values and `--only-selector` values; SliceError when one is
    not a namespace name or not a selector."""
    checked = []
    for namespace in namespaces:
        why = name_problem(namespace, DNS1123_LABEL, "namespaces")
        if why:
            raise SliceError(f"--only-namespace {namespace!r}: {why}")
        checked.append(namespace)
    requirements: list[Requirement] = []
    for selector in selectors:
        requirements.extend(parse_selector(selector))
    return Slice(tuple(sorted(set(checked))), tuple(requirements))


def parse_selector(text: str) -> list[Requirement]:
    if not text.strip():
        raise SliceError("--only-selector '': an empty selector selects everything; leave the flag out instead")
    out = []
    for part in text.split(","):
        part = part.strip()
        match = _REQUIREMENT.fullmatch(part)
        if match:
            key, op, value = match.group("key").strip(), match.group("op"), match.group("value").strip()
            requirement = Requirement(key, "!=" if op == "!=" else "=", value)
        elif part.startswith("!"):
            key, value, requirement = part[1:].strip(), "", Requirement(part[1:].strip(), "!exists")
        else:
            key, value, requirement = part, "", Requirement(part, "exists")
        why = label_key_problem(key) if key else "a requirement needs a label key"
        if why is None and value:
            why = label_value_problem(value)
        if why:
            raise SliceError(f"--only-selector {text!r}: {part!r} is not a requirement (key=value, key!=value, key or !key): {why}")
        out.append(requirement)
    return out


@dataclass(frozen=True)
class Membership:
    """Which InferenceServices (by their identity after source patches: the key of their output
    file) a slice renders and which it leaves to other slices. The emit stage asks it which files
    of OUT are the slice's to write or remove."""

    slice: Slice
    inside: frozenset  # (namespace, name) of the services the slice renders
    outside: frozenset  # of the services in the sources that it does not

    def owns_service_file(self, namespace: str, name: str) -> Optional[bool]:
        """True: the slice's file; False: another slice's; None: no source defines the service any
        more, and the slice cannot tell whose it was (a selector slice; labels are not in OUT)."""
        key = (namespace, name)
        if key in self.inside:
            return True
        if key in self.outside:
            return False
        if self.slice.requirements:
            return None
        return namespace in self.slice.namespaces


def select_documents(written: list, patched: list, chosen: Slice, default_namespace: str) -> tuple[list, Membership]:
    """The documents a slice builds: every non-InferenceService document, and the InferenceServices
    whose metadata as `written` (before source patches; `patched` is the same list, patched) matches.
    A service outside the slice whose identity is also an inside one's is kept, so the duplicate is
    reported as the full build reports it."""
    kept: list = []
    inside: set = set()
    outside: dict = {}
    for before, after in zip(written, patched):
        if after.kind != INFERENCE_SERVICE:
            kept.append(after)
            continue
        metadata = _mapping(before.doc.data.get("metadata"))
        namespace = _namespace(metadata, before, default_namespace)
        identity = _identity(after, default_namespace)
        if chosen.matches(namespace, _mapping(metadata.get("labels"))):
            kept.append(after)
            if identity is not None:
                inside.add(identity)
        elif identity is not None:
            outside.setdefault(identity, []).append(after)
    for identity in inside & set(outside):
        kept.extend(outside.pop(identity))
    return kept, Membership(chosen, frozenset(inside), frozenset(outside))


def _identity(found, default_namespace: str) -> Optional[tuple]:
    metadata = _mapping(found.doc.data.get("metadata"))
    if not isinstance(metadata.get("name"), str):
        return None
    return (_namespace(metadata, found, default_namespace), metadata["name"])


def _namespace(metadata: dict, found, default_namespace: str) -> Optional[str]:
    if found.kind in CLUSTER_SCOPED:
        return None
    namespace = metadata.get("namespace")
    return namespace if isinstance(namespace, str) and namespace else (found.default_namespace or default_namespace)


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}
