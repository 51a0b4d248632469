"""A KRM function's input (a `ResourceList` on stdin, gitops-contracts.md §1) as sources.

The `functionConfig` is the `omegen.yaml` object (none: its defaults). The ome.io items are the
sources, each read from the file the orchestrator says it came from (`internal.config.kubernetes.io/
path` and `index`), so diagnostics name the package's own files; `resources` is not read in this
mode. Items omegen made on an earlier run (labelled `app.kubernetes.io/managed-by: omegen`, or
under `rendered/`) are dropped, to be made again: a second run replaces, never appends. Everything else is foreign and is
passed through untouched.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Optional

from omegen import yamlio
from omegen.api import API_VERSION
from omegen.errors import Diagnostic, error, warning
from omegen.kube.names import is_tool_annotation
from omegen.load.config import CONFIG_API_VERSION, CONFIG_FILE, CONFIG_KIND, LOCAL_CONFIG
from omegen.load.memory import safe_relative

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
PATH = "internal.config.kubernetes.io/path"
INDEX = "internal.config.kubernetes.io/index"
LEGACY_PATH = "config.kubernetes.io/path"
LEGACY_INDEX = "config.kubernetes.io/index"
MANAGED_BY = ("app.kubernetes.io/managed-by", "omegen")
RENDERED_DIR = "rendered"  # where omegen krm places what it renders; the directory is omegen's


@dataclass
class Placed:
    """Where a source item sits in the tree the build reads."""

    item: int  # index into Request.items
    file: str
    first_line: int
    last_line: int


@dataclass
class Request:
    items: list = field(default_factory=list)  # every input item, as received
    verbatim: list = field(default_factory=list)  # the same, as written (yamlio.Verbatim), to hand back untouched
    ours: set = field(default_factory=set)  # indices of items omegen made before (dropped)
    sources: set = field(default_factory=set)  # indices of ome.io items (the sources)
    files: dict = field(default_factory=dict)  # relative path → text, what the build reads
    placed: list = field(default_factory=list)  # [Placed]
    diagnostics: list = field(default_factory=list)


def is_ours(item) -> bool:
    """Made by an earlier run: labelled as omegen's, or placed in its directory (the models it
    emits keep their source's labels, so only their place says whose they are)."""
    if not isinstance(item, dict):
        return False
    labels = (item.get("metadata") or {}).get("labels")
    if isinstance(labels, dict) and labels.get(MANAGED_BY[0]) == MANAGED_BY[1]:
        return True
    return (item_path(item) or "").startswith(RENDERED_DIR + "/")


def item_path(item: dict) -> Optional[str]:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    return annotations.get(PATH) or annotations.get(LEGACY_PATH)


def _index(item: dict) -> int:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    try:
        return int(annotations.get(INDEX) or annotations.get(LEGACY_INDEX) or 0)
    except ValueError:
        return 0


def as_written(item: dict, keep: tuple = ()) -> dict:
    """The item without the orchestrator's annotations but those in `keep` (and without an empty
    annotations map). A source loses the local-config mark omegen gave it, so run two reads what
    run one read."""
    item = copy.deepcopy(item)
    metadata = item.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("annotations"), dict):
        kept = {k: v for k, v in metadata["annotations"].items() if k in keep or not is_tool_annotation(k)}
        if kept:
            metadata["annotations"] = kept
        else:
            del metadata["annotations"]
    return item


def read_request(text: str) -> Request:
    request = Request()
    try:
        docs = [d for d in yamlio.load_documents(text, positions=False) if d.data is not None]
    except yamlio.YAMLError as exc:
        request.diagnostics.append(error(exc.code, f"stdin is not YAML: {exc.message}", "<stdin>", exc.line, exc.column))
        return request
    data = docs[0].data if len(docs) == 1 else None
    if not isinstance(data, dict) or data.get("kind") != "ResourceList" or data.get("apiVersion") not in RESOURCE_LIST_VERSIONS:
        request.diagnostics.append(
            error("invalid-resource-list", "stdin must be one ResourceList (apiVersion config.kubernetes.io/v1), as kpt and kustomize send", "<stdin>")
        )
        return request
    items = data.get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        request.diagnostics.append(error("invalid-resource-list", "ResourceList.items must be a list of objects", "<stdin>"))
        return request
    request.items = items
    request.verbatim = yamlio.sequence_items(text, "items")
    _read_config(data.get("functionConfig"), request)
    _read_sources(request)
    return request


def _read_config(config, request: Request) -> None:
    if config is None:
        return
    if not isinstance(config, dict) or (config.get("apiVersion"), config.get("kind")) != (CONFIG_API_VERSION, CONFIG_KIND):
        kind = config.get("kind") if isinstance(config, dict) else type(config).__name__
        request.diagnostics.append(
            error("invalid-function-config", f"functionConfig must be an {CONFIG_API_VERSION} {CONFIG_KIND} object (an omegen.yaml), got {kind}", "<functionConfig>")
        )
        return
    config = as_written(config, keep=(LOCAL_CONFIG,))
    if "resources" in config:
        request.diagnostics.append(
            warning("ignored-field", "resources is not read by omegen krm: the ResourceList's items are the sources", CONFIG_FILE, field="resources")
        )
        del config["resources"]
    request.files[CONFIG_FILE] = yamlio.dump(config)


def _read_sources(request: Request) -> None:
    by_file: dict = {}
    for i, item in enumerate(request.items):
        if is_ours(item):
            request.ours.add(i)
            continue
        if item.get("apiVersion") != API_VERSION:
            continue  # foreign: passed through untouched
        path = item_path(item) or f"items/item-{i}.yaml"
        if not safe_relative(path) or path == CONFIG_FILE:
            request.diagnostics.append(error("invalid-item-path", f"item {i} has the path {path!r}, which omegen will not read or write", "<stdin>"))
            continue
        request.sources.add(i)
        by_file.setdefault(path, []).append((_index(item), i))
    for path, entries in sorted(by_file.items()):
        texts, line = [], 1
        for _, i in sorted(entries):
            text = yamlio.dump(as_written(request.items[i]))
            if texts:
                line += 1  # the `---` separator
            request.placed.append(Placed(i, path, line, line + text.count("\n") - 1))
            line += text.count("\n")
            texts.append(text)
        request.files[path] = "---\n".join(texts)


def item_at(request: Request, file: str, line: int) -> Optional[int]:
    """The item whose document holds `file:line` (a diagnostic's place)."""
    for placed in request.placed:
        if placed.file == file and placed.first_line <= line <= placed.last_line:
            return placed.item
    return None
