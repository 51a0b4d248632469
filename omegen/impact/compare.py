"""What a change does to each service: `omegen diff`'s comparison of two builds (commands only print).

Per service: its runtime before and after with the rule that decided each; what changed in its
workloads (image, resources, replicas, shape); which pod templates change, so which pods restart
(GPU pods called out: they are the slow, scarce ones). Then the objects that appear or go, and a
bounded unified diff of the rendered YAML.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

from omegen.emit import tree as emit
from omegen.errors import Diagnostic, Severity

WORKLOADS = ("Deployment", "LeaderWorkerSet")
DEFAULT_MAX_DIFF_LINES = 300


@dataclass(frozen=True)
class ServiceImpact:
    namespace: str
    name: str
    status: str  # added | removed | changed | unchanged
    runtime_before: str = ""
    runtime_after: str = ""
    rule_before: str = ""
    rule_after: str = ""
    changes: tuple[str, ...] = ()  # "image of chat-engine: a → b", ...
    restarts: tuple[str, ...] = ()  # workloads whose pod template changes
    gpu_restarts: tuple[str, ...] = ()  # those of them whose pods request GPUs

    @property
    def runtime_changed(self) -> bool:
        return self.status == "changed" and self.runtime_before != self.runtime_after


@dataclass(frozen=True)
class Impact:
    base: str
    src: str
    base_errors: tuple[Diagnostic, ...] = ()
    src_errors: tuple[Diagnostic, ...] = ()
    services: tuple[ServiceImpact, ...] = ()
    added: tuple[str, ...] = ()  # "Kind namespace/name"
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    diff: tuple[str, ...] = ()  # unified diff lines, at most max_lines
    diff_omitted: int = 0  # lines left out
    max_lines: int = DEFAULT_MAX_DIFF_LINES

    @property
    def changed(self) -> bool:
        return bool(self.base_errors or self.added or self.removed or self.modified)


def _errors(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(d for d in diagnostics if d.severity is Severity.ERROR)


def _identity(obj: dict) -> tuple:
    metadata = obj.get("metadata") or {}
    return (obj.get("kind", ""), metadata.get("namespace") or "", metadata.get("name", ""), obj.get("apiVersion", ""))


def describe(identity: tuple) -> str:
    kind, namespace, name, _ = identity
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _runtime(resolution) -> tuple[str, str]:
    if resolution is None or resolution.runtime is None:
        return "", ""
    runtime = resolution.runtime
    where = f"{runtime.namespace}/" if runtime.namespace else ""
    return f"{runtime.kind} {where}{runtime.name}", resolution.decided_by or ""


def _templates(obj: dict) -> dict:
    """role → pod template of a workload (LWS: its leader and worker templates)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Deployment":
        return {"pod": spec.get("template") or {}}
    group = spec.get("leaderWorkerTemplate") or {}
    out = {"worker": group.get("workerTemplate") or {}}
    if group.get("leaderTemplate"):
        out["leader"] = group["leaderTemplate"]
    return out


def _containers(template: dict) -> dict:
    spec = template.get("spec") or {}
    return {c.get("name", ""): c for c in (spec.get("initContainers") or []) + (spec.get("containers") or []) if isinstance(c, dict)}


def _uses_gpu(obj: dict) -> bool:
    for template in _templates(obj).values():
        for container in _containers(template).values():
            resources = container.get("resources") or {}
            for amounts in (resources.get("limits") or {}, resources.get("requests") or {}):
                if any("gpu" in str(key).lower() for key in amounts):
                    return True
    return False


def _shape(obj: dict) -> str:
    if obj.get("kind") == "LeaderWorkerSet":
        size = ((obj.get("spec") or {}).get("leaderWorkerTemplate") or {}).get("size", 1)
        return f"LeaderWorkerSet of {size} pods per group"
    return obj.get("kind", "")


def _replicas(objects: dict, workload: dict) -> str:
    """Fixed replicas, or the bounds of the HPA that scales the workload."""
    name = (workload.get("metadata") or {}).get("name")
    for obj in objects.values():
        target = (obj.get("spec") or {}).get("scaleTargetRef") or {}
        if obj.get("kind") == "HorizontalPodAutoscaler" and target.get("name") == name and target.get("kind") == workload.get("kind"):
            spec = obj["spec"]
            return f"{spec.get('minReplicas', 1)}–{spec.get('maxReplicas')} (HPA)"
    return str((workload.get("spec") or {}).get("replicas", 1))


def _workload_changes(before: dict, after: dict) -> tuple[list[str], list[str], list[str]]:
    """Changes, restarting workloads and GPU ones, between one service's objects before and after."""
    changes, restarts, gpu = [], [], []
    old = {k: v for k, v in before.items() if k[0] in WORKLOADS}
    new = {k: v for k, v in after.items() if k[0] in WORKLOADS}
    by_name_old = {k[2]: v for k, v in old.items()}
    by_name_new = {k[2]: v for k, v in new.items()}
    for name in sorted(set(by_name_old) | set(by_name_new)):
        a, b = by_name_old.get(name), by_name_new.get(name)
        if a is None or b is None:
            continue  # appears or goes: listed with the objects
        if _shape(a) != _shape(b):
            changes.append(f"shape of {name}: {_shape(a)} → {_shape(b)}")
        if _replicas(before, a) != _replicas(after, b):
            changes.append(f"replicas of {name}: {_replicas(before, a)} → {_replicas(after, b)}")
        ta, tb = _templates(a), _templates(b)
        for role in sorted(set(ta) & set(tb)):
            ca, cb = _containers(ta[role]), _containers(tb[role])
            label = name if role == "pod" else f"{name} {role}"
            for container in sorted(set(ca) & set(cb)):
                if ca[container].get("image") != cb[container].get("image"):
                    changes.append(f"image of {label}/{container}: {ca[container].get('image')} → {cb[container].get('image')}")
                if ca[container].get("resources") != cb[container].get("resources"):
                    changes.append(
                        f"resources of {label}/{container}: {_resources(ca[container])} → {_resources(cb[container])}"
                    )
        group_a = {k: v for k, v in ((a.get("spec") or {}).get("leaderWorkerTemplate") or {}).items()}
        group_b = {k: v for k, v in ((b.get("spec") or {}).get("leaderWorkerTemplate") or {}).items()}
        if ta != tb or group_a != group_b:
            restarts.append(f"{a['kind']} {name}")
            if _uses_gpu(a) or _uses_gpu(b):
                gpu.append(f"{a['kind']} {name}")
    return changes, restarts, gpu


def _resources(container: dict) -> str:
    resources = container.get("resources") or {}
    parts = []
    for section in ("requests", "limits"):
        amounts = resources.get(section) or {}
        if amounts:
            parts.append(f"{section} " + ", ".join(f"{k}={v}" for k, v in sorted(amounts.items())))
    return "; ".join(parts) or "none"


def compare(base_label: str, base_build, src_label: str, src_build, max_lines: int = DEFAULT_MAX_DIFF_LINES) -> Impact:
    """`base_build`/`src_build`: pipeline Builds (validated, not written)."""
    impact = Impact(base_label, src_label, _errors(base_build.diagnostics), _errors(src_build.diagnostics), max_lines=max_lines)
    if impact.base_errors or impact.src_errors:
        return impact
    old = {_identity(r.obj): r for r in base_build.objects}
    new = {_identity(r.obj): r for r in src_build.objects}
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    modified = sorted(k for k in set(old) & set(new) if old[k].obj != new[k].obj)

    resolutions = {
        "before": {(r.service.namespace, r.service.name): r for r in base_build.resolutions},
        "after": {(r.service.namespace, r.service.name): r for r in src_build.resolutions},
    }
    keys = sorted((set(resolutions["before"]) | set(resolutions["after"])) - {("", "")})
    services = []
    for key in keys:
        before = {k: r.obj for k, r in old.items() if r.service == key}
        after = {k: r.obj for k, r in new.items() if r.service == key}
        runtime_before, rule_before = _runtime(resolutions["before"].get(key))
        runtime_after, rule_after = _runtime(resolutions["after"].get(key))
        if key not in resolutions["before"]:
            status = "added"
        elif key not in resolutions["after"]:
            status = "removed"
        else:
            status = "changed" if before != after or runtime_before != runtime_after else "unchanged"
        changes, restarts, gpu = _workload_changes(before, after) if status == "changed" else ([], [], [])
        if status == "changed" and runtime_before != runtime_after:
            changes.insert(0, f"runtime: {runtime_before or 'none'} ({rule_before or '-'}) → {runtime_after or 'none'} ({rule_after or '-'})")
        services.append(
            ServiceImpact(key[0], key[1], status, runtime_before, runtime_after, rule_before, rule_after, tuple(changes), tuple(restarts), tuple(gpu))
        )
    lines = list(
        difflib.unified_diff(
            emit.stream(list(base_build.objects)).splitlines(),
            emit.stream(list(src_build.objects)).splitlines(),
            fromfile=f"a ({base_label})",
            tofile=f"b ({src_label})",
            lineterm="",
            n=3,
        )
    )
    return Impact(
        base_label,
        src_label,
        services=tuple(services),
        added=tuple(describe(k) for k in added),
        removed=tuple(describe(k) for k in removed),
        modified=tuple(describe(k) for k in modified),
        diff=tuple(lines[:max_lines]),
        diff_omitted=max(0, len(lines) - max_lines),
        max_lines=max_lines,
    )


def as_json(impact: Impact) -> dict:
    return {
        "base": impact.base,
        "src": impact.src,
        "changed": impact.changed,
        "baseErrors": [d.as_dict() for d in impact.base_errors],
        "srcErrors": [d.as_dict() for d in impact.src_errors],
        "services": [
            {
                "namespace": s.namespace,
                "name": s.name,
                "status": s.status,
                "runtime": {"before": s.runtime_before, "after": s.runtime_after},
                "decidedBy": {"before": s.rule_before, "after": s.rule_after},
                "changes": list(s.changes),
                "restarts": list(s.restarts),
                "gpuRestarts": list(s.gpu_restarts),
            }
            for s in impact.services
        ],
        "objects": {"added": list(impact.added), "removed": list(impact.removed), "modified": list(impact.modified)},
        "diff": list(impact.diff),
        "diffOmittedLines": impact.diff_omitted,
    }
