"""What OME's controller applies to a component's pods for its AcceleratorClass
(`resolve.accelerators.Choice`), in one place. OME's code, read at the commit the README names:

- `UpdateEnvVariables` (components/base.go): the chosen format entry's
  `acceleratorConfig[<class>].environmentOverride`, upserted after MODEL_PATH (keys in sorted
  order; OME iterates a Go map);
- `MergeEngineResources`/`MergeDecoderResources` → `MergeResource` (utils/merging.go): the class's
  `resources` overwrite the serving container's requests and limits, only when the service's own
  `<component>.runner` sets no resources;
- `MergeRuntimeArgumentsOverride` (components/base.go) → `MergeArgs`, `OverrideArgParam`,
  `OverrideCommandParam` (utils/merging.go): `runtimeArgsOverride` merged into args by flag, then
  `tensorParallelismOverride` rewrites the first of `--tp-size`/`--tp`/`--tensor-parallel-size`
  (pipeline: `--pp-size`/`--pp`/`--pipeline-parallel-size`) in args, else in command;
- `PARALLELISM_SIZE` is not set (engine.go/decoder.go set it only without a class);
- `UpdatePodSpecNodeSelector` → `MergeNodeSelector` (utils/merging.go): the class's
  `discovery.nodeSelector` over the runtime's, under the service component's own;
- `UpdateEngineAffinity`/`UpdateDecoderAffinity` (components/base.go): the class's
  `discovery.affinity` replaces the pod's when the service component sets no affinity.
"""

from __future__ import annotations

import copy
import re

from omegen.render.context import RenderContext, upsert_env
from omegen.safeget import as_dict

_TENSOR = ("--tp-size", "--tp", "--tensor-parallel-size")
_PIPELINE = ("--pp-size", "--pp", "--pipeline-parallel-size")


def choice(ctx: RenderContext):
    """The component's class choice (resolve.accelerators.Choice), or None."""
    return ctx.accelerator


def wire_container(ctx: RenderContext, component: str, container: dict) -> dict:
    """The serving container with the class's env, resources and args (leader and worker alike)."""
    chosen = choice(ctx)
    if chosen is None:
        return container
    container = copy.deepcopy(container)
    config = chosen.config
    env = as_dict(config.get("environmentOverride"))
    for name in sorted(env, key=str):
        container["env"] = upsert_env(container.get("env"), str(name), str(env[name]))
    resources = [r for r in chosen.accelerator.spec.get("resources") or [] if isinstance(r, dict) and r.get("name")]
    if resources and not _service_sets_resources(ctx, component):
        held = dict(as_dict(container.get("resources")))
        for section in ("requests", "limits"):
            values = dict(as_dict(held.get(section)))
            for resource in resources:
                values[str(resource["name"])] = resource.get("quantity", 1)  # the CRD's default
            held[section] = values
        container["resources"] = held
    overrides = [str(a) for a in config.get("runtimeArgsOverride") or []]
    if overrides:
        container["args"] = merge_args([str(a) for a in container.get("args") or []], overrides)
    parallelism = as_dict(config.get("tensorParallelismOverride"))
    for aliases, key in ((_TENSOR, "tensorParallelSize"), (_PIPELINE, "pipelineParallelSize")):
        size = parallelism.get(key)
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            _override_param(container, aliases, size)
    return container


def _service_sets_resources(ctx: RenderContext, component: str) -> bool:
    """isResourcesUnspecified inverted, on the service's `<component>.runner` (OME looks at that
    runner for the leader's and workers' containers too); a service without the component never
    gets the class's resources (`isvc.Spec.Engine != nil`)."""
    spec = getattr(ctx.service, component)
    if spec is None:
        return True
    resources = as_dict(as_dict(spec.get("runner")).get("resources"))
    return any(resources.get(k) is not None for k in ("limits", "requests")) or bool(resources.get("claims"))


def pod(ctx: RenderContext, component: str, pod_spec: dict, model_selector: bool) -> dict:
    """The pod with the class's node selector (`model_selector`: OME's UpdatePodSpecNodeSelector
    runs, i.e. a base model and no merged weights) and affinity."""
    chosen = choice(ctx)
    if chosen is None:
        return pod_spec
    discovery = as_dict(chosen.accelerator.spec.get("discovery"))
    service_spec = getattr(ctx.service, component)
    pod_spec = dict(pod_spec)
    selector = as_dict(discovery.get("nodeSelector"))
    if model_selector and selector:
        own = as_dict(as_dict(service_spec).get("nodeSelector"))
        pod_spec["nodeSelector"] = {**as_dict(pod_spec.get("nodeSelector")), **{str(k): str(v) for k, v in selector.items()}, **own}
    if service_spec is not None and service_spec.get("affinity") is None and discovery.get("affinity") is not None:
        pod_spec["affinity"] = copy.deepcopy(discovery["affinity"])
    return pod_spec


# ------------------------------------------------------------------ MergeArgs (utils/merging.go)


def _key(arg: str) -> str:
    """extractArgKey: a flag's name (`--tp-size=4`, `--tp-size 4` → `--tp-size`), else the whole arg."""
    arg = arg.strip()
    if not arg.startswith("-"):
        return arg
    if "=" in arg:
        return arg[: arg.index("=")]
    parts = arg.split()
    return parts[0] if parts else arg


def _multiline(args: list[str]) -> bool:
    return bool(args) and ("\n" in args[0] or "\\" in args[0])


def _flat(args: list[str]) -> list[str]:
    """normalizeArgs: one item per argument; a multi-line item is split at its lines, `\\` dropped."""
    out = []
    for arg in args:
        if _multiline([arg]):
            out.extend(line for line in (raw.strip().rstrip("\\").strip() for raw in arg.split("\n")) if line)
        elif arg.strip():
            out.append(arg.strip())
    return out


def _groups(args: list[str]) -> list[tuple[str, list[str]]]:
    groups, i = [], 0
    while i < len(args):
        arg, key = args[i], _key(args[i])
        if key == "" or "=" in arg:
            groups.append((key or arg, [arg]))
            i += 1
        elif i + 1 < len(args) and not args[i + 1].startswith("-"):
            groups.append((key, [arg, args[i + 1]]))
            i += 2
        else:
            groups.append((key, [arg]))
            i += 1
    return groups


def merge_args(args: list[str], overrides: list[str]) -> list[str]:
    """OME's MergeArgs: overrides replace the group with the same key, new keys are appended, and a
    multi-line (`\\`-continued) args keeps that form."""
    if not overrides:
        return args
    if not args:
        return overrides
    merged: dict = {}
    for key, values in _groups(_flat(args)) + _groups(_flat(overrides)):
        merged[key] = values  # a dict keeps the first position of a key, and the last value
    flat = [v for values in merged.values() for v in values]
    if _multiline(args):
        return ["".join(f"{arg} \\\n" if i < len(flat) - 1 else arg for i, arg in enumerate(flat))] if flat else flat
    return flat


def _override_param(container: dict, aliases: tuple, value: int) -> None:
    args = [str(a) for a in container.get("args") or []]
    for alias in aliases:
        if _multiline(args):
            pattern = re.compile(re.escape(alias) + r"(?:=|\s+)\d+", re.ASCII)
            if pattern.search(args[0]):
                container["args"] = [pattern.sub(lambda _: f"{alias}={value}", args[0])] + args[1:]
                return
        elif _replace_in(args, alias, value):
            container["args"] = args
            return
    command = [str(c) for c in container.get("command") or []]
    for alias in aliases:
        if _replace_in(command, alias, value):
            container["command"] = command
            return


def _replace_in(items: list[str], key: str, value: int) -> bool:
    """overrideKeyValueInSlice: `--key N` or `--key=N`, the first found."""
    for i, item in enumerate(items):
        if item == key and i + 1 < len(items):
            items[i + 1] = str(value)
            return True
        if item.startswith(key + "="):
            items[i] = f"{key}={value}"
            return True
    return False
