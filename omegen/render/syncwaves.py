"""`syncWaves: true` (omegen.yaml): Argo CD applies models and RBAC before the workloads that need
them. Argo CD applies lower waves first and waits for them to be healthy; unannotated objects are
wave 0. Off by default: the annotation means nothing to Flux (its `dependsOn` orders whole
Kustomizations) and plain `kubectl apply` already receives omegen's dependency order."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Iterable

from omegen.api import Rendered

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
EARLY = "-1"
EARLY_KINDS = ("ClusterBaseModel", "BaseModel", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")


def annotate(objects: Iterable[Rendered]) -> list[Rendered]:
    out = []
    for r in objects:
        if r.kind in EARLY_KINDS:
            obj = copy.deepcopy(r.obj)
            annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
            annotations.setdefault(SYNC_WAVE, EARLY)  # a wave the source chose stays
            r = replace(r, obj=obj)
        out.append(r)
    return out
