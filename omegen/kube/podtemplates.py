"""Where each workload kind's pod templates sit: the built-in kinds Kustomize knows, and
LeaderWorkerSet's leader and worker templates. One table for the overlay stage (transforms reach
these pods) and for validation (selectors, pod-template findings worded at the runtime)."""

from __future__ import annotations

POD_TEMPLATE_PATHS: dict[str, tuple[tuple, ...]] = {
    "Deployment": (("spec", "template"),),
    "ReplicaSet": (("spec", "template"),),
    "StatefulSet": (("spec", "template"),),
    "DaemonSet": (("spec", "template"),),
    "Job": (("spec", "template"),),
    "CronJob": (("spec", "jobTemplate", "spec", "template"),),
    "LeaderWorkerSet": (
        ("spec", "leaderWorkerTemplate", "leaderTemplate"),
        ("spec", "leaderWorkerTemplate", "workerTemplate"),
    ),
}
