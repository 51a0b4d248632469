"""Which files a build reads: the directory being built, and, when its omegen.yaml names
`resources`, the bases, files and components it names (an overlay, as in Kustomize).

A directory with an omegen.yaml that has `resources` is an overlay: only what it names is read, never
its own directory's files. A directory without `resources` is a source tree (discovered as before).
Every path stays inside the boundary (the git work tree holding DIR, else DIR; `--root` overrides),
and a base that leads back to a directory on the way to it is a cycle; both are errors at the entry.

The result lists each omegen.yaml as an `api.Layer` (bases before the overlays over them) and each
source tree or file as a `Part` with the layers over it, innermost first: those layers' patches and
transforms apply to its documents and to what they render.
"""

from __future__ import annotations

import os
from graphlib import TopologicalSorter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from omegen.api import WEBHOOKS_CLUSTER, Layer
from omegen.errors import Diagnostic, error, warning
from omegen.load.config import CONFIG_FILE, ConfigFile, read_config


@dataclass(frozen=True)
class Part:
    """A source tree (discovered) or one source file, with the labels its files get."""

    path: Path
    label: str  # its path relative to DIR ("" for DIR itself)
    layers: tuple[int, ...]  # indices into Plan.layers, innermost first
    default_namespace: Optional[str] = None  # the nearest omegen.yaml's defaultNamespace
    excluded: frozenset = frozenset()  # files not read as sources (the directory's own patch files)


@dataclass(frozen=True)
class Plan:
    root: Path
    boundary: Path
    layers: tuple[Layer, ...] = ()
    parts: tuple[Part, ...] = ()
    settings: dict = field(default_factory=dict)  # the build-wide settings (the nearest file that sets each)

    def order(self) -> tuple[int, ...]:
        """The layers in the order their transforms apply: each after every layer beneath it
        (its bases' and, for a component, the resources gathered before it)."""
        sorter = TopologicalSorter()
        for index in range(len(self.layers)):
            sorter.add(index)
        for part in self.parts:
            for inner, outer in zip(part.layers, part.layers[1:]):
                sorter.add(outer, inner)
        return tuple(sorter.static_order())


def leaves_repository(entry: str, boundary: Path) -> str:
    """The one wording of a path past the boundary. It names the flag without telling the reader to pass
    it: inside the Argo CD plugin or a KRM function the repository is the boundary, and there is none."""
    return f"{entry} leaves the repository ({boundary}); nothing outside it is read (on the command line, `--root DIR` widens the boundary)"


def boundary_of(directory: Path) -> Path:
    """The root of the git work tree holding `directory`, else `directory` itself."""
    real = Path(directory).resolve()
    for candidate in (real, *real.parents):
        if (candidate / ".git").exists():
            return candidate
    return real


def plan(root: Path, boundary: Optional[Path] = None) -> tuple[Plan, list[Diagnostic]]:
    root = Path(root)
    limit = Path(boundary).resolve() if boundary is not None else boundary_of(root)
    walk = _Walk(root.resolve(), limit)
    walk.directory(root.resolve(), (), None)
    settings: dict = {}
    # Build-wide settings: the directory being built first, then its bases in `resources` order.
    for found in walk.files_in_order:
        for key, value in found.settings.items():
            if key != "default_namespace":
                settings.setdefault(key, value)
    top = walk.files_in_order[0] if walk.files_in_order else None
    if top is not None and "default_namespace" in top.settings:
        settings["default_namespace"] = top.settings["default_namespace"]
    walk.diagnostics.extend(_unused_webhook_config(settings, walk.files_in_order))
    return Plan(root, limit, tuple(walk.layers), tuple(walk.parts), settings), walk.diagnostics


def _unused_webhook_config(settings: dict, files: list) -> list[Diagnostic]:
    """`webhookConfig` only feeds the emulation: with `webhooks: cluster` OME's webhooks read their
    own ConfigMap, so settings written here would be ignored in silence."""
    if settings.get("webhooks") != WEBHOOKS_CLUSTER or not settings.get("webhook_config"):
        return []
    found = next(f for f in files if "webhook_config" in f.settings and f.layer is not None)
    line, column = found.layer.doc.mark(("webhookConfig",))
    return [
        warning(
            "unused-setting",
            "webhookConfig is not used with `webhooks: cluster`: OME's webhooks in the cluster read their own "
            "inferenceservice-config ConfigMap; remove it, or set `webhooks: emulate` to render the injections",
            found.layer.file,
            line,
            column,
            "webhookConfig",
        )
    ]


class _Walk:
    def __init__(self, root: Path, boundary: Path):
        self.root = root
        self.boundary = boundary
        self.layers: list[Layer] = []
        self.parts: list[Part] = []
        self.files_in_order: list[ConfigFile] = []  # pre-order, for the build-wide settings
        self.diagnostics: list[Diagnostic] = []

    def label(self, path: Path) -> str:
        rel = os.path.relpath(path, self.root)
        return "" if rel == "." else Path(rel).as_posix()

    def directory(self, path: Path, stack: tuple[Path, ...], namespace: Optional[str], over: tuple[int, ...] = (), component: bool = False, where=None) -> None:
        prefix = self.label(path)
        found, problems = read_config(path, f"{prefix}/{CONFIG_FILE}" if prefix else CONFIG_FILE)
        self.diagnostics.extend(problems)
        self.files_in_order.append(found)
        namespace = found.settings.get("default_namespace", namespace)
        if component and (found.layer is None or found.plain):
            if not problems and where is not None:
                layer, at, field = where
                self.diagnostics.append(error("invalid-resource", f"{field}: {prefix or '.'} has no omegen.yaml (kind Omegen) to be a component", layer.file, *layer.mark(at), field))
            return
        if found.layer is None or found.plain:
            self.parts.append(Part(path, prefix, over, namespace))
            return
        index = self._add(found.layer)
        mine = (index,) + over
        data = found.layer.data
        if found.resources is None and not component:
            # No `resources`: this directory is a source tree; its own patch files are not sources.
            excluded = frozenset((path / p["path"]).resolve() for p in data.get("patches") or () if "path" in p)
            self.parts.append(Part(path, prefix, mine, namespace, excluded))
        for i, entry in enumerate(found.resources or ()):
            self.entry(found.layer, ("resources", i), entry, path, stack + (path,), namespace, mine)
        # A component (as in Kustomize) acts on everything gathered so far, then adds its own parts.
        for i, entry in enumerate(data.get("components") or ()):
            gathered = len(self.parts)
            first_layer = len(self.layers)
            self.entry(found.layer, ("components", i), entry, path, stack + (path,), namespace, mine, component=True)
            if len(self.layers) == first_layer:
                continue  # reported
            for j in range(gathered):
                part = self.parts[j]
                if index in part.layers:
                    at = part.layers.index(index)
                    self.parts[j] = replace(part, layers=part.layers[:at] + (first_layer,) + part.layers[at:])

    def entry(self, layer: Layer, where: tuple, entry: str, base: Path, stack: tuple, namespace, over, component: bool = False) -> None:
        line, column = layer.mark(where)
        field = f"{where[0]}[{where[1]}]"
        target = (base / entry).resolve()
        if target != self.boundary and not target.is_relative_to(self.boundary):
            self.diagnostics.append(
                error("path-outside", f"{field}: {leaves_repository(entry, self.boundary)}", layer.file, line, column, field)
            )
            return
        if not target.exists():
            self.diagnostics.append(error("missing-resource", f"{field}: {entry} does not exist", layer.file, line, column, field))
            return
        if target in stack or target == base:
            chain = " → ".join(self.label(p) or "." for p in stack[stack.index(target) if target in stack else 0 :] + (target,))
            self.diagnostics.append(error("overlay-cycle", f"{field}: {entry} leads back to itself ({chain})", layer.file, line, column, field))
            return
        if target.is_dir():
            self.directory(target, stack, namespace, over, component, (layer, where, field))
        elif component:
            self.diagnostics.append(error("invalid-resource", f"{field}: a component is a directory with an omegen.yaml", layer.file, line, column, field))
        elif target.name.endswith((".yaml", ".yml")):
            self.parts.append(Part(target, self.label(target), over, namespace))
        else:
            self.diagnostics.append(error("invalid-resource", f"{field}: {entry} is neither a directory nor a YAML file", layer.file, line, column, field))

    def _add(self, layer: Layer) -> int:
        self.layers.append(layer)
        return len(self.layers) - 1
