"""An omegen.yaml's `patches`: read (inline or from `path`), told apart (a YAML object is a
strategic-merge patch, a YAML list a JSON 6902 patch), and applied to one object.

A patch whose target is an ome.io kind applies to the source documents before resolution; any other
to the rendered objects. Without `target`, a strategic-merge patch targets the object its own
apiVersion/kind/metadata.name (and namespace) name, as in Kustomize.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import jsonpatch

from omegen import yamlio
from omegen.api import KINDS, Layer
from omegen.errors import Diagnostic, error
from omegen.load.layers import leaves_repository
from omegen.merge import strategic_merge
from omegen.overlay.targets import OME_GROUP, group_version, selector_problem


@dataclass(frozen=True)
class Patch:
    layer: int  # index into Sources.layers
    file: str  # the omegen.yaml it is written in
    line: int
    column: int
    field: str  # patches[3]
    target: dict
    strategic: Optional[dict] = None
    operations: Optional[list] = None

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line} ({self.field})"

    @property
    def on_sources(self) -> bool:
        group = self.target.get("group")
        return group == OME_GROUP or (group is None and self.target.get("kind") in KINDS)

    def error(self, code: str, message: str) -> Diagnostic:
        return error(code, f"{self.field}: {message}", self.file, self.line, self.column, self.field)


def read_patches(index: int, layer: Layer, boundary: Path, diagnostics: list[Diagnostic]) -> list[Patch]:
    found: list[Patch] = []
    for i, entry in enumerate(layer.data.get("patches") or ()):
        field = f"patches[{i}]"
        line, column = layer.mark(("patches", i))
        where = dict(layer=index, file=layer.file, line=line, column=column, field=field)

        def problem(code: str, message: str) -> None:
            diagnostics.append(error(code, f"{field}: {message}", layer.file, line, column, field))

        if ("path" in entry) == ("patch" in entry):
            problem("invalid-patch", "give either path or patch")
            continue
        if "path" in entry:
            path = (Path(layer.directory) / entry["path"]).resolve()
            if path != boundary and not path.is_relative_to(boundary):
                problem("path-outside", leaves_repository(entry["path"], boundary))
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                problem("missing-resource", f"cannot read {entry['path']}: {getattr(exc, 'strerror', None) or exc}")
                continue
        else:
            text = entry["patch"]
        try:
            docs = [d.data for d in yamlio.load_documents(text) if d.data is not None]
        except yamlio.YAMLError as exc:
            problem("invalid-patch", f"not YAML: {exc.message} (line {exc.line} of the patch)")
            continue
        target = entry.get("target")
        for key in ("labelSelector", "annotationSelector"):
            why = selector_problem(target[key]) if target and key in target else None
            if why:
                problem("invalid-patch", f"target.{key}: {why}")
                target = None
                break
        else:
            found.extend(_parsed(docs, target, where, problem))
    return found


def _parsed(docs: list, target: Optional[dict], where: dict, problem) -> list[Patch]:
    if not docs:
        problem("invalid-patch", "the patch is empty")
        return []
    if len(docs) == 1 and isinstance(docs[0], list):
        if target is None:
            problem("invalid-patch", "a JSON 6902 patch needs a target")
            return []
        return [Patch(target=target, operations=docs[0], **where)]
    patches = []
    for doc in docs:
        if not isinstance(doc, dict):
            problem("invalid-patch", "a patch is a YAML object (strategic merge) or a list of operations (JSON 6902)")
            return []
        own = _own_target(doc)
        if target is None and own is None:
            problem("invalid-patch", "a strategic-merge patch without target needs apiVersion, kind and metadata.name")
            return []
        patches.append(Patch(target=target if target is not None else own, strategic=_body(doc), **where))
    return patches


def _own_target(doc: dict) -> Optional[dict]:
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if not (isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str) and isinstance(metadata.get("name"), str)):
        return None
    group, version = group_version(doc["apiVersion"])
    target = {"group": group, "version": version, "kind": doc["kind"], "name": metadata["name"]}
    if isinstance(metadata.get("namespace"), str):
        target["namespace"] = metadata["namespace"]
    # Target fields are regular expressions (as in Kustomize); an object's own name is literal.
    return {k: re.escape(v) if k in ("name", "namespace", "kind") else v for k, v in target.items()}


def _body(doc: dict) -> dict:
    """The patch without what identifies its target: applying it never renames or re-kinds."""
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
    if isinstance(body.get("metadata"), dict):
        body["metadata"] = {k: v for k, v in body["metadata"].items() if k not in ("name", "namespace")}
        if not body["metadata"]:
            del body["metadata"]
    return body


def apply_patch(patch: Patch, obj: dict, meta=None) -> tuple[dict, Optional[str]]:
    """The patched object (a new dict), or the object unchanged and why the patch cannot apply."""
    if patch.strategic is not None:
        merged = strategic_merge(obj, patch.strategic, meta)
        return merged, None
    try:
        return jsonpatch.JsonPatch(copy.deepcopy(patch.operations)).apply(copy.deepcopy(obj)), None
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as exc:
        return obj, f"JSON 6902 patch does not apply: {exc}"


def patch_paths(patch: Patch) -> list[tuple]:
    """The fields a patch sets, as paths (a strategic-merge patch's leaves; a JSON 6902 patch's
    operation paths). A list's items are not followed: the list is the field."""
    if patch.operations is not None:
        return [_pointer(op.get("path", "")) for op in patch.operations if isinstance(op, dict)]
    found: list[tuple] = []

    def walk(value, path: tuple) -> None:
        if isinstance(value, dict) and value and "$patch" not in value:
            for key, child in value.items():
                walk(child, path + (key,))
        elif path:
            found.append(path)

    walk(patch.strategic, ())
    return found


def _pointer(pointer: str) -> tuple:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in str(pointer).split("/")[1:]]
    return tuple(int(p) if p.isdigit() else p for p in parts)
