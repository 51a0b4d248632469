"""Pod specs of a component: the runner placed into its pod, the model wired into the serving
container, leader and worker pods over their component, and the fields OME's reconcilers set
(docs/rendering.md sections 3, 6 and 7)."""

from __future__ import annotations

import copy
from typing import Optional

from omegen.api import COMPONENT_FIELDS
from omegen.merge import merge_all, strategic_merge
from omegen.render.modelref import model_label_key, model_volume_name
from omegen.render.context import (
    DEFAULT_PORT,
    ROUTER,
    SERVING_CONTAINER,
    RenderContext,
    runner_names,
    string,
    strings,
    upsert_env,
)
from omegen.render import accelerators, finetuned, webhooks
from omegen.render.quantities import gpu_count, missing_limits, quantity_problems, request_limit_conflicts
from omegen.safeget import as_dict

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


def pod_fields(spec: Optional[dict]) -> dict:
    return {k: copy.deepcopy(v) for k, v in (spec or {}).items() if k not in COMPONENT_FIELDS and k != "size"}


def single_pod(ctx: RenderContext, component: str, spec: dict):
    """(pod, None, None, 0, serving container) for a single-node component, or None after an error."""
    pod, index = place_runner(ctx, component, pod_fields(spec), spec.get("runner"), component)
    if pod is None:
        return None
    serving = wire_serving_container(ctx, component, spec, pod["containers"][index], workers=0, deployment=True)
    pod = webhooks.emulate_webhooks(ctx, component, finish_pod(ctx, component, set_container(pod, index, serving)), component)
    check_mounts(ctx, component, pod, component)
    check_resources(ctx, component, pod, component)
    return pod, None, None, 0, serving


def multinode_pods(ctx: RenderContext, component: str, spec: dict, size: int, layers: tuple):
    """(None, leader pod, worker pod, worker size, leader's serving container), or None after an
    error. `size` is the worker size `render.shape` decided; `layers` are the runtime's and the
    service's component configs, unmerged: see `group_pod` (OME ignores the component level:
    docs/rendering.md)."""
    if ctx.runtime.seed_containers > 1:
        ctx.error(
            "multinode-containers",
            f"runtime {ctx.runtime.name} has several containers: a multi-node runtime must have exactly one, "
            "which runs on the leader and on every worker",
            ctx.runtime.where("spec.containers"),
        )
        return None
    leader_pod, leader_index = place_runner(ctx, component, *group_pod(layers, "leader"), f"{component}.leader")
    worker_pod, worker_index = place_runner(ctx, component, *group_pod(layers, "worker"), f"{component}.worker")
    if leader_pod is None or worker_pod is None:
        return None
    leader_serving = wire_serving_container(
        ctx, component, spec, leader_pod["containers"][leader_index], workers=size, deployment=False
    )
    worker_serving = wire_serving_container(
        ctx, component, spec, worker_pod["containers"][worker_index], workers=size, deployment=False
    )
    leader_pod = finish_pod(ctx, component, set_container(leader_pod, leader_index, leader_serving))
    worker_pod = finish_pod(ctx, component, set_container(worker_pod, worker_index, worker_serving))
    leader_pod = webhooks.emulate_webhooks(ctx, component, leader_pod, f"{component}.leader")
    worker_pod = webhooks.emulate_webhooks(ctx, component, worker_pod, f"{component}.worker")
    for pod, where in ((leader_pod, f"{component}.leader"), (worker_pod, f"{component}.worker")):
        check_mounts(ctx, component, pod, where)
        check_resources(ctx, component, pod, where)
    return None, leader_pod, worker_pod, size, leader_serving


def group_pod(layers: tuple, part: str) -> tuple[dict, Optional[dict]]:
    """(pod fields, runner) of a group's leader or worker pod: the runtime's component, the
    runtime's `part`, the service's component, the service's `part`, each merged over the one
    before. The service beats the runtime at every level (its `engine.runner.image` reaches pods
    whose runtime sets `leader.runner.image`), and within one source `part` beats the component."""
    pod: dict = {}
    runner = None
    for config in layers:
        config = config or {}
        sub = as_dict(config.get(part))
        pod = merge_all(pod, pod_fields(config), pod_fields(sub)) or {}
        runner = merge_all(runner, config.get("runner"), sub.get("runner"))
    return pod, runner


def place_runner(ctx: RenderContext, component: str, pod: dict, runner: Optional[dict], where: str):
    """Put the runner into the pod: merged into the pod container of the same name, else appended
    after the sidecars. Returns (pod, index of the serving container) or (None, None) after an error.
    Without a runner the first container serves (as in OME)."""
    containers = [c for c in (pod.get("containers") or []) if isinstance(c, dict)]
    if not runner:
        if containers:
            return {**pod, "containers": containers}, 0
        ctx.error(
            "no-runner",
            f"{where} has no runner: runtime {ctx.runtime.name} defines no {config_name(component)} container for it, "
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
                _runner_origin(ctx, component, where, "runner.args"),
            )
        serving = strategic_merge(existing, runner)
        containers = containers[:index] + [serving] + containers[index + 1 :]
    if not serving.get("image"):
        ctx.error(
            "no-image",
            f"the serving container {serving['name']!r} of {where} has no image",
            _runner_origin(ctx, component, where, "runner"),
        )
        return None, None
    return {**pod, "containers": containers}, index


def _runner_origin(ctx: RenderContext, component: str, where: str, path: str):
    """Where `path` of the pod `where` (`engine`, `engine.leader`) was written: a leader's or
    worker's own field, else the component's it inherits."""
    part = where.partition(".")[2]
    return ctx.origin_first(component, [f"{part}.{path}", path] if part else [path])


def set_container(pod: dict, index: int, container: dict) -> dict:
    containers = list(pod["containers"])
    containers[index] = container
    return {**pod, "containers": containers}


def config_name(component: str) -> str:
    return {"engine": "engineConfig", "decoder": "decoderConfig", "router": "routerConfig"}[component]


def wire_serving_container(
    ctx: RenderContext, component: str, spec: dict, container: dict, *, workers: int, deployment: bool
) -> dict:
    """The serving container with its env (MODEL_PATH, PARALLELISM_SIZE or the router's config),
    the model mount and, in a Deployment, OME's default readiness probe. No port is added to a
    container that declares none, as in OME: its Service and probe assume 8080."""
    container = copy.deepcopy(container)
    model = ctx.model
    if component == ROUTER:
        # `router.config` becomes env of the router container, in key order (OME: map order, random).
        config = as_dict(spec.get("config"))
        for key in sorted(config, key=str):
            if config[key] is not None:
                container["env"] = upsert_env(container.get("env"), str(key), string(config[key]))
    elif model is not None and model.storage_path and not webhooks.model_init(ctx) and not finetuned.merged(ctx):
        # IsOriginalModelVolumeMountNecessary; MODEL_PATH only for base-model serving (UpdateEnvVariables).
        env = list(container.get("env") or [])
        if finetuned.weight(ctx) is None and not any(isinstance(e, dict) and e.get("name") == "MODEL_PATH" for e in env):
            env.append({"name": "MODEL_PATH", "value": model.storage_path})
        container["env"] = env
        mounts = list(container.get("volumeMounts") or [])
        volume = model_volume_name(model.name)
        if not any(isinstance(m, dict) and (m.get("mountPath") == model.storage_path or m.get("name") == volume) for m in mounts):
            mounts.append({"name": volume, "mountPath": model.storage_path, "readOnly": True})
        container["volumeMounts"] = mounts
    if component != ROUTER:
        container = finetuned.wire_container(ctx, container)
        container = accelerators.wire_container(ctx, component, container)
        gpus = gpu_count(container) if accelerators.choice(ctx) is None else 0  # OME: no PARALLELISM_SIZE with a class
        if gpus > 0:
            container["env"] = upsert_env(container.get("env"), "PARALLELISM_SIZE", str(gpus * (1 + workers)))
    if deployment and container.get("name") == SERVING_CONTAINER and "readinessProbe" not in container:
        ports = [p for p in container.get("ports") or [] if isinstance(p, dict) and "containerPort" in p]
        container["readinessProbe"] = {
            "tcpSocket": {"port": ports[0]["containerPort"] if ports else DEFAULT_PORT},
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
    return container


def check_resources(ctx: RenderContext, component: str, pod: dict, where: str) -> None:
    """Requests and limits the API server would refuse. They are merged key by key (runtime, then
    service), so a service that lowers only `limits.cpu` can leave a request above its limit."""
    for key in ("initContainers", "containers"):
        for container in pod.get(key) or []:
            resources = container.get("resources") if isinstance(container, dict) else None
            if not isinstance(resources, dict):
                continue
            requests = as_dict(resources.get("requests"))
            limits = as_dict(resources.get("limits"))
            problems = quantity_problems(requests, limits) + missing_limits(requests, limits)
            conflicts = request_limit_conflicts(requests, limits)
            if conflicts:
                conflicts.append("the runtime's and the service's resources merge key by key: set requests and limits together")
            if not problems + conflicts:
                continue
            serving = key == "containers" and container.get("name") in runner_names(ctx, component)
            ctx.error(
                "resources",
                f"container {container.get('name')!r} of {where}: " + "; ".join(problems + conflicts) + " (the API server would refuse the pod)",
                _runner_origin(ctx, component, where, "runner.resources") if serving else _runner_origin(ctx, component, where, key),
            )


def check_mounts(ctx: RenderContext, component: str, pod: dict, where: str) -> None:
    """A mount of a volume the pod does not declare is rejected by the API server. OME's runtimes
    sometimes rely on its pod webhook (RDMA injection) to add such volumes; an offline render cannot."""
    volumes = {v.get("name") for v in pod.get("volumes") or [] if isinstance(v, dict)}
    for key in ("initContainers", "containers"):
        for container in pod.get(key) or []:
            for mount in (container.get("volumeMounts") or []) if isinstance(container, dict) else []:
                if isinstance(mount, dict) and mount.get("name") not in volumes:
                    hint = ""
                    if any(str(k).startswith("rdma.ome.io/") for k in (ctx.written_annotations(component))):
                        hint = " (OME's RDMA pod webhook would add it at admission; omegen renders without it)"
                    ctx.error(
                        "missing-volume",
                        f"container {container.get('name')!r} of {where} mounts volume {mount.get('name')!r}, "
                        f"which the pod does not declare{hint}: add it to {where}.volumes",
                        _runner_origin(ctx, component, where, "runner.volumeMounts"),
                    )


def _mounts(pod: dict, volume: str) -> bool:
    return any(
        isinstance(m, dict) and m.get("name") == volume
        for key in ("initContainers", "containers")
        for c in pod.get(key) or []
        if isinstance(c, dict)
        for m in c.get("volumeMounts") or []
    )


def finish_pod(ctx: RenderContext, component: str, pod: dict) -> dict:
    """The model's node selector and volume (engine and decoder), the router's account, and the
    pod and container fields OME's reconcilers set explicitly."""
    pod = dict(pod)
    model = ctx.model
    if component != ROUTER and model is not None:
        volume = model_volume_name(model.name)
        volumes = list(pod.get("volumes") or [])
        # The model-init container OME's webhook adds mounts the model's volume by name.
        node_copy = not model.storage_path or _mounts(pod, volume) or webhooks.model_init(ctx)
        node_copy = node_copy and not finetuned.merged(ctx)  # merged weights need no base model on the node
        # Only when a container mounts it: a user who mounts the weights at the model's path from
        # elsewhere (a PVC) gets no unused hostPath, which Pod Security `baseline` would refuse, and
        # no node selector for the model agent's node-local copy, which such a pod never reads.
        if node_copy:
            pod["nodeSelector"] = {model_label_key(model): "Ready", **strings(pod.get("nodeSelector"))}
        if model.storage_path and node_copy and not any(isinstance(v, dict) and v.get("name") == volume for v in volumes):
            volumes = volumes + [{"name": volume, "hostPath": {"path": model.storage_path}}]
            pod["volumes"] = volumes
        if webhooks.model_init(ctx) and not any(isinstance(v, dict) and v.get("name") == webhooks.MODEL_EMPTY_DIR for v in volumes):
            # IsEmptyModelDirVolumeRequired → UpdatePodSpecVolumes (components/base.go)
            pod["volumes"] = volumes + [{"name": webhooks.MODEL_EMPTY_DIR, "emptyDir": {"medium": "Memory"}}]
        pod["volumes"] = finetuned.pod_volumes(ctx, list(pod.get("volumes") or []))
    if component != ROUTER:
        pod = accelerators.pod(ctx, component, pod, model is not None and not finetuned.merged(ctx))
    if component == ROUTER:
        pod.setdefault("serviceAccountName", f"{ctx.service.name}-router")
    for key, value in POD_DEFAULTS.items():
        pod.setdefault(key, value)
    for key in ("containers", "initContainers"):
        if isinstance(pod.get(key), list):
            pod[key] = [_string_fractions({**CONTAINER_DEFAULTS, **c}) if isinstance(c, dict) else c for c in pod[key]]
    return pod


def _string_fractions(container: dict) -> dict:
    """`cpu: 0.5` → `cpu: "0.5"`: a LeaderWorkerSet's CRD schema takes only integers and strings
    as quantities (a Deployment takes both; the value means the same)."""
    resources = container.get("resources")
    if not isinstance(resources, dict):
        return container
    resources = {
        section: {k: repr(v) if isinstance(v, float) else v for k, v in values.items()} if isinstance(values, dict) else values
        for section, values in resources.items()
    }
    return {**container, "resources": resources}

