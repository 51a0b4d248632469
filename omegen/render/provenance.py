"""Which source field wrote a field of a rendered pod, so a problem found in the output (by
`validate`) can point at the line to fix: the service's override when it wrote the field, else the
runtime's. Fields of the serving container come from the component's `runner` (or the leader's or
worker's); other pod fields from the component itself."""

from __future__ import annotations

from typing import Callable, Optional

from omegen.api import FieldOrigin
from omegen.render.context import RenderContext, has_path
from omegen.yamlio import format_source_path

# Output kind → (pod template path, the component sub-spec that pod is made from).
_TEMPLATES = {
    "Deployment": ((("spec", "template"), ()),),
    "LeaderWorkerSet": (
        (("spec", "leaderWorkerTemplate", "leaderTemplate"), ("leader",)),
        (("spec", "leaderWorkerTemplate", "workerTemplate"), ("worker",)),
    ),
}

Locator = Callable[[dict, tuple], Optional[FieldOrigin]]


def pod_locator(ctx: RenderContext, component: str, serving_name: str) -> Locator:
    def locate(obj: dict, path: tuple) -> Optional[FieldOrigin]:
        for template, part in _TEMPLATES.get(obj.get("kind"), ()):
            if tuple(path[: len(template)]) != template or tuple(path[len(template) : len(template) + 1]) != ("spec",):
                continue
            rest = tuple(path[len(template) + 1 :])
            if len(rest) >= 2 and rest[0] == "containers" and isinstance(rest[1], int):
                if _container_name(obj, template, rest[1]) != serving_name:
                    return None  # a sidecar: its index in the output is not its index in a source
                rest = ("runner",) + rest[2:]
            # Leader and worker pods inherit the component's fields. The layer that wrote the
            # field is the one the merge let win: the service before the runtime, and within
            # each, the leader's/worker's own field before the component's.
            candidates = [part + rest, rest] if part else [rest]
            for obj in (ctx.service, ctx.runtime):
                for candidate in candidates:
                    if has_path(getattr(obj, component), candidate):
                        return obj.where(f"{component}.{format_source_path(candidate)}")
            found = max((_deepest(ctx, component, c) for c in candidates), key=len)
            return ctx.origin(component, found) if found else None
        return None

    return locate


def _container_name(obj: dict, template: tuple, index: int) -> Optional[str]:
    node = obj
    for key in template + ("spec", "containers"):
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, list) and index < len(node) and isinstance(node[index], dict):
        return node[index].get("name")
    return None


def _deepest(ctx: RenderContext, component: str, path: tuple) -> tuple:
    """The longest prefix of `path` that the service's or the runtime's component spec has."""
    for end in range(len(path), 0, -1):
        if has_path(getattr(ctx.service, component), path[:end]) or has_path(getattr(ctx.runtime, component), path[:end]):
            return path[:end]
    return ()
