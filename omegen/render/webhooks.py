"""What OME's pod webhooks would do to a rendered pod (`webhooks: emulate | cluster` in omegen.yaml).

Rendered pods meet OME's pod mutator (pkg/webhook/admission/pod/mutator.go) only where OME's
webhooks run. With `emulate` (the default) omegen writes the injectors' mutations into the pod, in
the mutator's order (model-init, fine-tuned adapter, RDMA), and drops their trigger annotations, so
nothing is injected twice; with `cluster` the annotations stay and the pod is left for the webhooks.
Model-init and the adapter need settings from OME's ConfigMap, which omegen.yaml's `webhookConfig`
repeats (render.agentinit); without them they are refused. Either way omegen renders the
controller's side of model-init (see `pods.wire_serving_container`), which reads the trigger too.
"""

from __future__ import annotations

import copy
from typing import Optional

from omegen.api import WEBHOOKS_CLUSTER, WEBHOOKS_EMULATE
from omegen.render import agentinit, finetuned
from omegen.render.agentinit import ADAPTER_ENTRY, INJECT_ADAPTER, INJECT_MODEL_INIT, MODEL_EMPTY_DIR, MODEL_INIT_ENTRY
from omegen.render.context import ROUTER, RenderContext
from omegen.render.modelref import model_volume_name
from omegen.safeget import as_dict

# pkg/constants/constants.go
RDMA_AUTO_INJECT = "rdma.ome.io/auto-inject"
RDMA_PROFILE = "rdma.ome.io/profile"
RDMA_CONTAINER_NAME = "rdma.ome.io/container-name"
# Injectors omegen does not emulate: their settings live in OME's ConfigMap (annotation → what it adds).
NOT_EMULATED = {
    "ome.io/inject-serving-sidecar": "OME's serving sidecar (serving_sidecar_injector.go)",
    "ome.io/enable-metric-aggregation": "OME's metric aggregation for Knative's queue-proxy (metrics_aggregate_injector.go)",
}

# pkg/webhook/admission/pod/rdma_injector.go: RDMAProfiles, DefaultRDMAProfile, DefaultContainerName.
DEFAULT_RDMA_PROFILE = "oci-roce"
DEFAULT_RDMA_CONTAINER = "ome-container"
RDMA_PROFILES = {
    "oci-roce": {
        "env": {
            "NCCL_NET_PLUGIN": "none",
            "NCCL_DEBUG": "INFO",
            "NCCL_CROSS_NIC": "2",
            "NCCL_SOCKET_NTHREADS": "16",
            "NCCL_CUMEM_ENABLE": "0",
            "NCCL_IB_SPLIT_DATA_ON_QPS": "0",
            "NCCL_IB_QPS_PER_CONNECTION": "16",
            "NCCL_IB_GID_INDEX": "3",
            "NCCL_IB_HCA": "=mlx5_0,mlx5_1,mlx5_3,mlx5_4,mlx5_5,mlx5_6,mlx5_7,mlx5_8,mlx5_9,mlx5_10,mlx5_12,mlx5_13,mlx5_14,mlx5_15,mlx5_16,mlx5_17",
            "NCCL_IB_TC": "41",
            "NCCL_IB_SL": "0",
            "NCCL_IB_TIMEOUT": "22",
            "HCOLL_ENABLE_MCAST_ALL": "0",
            "coll_hcoll_enable": "0",
            "UCX_TLS": "tcp",
            "UCX_NET_DEVICES": "eth0",
            "RX_QUEUE_LEN": "8192",
            "IB_RX_QUEUE_LEN": "8192",
            "NCCL_SOCKET_IFNAME": "eth0",
            "NCCL_IGNORE_CPU_AFFINITY": "1",
            "GLOO_SOCKET_IFNAME": "eth0",
        },
        "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}, {"name": "devinf", "mountPath": "/dev/infiniband"}],
        "volumes": [
            {"name": "dshm", "emptyDir": {"medium": "Memory"}},
            {"name": "devinf", "hostPath": {"path": "/dev/infiniband"}},
        ],
        "capabilities": ["IPC_LOCK", "CAP_SYS_ADMIN"],
        "privileged": True,
    },
}


def wants_rdma(annotations: dict) -> bool:
    """`InjectRDMA`'s trigger: the annotation set to exactly "true"."""
    return annotations.get(RDMA_AUTO_INJECT) == "true"


def rdma_problem(annotations: dict) -> Optional[str]:
    """Why the injection cannot be emulated (OME's webhook refuses the pod), or None."""
    profile = annotations.get(RDMA_PROFILE) or DEFAULT_RDMA_PROFILE
    if profile not in RDMA_PROFILES:
        return f"unknown RDMA profile {profile!r}: OME's RDMA injector knows {', '.join(sorted(RDMA_PROFILES))} and refuses the pod"
    return None


def rdma_container(annotations: dict) -> str:
    return annotations.get(RDMA_CONTAINER_NAME) or DEFAULT_RDMA_CONTAINER


def inject_rdma(pod: dict, annotations: dict) -> Optional[dict]:
    """The pod as `injectRDMAConfig` leaves it, or None when it has no container to inject into
    (OME then skips the pod). Env vars are set in name order, as OME appends them; one the container
    already sets takes the profile's value (OME appends a duplicate, which Kubernetes resolves the
    same way, last one wins). Mounts and volumes are added unless one of that name exists."""
    profile = RDMA_PROFILES[annotations.get(RDMA_PROFILE) or DEFAULT_RDMA_PROFILE]
    target = rdma_container(annotations)
    containers = pod.get("containers") or []
    index = next((i for i, c in enumerate(containers) if isinstance(c, dict) and c.get("name") == target), None)
    if index is None:
        return None
    pod = copy.deepcopy(pod)
    volumes = list(pod.get("volumes") or [])
    names = {v.get("name") for v in volumes if isinstance(v, dict)}
    pod["volumes"] = volumes + [copy.deepcopy(v) for v in profile["volumes"] if v["name"] not in names]
    container = pod["containers"][index]
    env = [e for e in container.get("env") or []]
    for name in sorted(profile["env"]):
        existing = next((e for e in env if isinstance(e, dict) and e.get("name") == name), None)
        if existing is None:
            env.append({"name": name, "value": profile["env"][name]})
        else:
            existing.pop("valueFrom", None)
            existing["value"] = profile["env"][name]
    container["env"] = env
    mounts = list(container.get("volumeMounts") or [])
    mounted = {m.get("name") for m in mounts if isinstance(m, dict)}
    container["volumeMounts"] = mounts + [dict(m) for m in profile["volumeMounts"] if m["name"] not in mounted]
    container["securityContext"] = _security_context(container.get("securityContext"), profile)
    return pod


def _security_context(current: Optional[dict], profile: dict) -> dict:
    """As `injectContainerConfig`: the profile's context when there is none; else its capabilities
    added to the container's, and `privileged` only when the container leaves it unset."""
    if not isinstance(current, dict):
        return {"capabilities": {"add": list(profile["capabilities"])}, "privileged": profile["privileged"]}
    context = copy.deepcopy(current)
    capabilities = context.get("capabilities")
    if not isinstance(capabilities, dict):
        context["capabilities"] = {"add": list(profile["capabilities"])}
    else:
        added = list(capabilities.get("add") or [])
        capabilities["add"] = added + [c for c in profile["capabilities"] if c not in added]
    context.setdefault("privileged", profile["privileged"])
    return context


def controller_annotations(ctx: RenderContext) -> dict:
    """The component's annotations as OME's controller reads them: the triggers omegen emulates
    (and so drops from the pods) included."""
    return {**ctx.pod_annotations, **ctx.emulated}


def model_init(ctx: RenderContext) -> bool:
    """`ome.io/inject-model-init: "true"`, left to OME's webhook or emulated: the controller's side of
    it (IsOriginalModelVolumeMountNecessary false: no model mount, no MODEL_PATH; the emptyDir the
    init container fills)."""
    return controller_annotations(ctx).get(INJECT_MODEL_INIT) == "true"


def emulate_webhooks(ctx: RenderContext, component: str, pod: dict, where: str) -> dict:
    """What OME's pod webhooks would inject, when omegen emulates them: into every pod of the
    component, workers included (their templates carry the annotations too). The mutator's order:
    model-init, the fine-tuned adapter, then RDMA (which changes the security context the first two
    copy)."""
    pod = _emulate_init_containers(ctx, component, pod, where)
    if ctx.rdma is None or rdma_problem(ctx.rdma):
        return pod
    injected = inject_rdma(pod, ctx.rdma)
    if injected is None:
        # OME's injector skips such a pod (it only logs); a router usually has no such container.
        report = ctx.info if component == ROUTER else ctx.warning
        report(
            "webhook-emulation",
            f"{RDMA_AUTO_INJECT}: the pod of {where} has no container {rdma_container(ctx.rdma)!r}: "
            "nothing is injected (as OME's RDMA injector); set rdma.ome.io/container-name",
            ctx.annotation_origin(component, RDMA_AUTO_INJECT),
        )
        return pod
    return injected


def _emulate_init_containers(ctx: RenderContext, component: str, pod: dict, where: str) -> dict:
    """Model-init and the fine-tuned adapter (render.agentinit), for the triggers `pod_annotations`
    dropped. A pod OME's webhook would refuse is an error at the trigger."""
    if component == ROUTER or not ctx.emulated:
        return pod
    annotations, before = controller_annotations(ctx), pod
    if INJECT_MODEL_INIT in ctx.emulated and agentinit.settings(ctx, MODEL_INIT_ENTRY) is not None:
        model = ctx.model
        problem = None
        if model is None or not model.storage_path:
            # UpdatePodSpecVolumes adds the base model's volume only for a model with storage.path
            problem = "the base model has no storage.path, so the pod has no model volume for the model-init container to mount"
        else:
            pod, problem = agentinit.inject_model_init(
                pod, agentinit.settings(ctx, MODEL_INIT_ENTRY), annotations, ctx.pod_labels, model_volume_name(model.name)
            )
        if problem:
            ctx.error(
                "webhook-emulation",
                f"{INJECT_MODEL_INIT}: OME's model-init webhook would refuse the pod of {where}: {problem}",
                ctx.annotation_origin(component, INJECT_MODEL_INIT),
            )
            return before
    weight = ctx.fine_tuned
    if INJECT_ADAPTER in ctx.emulated and weight is not None and weight.name == ctx.emulated[INJECT_ADAPTER]:
        uri = as_dict(as_dict(as_dict(weight.document).get("spec")).get("storage")).get("storageUri")
        pod, problem = agentinit.inject_adapter(pod, agentinit.settings(ctx, ADAPTER_ENTRY), annotations, uri)
        if problem:
            at = weight.where("spec.storage.storageUri") if agentinit.parse_oci_uri(uri) is None else finetuned.weight_origin(ctx)
            ctx.error(
                "webhook-emulation",
                f"fine-tuned weight {weight.name}: OME's fine-tuned adapter webhook would refuse the pod of {where}: {problem}",
                at,
            )
            return before
    return agentinit.order_init_containers(pod)


def pod_annotations(ctx: RenderContext, component: str, annotations: dict) -> dict:
    """The component's annotations as its pods carry them (render.webhooks). Emulated: the triggers
    of the webhooks omegen emulates are dropped (recorded in `ctx.emulated`); model-init without its
    settings in omegen.yaml is refused (the fine-tuned adapter's is, by render.finetuned). With
    `webhooks: cluster` every annotation stays for OME's webhooks."""
    if ctx.webhooks != WEBHOOKS_EMULATE:
        return annotations
    annotations = _drop_init_triggers(ctx, component, annotations)
    for key, what in NOT_EMULATED.items():
        if annotations.get(key) == "true":
            ctx.warning(
                "webhook-emulation",
                f"{key}: \"true\" is not emulated: {what} takes its settings from OME's inferenceservice ConfigMap and is not in "
                "the rendered pod; set `webhooks: cluster` in omegen.yaml when OME's webhooks run there",
                ctx.annotation_origin(component, key),
            )
    if wants_rdma(annotations):
        problem = rdma_problem(annotations)
        if problem:
            ctx.error("webhook-emulation", f"{RDMA_PROFILE}: {problem}", ctx.annotation_origin(component, RDMA_PROFILE))
        ctx.rdma = annotations
        return {k: v for k, v in annotations.items() if k != RDMA_AUTO_INJECT}
    return annotations


def _drop_init_triggers(ctx: RenderContext, component: str, annotations: dict) -> dict:
    """Model-init's and the adapter's triggers, when omegen emulates them; a router gets neither
    init container (**differs from OME**: omegen gives router pods no model volume, and the router
    never reads the model), so for it they are only dropped, with an info."""
    triggers = {}
    if annotations.get(INJECT_MODEL_INIT) == "true":
        where = ctx.annotation_origin(component, INJECT_MODEL_INIT)
        if component != ROUTER and agentinit.settings(ctx, MODEL_INIT_ENTRY) is None:
            ctx.error("webhook-emulation", f"{INJECT_MODEL_INIT}: \"true\" needs OME's model-init webhook: " + agentinit.missing_settings(MODEL_INIT_ENTRY), where)
        triggers[INJECT_MODEL_INIT] = "true"
    adapter = annotations.get(INJECT_ADAPTER)
    if adapter:
        weight = ctx.fine_tuned
        if weight is None or weight.name != adapter:
            # Written by hand: OME's adapter webhook would fetch that weight from the cluster.
            ctx.error(
                "webhook-emulation",
                f"{INJECT_ADAPTER}: {adapter!r} is OME's fine-tuned adapter trigger, which its controller writes for "
                "spec.model.fineTunedWeights: name the weight there instead (omegen then renders the adapter), "
                "or set `webhooks: cluster` when OME's webhooks run in the target cluster",
                ctx.annotation_origin(component, INJECT_ADAPTER),
            )
        triggers[INJECT_ADAPTER] = adapter
    if component == ROUTER:
        for key in triggers:
            ctx.info(
                "webhook-emulation",
                f"{key}: dropped from the router's pods, nothing injected: omegen gives router pods no model volume "
                "(the router never reads the model), so it emulates OME's init-container webhooks on engine and decoder pods only",
                ctx.annotation_origin(component, key),
            )
    ctx.emulated = triggers
    return {k: v for k, v in annotations.items() if k not in triggers}
