"""What every rendering module shares: the component names and fields, and `RenderContext`, the
resolution being rendered plus the diagnostics found so far, which knows whether a field was written
by the service or by the runtime so a problem is reported where it was written."""

from __future__ import annotations

from typing import Any, Optional, Union

from omegen import api
from omegen.api import FieldOrigin, InferenceService, Model, Runtime
from omegen.yamlio import format_source_path
from omegen.errors import Diagnostic, Severity, at, error, info, warning

ENGINE, DECODER, ROUTER = "engine", "decoder", "router"
COMPONENTS = (ENGINE, DECODER, ROUTER)
SERVING_CONTAINER = api.SERVING_CONTAINER
MANAGED_BY = {"app.kubernetes.io/managed-by": "omegen"}
DEPLOYMENT_MODE = "ome.io/deploymentMode"
LEADER_LABEL = "leaderworkerset.sigs.k8s.io/worker-index"
DEFAULT_PORT = 8080  # what OME assumes a runtime serves on when it declares no port



class RenderContext:
    """The resolution being rendered, and where to report problems about one component."""

    def __init__(self, service: InferenceService, runtime: Runtime, model: Optional[Model], webhooks: str = api.WEBHOOKS_EMULATE):
        self.service = service
        self.runtime = runtime
        self.model = model
        self.webhooks = webhooks  # omegen.yaml's `webhooks` (render.webhooks)
        self.pod_annotations: dict = {}  # the component's annotations as its pods carry them
        self.rdma: Optional[dict] = None  # the annotations asking for RDMA, when omegen injects it
        self.webhook_config: dict = {}  # omegen.yaml's `webhookConfig` (render.agentinit)
        # Trigger annotations dropped from the pods because omegen emulates their webhook (key → value):
        # the controller's side still reads them (render.webhooks.controller_annotations).
        self.emulated: dict = {}
        self.pod_labels: dict = {}  # the component's labels as its pods carry them
        self.fine_tuned = None  # the service's FineTunedWeight (render.finetuned), if any
        self.accelerator = None  # the component's resolve.accelerators.Choice (render.accelerators), if any
        self.diagnostics: list[Diagnostic] = []

    def origin(self, component: str, path: Path = "") -> FieldOrigin:
        """The service's field when the service wrote it, else the runtime's."""
        text = path if isinstance(path, str) else format_source_path(path)
        full = f"{component}.{text}" if text else component
        if has_path(getattr(self.service, component), path):
            return self.service.where(full)
        if has_path(getattr(self.runtime, component), path):
            return self.runtime.where(full)
        return self.service.where(component) if getattr(self.service, component) is not None else self.service.where()

    def origin_first(self, component: str, paths: list[str]) -> FieldOrigin:
        """The first of `paths` (most specific first) the service wrote, else the first the
        runtime wrote: the precedence of the merge (a service's `engine.runner` beats a runtime's
        `engine.leader.runner`)."""
        for obj in (self.service, self.runtime):
            for path in paths:
                if path and has_path(getattr(obj, component), path):
                    return obj.where(f"{component}.{path}")
        return self.origin(component)

    def annotation_origin(self, component: str, key: str) -> FieldOrigin:
        """Where annotation `key` was written: the component's annotations (service, then runtime),
        then the service's metadata; else the component. (Keys hold dots, so `origin` cannot.)"""
        for obj in (self.service, self.runtime):
            config = getattr(obj, component)
            if isinstance(config, dict) and isinstance(config.get("annotations"), dict) and key in config["annotations"]:
                return obj.where(f"{component}.annotations.{key}")
        if key in self.service.annotations:
            return self.service.where(f"metadata.annotations.{key}")
        return self.origin(component)

    def written_annotations(self, component: str) -> dict:
        """The component annotations the runtime and the service wrote (service wins)."""
        merged: dict = {}
        for obj in (self.runtime, self.service):
            config = getattr(obj, component)
            if isinstance(config, dict) and isinstance(config.get("annotations"), dict):
                merged.update(config["annotations"])
        return merged

    def error(self, code: str, message: str, where: FieldOrigin) -> None:
        self.diagnostics.append(at(error, code, message, where))

    def warning(self, code: str, message: str, where: FieldOrigin) -> None:
        self.diagnostics.append(at(warning, code, message, where))

    def info(self, code: str, message: str, where: FieldOrigin) -> None:
        self.diagnostics.append(at(info, code, message, where))


def runner_names(ctx: RenderContext, component: str) -> set:
    """Names of the component's serving containers: `ome-container` and every runner's name
    (component, leader, worker; runtime and service)."""
    names = {SERVING_CONTAINER}
    for obj in (ctx.runtime, ctx.service):
        config = getattr(obj, component) or {}
        for holder in (config, config.get("leader"), config.get("worker")):
            if isinstance(holder, dict) and isinstance(holder.get("runner"), dict) and holder["runner"].get("name"):
                names.add(holder["runner"]["name"])
    return names


def error_count(ctx: RenderContext) -> int:
    return sum(1 for d in ctx.diagnostics if d.severity is Severity.ERROR)


def strings(mapping: Any) -> dict:
    if not isinstance(mapping, dict):
        return {}
    return {str(k): string(v) for k, v in mapping.items() if v is not None}


def string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# A field path within a component spec: a tuple of keys and list indices (`("runner", "env", 0)`),
# or, for the plain names rendering code writes, a dotted string of keys (`"worker.size"`).
Path = Union[tuple, str]


def has_path(tree: Any, path: Path) -> bool:
    """Whether `tree` (a component spec) has the field `path`."""
    if tree is None:
        return False
    node = tree
    for part in path if isinstance(path, tuple) else (path.split(".") if path else ()):
        if isinstance(part, int) and not isinstance(part, bool):
            if not isinstance(node, list) or part >= len(node):
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
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


def upsert_env(env: Optional[list], name: str, value: str) -> list:
    """A container's env (copied) with `name` set to `value`: an existing entry's value replaced
    (its valueFrom dropped), else the entry appended."""
    env = [dict(e) if isinstance(e, dict) else e for e in (env or [])]
    for item in env:
        if isinstance(item, dict) and item.get("name") == name:
            item.pop("valueFrom", None)
            item["value"] = value
            return env
    return env + [{"name": name, "value": value}]
