"""The output half of the overlay stage: each omegen.yaml's output patches and transforms on the
rendered objects its tree produced, innermost layer first, in Kustomize's order within a layer:
patches, namespace, namePrefix/nameSuffix, labels, annotations, replicas, images."""

from __future__ import annotations

import copy
from dataclasses import replace

from omegen.api import FieldOrigin, Rendered, Sources
from omegen.errors import Diagnostic, error, warning
from omegen.kube import patchmeta
from omegen.overlay import names, transforms
from omegen.overlay.patches import Patch, apply_patch, patch_paths
from omegen.overlay.targets import matches


def apply_output(rendered: list[Rendered], sources: Sources, patches: list[Patch]) -> tuple[list[Rendered], list[Diagnostic]]:
    if not sources.layers:
        return rendered, []
    diagnostics: list[Diagnostic] = []
    objects = [copy.deepcopy(r.obj) for r in rendered]
    original_names = [r.name for r in rendered]
    over = [_layers_of(r, sources) for r in rendered]
    patched: list[list] = [list(r.patched) for r in rendered]
    version = sources.config.kubernetes_version
    for index in sources.layer_order:
        layer = sources.layers[index]
        mine = [i for i in range(len(objects)) if index in over[i]]
        subset = [objects[i] for i in mine]
        provenance = [patched[i] for i in mine]
        data = layer.data
        for patch in (p for p in patches if p.layer == index and not p.on_sources):
            hits = [j for j, obj in enumerate(subset) if matches(obj, patch.target)]
            if not hits:
                diagnostics.append(patch.error("patch-target-missing", f"the target {_describe(patch.target)} matches no object in the output"))
                continue
            for j in hits:
                obj = subset[j]
                meta = patchmeta.for_object(obj.get("apiVersion", ""), obj.get("kind", ""), version)
                result, problem = apply_patch(patch, obj, meta)
                if problem:
                    diagnostics.append(patch.error("patch-failed", f"{obj.get('kind')} {obj.get('metadata', {}).get('name')}: {problem}"))
                    continue
                subset[j] = result
                origin = FieldOrigin(patch.file, patch.line, patch.column, patch.field)
                provenance[j].extend((path, origin) for path in patch_paths(patch))
        if "namespace" in data:
            transforms.set_namespace(subset, data["namespace"])
        if "namePrefix" in data or "nameSuffix" in data:
            names.rename(subset, data.get("namePrefix", ""), data.get("nameSuffix", ""))
        if "commonLabels" in data:
            transforms.add_labels(subset, data["commonLabels"], selectors=True, templates=True)
        for rule in data.get("labels") or ():
            transforms.add_labels(subset, rule["pairs"], bool(rule.get("includeSelectors")), bool(rule.get("includeTemplates")))
        if "commonAnnotations" in data:
            transforms.add_annotations(subset, data["commonAnnotations"])
        if "replicas" in data:
            scaled = _scaled(objects)
            for i, message in transforms.set_replicas(subset, [original_names[k] for k in mine], data["replicas"], scaled):
                diagnostics.append(_at(layer, ("replicas", i), "invalid-transform", message))
        if "images" in data:
            for i, message in transforms.set_images(subset, data["images"]):
                line, column = layer.mark(("images", i))
                diagnostics.append(warning("unused-transform", f"images[{i}]: {message}", layer.file, line, column, f"images[{i}]"))
        for k, obj in zip(mine, subset):
            objects[k] = obj
    return [replace(r, obj=obj, patched=tuple(p)) for r, obj, p in zip(rendered, objects, patched)], diagnostics


def _layers_of(rendered: Rendered, sources: Sources) -> tuple:
    service = sources.services.get(rendered.service)
    return service.layers if service is not None else ()


def _scaled(objects: list[dict]) -> set:
    found = set()
    for obj in objects:
        if obj.get("kind") == "HorizontalPodAutoscaler":
            ref = (obj.get("spec") or {}).get("scaleTargetRef") or {}
            found.add((obj.get("metadata", {}).get("namespace"), ref.get("kind"), ref.get("name")))
    return found


def _describe(target: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in target.items()) + "}"


def _at(layer, path: tuple, code: str, message: str) -> Diagnostic:
    line, column = layer.mark(path)
    field = f"{path[0]}[{path[1]}]"
    return error(code, f"{field}: {message}", layer.file, line, column, field)
