"""Checks across output objects, and the API server's own rules that no JSON Schema expresses.

- every Service selects pods that exist in the output (same namespace; a pod template whose labels,
  plus those its controller adds, include the whole selector), and its ports' `targetPort`s are ports
  of those pods' containers;
- a HorizontalPodAutoscaler scales a workload in the output; a PodDisruptionBudget's selector matches
  some workload's pods; a Deployment's selector matches its own template;
- probe ports (numeric or named) are ports of the probed container;
- container and container-port names in pod templates; the names of the objects themselves, their
  labels and annotations, and duplicates are `omegen.validate.namecheck`, run from here.

The pods each workload creates and the selector matching are `omegen.validate.podsets`; the naming rules
are `omegen.kube.names`. The checks never trust the shape of an object (a schema error is reported
separately): anything of an unexpected type is skipped, never raised on (`omegen.safeget`).
"""

from __future__ import annotations

from omegen.api import Rendered
from omegen.errors import Diagnostic, Severity
from omegen.kube.names import DNS1123_LABEL, name_problem, port_name_problem
from omegen.kube.schemafindings import show
from omegen.validate.namecheck import NAME, duplicates, group_of, metadata_maps, object_names
from omegen.kube.podtemplates import POD_TEMPLATE_PATHS
from omegen.validate.wording import describe, format_output_path, object_diagnostic
from omegen.validate.podsets import PodIndex, PodSet, matches_label_selector, pod_sets, template_labels
from omegen.safeget import as_dict, as_int, as_list, as_str, get_in
from omegen.render.context import DEFAULT_PORT

SELECTOR = "output-selector"
PORT = "output-port"
TARGET = "output-target"

_SELECTOR_MUST_MATCH_TEMPLATE = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def _selector_text(selector: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((str(k), str(v)) for k, v in selector.items()))


def _label_selector_text(selector: dict) -> str:
    parts = [f"{k}={v}" for k, v in sorted((str(k), str(v)) for k, v in as_dict(selector.get("matchLabels")).items())]
    for expression in as_list(selector.get("matchExpressions")):
        expression = as_dict(expression)
        values = ",".join(sorted(str(v) for v in as_list(expression.get("values"))))
        parts.append(f"{expression.get('key')} {expression.get('operator')} ({values})" if values else f"{expression.get('key')} {expression.get('operator')}")
    return ", ".join(parts) or "{}"


# --- the checks ------------------------------------------------------------------------------------


def cross_check(objects: list[Rendered]) -> list[Diagnostic]:
    """Every cross-object and naming finding, in object order."""
    sets = pod_sets(objects)
    by_namespace: dict[str, PodIndex] = {}
    for pod_set in sets:
        by_namespace.setdefault(pod_set.namespace, PodIndex()).add(pod_set)
    index = _index(objects)
    found: list[tuple[int, Diagnostic]] = []
    found.extend(duplicates(objects))
    for i, rendered in enumerate(objects):
        obj = as_dict(rendered.obj)
        kind = obj.get("kind")
        for d in object_names(rendered, obj):
            found.append((i, d))
        if kind in _SELECTOR_MUST_MATCH_TEMPLATE:
            found.extend((i, d) for d in _own_selector(rendered, obj))
        elif kind == "Service":
            found.extend((i, d) for d in _service(rendered, obj, by_namespace))
        elif kind == "HorizontalPodAutoscaler":
            found.extend((i, d) for d in _hpa(rendered, obj, index))
        elif kind == "PodDisruptionBudget":
            found.extend((i, d) for d in _pdb(rendered, obj, by_namespace))
    seen_templates = set()
    for pod_set in sets:
        key = (pod_set.index, pod_set.path)
        if key in seen_templates:
            continue
        seen_templates.add(key)
        found.extend((pod_set.index, d) for d in _pod_template(pod_set))
    found.sort(key=lambda item: item[0])  # stable: object order, then check order
    return [d for _, d in found]


def _index(objects: list[Rendered]) -> dict:
    out: dict = {}
    for rendered in objects:
        obj = as_dict(rendered.obj)
        meta = as_dict(obj.get("metadata"))
        key = (obj.get("kind"), as_str(meta.get("namespace")) or "", meta.get("name"))
        out.setdefault(key, []).append(rendered)
    return out


def _own_selector(rendered: Rendered, obj: dict) -> list[Diagnostic]:
    spec = as_dict(obj.get("spec"))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return []  # missing: the schema reports it
    (path,) = POD_TEMPLATE_PATHS[obj["kind"]]
    labels = template_labels(as_dict(get_in(obj, path)))
    if not as_dict(selector.get("matchLabels")) and not as_list(selector.get("matchExpressions")):
        return [object_diagnostic(SELECTOR, rendered, ("spec", "selector"), "is empty; a workload selector must select its pods")]
    if not matches_label_selector(labels, selector):
        return [
            object_diagnostic(
                SELECTOR,
                rendered,
                ("spec", "selector"),
                f"{_label_selector_text(selector)} does not match the template's labels "
                f"({_selector_text(labels) or 'none'}) at {format_output_path(path + ('metadata', 'labels'))}",
            )
        ]
    return []


def _service(rendered: Rendered, obj: dict, by_namespace: dict) -> list[Diagnostic]:
    spec = as_dict(obj.get("spec"))
    selector = spec.get("selector")
    if spec.get("type") == "ExternalName" or not isinstance(selector, dict) or not selector:
        return []  # no selector: endpoints are managed elsewhere
    namespace = as_str(as_dict(obj.get("metadata")).get("namespace")) or ""
    pods = by_namespace.get(namespace)
    selected = pods.select(selector) if pods else []
    if not selected:
        where = f"namespace {namespace}" if namespace else "the default namespace"
        return [
            object_diagnostic(
                SELECTOR, rendered, ("spec", "selector"), f"selects no pods: no pod template in {where} has the labels {_selector_text(selector)}"
            )
        ]
    out = []
    for i, port in enumerate(as_list(spec.get("ports"))):
        port = as_dict(port)
        if "targetPort" in port:
            target, path = port.get("targetPort"), ("spec", "ports", i, "targetPort")
        else:
            target, path = port.get("port"), ("spec", "ports", i, "port")
        if not isinstance(target, (str, int)) or isinstance(target, bool):
            continue
        lacking = [p for p in selected if not p.has_port(target)]
        what = f"named port {show(target)}" if isinstance(target, str) else f"port {target}"
        # A numeric port of pods that declare no ports at all may well be served (Kubernetes does not
        # require the declaration): a warning; 8080 there is OME's (and omegen's) default: nothing.
        unknown = [p for p in lacking if isinstance(target, int) and not p.declares_ports()]
        wrong = [p for p in lacking if p not in unknown]
        if target == DEFAULT_PORT:
            unknown = []  # OME's own default for a runtime that declares no port: expected, not doubtful
        if wrong:
            out.append(
                object_diagnostic(
                    PORT, rendered, path, f"{what} is not a container port of the selected pods of {', '.join(p.title() for p in wrong)}"
                )
            )
        if unknown:
            out.append(
                object_diagnostic(
                    PORT,
                    rendered,
                    path,
                    f"{what} cannot be checked: the selected pods of {', '.join(p.title() for p in unknown)} declare no container ports",
                    Severity.WARNING,
                )
            )
    return out


def _hpa(rendered: Rendered, obj: dict, index: dict) -> list[Diagnostic]:
    ref = as_dict(as_dict(obj.get("spec")).get("scaleTargetRef"))
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        return []  # the schema reports a malformed reference
    namespace = as_str(as_dict(obj.get("metadata")).get("namespace")) or ""
    group = group_of(ref.get("apiVersion"))
    targets = [
        t for t in index.get((kind, namespace, name), []) if not ref.get("apiVersion") or group_of(t.obj.get("apiVersion")) == group
    ]
    api = f"{ref.get('apiVersion')} " if ref.get("apiVersion") else ""
    if not targets:
        where = f"{namespace}/{name}" if namespace else name
        return [
            object_diagnostic(TARGET, rendered, ("spec", "scaleTargetRef"), f"scales {api}{kind} {where}, which is not in the output")
        ]
    target = targets[0]
    if "replicas" in as_dict(target.obj.get("spec")):
        return [
            object_diagnostic(
                TARGET,
                rendered,
                ("spec", "scaleTargetRef"),
                f"scales {describe(target)}, which also sets spec.replicas (the HPA and every GitOps sync would fight over it)",
                Severity.WARNING,
            )
        ]
    return []


def _pdb(rendered: Rendered, obj: dict, by_namespace: dict) -> list[Diagnostic]:
    spec = as_dict(obj.get("spec"))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return [object_diagnostic(SELECTOR, rendered, ("spec", "selector"), "missing: the PodDisruptionBudget protects no pods")]
    namespace = as_str(as_dict(obj.get("metadata")).get("namespace")) or ""
    pods = by_namespace.get(namespace)
    if pods and any(matches_label_selector(p.labels, selector) for p in pods.candidates(as_dict(selector.get("matchLabels")))):
        return []
    where = f"namespace {namespace}" if namespace else "the default namespace"
    return [
        object_diagnostic(
            SELECTOR,
            rendered,
            ("spec", "selector"),
            f"selects no pods: no workload in {where} has pods matching {_label_selector_text(selector)}",
        )
    ]


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("httpGet", "tcpSocket", "grpc")


def _pod_template(pod_set: PodSet) -> list[Diagnostic]:
    """Names and probe ports inside one pod template."""
    out = []
    rendered = pod_set.rendered
    out.extend(metadata_maps(rendered, pod_set.path + ("metadata",), as_dict(as_dict(get_in(rendered.obj, pod_set.path)).get("metadata"))))
    container_names: dict[str, tuple] = {}
    for path, container in pod_set.containers():
        name = container.get("name")
        if isinstance(name, str):
            problem = name_problem(name, DNS1123_LABEL, "container names")
            if problem:
                out.append(object_diagnostic(NAME, rendered, path + ("name",), problem))
            if name in container_names:
                out.append(
                    object_diagnostic(
                        NAME, rendered, path + ("name",), f"{show(name)} is already the name of {format_output_path(container_names[name])}"
                    )
                )
            else:
                container_names[name] = path
        numbers, names = set(), set()
        port_names: dict[str, int] = {}
        for j, port in enumerate(as_list(container.get("ports"))):
            port = as_dict(port)
            if as_int(port.get("containerPort")) is not None:
                numbers.add(port["containerPort"])
            port_name = port.get("name")
            if isinstance(port_name, str):
                names.add(port_name)
                problem = port_name_problem(port_name)
                if problem:
                    out.append(object_diagnostic(NAME, rendered, path + ("ports", j, "name"), problem))
                if port_name in port_names:
                    out.append(
                        object_diagnostic(
                            NAME, rendered, path + ("ports", j, "name"), f"{show(port_name)} is already the name of ports[{port_names[port_name]}]"
                        )
                    )
                else:
                    port_names[port_name] = j
        for probe in _PROBES:
            for handler in _HANDLERS:
                action = as_dict(as_dict(container.get(probe)).get(handler))
                if "port" not in action:
                    continue
                port = action["port"]
                at = path + (probe, handler, "port")
                declared = _declared(container)
                if isinstance(port, str) and port not in names:
                    out.append(object_diagnostic(PORT, rendered, at, f"named port {show(port)} is not a port of this container ({declared})"))
                elif as_int(port) is not None and port not in numbers:
                    if as_list(container.get("ports")):
                        out.append(object_diagnostic(PORT, rendered, at, f"port {port} is not a port of this container ({declared})"))
                    elif port != DEFAULT_PORT:  # undeclared but possibly served: see _service
                        out.append(
                            object_diagnostic(
                                PORT, rendered, at, f"port {port} cannot be checked: this container declares no ports", Severity.WARNING
                            )
                        )
    return out


def _declared(container: dict) -> str:
    parts = []
    for port in as_list(container.get("ports")):
        port = as_dict(port)
        number, name = port.get("containerPort"), port.get("name")
        if number is None:
            continue
        parts.append(f"{number} {show(name)}" if isinstance(name, str) else str(number))
    return "ports: " + ", ".join(parts) if parts else "it declares no ports"
