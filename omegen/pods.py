"""Pod specs of a component: the runner placed into its pod, the model wired into the serving
container, leader and worker pods over their component, and the fields OME's reconcilers set
(docs/rendering.md sections 3, 6 and 7)."""

from __future__ import annotations

import copy
from typing import Optional

from omegen.api import SEED
from omegen.merge import strategic_merge
from omegen.modelref import model_label_key, model_volume_name
from omegen.rendercontext import (
    COMPONENT_FIELDS,
    DEFAULT_PORT,
    ROUTER,
    SERVING_CONTAINER,
    RenderContext,
    string,
    strings,
)

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
    serving = wire_serving_container(ctx, component, spec, pod["containers"][index], workers=0, deployment=True, serves=True)
    pod = finish_pod(ctx, component, set_container(pod, index, serving))
    check_mounts(ctx, component, pod, component)
    return pod, None, None, 0, serving


def multinode_pods(ctx: RenderContext, component: str, spec: dict):
    """(None, leader pod, worker pod, worker size, leader's serving container), or None after an
    error. The component's own pod fields and runner are the base of both; the
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
    base = pod_fields(spec)
    runner = spec.get("runner")
    leader_pod, leader_index = place_runner(
        ctx, component, strategic_merge(base, pod_fields(leader)), strategic_merge(runner, leader.get("runner")), f"{component}.leader"
    )
    worker_pod, worker_index = place_runner(
        ctx, component, strategic_merge(base, pod_fields(worker)), strategic_merge(runner, worker.get("runner")), f"{component}.worker"
    )
    if leader_pod is None or worker_pod is None:
        return None
    leader_serving = wire_serving_container(
        ctx, component, spec, leader_pod["containers"][leader_index], workers=size, deployment=False, serves=True
    )
    worker_serving = wire_serving_container(
        ctx, component, spec, worker_pod["containers"][worker_index], workers=size, deployment=False, serves=False
    )
    leader_pod = finish_pod(ctx, component, set_container(leader_pod, leader_index, leader_serving))
    worker_pod = finish_pod(ctx, component, set_container(worker_pod, worker_index, worker_serving))
    check_mounts(ctx, component, leader_pod, f"{component}.leader")
    check_mounts(ctx, component, worker_pod, f"{component}.worker")
    return None, leader_pod, worker_pod, size, leader_serving


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
    return {**pod, "containers": containers}, index


def set_container(pod: dict, index: int, container: dict) -> dict:
    containers = list(pod["containers"])
    containers[index] = container
    return {**pod, "containers": containers}


def config_name(component: str) -> str:
    return {"engine": "engineConfig", "decoder": "decoderConfig", "router": "routerConfig"}[component]


def wire_serving_container(
    ctx: RenderContext, component: str, spec: dict, container: dict, *, workers: int, deployment: bool, serves: bool
) -> dict:
    """The serving container with its port, env (MODEL_PATH, PARALLELISM_SIZE or the router's
    config), the model mount and, in a Deployment, OME's default readiness probe. `serves`: it
    receives traffic (a single pod or a leader, not a worker)."""
    container = copy.deepcopy(container)
    if serves and not any(isinstance(p, dict) and "containerPort" in p for p in container.get("ports") or []):
        # OME serves on 8080 when the runtime declares no port (its Service and probe defaults);
        # declaring it makes that assumption visible and checkable.
        container["ports"] = [{"name": "http", "containerPort": DEFAULT_PORT, "protocol": "TCP"}]
    model = ctx.model
    if component == ROUTER:
        # `router.config` becomes env of the router container, in key order (OME: map order, random).
        config = spec.get("config") if isinstance(spec.get("config"), dict) else {}
        for key in sorted(config, key=str):
            if config[key] is not None:
                container["env"] = upsert_env(container.get("env"), str(key), string(config[key]))
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


def upsert_env(env: Optional[list], name: str, value: str) -> list:
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
                        ctx.origin(component, (where.partition(".")[2] + ".runner.volumeMounts").lstrip(".")),
                    )


def finish_pod(ctx: RenderContext, component: str, pod: dict) -> dict:
    """The model's node selector and volume (engine and decoder), the router's account, and the
    pod and container fields OME's reconcilers set explicitly."""
    pod = dict(pod)
    model = ctx.model
    if component != ROUTER and model is not None:
        pod["nodeSelector"] = {model_label_key(model): "Ready", **strings(pod.get("nodeSelector"))}
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

