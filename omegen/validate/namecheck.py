"""The API server's naming rules applied to output objects, which no JSON Schema expresses: object
names per kind (a Service or LeaderWorkerSet name is a DNS-1035 label, most names are DNS-1123
subdomains), namespaces, label keys and values, annotation keys, Service port names; and no two
objects share apiVersion group, kind, namespace and name. The rules themselves are `omegen.kube.names`;
container and container-port names are checked with the pod templates (`omegen.validate.crosscheck`).
"""

from __future__ import annotations

from typing import Any, Iterable

from omegen.api import Rendered
from omegen.errors import Diagnostic
from omegen.kube.names import (
    annotations_problem,
    DNS1123_LABEL,
    DNS1123_SUBDOMAIN,
    NAME_RULES,
    label_key_problem,
    label_value_problem,
    name_problem,
)
from omegen.kube.schemafindings import show
from omegen.safeget import as_dict, as_list, as_str
from omegen.validate.wording import object_diagnostic

NAME = "output-name"
DUPLICATE = "output-duplicate"


def group_of(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def duplicates(objects: list[Rendered]) -> Iterable[tuple[int, Diagnostic]]:
    first: dict = {}
    for i, rendered in enumerate(objects):
        obj = as_dict(rendered.obj)
        meta = as_dict(obj.get("metadata"))
        name = meta.get("name")
        if not isinstance(name, str) or not isinstance(obj.get("kind"), str):
            continue
        key = (group_of(obj.get("apiVersion")), obj["kind"], as_str(meta.get("namespace")) or "", name)
        if key not in first:
            first[key] = rendered
            continue
        other = first[key]
        where = ""
        if other.sources:
            origin = other.sources[0]
            where = f" (first rendered from {origin.file}:{origin.line})" if origin.line else f" (first rendered from {origin.file})"
        yield i, object_diagnostic(DUPLICATE, rendered, (), f"emitted more than once{where}")


def object_names(rendered: Rendered, obj: dict) -> list[Diagnostic]:
    out = []
    kind = obj.get("kind")
    meta = as_dict(obj.get("metadata"))
    name = meta.get("name")
    if not isinstance(name, str):
        if name is None:
            out.append(object_diagnostic(NAME, rendered, ("metadata", "name"), "missing"))
    else:
        rule = NAME_RULES.get(kind, DNS1123_SUBDOMAIN)
        problem = name_problem(name, rule, f"{kind} names")
        if problem:
            out.append(object_diagnostic(NAME, rendered, ("metadata", "name"), problem))
    namespace = meta.get("namespace")
    if isinstance(namespace, str):
        problem = name_problem(namespace, DNS1123_LABEL, "namespaces")
        if problem:
            out.append(object_diagnostic(NAME, rendered, ("metadata", "namespace"), problem))
    out.extend(metadata_maps(rendered, ("metadata",), meta))
    if kind == "Service":
        spec = as_dict(obj.get("spec"))
        out.extend(label_map(rendered, ("spec", "selector"), as_dict(spec.get("selector"))))
        out.extend(_service_port_names(rendered, spec))
    selector = as_dict(as_dict(obj.get("spec")).get("selector"))
    if kind != "Service" and "matchLabels" in selector:
        out.extend(label_map(rendered, ("spec", "selector", "matchLabels"), as_dict(selector.get("matchLabels"))))
    return out


def metadata_maps(rendered: Rendered, path: tuple, meta: dict) -> list[Diagnostic]:
    out = label_map(rendered, path + ("labels",), as_dict(meta.get("labels")))
    problem = annotations_problem(as_dict(meta.get("annotations")))
    if problem:
        out.append(object_diagnostic(NAME, rendered, path + ("annotations",), problem))
    for key in sorted(k for k in as_dict(meta.get("annotations")) if isinstance(k, str)):
        problem = label_key_problem(key)
        if problem:
            out.append(object_diagnostic(NAME, rendered, path + ("annotations", key), f"annotation {problem}"))
    return out


def label_map(rendered: Rendered, path: tuple, labels: dict) -> list[Diagnostic]:
    out = []
    for key in sorted(k for k in labels if isinstance(k, str)):
        problem = label_key_problem(key)
        if problem:
            out.append(object_diagnostic(NAME, rendered, path + (key,), f"label {problem}"))
        value = labels[key]
        if isinstance(value, str):
            problem = label_value_problem(value)
            if problem:
                out.append(object_diagnostic(NAME, rendered, path + (key,), f"label {problem}"))
    return out


def _service_port_names(rendered: Rendered, spec: dict) -> list[Diagnostic]:
    out = []
    ports = as_list(spec.get("ports"))
    names: dict[str, int] = {}
    for i, port in enumerate(ports):
        port = as_dict(port)
        name = port.get("name")
        if name is None or name == "":
            if len(ports) > 1:
                out.append(
                    object_diagnostic(NAME, rendered, ("spec", "ports", i, "name"), "required when a Service has more than one port")
                )
            continue
        if not isinstance(name, str):
            continue
        problem = name_problem(name, DNS1123_LABEL, "Service port names")
        if problem:
            out.append(object_diagnostic(NAME, rendered, ("spec", "ports", i, "name"), problem))
        if name in names:
            out.append(
                object_diagnostic(NAME, rendered, ("spec", "ports", i, "name"), f"{show(name)} is already the name of spec.ports[{names[name]}]")
            )
        else:
            names[name] = i
    return out
