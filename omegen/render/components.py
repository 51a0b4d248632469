"""One InferenceService component (engine, decoder, router), fully resolved and ready to render.

`build_component` merges the runtime's config with the service's spec (one strategic merge),
substitutes template variables, decides the shape (single node or leader/worker), the replica
bounds and the metadata, and builds the final pod specs with the model wired in (`pods`,
`scaling`). It reports problems as diagnostics at the source field that caused them; `workloads`
turns the result into objects. Decisions that differ from OME's controller are listed in
docs/rendering.md.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Optional

from omegen.render import pods
from omegen.render import shape
from omegen.render import scaling
from omegen.render.queues import queue_labels
from omegen.render import templatevars
from omegen.api import WEBHOOKS_EMULATE, FieldOrigin, InferenceService, Model, Runtime
from omegen.render import agentinit, finetuned, webhooks
from omegen.errors import Diagnostic, first_few, Severity, at, error, info, warning
from omegen.kube.names import label_value_problem
from omegen.merge import strategic_merge
from omegen.render.provenance import Locator, pod_locator
from omegen.render.context import (
    COMPONENTS,
    DEPLOYMENT_MODE,
    ENGINE,
    MANAGED_BY,
    ROUTER,
    SERVING_CONTAINER,
    RenderContext,
    error_count,
    has_path,
    runner_names,
    strings,
)

MAKERS = {Severity.ERROR: error, Severity.WARNING: warning, Severity.INFO: info}

# Fields accepted by OME's API and not rendered (Knative, KEDA) are reported
# once, at their source, by load/unrendered.py.


# Annotations OME drops when copying the service's annotations onto a component.
DISALLOWED_ANNOTATIONS = frozenset(
    {
        "autoscaling.knative.dev/min-scale",
        "autoscaling.knative.dev/max-scale",
        "internal.ome.io/storage-initializer-sourceuri",
        "kubectl.kubernetes.io/last-applied-configuration",
    }
)




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
    # Labels only the pods get (OME's LeaderWorkerSet copies the metadata before adding its queue
    # labels; its Deployment shares one label map, so there they are in `labels` already).
    pod_labels: dict = field(default_factory=dict)
    pod: Optional[dict] = None  # single node
    leader_pod: Optional[dict] = None  # multi-node
    worker_pod: Optional[dict] = None
    worker_size: int = 0
    serving_container: dict = field(default_factory=dict)  # of `pod` or `leader_pod`
    metrics: tuple = ()  # HPA metrics; empty when replicas are fixed or scaled by someone else
    external_scaling: bool = False  # `ome.io/autoscalerClass: external`: no HPA and no `replicas`
    disruption_budget: Optional[dict] = None  # PDB spec fields (minAvailable/maxUnavailable)
    sources: tuple[FieldOrigin, ...] = ()
    locate: Optional[Locator] = None  # output pod field → the source field that wrote it

    @property
    def autoscaled(self) -> bool:
        return self.max_replicas > self.min_replicas

    @property
    def fixed_replicas(self) -> Optional[int]:
        """The workload's `replicas`, or None when an autoscaler owns it."""
        return None if self.autoscaled or self.external_scaling else self.min_replicas


def declared_components(service: InferenceService) -> list[str]:
    """Engine always (from the runtime alone when the service has no `engine:`); decoder and
    router only when the service declares them (OME's rule)."""
    return [c for c in COMPONENTS if c == ENGINE or getattr(service, c) is not None]


def build_component(
    service: InferenceService,
    runtime: Runtime,
    model: Optional[Model],
    component: str,
    *,
    webhooks: str = WEBHOOKS_EMULATE,
    webhook_config: Optional[dict] = None,
    fine_tuned: tuple = (),
    accelerators: tuple = (),
) -> tuple[Optional[Component], list[Diagnostic]]:
    ctx = RenderContext(service, runtime, model, webhooks)
    ctx.webhook_config = dict(webhook_config or {})
    ctx.fine_tuned = fine_tuned[0] if fine_tuned else None
    ctx.accelerator = next((c for c in accelerators if c.component == component), None)
    result = _build(ctx, component)
    return result, ctx.diagnostics


def service_mode(service: InferenceService) -> Optional[str]:
    return service.annotations.get(DEPLOYMENT_MODE)


def _build(ctx: RenderContext, component: str) -> Optional[Component]:
    service, runtime, model = ctx.service, ctx.runtime, ctx.model
    meta = templatevars.metadata_of(service)
    base = _substituted(ctx, runtime, component, meta)
    patch = _substituted(ctx, service, component, meta)
    if base is None and patch is None and component != ENGINE:
        return None
    spec = strategic_merge(base or {}, patch or {}) or {}
    errors_before = error_count(ctx)

    _warn_replaced_lists(ctx, component, base, patch)
    refused = finetuned.refusal(ctx)
    if refused and component == ENGINE:  # once per service
        ctx.error("fine-tuned-weights", refused, finetuned.weight_origin(ctx))
    decided = _shape(ctx, component, spec)
    multinode = decided.multinode
    bounds = scaling.replicas(ctx, component, spec)
    name = f"{service.name}-{component}"
    labels = component_labels(service, runtime, model, component, spec, name, multinode)
    weight = finetuned.weight(ctx)
    if weight is not None:
        labels.update({"fine-tuned-serving": "true", **finetuned.labels(weight)})
    _check_label_sources(ctx, runtime, model)
    annotations = component_annotations(service, runtime, model, spec)
    if weight is not None:
        annotations.update(finetuned.annotations(weight))
    annotations.update(agentinit.decryption_annotations(ctx))
    ctx.pod_labels = labels
    annotations = webhooks.pod_annotations(ctx, component, annotations)
    ctx.pod_annotations = annotations
    queues = queue_labels(annotations)
    if not multinode:
        labels.update(queues)

    if multinode:
        built = None if decided.error else pods.multinode_pods(ctx, component, spec, decided.worker_size, (base, patch))
    else:
        built = pods.single_pod(ctx, component, spec)
    metrics, external, budget = (), False, None
    if bounds is not None:
        metrics, external = scaling.autoscaling(ctx, component, spec, annotations, bounds)
        budget = scaling.disruption_budget(ctx, component, spec, bounds)
    if built is None or bounds is None or error_count(ctx) > errors_before:
        return None
    if metrics:
        scaling.check_requests(ctx, component, built[0] or built[1], metrics[0]["resource"]["name"])
    sources = (
        ctx.service.where(component) if getattr(service, component) is not None else ctx.service.where(),
        runtime.where(component) if getattr(runtime, component) is not None else runtime.where(),
    ) + ((model.where(),) if model is not None else ())
    pod, leader, worker, size, serving = built
    return Component(
        component=component,
        name=name,
        spec=spec,
        multinode=multinode,
        min_replicas=bounds[0],
        max_replicas=bounds[1],
        labels=labels,
        annotations=annotations,
        pod_labels=queues,
        pod=pod,
        leader_pod=leader,
        worker_pod=worker,
        worker_size=size,
        serving_container=serving,
        metrics=metrics,
        external_scaling=external,
        disruption_budget=budget,
        sources=sources,
        locate=pod_locator(ctx, component, serving.get("name", SERVING_CONTAINER)),
    )


def _warn_replaced_lists(ctx: RenderContext, component: str, base: Optional[dict], patch: Optional[dict]) -> None:
    """A service's runner `args`/`command` replace the runtime's (docs/rendering.md): say what that
    drops, since the runtime's `--port` or `--model` going missing breaks the probes in silence."""
    for part in ("", "leader.", "worker."):
        for field_name in ("args", "command"):
            path = f"{part}runner.{field_name}"
            old, new = _at(base, path), _at(patch, path)
            if not isinstance(old, list) or not isinstance(new, list) or old == new:
                continue
            kept = {flag for flag, _ in _flags(new)}
            dropped = [text for flag, text in _flags(old) if flag not in kept]
            if not dropped:
                continue
            shown = first_few(dropped, 4)
            ctx.warning(
                "runner-args-replaced",
                f"{component}.{path} replaces the runtime's {field_name}, dropping {shown}; "
                f"repeat what is still needed in the service's {field_name}",
                ctx.service.where(f"{component}.{path}"),
            )


def _flags(args: list) -> list[tuple[str, str]]:
    """(flag, as written) per option: `--tp 2` and `--tp=2` are flag `--tp`; a value belongs to the
    flag before it; anything else stands for itself."""
    found: list[tuple[str, str]] = []
    for item in map(str, args):
        if item.startswith("-"):
            found.append((item.split("=", 1)[0], item))
        elif found and found[-1][0].startswith("-") and "=" not in found[-1][1] and found[-1][1] == found[-1][0]:
            found[-1] = (found[-1][0], f"{found[-1][1]} {item}")
        else:
            found.append((item, item))
    return found


def _at(tree: Optional[dict], path: str):
    node = tree
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _substituted(ctx: RenderContext, obj, component: str, meta: dict) -> Optional[dict]:
    """The component config of `obj` (runtime or service) with template variables replaced in its
    serving containers: `runner`, `leader.runner`, `worker.runner`, and any pod container that has
    the runner's name (the runner is merged into it). Sidecars are left as written, as in OME."""
    config = getattr(obj, component)
    if config is None:
        return None
    config = copy.deepcopy(config)

    def report(path: str, message: str) -> None:
        ctx.error("template-variable", message, obj.where(path))

    names = runner_names(ctx, component)
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


def _shape(ctx: RenderContext, component: str, spec: dict) -> shape.Shape:
    """The component's shape (`render.shape`), its findings reported where they were written."""
    decided = shape.component_shape(component, spec, service_mode(ctx.service))
    for finding in decided.findings:
        if finding.at == (shape.COMPONENT_MODE,):
            where = ctx.annotation_origin(component, DEPLOYMENT_MODE)
        elif finding.at == (shape.SERVICE_MODE,):
            where = ctx.service.where(f"metadata.annotations.{DEPLOYMENT_MODE}")
        else:
            where = _first_written(ctx, component, finding.at)
        ctx.diagnostics.append(at(MAKERS[finding.severity], finding.code, finding.message, where))
    return decided


def _first_written(ctx: RenderContext, component: str, paths: tuple) -> FieldOrigin:
    """The most specific of `paths` the service or the runtime wrote (the service first)."""
    for path in paths:
        for obj in (ctx.service, ctx.runtime):
            if has_path(getattr(obj, component), path):
                return obj.where(f"{component}.{path}")
    return ctx.origin(component)


def _check_label_sources(ctx: RenderContext, runtime: Runtime, model: Optional[Model]) -> None:
    """OME copies these names into label values (63 characters, no spaces): say which source to
    change, rather than leave it to a validation error about a label the user never wrote."""
    values = [("serving-runtime", runtime.name, runtime.where("metadata.name"))]
    if model is not None:
        values.append(("base-model-name", model.name, model.where("metadata.name")))
        if model.vendor:
            values.append(("base-model-vendor", model.vendor, model.where("spec.vendor")))
    for label, value, where in values:
        why = label_value_problem(value)
        if why:
            ctx.error("invalid-label-value", f"{why} (OME copies it into the label {label} of every object)", where)


def component_labels(
    service: InferenceService, runtime: Runtime, model: Optional[Model], component: str, spec: dict, name: str, multinode: bool
) -> dict:
    """Service labels ∪ component labels, then the labels OME forces, then ours."""
    labels = {**strings(service.labels), **strings(spec.get("labels"))}
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


def defaulted_deployment_mode(service: InferenceService) -> str:
    """The `ome.io/deploymentMode` OME's defaulting webhook writes on a service that sets none
    (`DefaultInferenceService` in pkg/webhook/admission/isvc/inference_service_defaults.go, with
    the shipped `defaultDeploymentMode: RawDeployment`). It looks at the service as written, before
    the runtime is merged and before a `predictor` is migrated to `engine`."""
    engine = service.engine if service.source_paths.get("engine") != "spec.predictor" else None
    if engine is not None and service.decoder is not None:
        return "PDDisaggregated"
    if engine is not None:
        leader, worker = engine.get("leader"), engine.get("worker")
        size = worker.get("size") if isinstance(worker, dict) else None
        if leader is not None and isinstance(size, int) and not isinstance(size, bool) and size > 0:
            return "MultiNode"
    return "RawDeployment"


def component_annotations(service: InferenceService, runtime: Runtime, model: Optional[Model], spec: dict) -> dict:
    annotations = {k: v for k, v in strings(service.annotations).items() if k not in DISALLOWED_ANNOTATIONS}
    annotations.setdefault(DEPLOYMENT_MODE, defaulted_deployment_mode(service))
    annotations.update(strings(spec.get("annotations")))
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

