"""One decision of a component's shape (render/shape.py), the same in render and `omegen runtimes`."""

from __future__ import annotations

import pytest

from omegen import pipeline
from omegen.commands.catalog import runtime_table
from omegen.render.shape import component_shape
from test_load import MODEL as UNQUANTIZED, OME_RUNTIME, OME_SERVICE

MODEL = UNQUANTIZED.replace("  modelType: transformer\n", "  modelType: transformer\n  quantization: fp8\n")

RUNNER = "    runner:\n      name: ome-container\n      image: docker.io/lmsysorg/sglang:v0.5.5\n"
LEADER_ONLY = OME_RUNTIME.replace(f"  engineConfig:\n{RUNNER}", f"  engineConfig:\n    leader:\n  {RUNNER.replace(chr(10) + '  ', chr(10) + '    ')}")


def shape_column(sources, name):
    [row] = [line for line in runtime_table(sources).splitlines() if line.startswith(name + " ")]
    return row.split("  ")[-1].split()  # the last column: one shape per component


def test_a_leader_without_a_worker_size_is_the_same_error_in_the_table_and_in_the_build(tree):
    assert "    leader:\n      runner:\n        name: ome-container" in LEADER_ONLY
    root = tree({"rt.yaml": LEADER_ONLY, "m.yaml": MODEL, "isvc.yaml": OME_SERVICE})
    sources, _ = pipeline.load(root, builtin=False)
    assert shape_column(sources, "srt-llama") == ["engine:error[multinode]", "router:Deployment"]
    result = pipeline.build(root, builtin=False)
    [problem] = [d for d in result.diagnostics if d.code == "multinode"]
    # At the runtime's field that made the engine a group, not at the service.
    line = LEADER_ONLY.lstrip("\n").splitlines().index("    leader:") + 1
    assert (problem.file, problem.line, problem.field) == ("rt.yaml", line, "spec.engineConfig.leader")
    assert problem.subject.kind == "ClusterServingRuntime"


def test_a_sized_group_renders_as_the_table_says(tree):
    runtime = LEADER_ONLY.replace("  routerConfig:", "    worker:\n      size: 2\n      runner: {name: ome-container, image: docker.io/lmsysorg/sglang:v0.5.5}\n  routerConfig:")
    root = tree({"rt.yaml": runtime, "m.yaml": MODEL, "isvc.yaml": OME_SERVICE})
    sources, _ = pipeline.load(root, builtin=False)
    assert shape_column(sources, "srt-llama") == ["engine:LeaderWorkerSet(1+2)", "router:Deployment"]
    result = pipeline.build(root, builtin=False)
    assert result.ok, [d.as_text() for d in result.diagnostics]
    [lws] = [r.obj for r in result.objects if r.kind == "LeaderWorkerSet"]
    assert lws["spec"]["leaderWorkerTemplate"]["size"] == 3


@pytest.mark.parametrize(
    "spec, label",
    [
        ({}, "Deployment"),
        ({"worker": {"size": 1}}, "LeaderWorkerSet(1+1)"),
        ({"worker": {}}, "error[multinode]"),
        ({"worker": {"size": 0}}, "error[multinode]"),
        ({"annotations": {"ome.io/deploymentMode": "RawDeployment"}, "worker": {"size": 1}}, "Deployment"),
        ({"annotations": {"ome.io/deploymentMode": "MultiNode"}}, "error[multinode]"),
        ({"annotations": {"ome.io/deploymentMode": "Serverless"}}, "error[knative-required]"),
    ],
)
def test_the_shape_of_an_engine(spec, label):
    assert component_shape("engine", spec).label() == label


def test_a_router_is_one_pod_whatever_it_says():
    decided = component_shape("router", {"worker": {"size": 3}, "annotations": {"ome.io/deploymentMode": "MultiNode"}})
    assert decided.label() == "Deployment" and [f.code for f in decided.findings] == ["ignored-field"]


def test_a_multinode_service_makes_its_engine_a_group():
    assert component_shape("engine", {"worker": {"size": 1}}, service_mode="MultiNode").label() == "LeaderWorkerSet(1+1)"
    assert component_shape("engine", {}, service_mode="MultiNode").label() == "error[multinode]"
