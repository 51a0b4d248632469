"""A KRM function's output: the input `ResourceList` with omegen's objects upserted, and its
diagnostics as `results` (gitops-contracts.md §1.1, §2(e)).

- Every rendered object is a new item placed under `rendered/` as `-o` lays files out (one file per
  service, one per model), replacing what an earlier run made there.
- The ome.io sources stay in the list (kpt writes the list back to disk) marked
  `config.kubernetes.io/local-config: "true"`, so nothing applies them; an ome.io object the output
  itself includes (a model) stays applicable and is not added twice.
- Foreign items are untouched, written back as they were read (quotes, flow style). When the
  build failed, every item is returned exactly as received.
"""

from __future__ import annotations

import copy
from typing import Iterable

from omegen.api import API_VERSION, Rendered
from omegen.emit.tree import order, output_file
from omegen.errors import Diagnostic, Severity
from omegen.load.config import LOCAL_CONFIG
from omegen.load.resourcelist import INDEX, LEGACY_INDEX, LEGACY_PATH, PATH, RENDERED_DIR, Request, item_at

RESULT_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def response(request: Request, objects: Iterable[Rendered], diagnostics: Iterable[Diagnostic], ok: bool) -> dict:
    results = [result(request, d) for d in diagnostics if d.severity is not Severity.INFO]
    verbatim = request.verbatim if len(request.verbatim) == len(request.items) else request.items
    if not ok:
        items = list(verbatim)
    else:
        rendered = list(order(objects))
        included = {_identity(r.obj) for r in rendered if r.obj.get("apiVersion") == API_VERSION}
        items = []
        for i, item in enumerate(request.items):
            if i in request.ours:
                continue
            if i in request.sources and _identity(item) not in included:
                items.append(_local_config(item))
            else:
                items.append(verbatim[i])  # as written: kpt then rewrites nothing in the file
        inputs = {_identity(request.items[i]) for i in request.sources}
        items.extend(_placed(r for r in rendered if _identity(r.obj) not in inputs))
    out = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if results:
        out["results"] = results
    return out


def _identity(obj: dict) -> tuple:
    metadata = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), metadata.get("namespace"), metadata.get("name"))


def _local_config(item: dict) -> dict:
    item = copy.deepcopy(item)
    metadata = item.setdefault("metadata", {})
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    metadata["annotations"] = {**annotations, LOCAL_CONFIG: "true"}
    return item


def _placed(rendered: Iterable[Rendered]) -> list[dict]:
    items, index = [], {}
    for r in rendered:
        path = f"{RENDERED_DIR}/{output_file(r)}"  # the layout of -o, one rule
        position = str(index.setdefault(path, 0))
        index[path] += 1
        obj = copy.deepcopy(r.obj)
        annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
        # Both spellings, equal: kyaml fills a missing one from the other.
        annotations.update({PATH: path, LEGACY_PATH: path, INDEX: position, LEGACY_INDEX: position})
        items.append(obj)
    return items


def result(request: Request, d: Diagnostic) -> dict:
    """One KRM `Result`. Line numbers are left out: the function reads the items as kpt re-serialised
    them, so only the file and the document's index in it are the user's."""
    out = {"message": d.full_message(), "severity": RESULT_SEVERITY[d.severity], "tags": {"code": d.code}}
    at = item_at(request, d.file, d.line) if d.file else None
    if at is not None:
        item = request.items[at]
        metadata = item.get("metadata") or {}
        ref = {"apiVersion": item.get("apiVersion"), "kind": item.get("kind"), "name": metadata.get("name")}
        if metadata.get("namespace"):
            ref["namespace"] = metadata["namespace"]
        out["resourceRef"] = ref
        placed = next(p for p in request.placed if p.item == at)
        out["file"] = {"path": placed.file, "index": sum(1 for p in request.placed if p.file == placed.file and p.first_line < placed.first_line)}
        if d.field:
            out["field"] = {"path": d.field}
    elif d.file and not d.file.startswith("<"):
        out["file"] = {"path": d.file}
    return out
