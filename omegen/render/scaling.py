"""Replica bounds, the HorizontalPodAutoscaler's metric and the PodDisruptionBudget of a component
(docs/rendering.md section 4)."""

from __future__ import annotations

from typing import Optional

from omegen.render.context import RenderContext

AUTOSCALER_CLASS = "ome.io/autoscalerClass"
TARGET_UTILIZATION = "ome.io/targetUtilizationPercentage"

RESOURCE_METRICS = ("cpu", "memory")
DEFAULT_UTILIZATION = 80


def replicas(ctx: RenderContext, component: str, spec: dict) -> Optional[tuple[int, int]]:
    """(min, max). Unset min is 1; unset (or 0) max is min, so a service that says nothing gets one
    fixed replica. min 0 means scale-to-zero, which needs Knative."""
    # Both are whole numbers ≥ 0 when set: the input schemas of the runtime and the service say so.
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
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


def autoscaling(ctx: RenderContext, component: str, spec: dict, annotations: dict, bounds: tuple[int, int]):
    """(HPA metrics, scaled externally?). Only a component whose maxReplicas > minReplicas scales."""
    low, high = bounds
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
            ctx.annotation_origin(component, AUTOSCALER_CLASS),
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
    where = ctx.annotation_origin(component, TARGET_UTILIZATION)
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


def check_requests(ctx: RenderContext, component: str, pod: dict, resource: str) -> None:
    """Utilization is usage over request: a container without a request for the metric's resource
    leaves the HPA unable to compute it (it then does not scale at all)."""
    where = ctx.origin(component, "scaleMetric") if "scaleMetric" in (getattr(ctx.service, component) or {}) else ctx.origin(component)
    for container in pod.get("containers") or []:
        resources = container.get("resources") or {}
        if resource not in (resources.get("requests") or {}) and resource not in (resources.get("limits") or {}):
            ctx.warning(
                "scale-metric",
                f"the HorizontalPodAutoscaler scales {component} on {resource} utilization, but container "
                f"{container.get('name')!r} requests no {resource}: the HPA cannot compute utilization and will not scale; "
                f"set resources.requests.{resource}",
                where,
            )


def disruption_budget(ctx: RenderContext, component: str, spec: dict, bounds: tuple[int, int]) -> Optional[dict]:
    """A PDB only when more than one replica can run; `maxUnavailable: 1` unless the spec says."""
    if bounds[1] <= 1:
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

