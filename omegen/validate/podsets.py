"""The pods the output's workloads will create, and which of them a label selector matches.

A `PodSet` is the pods one pod template of one workload creates, with the labels they will carry:
the template's own labels plus those the workload's controller adds at run time (`pod-template-hash`,
an LWS's `leaderworkerset.sigs.k8s.io/*`, ...), whose values we cannot know (`ANY`) or know only as a
set (an LWS worker's index). `matches_map` (a Service's equality selector) and
`matches_label_selector` (a metav1.LabelSelector) match such labels; `PodIndex` finds the pod sets
of one namespace a selector may match without a scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegen.api import Rendered
from omegen.kube.podtemplates import POD_TEMPLATE_PATHS
from omegen.validate.wording import describe
from omegen.safeget import as_dict, as_int, as_list, as_str, get_in

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
_MAX_ENUMERATED_WORKERS = 10_000


@dataclass
class PodSet:
    """The pods one pod template of one workload creates, with the labels they will carry."""

    rendered: Rendered
    index: int
    path: tuple  # to the template in the workload
    role: str  # "" | "leader" | "worker"
    labels: dict  # key → str | frozenset of str | ANY
    spec: dict = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return as_str(as_dict(self.rendered.obj.get("metadata")).get("namespace")) or ""

    def title(self) -> str:
        suffix = f" ({self.role} pods)" if self.role else ""
        return describe(self.rendered) + suffix

    def containers(self) -> list[tuple[tuple, dict]]:
        out = []
        for key in ("containers", "initContainers"):
            for i, container in enumerate(as_list(self.spec.get(key))):
                if isinstance(container, dict):
                    out.append((self.path + ("spec", key, i), container))
        return out

    def declares_ports(self) -> bool:
        return any(as_list(container.get("ports")) for _, container in self.containers())

    def has_port(self, target) -> bool:
        for _, container in self.containers():
            for port in as_list(container.get("ports")):
                port = as_dict(port)
                if isinstance(target, str) and port.get("name") == target:
                    return True
                if as_int(target) is not None and as_int(port.get("containerPort")) == target:
                    return True
        return False


def template_labels(template: dict) -> dict:
    """A pod template's literal labels (string keys and values only)."""
    labels = as_dict(as_dict(template.get("metadata")).get("labels"))
    return {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}


def pod_sets(objects: list[Rendered]) -> list[PodSet]:
    """Every pod set of every workload in `objects`, in object order (an LWS has a leader and a worker set)."""
    out = []
    for index, rendered in enumerate(objects):
        obj = as_dict(rendered.obj)
        kind = obj.get("kind")
        if kind not in POD_TEMPLATE_PATHS:
            continue
        controller = {key: ANY for key in _CONTROLLER_LABELS.get(kind, ())}
        if kind == LWS:
            out.extend(_lws_pod_sets(rendered, index, obj, controller))
            continue
        (path,) = POD_TEMPLATE_PATHS[kind]
        template = get_in(obj, path)
        if not isinstance(template, dict):
            continue
        own = template_labels(template)
        out.append(PodSet(rendered, index, path, "", {**controller, **own}, as_dict(template.get("spec"))))
    return out


def _lws_pod_sets(rendered: Rendered, index: int, obj: dict, controller: dict) -> list[PodSet]:
    leader_path, worker_path = POD_TEMPLATE_PATHS[LWS]
    lwt = as_dict(as_dict(obj.get("spec")).get("leaderWorkerTemplate"))
    name = as_str(as_dict(obj.get("metadata")).get("name")) or ""
    size = as_int(lwt.get("size"))
    size = 1 if size is None else size
    worker = lwt.get("workerTemplate")
    leader = lwt.get("leaderTemplate")
    out = []
    # Without a leaderTemplate the leader is made from the worker template.
    leader_at, leader_template = (leader_path, leader) if isinstance(leader, dict) else (worker_path, worker)
    if isinstance(leader_template, dict):
        own = template_labels(leader_template)
        labels = {**controller, **own, LWS_LABEL + "name": name, LWS_LABEL + "worker-index": "0"}
        out.append(PodSet(rendered, index, leader_at, "leader", labels, as_dict(leader_template.get("spec"))))
    if isinstance(worker, dict) and size > 1:
        own = template_labels(worker)
        indices = frozenset(str(i) for i in range(1, size)) if size <= _MAX_ENUMERATED_WORKERS else ANY
        labels = {**controller, **own, LWS_LABEL + "name": name, LWS_LABEL + "worker-index": indices}
        out.append(PodSet(rendered, index, worker_path, "worker", labels, as_dict(worker.get("spec"))))
    return out


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
    if not matches_map(labels, as_dict(selector.get("matchLabels"))):
        return False
    for expression in as_list(selector.get("matchExpressions")):
        expression = as_dict(expression)
        key, operator = expression.get("key"), expression.get("operator")
        values = {str(v) for v in as_list(expression.get("values"))}
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


class PodIndex:
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
