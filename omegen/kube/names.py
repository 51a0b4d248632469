"""The API server's naming rules for Kubernetes objects, as pure predicates that say what is wrong.

`name_problem` checks a name against a `NameRule` (DNS-1035 label, DNS-1123 label or subdomain, path
segment; `NAME_RULES` gives each kind's rule for `metadata.name`); `label_key_problem`,
`label_value_problem` and `port_name_problem` check label and annotation keys, label values and
container port names (IANA_SVC_NAME). Each returns None for a valid name, else one line saying why
it is not, ready for a diagnostic.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from omegen.kube.schemafindings import show

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"  # the one DNS-1123 label pattern; a subdomain is dotted labels
_DNS1123_LABEL = re.compile(f"^{_LABEL}$")
_DNS1123_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PORT_NAME = _DNS1123_LABEL  # an IANA service name's characters; its other rules are checked beside it


@dataclass(frozen=True)
class NameRule:
    title: str
    max_length: int
    pattern: Optional[re.Pattern]
    explanation: str


DNS1035_LABEL = NameRule(
    "DNS-1035 labels", 63, _DNS1035_LABEL, "lowercase letters, digits and '-', starting with a letter, ending with a letter or digit"
)
DNS1123_LABEL = NameRule(
    "DNS-1123 labels", 63, _DNS1123_LABEL, "lowercase letters, digits and '-', starting and ending with a letter or digit"
)
DNS1123_SUBDOMAIN = NameRule(
    "DNS-1123 subdomains",
    253,
    _DNS1123_SUBDOMAIN,
    "lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit",
)
PATH_SEGMENT = NameRule("path segment names", 253, None, "any name but '.' and '..', without '/' or '%'")

# The rule each kind's metadata.name follows on the API server (and its admission webhooks).
NAME_RULES = {
    "Service": DNS1035_LABEL,
    "LeaderWorkerSet": DNS1035_LABEL,  # the LWS webhook: the name is also its headless Service's name
    "Namespace": DNS1123_LABEL,
    "Role": PATH_SEGMENT,
    "RoleBinding": PATH_SEGMENT,
    "ClusterRole": PATH_SEGMENT,
    "ClusterRoleBinding": PATH_SEGMENT,
}


def name_problem(name: str, rule: NameRule, subject: str = "names") -> Optional[str]:
    """Why `name` breaks `rule` (`subject` says whose rule it is: "a Service name"), or None."""
    if name == "":
        return "must not be empty"
    if len(name) > rule.max_length:
        return f"{show(name, 90)} is {len(name)} characters long; {subject} must be {rule.title} of at most {rule.max_length} characters"
    if rule.pattern is None:
        if name in (".", "..") or "/" in name or "%" in name:
            return f"{show(name, 90)} is not valid: {subject} must be {rule.title} ({rule.explanation})"
        return None
    if not rule.pattern.fullmatch(name):
        return f"{show(name, 90)} is not valid: {subject} must be {rule.title} ({rule.explanation})"
    return None


@functools.lru_cache(maxsize=8192)
def label_key_problem(key: str) -> Optional[str]:
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return f"key {show(key, 90)} has an empty prefix before '/'"
    if slash and not is_dns1123_subdomain(prefix):
        return f"key prefix {show(prefix, 90)} must be a DNS-1123 subdomain of at most 253 characters"
    if not name:
        return f"key {show(key, 90)} has an empty name"
    if len(name) > 63:
        return f"key name {show(name, 90)} is {len(name)} characters long; at most 63 are allowed"
    if not _QUALIFIED_NAME.fullmatch(name):
        return (
            f"key {show(key, 90)} is not valid (alphanumerics, '-', '_' and '.', starting and ending "
            "with an alphanumeric, with an optional DNS subdomain prefix and '/')"
        )
    return None


@functools.lru_cache(maxsize=8192)
def label_value_problem(value: str) -> Optional[str]:
    if len(value) > 63:
        return f"value {show(value, 90)} is {len(value)} characters long; label values are at most 63"
    if not _LABEL_VALUE.fullmatch(value):
        return (
            f"value {show(value, 90)} is not a valid label value (alphanumerics, '-', '_' and '.', "
            "starting and ending with an alphanumeric)"
        )
    return None


def port_name_problem(name: str) -> Optional[str]:
    # IANA_SVC_NAME, as the API server checks container port names (Service ports need a named
    # targetPort to resolve against them).
    if not name:
        return "must not be empty"
    if len(name) > 15:
        return f"{show(name)} is {len(name)} characters long; a port name is at most 15 (IANA_SVC_NAME)"
    if not _PORT_NAME.fullmatch(name) or "--" in name:
        return f"{show(name)} is not a valid port name (lowercase letters, digits and single '-', not at either end)"
    if not re.search(r"[a-z]", name):
        return f"{show(name)} is not a valid port name (it must contain a letter)"
    return None


# Annotations that tell kpt and kustomize how to handle a file (its path and index, "local config,
# never apply", a function's config): they belong to the source document, never to an object
# rendered from it. Copied onto a Deployment, local-config would make kpt and kustomize drop it.
TOOL_ANNOTATION_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/", "kustomize.config.k8s.io/")


def is_tool_annotation(key: str) -> bool:
    return str(key).startswith(TOOL_ANNOTATION_PREFIXES)


def is_dns1123_label(name: str) -> bool:
    """A DNS-1123 label: at most 63 lowercase letters, digits and '-', alphanumeric at both ends."""
    return len(name) <= 63 and bool(_DNS1123_LABEL.fullmatch(name))


def is_dns1123_subdomain(name: str) -> bool:
    """A DNS-1123 subdomain (an API group, most object names): dotted labels, at most 253 characters."""
    return len(name) <= 253 and bool(_DNS1123_SUBDOMAIN.fullmatch(name))


# The API server's TotalAnnotationSizeLimitB: the keys and values of one object's annotations, in bytes.
ANNOTATIONS_MAX_BYTES = 256 * 1024


def annotations_size(annotations: dict) -> int:
    return sum(len(str(k).encode("utf-8", "surrogatepass")) + len(str(v).encode("utf-8", "surrogatepass")) for k, v in annotations.items())


def annotations_problem(annotations: dict) -> Optional[str]:
    """Why an object's annotations would be refused as a whole (too large), or None."""
    size = annotations_size(annotations)
    if size > ANNOTATIONS_MAX_BYTES:
        return f"annotations total {size} bytes; the API server allows at most {ANNOTATIONS_MAX_BYTES} (256 KiB) per object"
    return None
