"""A component's shape, decided in one place: a Deployment, a LeaderWorkerSet of 1 leader + N
workers, or nothing renderable (Knative needed, a worker group without its size). Used by render
(`components`, `service`) and by `omegen runtimes` (the runtime's own shape, as a service that adds
nothing would render it). The rules are docs/rendering.md section 3:

1. `ome.io/deploymentMode` in the merged component annotations: RawDeployment → one pod per replica
   (leader/worker ignored, a warning); MultiNode/MultiNodeRayVLLM → leader/worker; Serverless → error.
2. For the engine only, the InferenceService's own annotation when it says MultiNode/MultiNodeRayVLLM.
3. Otherwise leader/worker when the component has `leader` or `worker`. A router is always one pod.

A leader/worker group needs `worker.size`, a whole number ≥ 1. OME would crash on a leader without a
worker (its worker pod spec is nil) and run a worker without a size as a group of the leader alone;
omegen refuses both, at the field that started the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from omegen.errors import Severity

ENGINE, ROUTER = "engine", "router"
DEPLOYMENT_MODE = "ome.io/deploymentMode"
DEPLOYMENT, LEADER_WORKER_SET = "Deployment", "LeaderWorkerSet"
SINGLE_MODES = ("RawDeployment",)
MULTI_MODES = ("MultiNode", "MultiNodeRayVLLM")
KNATIVE_MODES = ("Serverless",)
SERVICE_ONLY_MODES = ("VirtualDeployment", "PDDisaggregated")  # meaningful on the service, not a component

# `Finding.at` values besides component field paths: where the deciding mode annotation was written.
COMPONENT_MODE, SERVICE_MODE = "<component mode>", "<service mode>"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    at: tuple[str, ...]  # COMPONENT_MODE, SERVICE_MODE, or component field paths, most specific first


@dataclass(frozen=True)
class Shape:
    workload: str  # DEPLOYMENT or LEADER_WORKER_SET: what it is, or would be without its error
    worker_size: int = 0  # worker pods per leader; 0 for a Deployment or a group without a valid size
    findings: tuple[Finding, ...] = ()

    @property
    def multinode(self) -> bool:
        return self.workload == LEADER_WORKER_SET

    @property
    def error(self) -> Optional[Finding]:
        """The finding that makes it unrenderable, if any."""
        return next((f for f in self.findings if f.severity is Severity.ERROR), None)

    def label(self) -> str:
        """`Deployment`, `LeaderWorkerSet(1+2)`, or `error[multinode]` (the `omegen runtimes` column)."""
        if self.error is not None:
            return f"error[{self.error.code}]"
        if self.multinode:
            return f"{LEADER_WORKER_SET}(1+{self.worker_size})"
        return DEPLOYMENT


def component_shape(component: str, spec: dict, service_mode: Optional[str] = None) -> Shape:
    """The shape of one component from its merged spec (runtime ⊕ service) and the service's own
    `ome.io/deploymentMode` annotation."""
    findings: list[Finding] = []
    annotations = spec.get("annotations") if isinstance(spec.get("annotations"), dict) else {}
    mode, at = annotations.get(DEPLOYMENT_MODE), COMPONENT_MODE
    if mode is None and component == ENGINE and service_mode in MULTI_MODES:
        mode, at = service_mode, SERVICE_MODE
    has_group = spec.get("leader") is not None or spec.get("worker") is not None
    if component == ROUTER:
        if has_group:
            findings.append(
                Finding(
                    Severity.WARNING,
                    "ignored-field",
                    "a router runs on one node: router.leader and router.worker are ignored",
                    ("worker" if "worker" in spec else "leader",),
                )
            )
        mode = None if mode in MULTI_MODES else mode
    if mode in KNATIVE_MODES:
        message = f"{DEPLOYMENT_MODE}: {mode} needs Knative Serving, which omegen does not render; use RawDeployment"
        return Shape(DEPLOYMENT, 0, (*findings, Finding(Severity.ERROR, "knative-required", message, (at,))))
    if mode in SINGLE_MODES:
        if has_group:
            message = f"{DEPLOYMENT_MODE}: RawDeployment renders one pod per replica: {component}.leader and {component}.worker are ignored"
            findings.append(Finding(Severity.WARNING, "ignored-field", message, (at,)))
        return Shape(DEPLOYMENT, 0, tuple(findings))
    if mode in MULTI_MODES and not has_group:
        message = f"{DEPLOYMENT_MODE}: {mode} needs a worker group: set {component}.worker.size (the number of worker pods per replica)"
        return Shape(DEPLOYMENT, 0, (*findings, Finding(Severity.ERROR, "multinode", message, (at,))))
    if mode is not None and mode not in MULTI_MODES and mode not in SERVICE_ONLY_MODES:
        findings.append(Finding(Severity.WARNING, "unknown-deployment-mode", f"unknown {DEPLOYMENT_MODE} {mode!r} is ignored", (at,)))
    if component == ROUTER or not has_group:
        return Shape(DEPLOYMENT, 0, tuple(findings))
    worker = spec.get("worker") if isinstance(spec.get("worker"), dict) else {}
    size = worker.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        what = "is not set" if size is None else f"must be a whole number ≥ 1, not {size!r}"
        message = f"{component}.worker.size {what}: the number of worker pods per replica, besides the leader (at least 1)"
        # At the field that made it a group: the size, else the worker, else the leader.
        return Shape(LEADER_WORKER_SET, 0, (*findings, Finding(Severity.ERROR, "multinode", message, ("worker.size", "worker", "leader"))))
    return Shape(LEADER_WORKER_SET, size, tuple(findings))


def service_level(mode: Optional[str]) -> Optional[Finding]:
    """The service's own `ome.io/deploymentMode` when it means no workload is rendered at all:
    Serverless (an error: Knative) or VirtualDeployment (info: OME runs nothing)."""
    if mode in KNATIVE_MODES:
        return Finding(
            Severity.ERROR,
            "knative-required",
            f"{DEPLOYMENT_MODE}: Serverless needs Knative Serving, which omegen does not render; use RawDeployment",
            (SERVICE_MODE,),
        )
    if mode == "VirtualDeployment":
        return Finding(Severity.INFO, "virtual-deployment", f"{DEPLOYMENT_MODE}: VirtualDeployment: no workloads are rendered", (SERVICE_MODE,))
    return None
