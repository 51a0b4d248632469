"""Checks across output objects, and the API server's own rules that no JSON Schema expresses.

- every Service selects pods that exist in the output (same namespace; a pod template whose labels,
  plus those its controller adds, include the whole selector), and its ports' `targetPort`s are ports
  of those pods' containers;
- a HorizontalPodAutoscaler scales a workload in the output; a PodDisruptionBudget's selector matches
  some workload's pods; a Deployment's selector matches its own template;
- probe ports (numeric or named) are ports of the probed container;
- names: object names per kind (a Service or LeaderWorkerSet name is a DNS-1035 label, most names are
  DNS-1123 subdomains), namespaces, label keys and values, annotation keys, container and port names;
- no two objects share apiVersion group, kind, namespace and name.

The checks never trust the shape of an object (a schema error is reported separately): anything of an
unexpected type is skipped, never raised on.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from omegen.api import Rendered
from omegen.errors import Diagnostic, Severity
from omegen.k8s_schemas import show
from omegen.objdiag import POD_TEMPLATE_PATHS, describe, format_path, object_diagnostic

SELECTOR = "output-selector"
PORT = "output-port"
NAME = "output-name"
DUPLICATE = "output-duplicate"
TARGET = "output-target"

LWS = "LeaderWorkerSet"
LWS_LABEL = "leaderworkerset.sigs.k8s.io/"


class _Any:
    """A label its controller sets at run time to a value we cannot know: matches any value."""

    def __repr__(self) -> str:  # pragma: no cover
        return "ANY"


ANY = _Any()

# Labels that workload controllers add to every pod they create.
_CONTROLLER_LABELS = {
    "Deployment": ("pod-template-hash",),
    "ReplicaSet": (),
    "StatefulSet": ("controller-revision-hash", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index"),
    "DaemonSet": ("controller-revision-hash", "pod-template-generation"),
    "Job": ("controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name"),
    "CronJob": ("controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name"),
    # An LWS runs a leader StatefulSet and one worker StatefulSet per group.
    LWS: (
        "controller-revision-hash",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        LWS_LABEL + "group-index",
        LWS_LABEL + "group-key",
        LWS_LABEL + "template-revision-hash",
        LWS_LABEL + "subgroup-index",
        LWS_LABEL + "subgroup-key",
    ),
}
_SELECTOR_MUST_MATCH_TEMPLATE = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
_MAX_ENUMERATED_WORKERS = 10_000

# --- names ---------------------------------------------------------------------------------------

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


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
    LWS: DNS1035_LABEL,  # the LWS webhook: the name is also its headless Service's name
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
    if not rule.pattern.match(name):
        return f"{show(name, 90)} is not valid: {subject} must be {rule.title} ({rule.explanation})"
    return None


@functools.lru_cache(maxsize=8192)
def label_key_problem(key: str) -> Optional[str]:
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return f"key {show(key, 90)} has an empty prefix before '/'"
    if slash and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return f"key prefix {show(prefix, 90)} must be a DNS-1123 subdomain of at most 253 characters"
    if not name:
        return f"key {show(key, 90)} has an empty name"
    if len(name) > 63:
        return f"key name {show(name, 90)} is {len(name)} characters long; at most 63 are allowed"
    if not _QUALIFIED_NAME.match(name):
        return (
            f"key {show(key, 90)} is not valid (alphanumerics, '-', '_' and '.', starting and ending "
            "with an alphanumeric, with an optional DNS subdomain prefix and '/')"
        )
    return None


@functools.lru_cache(maxsize=8192)
def label_value_problem(value: str) -> Optional[str]:
    if len(value) > 63:
        return f"value {show(value, 90)} is {len(value)} characters long; label values are at most 63"
    if not _LABEL_VALUE.match(value):
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
    if not _PORT_NAME.match(name) or "--" in name:
        return f"{show(name)} is not a valid port name (lowercase letters, digits and single '-', not at either end)"
    if not re.search(r"[a-z]", name):
        return f"{show(name)} is not a valid port name (it must contain a letter)"
    return None


# --- small safe accessors --------------------------------------------------------------------------


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _group(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


# --- the pods a workload creates -------------------------------------------------------------------


@dataclass
class PodSet:
    """The pods one pod template of one workload creates, with the labels they will carry."""

    rendered: Rendered
    index: int
    path: tuple  # to the template in the workload
    role: str  # "" | "leader" | "worker"
    labels: dict  # key → str | frozenset of str | ANY
    own_labels: dict  # the template's literal labels
    spec: dict = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return _str(_dict(self.rendered.obj.get("metadata")).get("namespace")) or ""

    def title(self) -> str:
        suffix = f" ({self.role} pods)" if self.role else ""
        return describe(self.rendered) + suffix

    def containers(self) -> list[tuple[tuple, dict]]:
        out = []
        for key in ("containers", "initContainers"):
            for i, container in enumerate(_list(self.spec.get(key))):
                if isinstance(container, dict):
                    out.append((self.path + ("spec", key, i), container))
        return out

    def declares_ports(self) -> bool:
        return any(_list(container.get("ports")) for _, container in self.containers())

    def has_port(self, target) -> bool:
        for _, container in self.containers():
            for port in _list(container.get("ports")):
                port = _dict(port)
                if isinstance(target, str) and port.get("name") == target:
                    return True
                if _int(target) is not None and _int(port.get("containerPort")) == target:
                    return True
        return False


def _template_labels(template: dict) -> dict:
    labels = _dict(_dict(template.get("metadata")).get("labels"))
    return {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}


def pod_sets(objects: list[Rendered]) -> list[PodSet]:
    out = []
    for index, rendered in enumerate(objects):
        obj = rendered.obj if isinstance(rendered.obj, dict) else {}
        kind = obj.get("kind")
        if kind not in POD_TEMPLATE_PATHS:
            continue
        controller = {key: ANY for key in _CONTROLLER_LABELS.get(kind, ())}
        if kind == LWS:
            out.extend(_lws_pod_sets(rendered, index, obj, controller))
            continue
        (path,) = POD_TEMPLATE_PATHS[kind]
        template = _at(obj, path)
        if not isinstance(template, dict):
            continue
        own = _template_labels(template)
        out.append(PodSet(rendered, index, path, "", {**controller, **own}, own, _dict(template.get("spec"))))
    return out


def _lws_pod_sets(rendered: Rendered, index: int, obj: dict, controller: dict) -> list[PodSet]:
    leader_path, worker_path = POD_TEMPLATE_PATHS[LWS]
    lwt = _dict(_dict(obj.get("spec")).get("leaderWorkerTemplate"))
    name = _str(_dict(obj.get("metadata")).get("name")) or ""
    size = _int(lwt.get("size"))
    size = 1 if size is None else size
    worker = lwt.get("workerTemplate")
    leader = lwt.get("leaderTemplate")
    out = []
    # Without a leaderTemplate the leader is made from the worker template.
    leader_at, leader_template = (leader_path, leader) if isinstance(leader, dict) else (worker_path, worker)
    if isinstance(leader_template, dict):
        own = _template_labels(leader_template)
        labels = {**controller, **own, LWS_LABEL + "name": name, LWS_LABEL + "worker-index": "0"}
        out.append(PodSet(rendered, index, leader_at, "leader", labels, own, _dict(leader_template.get("spec"))))
    if isinstance(worker, dict) and size > 1:
        own = _template_labels(worker)
        indices = frozenset(str(i) for i in range(1, size)) if size <= _MAX_ENUMERATED_WORKERS else ANY
        labels = {**controller, **own, LWS_LABEL + "name": name, LWS_LABEL + "worker-index": indices}
        out.append(PodSet(rendered, index, worker_path, "worker", labels, own, _dict(worker.get("spec"))))
    return out


def _at(obj: Any, path: tuple) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _value_matches(have: Any, want: str) -> bool:
    if have is ANY:
        return True
    if isinstance(have, frozenset):
        return want in have
    return have == want


def matches_map(labels: dict, selector: dict) -> bool:
    """A Service-style equality selector."""
    return all(key in labels and _value_matches(labels[key], str(value)) for key, value in selector.items())


def matches_label_selector(labels: dict, selector: dict) -> bool:
    """A metav1.LabelSelector (matchLabels and matchExpressions). `{}` matches everything."""
    if not matches_map(labels, _dict(selector.get("matchLabels"))):
        return False
    for expression in _list(selector.get("matchExpressions")):
        expression = _dict(expression)
        key, operator = expression.get("key"), expression.get("operator")
        values = {str(v) for v in _list(expression.get("values"))}
        have = labels.get(key) if key in labels else None
        if operator == "In":
            if key not in labels or not (
                have is ANY or (have & values if isinstance(have, frozenset) else have in values)
            ):
                return False
        elif operator == "NotIn":
            if key in labels and have is not ANY and (
                (isinstance(have, frozenset) and have <= values) or (isinstance(have, str) and have in values)
            ):
                return False
        elif operator == "Exists":
            if key not in labels:
                return False
        elif operator == "DoesNotExist":
            if key in labels:
                return False
        else:
            return False
    return True


def _selector_text(selector: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((str(k), str(v)) for k, v in selector.items()))


def _label_selector_text(selector: dict) -> str:
    parts = [f"{k}={v}" for k, v in sorted((str(k), str(v)) for k, v in _dict(selector.get("matchLabels")).items())]
    for expression in _list(selector.get("matchExpressions")):
        expression = _dict(expression)
        values = ",".join(sorted(str(v) for v in _list(expression.get("values"))))
        parts.append(f"{expression.get('key')} {expression.get('operator')} ({values})" if values else f"{expression.get('key')} {expression.get('operator')}")
    return ", ".join(parts) or "{}"


class _PodIndex:
    """The pod sets of one namespace, indexed by label so a Service finds its pods without a scan."""

    def __init__(self):
        self.all: list[PodSet] = []
        self._exact: dict[tuple, list[int]] = {}
        self._loose: dict[str, list[int]] = {}  # labels whose value is ANY or one of several

    def add(self, pod_set: PodSet) -> None:
        n = len(self.all)
        self.all.append(pod_set)
        for key, value in pod_set.labels.items():
            if isinstance(value, str):
                self._exact.setdefault((key, value), []).append(n)
            else:
                self._loose.setdefault(key, []).append(n)

    def candidates(self, match_labels: dict) -> list[PodSet]:
        """A superset of the pod sets an equality selector matches, small when the selector is specific."""
        best_key, best_size = None, len(self.all) + 1
        for key, value in match_labels.items():
            size = len(self._exact.get((key, str(value)), ())) + len(self._loose.get(key, ()))
            if size < best_size:
                best_key, best_size = (key, str(value)), size
        if best_key is None:
            return self.all
        numbers = self._exact.get(best_key, []) + self._loose.get(best_key[0], [])
        return [self.all[n] for n in sorted(set(numbers))]

    def select(self, selector: dict) -> list[PodSet]:
        """The pod sets an equality selector matches, in insertion order."""
        return [p for p in self.candidates(selector) if matches_map(p.labels, selector)]


# --- the checks ------------------------------------------------------------------------------------


def cross_check(objects: list[Rendered]) -> list[Diagnostic]:
    """Every cross-object and naming finding, in object order."""
    sets = pod_sets(objects)
    by_namespace: dict[str, _PodIndex] = {}
    for pod_set in sets:
        by_namespace.setdefault(pod_set.namespace, _PodIndex()).add(pod_set)
    index = _index(objects)
    found: list[tuple[int, Diagnostic]] = []
    found.extend(_duplicates(objects))
    for i, rendered in enumerate(objects):
        obj = rendered.obj if isinstance(rendered.obj, dict) else {}
        kind = obj.get("kind")
        for d in _names(rendered, obj):
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
        obj = rendered.obj if isinstance(rendered.obj, dict) else {}
        meta = _dict(obj.get("metadata"))
        key = (obj.get("kind"), _str(meta.get("namespace")) or "", meta.get("name"))
        out.setdefault(key, []).append(rendered)
    return out


def _duplicates(objects: list[Rendered]) -> Iterable[tuple[int, Diagnostic]]:
    first: dict = {}
    for i, rendered in enumerate(objects):
        obj = rendered.obj if isinstance(rendered.obj, dict) else {}
        meta = _dict(obj.get("metadata"))
        name = meta.get("name")
        if not isinstance(name, str) or not isinstance(obj.get("kind"), str):
            continue
        key = (_group(obj.get("apiVersion")), obj["kind"], _str(meta.get("namespace")) or "", name)
        if key not in first:
            first[key] = rendered
            continue
        other = first[key]
        where = ""
        if other.sources:
            origin = other.sources[0]
            where = f" (first rendered from {origin.file}:{origin.line})" if origin.line else f" (first rendered from {origin.file})"
        yield i, object_diagnostic(DUPLICATE, rendered, (), f"emitted more than once{where}")


def _names(rendered: Rendered, obj: dict) -> list[Diagnostic]:
    out = []
    kind = obj.get("kind")
    meta = _dict(obj.get("metadata"))
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
    out.extend(_metadata_maps(rendered, ("metadata",), meta))
    if kind == "Service":
        spec = _dict(obj.get("spec"))
        out.extend(_label_map(rendered, ("spec", "selector"), _dict(spec.get("selector"))))
        out.extend(_service_port_names(rendered, spec))
    selector = _dict(_dict(obj.get("spec")).get("selector"))
    if kind != "Service" and "matchLabels" in selector:
        out.extend(_label_map(rendered, ("spec", "selector", "matchLabels"), _dict(selector.get("matchLabels"))))
    return out


def _metadata_maps(rendered: Rendered, path: tuple, meta: dict) -> list[Diagnostic]:
    out = _label_map(rendered, path + ("labels",), _dict(meta.get("labels")))
    for key in sorted(k for k in _dict(meta.get("annotations")) if isinstance(k, str)):
        problem = label_key_problem(key)
        if problem:
            out.append(object_diagnostic(NAME, rendered, path + ("annotations", key), f"annotation {problem}"))
    return out


def _label_map(rendered: Rendered, path: tuple, labels: dict) -> list[Diagnostic]:
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
    ports = _list(spec.get("ports"))
    names: dict[str, int] = {}
    for i, port in enumerate(ports):
        port = _dict(port)
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


def _own_selector(rendered: Rendered, obj: dict) -> list[Diagnostic]:
    spec = _dict(obj.get("spec"))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return []  # missing: the schema reports it
    (path,) = POD_TEMPLATE_PATHS[obj["kind"]]
    labels = _template_labels(_dict(_at(obj, path)))
    if not _dict(selector.get("matchLabels")) and not _list(selector.get("matchExpressions")):
        return [object_diagnostic(SELECTOR, rendered, ("spec", "selector"), "is empty; a workload selector must select its pods")]
    if not matches_label_selector(labels, selector):
        return [
            object_diagnostic(
                SELECTOR,
                rendered,
                ("spec", "selector"),
                f"{_label_selector_text(selector)} does not match the template's labels "
                f"({_selector_text(labels) or 'none'}) at {format_path(path + ('metadata', 'labels'))}",
            )
        ]
    return []


def _service(rendered: Rendered, obj: dict, by_namespace: dict) -> list[Diagnostic]:
    spec = _dict(obj.get("spec"))
    selector = spec.get("selector")
    if spec.get("type") == "ExternalName" or not isinstance(selector, dict) or not selector:
        return []  # no selector: endpoints are managed elsewhere
    namespace = _str(_dict(obj.get("metadata")).get("namespace")) or ""
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
    for i, port in enumerate(_list(spec.get("ports"))):
        port = _dict(port)
        if "targetPort" in port:
            target, path = port.get("targetPort"), ("spec", "ports", i, "targetPort")
        else:
            target, path = port.get("port"), ("spec", "ports", i, "port")
        if not isinstance(target, (str, int)) or isinstance(target, bool):
            continue
        lacking = [p for p in selected if not p.has_port(target)]
        what = f"named port {show(target)}" if isinstance(target, str) else f"port {target}"
        # A numeric port of pods that declare no ports at all may well be served (Kubernetes does not
        # require the declaration, and OME relies on that for its 8080 default): a warning.
        unknown = [p for p in lacking if isinstance(target, int) and not p.declares_ports()]
        wrong = [p for p in lacking if p not in unknown]
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
    ref = _dict(_dict(obj.get("spec")).get("scaleTargetRef"))
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        return []  # the schema reports a malformed reference
    namespace = _str(_dict(obj.get("metadata")).get("namespace")) or ""
    group = _group(ref.get("apiVersion"))
    targets = [
        t for t in index.get((kind, namespace, name), []) if not ref.get("apiVersion") or _group(t.obj.get("apiVersion")) == group
    ]
    api = f"{ref.get('apiVersion')} " if ref.get("apiVersion") else ""
    if not targets:
        where = f"{namespace}/{name}" if namespace else name
        return [
            object_diagnostic(TARGET, rendered, ("spec", "scaleTargetRef"), f"scales {api}{kind} {where}, which is not in the output")
        ]
    target = targets[0]
    if "replicas" in _dict(target.obj.get("spec")):
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
    spec = _dict(obj.get("spec"))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return [object_diagnostic(SELECTOR, rendered, ("spec", "selector"), "missing: the PodDisruptionBudget protects no pods")]
    namespace = _str(_dict(obj.get("metadata")).get("namespace")) or ""
    pods = by_namespace.get(namespace)
    if pods and any(matches_label_selector(p.labels, selector) for p in pods.candidates(_dict(selector.get("matchLabels")))):
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
    out.extend(_metadata_maps(rendered, pod_set.path + ("metadata",), _dict(_dict(_at(rendered.obj, pod_set.path)).get("metadata"))))
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
                        NAME, rendered, path + ("name",), f"{show(name)} is already the name of {format_path(container_names[name])}"
                    )
                )
            else:
                container_names[name] = path
        numbers, names = set(), set()
        port_names: dict[str, int] = {}
        for j, port in enumerate(_list(container.get("ports"))):
            port = _dict(port)
            if _int(port.get("containerPort")) is not None:
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
                action = _dict(_dict(container.get(probe)).get(handler))
                if "port" not in action:
                    continue
                port = action["port"]
                at = path + (probe, handler, "port")
                declared = _declared(container)
                if isinstance(port, str) and port not in names:
                    out.append(object_diagnostic(PORT, rendered, at, f"named port {show(port)} is not a port of this container ({declared})"))
                elif _int(port) is not None and port not in numbers:
                    if _list(container.get("ports")):
                        out.append(object_diagnostic(PORT, rendered, at, f"port {port} is not a port of this container ({declared})"))
                    else:  # undeclared but possibly served: see _service
                        out.append(
                            object_diagnostic(
                                PORT, rendered, at, f"port {port} cannot be checked: this container declares no ports", Severity.WARNING
                            )
                        )
    return out


def _declared(container: dict) -> str:
    parts = []
    for port in _list(container.get("ports")):
        port = _dict(port)
        number, name = port.get("containerPort"), port.get("name")
        if number is None:
            continue
        parts.append(f"{number} {show(name)}" if isinstance(name, str) else str(number))
    return "ports: " + ", ".join(parts) if parts else "it declares no ports"
