"""The scheduler-queue labels OME derives from a component's annotations.

OME: `SetPodLabelsFromAnnotations` in pkg/controller/v1beta1/inferenceservice/utils/annotations.go
(constants in pkg/constants/constants.go). Without these labels, Volcano and Kueue never see the
pods, so quota and priority are bypassed.
"""

from __future__ import annotations

VOLCANO_QUEUE = "ome.io/volcano-queue"
DEDICATED_AI_CLUSTER = "ome.io/dedicated-ai-cluster"
KUEUE_ENABLED = "kueue-enabled"  # an annotation key, despite OME's constant name KueueEnabledLabelKey
VOLCANO_SCHEDULER = "volcano"  # OME reads the bare key `volcano` as an annotation

VOLCANO_QUEUE_LABEL = "volcano.sh/queue-name"
RAY_PRIORITY_CLASS_LABEL = "ray.io/priority-class-name"
RAY_SCHEDULER_LABEL = "ray.io/scheduler-name"
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
KUEUE_PRIORITY_CLASS_LABEL = "kueue.x-k8s.io/priority-class"
VOLCANO_PRIORITY_CLASS = "volcano-scheduling-high-priority"  # DedicatedAiClusterPreemptionPriorityClass
KUEUE_PRIORITY_CLASS = "kueue-scheduling-high-priority"  # DedicatedAiClusterPreemptionWorkloadPriorityClass


def queue_labels(annotations: dict) -> dict:
    """The labels OME adds to a component's pods for these annotations (empty when none apply).

    `ome.io/volcano-queue` wins over `ome.io/dedicated-ai-cluster`; a dedicated AI cluster is a
    Kueue queue when the annotation `kueue-enabled` is present (any value), else a Volcano queue.
    """
    labels = {}
    if VOLCANO_QUEUE in annotations:
        labels[VOLCANO_QUEUE_LABEL] = annotations[VOLCANO_QUEUE]
    elif DEDICATED_AI_CLUSTER in annotations:
        cluster = annotations[DEDICATED_AI_CLUSTER]
        if KUEUE_ENABLED in annotations:
            labels[KUEUE_QUEUE_LABEL] = cluster
            labels[KUEUE_PRIORITY_CLASS_LABEL] = KUEUE_PRIORITY_CLASS
        else:
            labels[VOLCANO_QUEUE_LABEL] = cluster
            labels[RAY_PRIORITY_CLASS_LABEL] = VOLCANO_PRIORITY_CLASS
    if VOLCANO_SCHEDULER in annotations:
        labels[RAY_SCHEDULER_LABEL] = VOLCANO_SCHEDULER
    return labels
