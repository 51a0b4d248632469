"""Scheduler-queue labels, as OME's `SetPodLabelsFromAnnotations`
(pkg/controller/v1beta1/inferenceservice/utils/annotations.go) sets them, in both dialects."""

from __future__ import annotations

import pytest

from omegen import pipeline
from omegen.render.queues import queue_labels
from sources import DIALECTS, files, objects

QUEUE_LABELS = ("volcano.sh/queue-name", "ray.io/priority-class-name", "ray.io/scheduler-name", "kueue.x-k8s.io/queue-name", "kueue.x-k8s.io/priority-class")


def test_the_rule_as_omes_code():
    assert queue_labels({}) == {}
    assert queue_labels({"ome.io/volcano-queue": "q1"}) == {"volcano.sh/queue-name": "q1"}
    # volcano-queue wins over dedicated-ai-cluster (the `else if` in OME's code)
    assert queue_labels({"ome.io/volcano-queue": "q1", "ome.io/dedicated-ai-cluster": "dac"}) == {"volcano.sh/queue-name": "q1"}
    assert queue_labels({"ome.io/dedicated-ai-cluster": "dac"}) == {
        "volcano.sh/queue-name": "dac",
        "ray.io/priority-class-name": "volcano-scheduling-high-priority",
    }
    # `kueue-enabled` counts by presence, whatever its value
    assert queue_labels({"ome.io/dedicated-ai-cluster": "dac", "kueue-enabled": "false"}) == {
        "kueue.x-k8s.io/queue-name": "dac",
        "kueue.x-k8s.io/priority-class": "kueue-scheduling-high-priority",
    }
    assert queue_labels({"volcano": ""}) == {"ray.io/scheduler-name": "volcano"}


def _queue(labels: dict) -> dict:
    return {k: v for k, v in labels.items() if k in QUEUE_LABELS}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_deployment_carries_the_labels_everywhere_omes_shared_label_map_puts_them(tree, dialect):
    # createRawDeployment's `podMetadata := componentMeta` shares the label map with the Deployment,
    # the HPA, the PDB and (deep-copied afterwards) the Service, so all of them get the labels.
    annotations = {"ome.io/dedicated-ai-cluster": "team-dac", "kueue-enabled": "true"}
    spec = {"predictor": {**_predictor(), "maxReplicas": 3}} if dialect == "seed" else {"engine": {"minReplicas": 1, "maxReplicas": 3}}
    result = pipeline.build(tree(files(dialect, annotations, spec)))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    objs = objects(result)
    engine = next(name for kind, name in objs if kind == "Deployment" and name.endswith("-engine"))
    want = {"kueue.x-k8s.io/queue-name": "team-dac", "kueue.x-k8s.io/priority-class": "kueue-scheduling-high-priority"}
    deployment = objs[("Deployment", engine)]
    assert _queue(deployment["spec"]["template"]["metadata"]["labels"]) == want
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert _queue(objs[(kind, engine)]["metadata"]["labels"]) == want, kind


def _predictor():
    return {"model": {"baseModel": "llama-3-1-70b", "protocolVersion": "openAI", "runtime": "vllm-text-generation"}, "minReplicas": 1}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_leader_worker_set_labels_its_pods_only(tree, dialect):
    # createLWS deep-copies the metadata for the LWS and each pod template, then labels the pods.
    annotations = {"ome.io/volcano-queue": "research", "volcano": "yes"}
    if dialect == "seed":
        annotations["ome.io/deploymentMode"] = "MultiNode"
        spec = {"predictor": {**_predictor(), "maxReplicas": 1, "workerSpec": {"size": 1}}}
    else:
        spec = {"engine": {"minReplicas": 1, "maxReplicas": 1, "leader": {}, "worker": {"size": 1}}}
    result = pipeline.build(tree(files(dialect, annotations, spec)))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    objs = objects(result)
    (lws,) = [o for (kind, _), o in objs.items() if kind == "LeaderWorkerSet"]
    want = {"volcano.sh/queue-name": "research", "ray.io/scheduler-name": "volcano"}
    template = lws["spec"]["leaderWorkerTemplate"]
    assert _queue(template["leaderTemplate"]["metadata"]["labels"]) == want
    assert _queue(template["workerTemplate"]["metadata"]["labels"]) == want
    assert _queue(lws["metadata"]["labels"]) == {}
    engine_service = next(o for (kind, name), o in objs.items() if kind == "Service" and name.endswith("-engine"))
    assert _queue(engine_service["metadata"]["labels"]) == {}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_annotation_no_label(tree, dialect):
    result = pipeline.build(tree(files(dialect)))
    assert result.ok
    for r in result.objects:
        assert _queue(r.obj["metadata"].get("labels", {})) == {}
