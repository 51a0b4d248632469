"""One InferenceService component (engine, decoder, router), fully resolved and ready to render.

`build_component` merges the runtime's config with the service's spec (one strategic merge),
substitutes template variables, decides the shape (single node or leader/worker), the replica
bounds, the metadata, and builds the final pod specs with the model wired in. It reports problems
as diagnostics at the source field that caused them; `workloads` turns the result into objects.
Decisions that differ from OME's controller are listed in docs/rendering.md.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from omegen import templatevars
from omegen.api import BASE_MODEL, SEED, FieldOrigin, InferenceService, Model, Runtime
from omegen.errors import Diagnostic, error, warning
from omegen.merge import strategic_merge

ENGINE, DECODER, ROUTER = "engine", "decoder", "router"
COMPONENTS = (ENGINE, DECODER, ROUTER)
SERVING_CONTAINER = "ome-container"
MANAGED_BY = {"app.kubernetes.io/managed-by": "omegen"}
DEPLOYMENT_MODE = "ome.io/deploymentMode"
LEADER_LABEL = "leaderworkerset.sigs.k8s.io/worker-index"

# Fields of a component spec that are not pod-spec fields.
COMPONENT_FIELDS = frozenset(
    {
        "labels",
        "annotations",
        "minReplicas",
        "maxReplicas",
        "scaleMetric",
        "scaleTarget",
        "minAvailable",
        "maxUnavailable",
        "deploymentStrategy",
        "containerConcurrency",
        "timeoutSeconds",
        "canaryTrafficPercent",
        "kedaConfig",
        "acceleratorOverride",
        "runner",
        "leader",
        "worker",
        "config",
    }
)
# Accepted by OME's API but meaningless without Knative, KEDA or AcceleratorClasses.
IGNORED_FIELDS = ("containerConcurrency", "timeoutSeconds", "canaryTrafficPercent", "kedaConfig", "acceleratorOverride")

# Annotations OME drops when copying the service's annotations onto a component.
DISALLOWED_ANNOTATIONS = frozenset(
    {
        "autoscaling.knative.dev/min-scale",
        "autoscaling.knative.dev/max-scale",
        "internal.ome.io/storage-initializer-sourceuri",
        "kubectl.kubernetes.io/last-applied-configuration",
    }
)

SINGLE_MODES = ("RawDeployment",)
MULTI_MODES = ("MultiNode", "MultiNodeRayVLLM")
KNATIVE_MODES = ("Serverless",)

# Pod and container fields OME's raw reconcilers set explicitly (ome-behaviour 4.4, "Raw defaults").
POD_DEFAULTS = {
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30,
}
CONTAINER_DEFAULTS = {
    "imagePullPolicy": "IfNotPresent",
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
}


@dataclass(frozen=True)
class Component:
    """A resolved component: everything `workloads` needs and nothing it has to decide."""

    component: str  # engine | decoder | router
    name: str  # <isvc>-<component>
    spec: dict  # the merged component spec
    multinode: bool
    min_replicas: int
    max_replicas: int
    labels: dict
    annotations: dict
    pod: Optional[dict] = None  # single node
    leader_pod: Optional[dict] = None  # multi-node
    worker_pod: Optional[dict] = None
    worker_size: int = 0
    serving_container: dict = field(default_factory=dict)  # of `pod` or `leader_pod`
    metrics: tuple = ()  # HPA metrics; empty when replicas are fixed or scaled by someone else
    external_scaling: bool = False  # `ome.io/autoscalerClass: external`: no HPA and no `replicas`
    disruption_budget: Optional[dict] = None  # PDB spec fields (minAvailable/maxUnavailable)
    sources: tuple[FieldOrigin, ...] = ()

    @property
    def autoscaled(self) -> bool:
        return self.max_replicas > self.min_replicas

    @property
    def fixed_replicas(self) -> Optional[int]:
        """The workload's `replicas`, or None when an autoscaler owns it."""
        return None if self.autoscaled or self.external_scaling else self.min_replicas


class _Context:
    """The resolution being rendered, and where to report problems about one component."""

    def __init__(self, service: InferenceService, runtime: Runtime, model: Optional[Model]):
        self.service = service
        self.runtime = runtime
        self.model = model
        self.diagnostics: list[Diagnostic] = []

    def origin(self, component: str, path: str = "") -> FieldOrigin:
        """The service's field when the service wrote it, else the runtime's."""
        full = f"{component}.{path}" if path else component
        if _has_path(getattr(self.service, component), path):
            return self.service.where(full)
        if _has_path(getattr(self.runtime, component), path):
            return self.runtime.where(full)
        return self.service.where(component) if getattr(self.service, component) is not None else self.service.where()

    def origin_key(self, component: str, parent: str, key: str) -> FieldOrigin:
        """Like `origin`, for a map key that may contain dots (`annotations` → `ome.io/x`)."""
        for obj in (self.service, self.runtime):
            config = getattr(obj, component)
            holder = config.get(parent) if isinstance(config, dict) else None
            if isinstance(holder, dict) and key in holder:
                return obj.where(f"{component}.{parent}.{key}")
        return self.origin(component, parent)

    def runtime_annotations(self, component: str) -> dict:
        merged = {}
        for obj in (self.runtime, self.service):
            config = getattr(obj, component)
            if isinstance(config, dict) and isinstance(config.get("annotations"), dict):
                merged.update(config["annotations"])
        return merged

    def report(self, make: Callable, code: str, message: str, at: FieldOrigin) -> None:
        self.diagnostics.append(make(code, message, at.file, at.line, at.column, at.field))

    def error(self, code: str, message: str, at: FieldOrigin) -> None:
        self.report(error, code, message, at)

    def warning(self, code: str, message: str, at: FieldOrigin) -> None:
        self.report(warning, code, message, at)


def declared_components(service: InferenceService) -> list[str]:
    """Engine always (from the runtime alone when the service has no `engine:`); decoder and
    router only when the service declares them (OME's rule)."""
    return [c for c in COMPONENTS if c == ENGINE or getattr(service, c) is not None]


def build_component(
    service: InferenceService, runtime: Runtime, model: Optional[Model], component: str
) -> tuple[Optional[Component], list[Diagnostic]]:
    ctx = _Context(service, runtime, model)
    result = _build(ctx, component)
    return result, ctx.diagnostics


def service_mode(service: InferenceService) -> Optional[str]:
    return service.annotations.get(DEPLOYMENT_MODE)


# ------------------------------------------------------------------------------------------ build


def _build(ctx: _Context, component: str) -> Optional[Component]:
    service, runtime, model = ctx.service, ctx.runtime, ctx.model
    meta = templatevars.metadata_of(service)
    base = _substituted(ctx, runtime, component, meta)
    patch = _substituted(ctx, service, component, meta)
    if base is None and patch is None and component != ENGINE:
        return None
    spec = strategic_merge(base or {}, patch or {}) or {}
    errors_before = _error_count(ctx)

    for name in IGNORED_FIELDS:
        if name in spec:
            ctx.warning(
                "ignored-field",
                f"{component}.{name} is ignored: it needs Knative, KEDA or AcceleratorClasses, which omegen does not render",
                ctx.origin(component, name),
            )

    multinode = _is_multinode(ctx, component, spec)
    replicas = _replicas(ctx, component, spec)
    name = f"{service.name}-{component}"
    labels = component_labels(service, runtime, model, component, spec, name, multinode)
    annotations = component_annotations(service, runtime, model, spec)

    if multinode:
        pods = _multinode_pods(ctx, component, spec)
    else:
        pods = _single_pod(ctx, component, spec)
    if replicas is not None:
        metrics, external = _autoscaling(ctx, component, spec, annotations, replicas)
        budget = _disruption_budget(ctx, component, spec, replicas)
    if pods is None or replicas is None or _error_count(ctx) > errors_before:
        return None
    if metrics:
        _check_requests(ctx, component, pods[0] or pods[1], metrics[0]["resource"]["name"])
    sources = (
        ctx.service.where(component) if getattr(service, component) is not None else ctx.service.where(),
        runtime.where(component) if getattr(runtime, component) is not None else runtime.where(),
    ) + ((model.where(),) if model is not None else ())
    pod, leader, worker, size, serving = pods
    return Component(
        component=component,
        name=name,
        spec=spec,
        multinode=multinode,
        min_replicas=replicas[0],
        max_replicas=replicas[1],
        labels=labels,
        annotations=annotations,
        pod=pod,
        leader_pod=leader,
        worker_pod=worker,
        worker_size=size,
        serving_container=serving,
        metrics=metrics,
        external_scaling=external,
        disruption_budget=budget,
        sources=sources,
    )


def _error_count(ctx: _Context) -> int:
    return sum(1 for d in ctx.diagnostics if d.severity == 0)


# ------------------------------------------------------------------------------ template variables


def _substituted(ctx: _Context, obj, component: str, meta: dict) -> Optional[dict]:
    """The component config of `obj` (runtime or service) with template variables replaced in its
    serving containers: `runner`, `leader.runner`, `worker.runner`, and any pod container that has
    the runner's name (the runner is merged into it). Sidecars are left as written, as in OME."""
    config = getattr(obj, component)
    if config is None:
        return None
    config = copy.deepcopy(config)

    def report(path: str, message: str) -> None:
        ctx.error("template-variable", message, obj.where(path))

    names = _runner_names(ctx, component)
    for part in ("", "leader", "worker"):
        holder = config if not part else config.get(part)
        if not isinstance(holder, dict):
            continue
        prefix = f"{component}.{part}" if part else component
        if isinstance(holder.get("runner"), dict):
            holder["runner"] = templatevars.substitute(holder["runner"], meta, report, f"{prefix}.runner")
        containers = holder.get("containers")
        if isinstance(containers, list):
            holder["containers"] = [
                templatevars.substitute(c, meta, report, f"{prefix}.containers[{i}]")
                if isinstance(c, dict) and c.get("name") in names
                else c
                for i, c in enumerate(containers)
            ]
    return config


def _runner_names(ctx: _Context, component: str) -> set:
    names = {SERVING_CONTAINER}
    for obj in (ctx.runtime, ctx.service):
        config = getattr(obj, component) or {}
        for holder in (config, config.get("leader"), config.get("worker")):
            if isinstance(holder, dict) and isinstance(holder.get("runner"), dict) and holder["runner"].get("name"):
                names.add(holder["runner"]["name"])
    return names


# ---------------------------------------------------------------------------------- shape, replicas


def _is_multinode(ctx: _Context, component: str, spec: dict) -> bool:
    annotations = spec.get("annotations") or {}
    mode = annotations.get(DEPLOYMENT_MODE)
    where = ctx.origin_key(component, "annotations", DEPLOYMENT_MODE)
    if mode is None and component == ENGINE:
        service_level = service_mode(ctx.service)
        if service_level in MULTI_MODES:
            mode, where = service_level, ctx.service.where(f"metadata.annotations.{DEPLOYMENT_MODE}")
    has_group = spec.get("leader") is not None or spec.get("worker") is not None
    if component == ROUTER:
        if has_group:
            ctx.warning("ignored-field", "a router runs on one node: router.leader and router.worker are ignored", ctx.origin(component, "worker" if "worker" in spec else "leader"))
        mode = None if mode in MULTI_MODES else mode
    if mode in KNATIVE_MODES:
        ctx.error(
            "knative-required",
            f"{DEPLOYMENT_MODE}: {mode} needs Knative Serving, which omegen does not render; use RawDeployment",
            where,
        )
        return False
    if mode in SINGLE_MODES:
        if has_group:
            ctx.warning(
                "ignored-field",
                f"{DEPLOYMENT_MODE}: RawDeployment renders one pod per replica: {component}.leader and {component}.worker are ignored",
                where,
            )
        return False
    if mode in MULTI_MODES:
        if not has_group:
            ctx.error(
                "multinode",
                f"{DEPLOYMENT_MODE}: {mode} needs a worker group: set {component}.worker.size (the number of worker pods per replica)",
                where,
            )
            return False
        return True
    if mode is not None and mode not in ("VirtualDeployment", "PDDisaggregated"):
        ctx.warning("unknown-deployment-mode", f"unknown {DEPLOYMENT_MODE} {mode!r} is ignored", where)
    return component != ROUTER and has_group


def _replicas(ctx: _Context, component: str, spec: dict) -> Optional[tuple[int, int]]:
    """(min, max). Unset min is 1; unset (or 0) max is min, so a service that says nothing gets one
    fixed replica. min 0 means scale-to-zero, which needs Knative."""
    values = {}
    for key in ("minReplicas", "maxReplicas"):
        value = spec.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            ctx.error("replicas", f"{component}.{key} must be a whole number ≥ 0, not {value!r}", ctx.origin(component, key))
            return None
        values[key] = value
    low, high = values["minReplicas"], values["maxReplicas"]
    if low == 0:
        ctx.error(
            "knative-required",
            f"{component}.minReplicas: 0 means scale to zero (OME's Serverless mode), which needs Knative "
            "Serving; omegen renders Deployments and LeaderWorkerSets only: set minReplicas to 1 or more",
            ctx.origin(component, "minReplicas"),
        )
        return None
    low = 1 if low is None else low
    high = low if not high else high
    if high < low:
        def source(key: str) -> str:
            return "service" if key in (getattr(ctx.service, component) or {}) else f"runtime {ctx.runtime.name}"

        ctx.error(
            "replicas",
            f"{component}.maxReplicas ({high}, from the {source('maxReplicas')}) is less than "
            f"minReplicas ({low}, from the {source('minReplicas')})",
            ctx.origin(component, "maxReplicas"),
        )
        return None
    return low, high


AUTOSCALER_CLASS = "ome.io/autoscalerClass"
TARGET_UTILIZATION = "ome.io/targetUtilizationPercentage"
RESOURCE_METRICS = ("cpu", "memory")
DEFAULT_UTILIZATION = 80


def _autoscaling(ctx: _Context, component: str, spec: dict, annotations: dict, replicas: tuple[int, int]):
    """(HPA metrics, scaled externally?). Only a component whose maxReplicas > minReplicas scales."""
    low, high = replicas
    if high <= low:
        return (), False
    autoscaler = annotations.get(AUTOSCALER_CLASS, "hpa")
    if autoscaler == "external":
        return (), True
    if autoscaler != "hpa":
        ctx.error(
            "autoscaler",
            f"{AUTOSCALER_CLASS}: {autoscaler!r} is not rendered by omegen: use 'hpa' (a HorizontalPodAutoscaler) "
            "or 'external' (no autoscaler, no replicas field: something else scales the workload)",
            _annotation_origin(ctx, component, AUTOSCALER_CLASS),
        )
        return (), False
    metric = spec.get("scaleMetric") or "cpu"
    if metric not in RESOURCE_METRICS:
        ctx.error(
            "scale-metric",
            f"{component}.scaleMetric {metric!r} is a Knative (KPA) metric; a HorizontalPodAutoscaler scales on "
            "'cpu' or 'memory' utilization: use one of those, or set minReplicas = maxReplicas",
            ctx.origin(component, "scaleMetric"),
        )
        return (), False
    target = annotations.get(TARGET_UTILIZATION)
    where = _annotation_origin(ctx, component, TARGET_UTILIZATION)
    if target is None:
        target, where = spec.get("scaleTarget"), ctx.origin(component, "scaleTarget")
    if target is None:
        target = DEFAULT_UTILIZATION
    try:
        utilization = int(str(target))
    except ValueError:
        utilization = 0
    if isinstance(target, bool) or not 1 <= utilization <= 100:
        ctx.error("scale-target", f"the target utilization must be a whole percentage from 1 to 100, not {target!r}", where)
        return (), False
    metric_spec = {
        "type": "Resource",
        "resource": {"name": metric, "target": {"type": "Utilization", "averageUtilization": utilization}},
    }
    return (metric_spec,), False


def _check_requests(ctx: _Context, component: str, pod: dict, resource: str) -> None:
    """Utilization is usage over request: a container without a request for the metric's resource
    leaves the HPA unable to compute it (it then does not scale at all)."""
    for container in pod.get("containers") or []:
        resources = container.get("resources") or {}
        if resource not in (resources.get("requests") or {}) and resource not in (resources.get("limits") or {}):
            ctx.warning(
                "scale-metric",
                f"the HorizontalPodAutoscaler scales {component} on {resource} utilization, but container "
                f"{container.get('name')!r} requests no {resource}: the HPA cannot compute utilization and will not scale; "
                f"set resources.requests.{resource}",
                ctx.origin(component, "scaleMetric") if "scaleMetric" in (getattr(ctx.service, component) or {}) else ctx.origin(component),
            )


def _annotation_origin(ctx: _Context, component: str, key: str) -> FieldOrigin:
    for obj in (ctx.service, ctx.runtime):
        config = getattr(obj, component)
        if isinstance(config, dict) and key in (config.get("annotations") or {}):
            return obj.where(f"{component}.annotations.{key}")
    if key in ctx.service.annotations:
        return ctx.service.where(f"metadata.annotations.{key}")
    return ctx.origin(component)


def _disruption_budget(ctx: _Context, component: str, spec: dict, replicas: tuple[int, int]) -> Optional[dict]:
    """A PDB only when more than one replica can run; `maxUnavailable: 1` unless the spec says."""
    if replicas[1] <= 1:
        return None
    given = {k: spec[k] for k in ("minAvailable", "maxUnavailable") if spec.get(k) is not None}
    if len(given) == 2:
        ctx.error(
            "disruption-budget",
            f"{component}.minAvailable and {component}.maxUnavailable are both set; a PodDisruptionBudget takes one",
            ctx.origin(component, "maxUnavailable"),
        )
        return None
    return given or {"maxUnavailable": 1}


# --------------------------------------------------------------------------------------- metadata


def component_labels(
    service: InferenceService, runtime: Runtime, model: Optional[Model], component: str, spec: dict, name: str, multinode: bool
) -> dict:
    """Service labels ∪ component labels, then the labels OME forces, then ours."""
    labels = {**_strings(service.labels), **_strings(spec.get("labels"))}
    labels.update(
        {
            "ome.io/inferenceservice": service.name,
            "component": component,
            "serving-runtime": runtime.name,
            "fine-tuned-serving": "false",
        }
    )
    if model is not None:
        labels["base-model-name"] = model.name
        labels["base-model-size"] = str(model.annotations.get("models.ome.io/category") or "SMALL")
        labels["base-model-type"] = "Serving"
        if model.vendor:
            labels["base-model-vendor"] = model.vendor
    if not multinode:
        labels["app"] = name[:63]
    labels.update(MANAGED_BY)
    return labels


def component_annotations(service: InferenceService, runtime: Runtime, model: Optional[Model], spec: dict) -> dict:
    annotations = {k: v for k, v in _strings(service.annotations).items() if k not in DISALLOWED_ANNOTATIONS}
    annotations.update(_strings(spec.get("annotations")))
    if model is not None:
        annotations["ome.io/base-model-name"] = model.name
        if model.vendor:
            annotations["ome.io/base-model-vendor"] = model.vendor
        if model.format_name:
            annotations["ome.io/base-model-format"] = model.format_name
        if model.format_version:
            annotations["ome.io/base-model-format-version"] = model.format_version
    annotations["ome.io/serving-runtime"] = runtime.name
    annotations["omegen.io/runtime-kind"] = runtime.kind
    return annotations


def _strings(mapping: Any) -> dict:
    if not isinstance(mapping, dict):
        return {}
    return {str(k): _string(v) for k, v in mapping.items() if v is not None}


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -------------------------------------------------------------------------------------------- pods


def _pod_fields(spec: Optional[dict]) -> dict:
    return {k: copy.deepcopy(v) for k, v in (spec or {}).items() if k not in COMPONENT_FIELDS and k != "size"}


def _single_pod(ctx: _Context, component: str, spec: dict):
    pod = _pod_fields(spec)
    pod, serving = _place_runner(ctx, component, pod, spec.get("runner"), component)
    if pod is None:
        return None
    serving = _wire_serving_container(ctx, component, spec, serving, workers=0, deployment=True)
    pod = _set_serving(pod, serving)
    pod = _finish_pod(ctx, component, pod, spec)
    _check_mounts(ctx, component, pod, component)
    return pod, None, None, 0, serving


def _multinode_pods(ctx: _Context, component: str, spec: dict):
    """Leader and worker pods. The component's own pod fields and runner are the base of both; the
    leader's and the worker's fields are merged over them (OME ignores the base: docs/rendering.md)."""
    worker = spec.get("worker") or {}
    leader = spec.get("leader") or {}
    size = worker.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        ctx.error(
            "multinode",
            f"{component}.worker.size must be a whole number ≥ 1 (worker pods per replica, besides the leader), not {size!r}",
            ctx.origin(component, "worker.size" if "size" in worker else "worker"),
        )
        return None
    if ctx.runtime.dialect == SEED and any(k.startswith("spec.containers[1]") for k in ctx.runtime.field_marks):
        ctx.error(
            "multinode-containers",
            f"runtime {ctx.runtime.name} has several containers: a multi-node runtime must have exactly one, "
            "which runs on the leader and on every worker",
            ctx.runtime.where("spec.containers"),
        )
        return None
    base = _pod_fields(spec)
    runner = spec.get("runner")
    leader_pod, leader_serving = _place_runner(
        ctx, component, strategic_merge(base, _pod_fields(leader)), strategic_merge(runner, leader.get("runner")), f"{component}.leader"
    )
    worker_pod, worker_serving = _place_runner(
        ctx, component, strategic_merge(base, _pod_fields(worker)), strategic_merge(runner, worker.get("runner")), f"{component}.worker"
    )
    if leader_pod is None or worker_pod is None:
        return None
    leader_serving = _wire_serving_container(ctx, component, spec, leader_serving, workers=size, deployment=False)
    worker_serving = _wire_serving_container(ctx, component, spec, worker_serving, workers=size, deployment=False)
    leader_pod = _finish_pod(ctx, component, _set_serving(leader_pod, leader_serving), spec)
    worker_pod = _finish_pod(ctx, component, _set_serving(worker_pod, worker_serving), spec)
    _check_mounts(ctx, component, leader_pod, f"{component}.leader")
    _check_mounts(ctx, component, worker_pod, f"{component}.worker")
    return None, leader_pod, worker_pod, size, leader_serving


def _place_runner(ctx: _Context, component: str, pod: dict, runner: Optional[dict], where: str):
    """Put the runner into the pod: merged into the pod container of the same name, else appended
    after the sidecars. Returns (pod, serving container) or (None, None) after an error."""
    containers = [c for c in (pod.get("containers") or []) if isinstance(c, dict)]
    if not runner:
        if containers:
            return {**pod, "containers": containers, "_serving": 0}, containers[0]
        ctx.error(
            "no-runner",
            f"{where} has no runner: runtime {ctx.runtime.name} defines no {_config_name(component)} container for it, "
            f"and the service gives none; add {where}.runner (name, image, ...)",
            ctx.origin(component, where.partition(".")[2] or ""),
        )
        return None, None
    runner = dict(runner)
    runner.setdefault("name", SERVING_CONTAINER)
    index = next((i for i, c in enumerate(containers) if c.get("name") == runner["name"]), None)
    if index is None:
        serving = runner
        containers = containers + [serving]
        index = len(containers) - 1
    else:
        existing = containers[index]
        if existing.get("args") and runner.get("args") and existing["args"] != runner["args"]:
            ctx.warning(
                "runner-args",
                f"both {where}.runner and the pod container {runner['name']!r} set args: the runner's args are used "
                "(OME would run the container's args followed by the runner's)",
                ctx.origin(component, (where.partition(".")[2] + ".runner.args").lstrip(".")),
            )
        serving = strategic_merge(existing, runner)
        containers = containers[:index] + [serving] + containers[index + 1 :]
    if not serving.get("image"):
        ctx.error(
            "no-image",
            f"the serving container {serving['name']!r} of {where} has no image",
            ctx.origin(component, (where.partition(".")[2] + ".runner").lstrip(".")),
        )
        return None, None
    return {**pod, "containers": containers, "_serving": index}, serving


def _set_serving(pod: dict, serving: dict) -> dict:
    containers = list(pod["containers"])
    containers[pod["_serving"]] = serving
    return {**pod, "containers": containers}


def _config_name(component: str) -> str:
    return {"engine": "engineConfig", "decoder": "decoderConfig", "router": "routerConfig"}[component]


def _wire_serving_container(ctx: _Context, component: str, spec: dict, container: dict, *, workers: int, deployment: bool) -> dict:
    container = copy.deepcopy(container)
    model = ctx.model
    if component == ROUTER:
        # `router.config` becomes env of the router container, in key order (OME: map order, random).
        config = spec.get("config") if isinstance(spec.get("config"), dict) else {}
        for key in sorted(config, key=str):
            if config[key] is not None:
                container["env"] = _upsert_env(container.get("env"), str(key), _string(config[key]))
    elif model is not None and model.storage_path:
        env = list(container.get("env") or [])
        if not any(isinstance(e, dict) and e.get("name") == "MODEL_PATH" for e in env):
            env.append({"name": "MODEL_PATH", "value": model.storage_path})
        container["env"] = env
        mounts = list(container.get("volumeMounts") or [])
        volume = model_volume_name(model.name)
        if not any(isinstance(m, dict) and (m.get("mountPath") == model.storage_path or m.get("name") == volume) for m in mounts):
            mounts.append({"name": volume, "mountPath": model.storage_path, "readOnly": True})
        container["volumeMounts"] = mounts
    if component != ROUTER:
        gpus = gpu_count(container)
        if gpus > 0:
            container["env"] = _upsert_env(container.get("env"), "PARALLELISM_SIZE", str(gpus * (1 + workers)))
    if deployment and container.get("name") == SERVING_CONTAINER and "readinessProbe" not in container:
        ports = [p for p in container.get("ports") or [] if isinstance(p, dict) and "containerPort" in p]
        container["readinessProbe"] = {
            "tcpSocket": {"port": ports[0]["containerPort"] if ports else 8080},
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
    return container


def _upsert_env(env: Optional[list], name: str, value: str) -> list:
    env = [dict(e) if isinstance(e, dict) else e for e in (env or [])]
    for item in env:
        if isinstance(item, dict) and item.get("name") == name:
            item.pop("valueFrom", None)
            item["value"] = value
            return env
    return env + [{"name": name, "value": value}]


def gpu_count(container: dict) -> int:
    """`nvidia.com/gpu` from limits, else requests; 0 when absent or not a whole number."""
    resources = container.get("resources") or {}
    for section in ("limits", "requests"):
        value = (resources.get(section) or {}).get("nvidia.com/gpu")
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return 0
    return 0


def _check_mounts(ctx: _Context, component: str, pod: dict, where: str) -> None:
    """A mount of a volume the pod does not declare is rejected by the API server. OME's runtimes
    sometimes rely on its pod webhook (RDMA injection) to add such volumes; an offline render cannot."""
    volumes = {v.get("name") for v in pod.get("volumes") or [] if isinstance(v, dict)}
    for key in ("initContainers", "containers"):
        for container in pod.get(key) or []:
            for mount in (container.get("volumeMounts") or []) if isinstance(container, dict) else []:
                if isinstance(mount, dict) and mount.get("name") not in volumes:
                    hint = ""
                    if any(str(k).startswith("rdma.ome.io/") for k in (ctx.runtime_annotations(component))):
                        hint = " (OME's RDMA pod webhook would add it at admission; omegen renders without it)"
                    ctx.error(
                        "missing-volume",
                        f"container {container.get('name')!r} of {where} mounts volume {mount.get('name')!r}, "
                        f"which the pod does not declare{hint}: add it to {where}.volumes",
                        ctx.origin(component, (where.partition(".")[2] + ".runner.volumeMounts").lstrip(".")),
                    )


def _finish_pod(ctx: _Context, component: str, pod: dict, spec: dict) -> dict:
    pod = {k: v for k, v in pod.items() if k != "_serving"}
    model = ctx.model
    if component != ROUTER and model is not None:
        pod["nodeSelector"] = {model_label_key(model): "Ready", **_strings(pod.get("nodeSelector"))}
        if model.storage_path:
            volume = model_volume_name(model.name)
            volumes = list(pod.get("volumes") or [])
            if not any(isinstance(v, dict) and v.get("name") == volume for v in volumes):
                volumes.append({"name": volume, "hostPath": {"path": model.storage_path}})
            pod["volumes"] = volumes
    if component == ROUTER:
        pod.setdefault("serviceAccountName", f"{ctx.service.name}-router")
    for key, value in POD_DEFAULTS.items():
        pod.setdefault(key, value)
    for key in ("containers", "initContainers"):
        if isinstance(pod.get(key), list):
            pod[key] = [{**CONTAINER_DEFAULTS, **c} if isinstance(c, dict) else c for c in pod[key]]
    return pod


# ---------------------------------------------------------------------------------- model wiring


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME_MAX = 49  # OME: 63 minus "models.ome.io" and the slash
_HASH_PREFIX = 8


def truncate_with_hash(text: str, max_length: int) -> str:
    """OME's `truncateWithHash`: `text` when it fits, else the first 8 hex digits of its sha256, a
    dash and the tail of `text` that fills `max_length`."""
    if len(text) <= max_length:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_PREFIX]
    keep = max_length - _HASH_PREFIX - 1
    if keep <= 0:
        return digest[:max_length]
    return f"{digest}-{text[len(text) - keep:]}"


def model_label_key(model: Model) -> str:
    """The node label OME's model agent sets once the model is on a node (`GetClusterBaseModelLabel`,
    `GetBaseModelLabel` in OME's constants.go), e.g. `models.ome.io/clusterbasemodel.llama-3-8b`."""
    if model.kind != BASE_MODEL:
        return f"models.ome.io/clusterbasemodel.{truncate_with_hash(model.name, _LABEL_NAME_MAX - len('clusterbasemodel') - 1)}"
    namespace = model.namespace or ""
    available = _LABEL_NAME_MAX - len("basemodel.") - 1
    if len(namespace) + len(model.name) <= available:
        return f"models.ome.io/{namespace}.basemodel.{model.name}"
    minimum = 8
    if available < minimum * 2:
        namespace_max = available // 2
    elif len(namespace) <= minimum:
        namespace_max = len(namespace)
    else:
        namespace_max = minimum
    name_max = available - namespace_max
    return f"models.ome.io/{truncate_with_hash(namespace, namespace_max)}.basemodel.{truncate_with_hash(model.name, name_max)}"


def model_volume_name(name: str) -> str:
    """The model's volume is named after the model, as in OME; a name that is not a valid volume
    name (a DNS label: dots, upper case, > 63 characters) is made into one."""
    if _DNS_LABEL.match(name) and len(name) <= 63:
        return name
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "model"
    if cleaned != name:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH_PREFIX]
        cleaned = f"{cleaned[: 63 - _HASH_PREFIX - 1].rstrip('-')}-{digest}"
    return cleaned


# ----------------------------------------------------------------------------------------- paths


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _has_path(tree: Any, path: str) -> bool:
    if tree is None:
        return False
    if not path:
        return True
    node = tree
    for name, index in _PATH_PART.findall(path):
        if name:
            if not isinstance(node, dict) or name not in node:
                return False
            node = node[name]
        else:
            i = int(index)
            if not isinstance(node, list) or i >= len(node):
                return False
            node = node[i]
    return True
