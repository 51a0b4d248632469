"""Stage 6: put rendered objects on stdout or into an output tree, deterministically and atomically.

Layout of an output tree: `OUT/kustomization.yaml` listing `OUT/<namespace>/<isvc>.yaml`, every file
starting with HEADER. Files without the header are never touched; omegen files whose service is
gone are removed; nothing is written unless the whole plan is ready.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from omegen import yamlio
from omegen.api import GENERATED_HEADER, Rendered

HEADER = GENERATED_HEADER

# Objects a workload depends on come first, so a plain `kubectl apply -f` works in order.
_KIND_ORDER = {
    kind: i
    for i, kind in enumerate(
        (
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Service",
            "Deployment",
            "LeaderWorkerSet",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
        )
    )
}


def order(objects: Iterable[Rendered]) -> list[Rendered]:
    """Grouped by service, then by kind (dependencies first), then by name."""
    return sorted(
        objects,
        key=lambda r: (r.service, _KIND_ORDER.get(r.kind, len(_KIND_ORDER)), r.kind, r.namespace or "", r.name),
    )


def stream(objects: Iterable[Rendered]) -> str:
    """One YAML stream (Argo CD plugin mode): documents separated by `---`."""
    return yamlio.dump_all([r.obj for r in order(objects)])


@dataclass(frozen=True)
class Plan:
    """What an output tree should contain: relative path → file text."""

    files: dict


def plan_tree(objects: Iterable[Rendered]) -> Plan:
    by_service: dict = {}
    for r in order(objects):
        by_service.setdefault(r.service, []).append(r)
    files = {}
    for (namespace, name), rendered in sorted(by_service.items()):
        files[f"{namespace}/{name}.yaml"] = HEADER + yamlio.dump_all([r.obj for r in rendered])
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files),
    }
    files["kustomization.yaml"] = HEADER + yamlio.dump(kustomization)
    return Plan(files)


def _is_ours(path: Path) -> bool:
    try:
        with path.open("r", encoding="utf-8") as handle:
            return handle.readline() == HEADER.splitlines(keepends=True)[0]
    except (OSError, UnicodeDecodeError):
        return False


def _existing_yaml(out: Path) -> list[str]:
    if not out.is_dir():
        return []
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml") if p.is_file() and not p.is_symlink())


@dataclass(frozen=True)
class Changes:
    write: tuple[str, ...]  # new or different
    remove: tuple[str, ...]  # omegen files whose service is gone
    foreign: tuple[str, ...]  # files in the way that omegen did not write

    @property
    def stale(self) -> bool:
        return bool(self.write or self.remove)


def diff_tree(out: Path, plan: Plan) -> Changes:
    write, foreign = [], []
    for rel, text in sorted(plan.files.items()):
        path = out / rel
        if not path.exists():
            write.append(rel)
        elif not _is_ours(path):
            foreign.append(rel)
        elif path.read_text(encoding="utf-8") != text:
            write.append(rel)
    remove = [rel for rel in _existing_yaml(out) if rel not in plan.files and _is_ours(out / rel)]
    return Changes(tuple(write), tuple(remove), tuple(foreign))


def write_tree(out: Path, plan: Plan, changes: Changes) -> None:
    """Write every changed file to a temporary sibling first, then rename them all into place."""
    staged: list[tuple[str, Path]] = []
    try:
        for rel in changes.write:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(plan.files[rel])
            staged.append((rel, Path(tmp)))
    except BaseException:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        raise
    for rel, tmp in staged:
        os.replace(tmp, out / rel)
    for rel in changes.remove:
        (out / rel).unlink()
        _prune_empty(out, (out / rel).parent)


def _prune_empty(out: Path, directory: Path) -> None:
    while directory != out and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
