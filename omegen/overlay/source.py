"""The source half of the overlay stage: patches whose target is an ome.io kind, applied to the
source documents as written (either dialect, built-in catalog documents included), before the input
schemas check them and before resolution. Each patched document remembers which fields which patch
set, so a diagnostic about such a field names the patch too, and `explain` shows it."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from omegen import yamlio
from omegen.api import CLUSTER_SCOPED
from omegen.errors import Diagnostic
from omegen.load.discover import SourceDocument
from omegen.overlay.patches import Patch, apply_patch, patch_paths
from omegen.overlay.targets import matches


def patch_documents(documents: Iterable[SourceDocument], patches: list[Patch], order: tuple, default_namespace: str) -> tuple[list[SourceDocument], list[Diagnostic]]:
    docs = list(documents)
    diagnostics: list[Diagnostic] = []
    for index in order:
        for patch in (p for p in patches if p.layer == index and p.on_sources):
            hits = [
                i
                for i, found in enumerate(docs)
                if index in found.layers
                and matches(found.doc.data, patch.target, None if found.kind in CLUSTER_SCOPED else found.default_namespace or default_namespace)
            ]
            if not hits:
                diagnostics.append(patch.error("patch-target-missing", f"the target {_describe(patch.target)} matches no source object"))
                continue
            for i in hits:
                found = docs[i]
                patched, problem = apply_patch(patch, found.doc.data)
                if problem:
                    diagnostics.append(patch.error("patch-failed", f"{found.file}: {problem}"))
                    continue
                changed = tuple((path, patch.label) for path in _paths(patch))
                docs[i] = replace(found, doc=replace(found.doc, data=patched), patched=found.patched + changed)
    return docs, diagnostics


def _paths(patch: Patch) -> list[str]:
    """The fields a patch sets, as diagnostics name them (`spec.modelParameterSize`)."""
    return [yamlio.format_source_path(path) for path in patch_paths(patch)]


def annotate(diagnostics: list[Diagnostic], docs: Iterable[SourceDocument]) -> list[Diagnostic]:
    """A diagnostic about a patched field (or inside one) also names the patch that set it."""
    by_file: dict[str, list[tuple[str, str]]] = {}
    for found in docs:
        if found.patched:
            by_file.setdefault(found.file, []).extend(found.patched)
    if not by_file:
        return diagnostics
    out = []
    for d in diagnostics:
        labels = sorted({label for path, label in by_file.get(d.file, ()) if d.field and _under(d.field, path)})
        if labels:
            d = replace(d, message=f"{d.message} (this field was set by the overlay patch at {', '.join(labels)})")
        out.append(d)
    return out


def _under(field: str, path: str) -> bool:
    return field == path or field.startswith(path + ".") or field.startswith(path + "[") or path.startswith(field + ".")


def _describe(target: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in target.items()) + "}"
