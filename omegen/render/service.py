"""Stage 3: one resolved InferenceService → its Kubernetes objects.

    objects, diagnostics = render_service(resolution)

Per component (engine always; decoder and router when the service declares them): a Deployment,
or a LeaderWorkerSet for a leader/worker group; its Service; an HPA when it autoscales; a PDB when
more than one replica can run; for the router, its ServiceAccount, Role and RoleBinding. Then the
endpoint `Service <isvc>`, to the router when there is one, else the engine. The work is done in
`components` (merge, shape, pods) and `workloads` (objects from the templates); the decisions are
written down in docs/rendering.md. A template that fails is reported, at the template and the service,
as an error; nothing of that service is rendered.
"""

from __future__ import annotations

from typing import Optional

from omegen.api import WEBHOOKS_EMULATE, InferenceService, Rendered, Resolution
from omegen.render import shape
from omegen.render.components import MAKERS, Component, build_component, declared_components, service_mode
from omegen.errors import Diagnostic, at, error, has_errors, info
from omegen.render.context import DEPLOYMENT_MODE, ENGINE, ROUTER
from omegen.render.workloads import TemplateFailure, component_objects, endpoint_service


def render_service(
    resolution: Resolution, *, webhooks: str = WEBHOOKS_EMULATE, webhook_config: Optional[dict] = None
) -> tuple[list[Rendered], list[Diagnostic]]:
    """The objects of one service and the problems found rendering it. Objects are returned only
    when there is no error. `webhooks`, `webhook_config`: omegen.yaml's `webhooks` and
    `webhookConfig` (render.webhooks, render.agentinit)."""
    service, runtime, model = resolution.service, resolution.runtime, resolution.model
    if runtime is None:
        return [], []
    key = (service.namespace, service.name)
    diagnostics: list[Diagnostic] = []
    nothing = shape.service_level(service_mode(service))
    if nothing is not None:  # Serverless or VirtualDeployment: no workload at all
        where = service.where(f"metadata.annotations.{DEPLOYMENT_MODE}")
        return [], [at(MAKERS[nothing.severity], nothing.code, nothing.message, where)]

    components: dict[str, Component] = {}
    for name in declared_components(service):
        component, problems = build_component(
            service,
            runtime,
            model,
            name,
            webhooks=webhooks,
            webhook_config=webhook_config,
            fine_tuned=resolution.fine_tuned,
            accelerators=resolution.accelerators,
        )
        diagnostics.extend(problems)
        if component is not None:
            components[name] = component
    if has_errors(diagnostics) or ENGINE not in components:
        return [], diagnostics

    try:
        rendered: list[Rendered] = []
        for component in components.values():
            for obj in component_objects(component, service.namespace):
                rendered.append(Rendered(obj, key, component.sources, component.locate))
        target = components.get(ROUTER) or components[ENGINE]
        endpoint = endpoint_service(service.name, service.namespace, service.annotations, target)
        rendered.append(Rendered(endpoint, key, target.sources))
    except TemplateFailure as failure:
        return [], diagnostics + [_template_error(failure, service)]
    return rendered, diagnostics


def _template_error(failure: TemplateFailure, service: InferenceService) -> Diagnostic:
    """At the service (the user's file) and naming the template: the template is omegen's, so the
    fix is omegen's, but the report must say which service it stopped."""
    return at(
        error,
        "template-error",
        f"InferenceService {service.namespace}/{service.name}: template {failure.where} failed: {failure.problem}; "
        "this is a bug in omegen, please report it",
        service.where(),
    )
