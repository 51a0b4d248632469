"""Kubernetes objects for a resolved component, from the skeletons in `omegen/render/templates/`.

The templates hold metadata and structure only; every value reaches them through `tojson`, as JSON
gives it, and they are filled as data (render/skeletons.py). They are omegen's own: a team changes
the output with overlays, not with templates of its own. A template that fails raises
`TemplateFailure`, which `render_service` reports.
"""

from __future__ import annotations

from omegen.render.components import Component
from omegen.render.webhooks import INJECT_MODEL_INIT
from omegen.render.modelref import truncate_with_hash
from omegen.render.context import DEFAULT_PORT, LEADER_LABEL, MANAGED_BY, ROUTER
from omegen.render.skeletons import TemplateFailure, render_template

__all__ = ["TemplateFailure", "component_objects", "endpoint_service", "render_template"]

LWS_API = "leaderworkerset.x-k8s.io/v1"
LWS_NAME_MAX = 48
# Annotations that belong on pods only, never on a Service (OME's PodOnlyAnnotationPrefixes).
POD_ONLY_ANNOTATIONS = (
    "prometheus.io/",
    "k8s.grafana.com/",
    "loki.grafana.com/",
    "networking.gke.io/",
    "rdma.ome.io/",
    INJECT_MODEL_INIT,
    "ome.io/inject-fine-tuned-adapter",
    "ome.io/inject-serving-sidecar",
)
# Annotations copied from the InferenceService onto its endpoint Service.
ENDPOINT_ANNOTATIONS = ("service.beta.kubernetes.io/", "cloud.google.com/", "service.kubernetes.io/")
WORKER_DROPPED_ANNOTATIONS = ("prometheus.io/path", "prometheus.io/port", "prometheus.io/scrape")
SERVICE_TYPE = "ome.io/service-type"
LOAD_BALANCER_IP = "ome.io/load-balancer-ip"
SERVICE_TYPES = ("ClusterIP", "LoadBalancer", "NodePort")


# ------------------------------------------------------------------------------------------ names


def lws_name(component_name: str) -> str:
    """`lws-<isvc>-<component>`: LeaderWorkerSet creates a headless Service named like itself, so
    the LWS cannot take the component's name (that is the serving Service's). Kept short enough
    for the StatefulSet pod labels LWS derives from it; longer names are shortened with a hash."""
    name = f"lws-{component_name}"
    if len(name) <= LWS_NAME_MAX:
        return name
    return "lws-" + truncate_with_hash(component_name, LWS_NAME_MAX - len("lws-"))


def workload_ref(component: Component) -> dict:
    if component.multinode:
        return {"apiVersion": LWS_API, "kind": "LeaderWorkerSet", "name": lws_name(component.name)}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": component.name}


def pod_selector(component: Component, leaders_only: bool = False) -> dict:
    """Labels that select the component's pods: OME's `app` label for a Deployment; the service
    and component labels for a LeaderWorkerSet, plus the leader's worker index for traffic."""
    if not component.multinode:
        return {"app": component.labels["app"]}
    selector = {
        "ome.io/inferenceservice": component.labels["ome.io/inferenceservice"],
        "component": component.labels["component"],
    }
    if leaders_only:
        selector[LEADER_LABEL] = "0"
    return selector


def service_ports(container: dict) -> list[dict]:
    """The serving container's ports (OME reads `containers[0]`, which may be a sidecar). A
    container that declares none gets OME's `buildDefaultServicePort`: 8080, named after the
    container (service_reconciler.go)."""
    ports = []
    declared = [p for p in container.get("ports") or [] if isinstance(p, dict) and "containerPort" in p]
    for p in declared:
        port = {"port": p["containerPort"], "targetPort": p["containerPort"], "protocol": p.get("protocol") or "TCP"}
        if p.get("name"):
            port["name"] = p["name"]
        elif len(declared) > 1:
            port["name"] = f"port-{p['containerPort']}"
        ports.append(port)
    if not ports:
        ports = [{"name": container.get("name") or "http", "port": DEFAULT_PORT, "targetPort": DEFAULT_PORT, "protocol": "TCP"}]
    return ports


def _service_type(annotations: dict) -> str:
    value = annotations.get(SERVICE_TYPE)
    return value if value in SERVICE_TYPES else "ClusterIP"


# ---------------------------------------------------------------------------------------- objects


def component_objects(component: Component, namespace: str) -> list[dict]:
    """Workload, Service, HPA (when autoscaled), PDB (when more than one replica can run), and
    the router's ServiceAccount/Role/RoleBinding."""
    objects: list[dict] = []
    common = {"namespace": namespace, "labels": component.labels}
    if component.component == ROUTER:
        objects += _router_rbac(component, namespace)
    if component.multinode:
        objects += render_template(
            "leaderworkerset.yaml.j2",
            name=lws_name(component.name),
            annotations=component.annotations,
            replicas=component.fixed_replicas,
            size=component.worker_size + 1,
            # OME's createLWS: `app` and `ray.io/node-type` on the leader, then the queue labels on both.
            leader_labels={**component.labels, "app": component.name[:63], "ray.io/node-type": "head", **component.pod_labels},
            worker_labels={**component.labels, **component.pod_labels},
            worker_annotations={k: v for k, v in component.annotations.items() if k not in WORKER_DROPPED_ANNOTATIONS},
            leader_pod=component.leader_pod,
            worker_pod=component.worker_pod,
            **common,
        )
    else:
        objects += render_template(
            "deployment.yaml.j2",
            name=component.name,
            annotations=component.annotations,
            replicas=component.fixed_replicas,
            selector=pod_selector(component),
            strategy=component.spec.get("deploymentStrategy")
            or {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            pod=component.pod,
            **common,
        )
    objects += render_template(
        "service.yaml.j2",
        name=component.name,  # never truncated: a name over 63 characters is a validation error, not a silent collision
        annotations={k: v for k, v in component.annotations.items() if not k.startswith(POD_ONLY_ANNOTATIONS)},
        type=_service_type(component.annotations),
        load_balancer_ip=component.annotations.get(LOAD_BALANCER_IP) if _service_type(component.annotations) == "LoadBalancer" else None,
        selector=pod_selector(component, leaders_only=True),
        ports=service_ports(component.serving_container),
        **common,
    )
    if component.metrics:
        objects += render_template(
            "horizontalpodautoscaler.yaml.j2",
            name=component.name,
            target=workload_ref(component),
            min_replicas=component.min_replicas,
            max_replicas=component.max_replicas,
            metrics=list(component.metrics),
            annotations=component.annotations,  # OME's createHPA: the component's metadata as is
            **common,
        )
    if component.disruption_budget:
        objects += render_template(
            "poddisruptionbudget.yaml.j2",
            name=component.name,
            selector=pod_selector(component),
            budget=component.disruption_budget,
            annotations=component.annotations,  # OME's createPDB: the component's metadata as is
            **common,
        )
    return objects


def _router_rbac(component: Component, namespace: str) -> list[dict]:
    name = component.name
    account = component.pod.get("serviceAccountName") if component.pod else name
    return render_template(
        "router-rbac.yaml.j2",
        name=name,
        namespace=namespace,
        labels=component.labels,
        service_account=account,
        create_service_account=account == name,
    )


def endpoint_service(
    service_name: str,
    namespace: str,
    service_annotations: dict,
    target: Component,
) -> dict:
    """`Service <isvc>`: the service's entry point, to the router when there is one, else the engine
    (its leaders, for a LeaderWorkerSet)."""
    port = service_ports(target.serving_container)[0]["port"]
    labels = {"ome.io/inferenceservice": service_name, "component": "external-service", **MANAGED_BY}
    annotations = {k: v for k, v in service_annotations.items() if k.startswith(ENDPOINT_ANNOTATIONS)}
    selector = {"ome.io/inferenceservice": service_name, "component": target.component}
    if target.multinode:
        selector[LEADER_LABEL] = "0"
    service_type = _service_type(service_annotations)
    (obj,) = render_template(
        "service.yaml.j2",
        name=service_name,
        namespace=namespace,
        labels=labels,
        annotations=annotations,
        type=service_type,
        load_balancer_ip=service_annotations.get(LOAD_BALANCER_IP) if service_type == "LoadBalancer" else None,
        selector=selector,
        ports=[{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
    )
    return obj
