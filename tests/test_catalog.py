"""The built-in catalog: each runtime wins auto-selection where it is meant to, renders when named,
and the catalog plus the quickstart validate with --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from omegen import pipeline
from omegen.commands import main as cli
from omegen.errors import Severity

REPO = Path(__file__).resolve().parents[1]

# runtime → (a catalog model it is designed for, the runtime auto-selection must pick for that model)
INTENT = {
    "vllm-mistral-7b-instruct": ("mistral-7b-instruct", "vllm-mistral-7b-instruct"),
    "vllm-e5-mistral-7b-instruct": ("e5-mistral-7b-instruct", "vllm-e5-mistral-7b-instruct"),
    # Same range as the 3.3 runtime; priority 2 makes the newer one the intended pick.
    "vllm-llama-3-1-70b-instruct": ("llama-3-1-70b-instruct", "vllm-llama-3-3-70b-instruct"),
    "vllm-llama-3-1-405b-instruct-fp8": ("llama-3-1-405b-instruct-fp8", "vllm-llama-3-1-405b-instruct-fp8"),
    "vllm-llama-3-2-1b": ("llama-3-2-1b-instruct", "vllm-llama-3-2-1b"),
    "vllm-llama-3-2-3b": ("llama-3-2-3b-instruct", "vllm-llama-3-2-3b"),
    "vllm-llama-3-2-11b": ("llama-3-2-11b-vision-instruct", "vllm-llama-3-2-11b"),
    "vllm-llama-3-2-90b-vision-fp8": ("llama-3-2-90b-vision-instruct-fp8", "vllm-llama-3-2-90b-vision-fp8"),
    "vllm-llama-3-3-70b-instruct": ("llama-3-3-70b-instruct", "vllm-llama-3-3-70b-instruct"),
    "vllm-deepseek-v3": ("deepseek-v3", "vllm-deepseek-v3"),
    # RDMA and sglang-small are opt-in (autoSelect: false): named explicitly or not at all.
    "vllm-deepseek-v3-rdma": ("deepseek-v3", "vllm-deepseek-v3"),
    "vllm-multi-node-llama-3-1-405b": ("llama-3-1-405b-instruct", "vllm-multi-node-llama-3-1-405b"),
    "vllm-multi-node-llama-3-1-405b-rdma": ("llama-3-1-405b-instruct", "vllm-multi-node-llama-3-1-405b"),
    "command-r-plus": ("command-r-plus", "command-r-plus"),
    "sglang-small": ("llama-3-2-3b-instruct", "vllm-llama-3-2-3b"),
    "sglang-xsmall": ("smollm2-135m-instruct", "sglang-xsmall"),
}

SERVICE = """\
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata:
  name: svc
  namespace: team
spec:
  model:
    name: {model}
{runtime}  engine:
    minReplicas: 1
    maxReplicas: 1
"""


def build_one(tree, model, runtime=None):
    runtime_block = f"  runtime:\n    name: {runtime}\n" if runtime else ""
    root = tree({"svc.yaml": SERVICE.format(model=model, runtime=runtime_block)})
    return pipeline.build(root, strict=True)


def problems(result):
    return [d.as_text() for d in result.diagnostics if d.severity is not Severity.INFO]


def test_the_catalog_has_the_seed_table():
    assert sorted(p.stem for p in (REPO / "runtimes").glob("*.yaml")) == sorted(INTENT)


@pytest.mark.parametrize("runtime", sorted(INTENT))
def test_auto_selection_picks_the_intended_runtime(tree, runtime):
    model, winner = INTENT[runtime]
    result = build_one(tree, model)
    assert problems(result) == []
    (resolution,) = result.resolutions
    assert resolution.runtime.name == winner


@pytest.mark.parametrize("runtime", sorted(INTENT))
def test_naming_the_runtime_renders_valid_output(tree, runtime):
    model, _ = INTENT[runtime]
    result = build_one(tree, model, runtime)
    assert problems(result) == []
    kinds = sorted({r.kind for r in result.objects})
    assert "Service" in kinds and ("Deployment" in kinds or "LeaderWorkerSet" in kinds)
    for rendered in result.objects:
        if rendered.kind in ("Deployment", "LeaderWorkerSet"):
            assert rendered.obj["metadata"]["annotations"]["ome.io/serving-runtime"] == runtime


@pytest.mark.parametrize("src", ["empty", "examples/quickstart"])
def test_validate_strict_passes(src, tmp_path, capsys):
    path = tmp_path if src == "empty" else REPO / src
    with pytest.raises(SystemExit) as exited:
        cli.main(["validate", "--strict", str(path)])
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.err
    assert "warning[" not in captured.err and "error[" not in captured.err  # the summary line says "0 errors, 0 warnings"


def test_runtimes_table_lists_builtin_and_source_runtimes(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["runtimes", str(REPO / "examples/quickstart")])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SCOPE", "SOURCE", "FORMATS/ARCHITECTURES", "SIZE", "PROTOCOLS", "SELECTION", "SHAPE"]
    rows = {(line.split()[0], line.split()[1]): line for line in lines[1:]}
    assert len(rows) == 17  # sixteen built-ins plus team-b's namespaced override
    assert "team-b/runtimes/vllm-llama-3-2-1b.yaml" in rows[("vllm-llama-3-2-1b", "ns/team-b")]
    assert "engine:LeaderWorkerSet(1+1)" in rows[("vllm-multi-node-llama-3-1-405b", "cluster")]
    assert "explicit only" in rows[("sglang-small", "cluster")]
    assert "[60B, 75B]" in rows[("vllm-llama-3-3-70b-instruct", "cluster")] and "auto p2" in rows[("vllm-llama-3-3-70b-instruct", "cluster")]


def test_the_table_stays_a_table_whatever_the_sources_hold(tree):
    runtime = """\
apiVersion: ome.io/v1beta1
kind: ClusterServingRuntime
metadata:
  name: %s
spec:
  supportedModelFormats:
    - name: "safe\\ntensors"
      autoSelect: true
  containers:
    - name: ome-container
      image: vllm:1
"""
    root = tree({"r.yaml": runtime % ("r" * 200)})
    from omegen.commands.catalog import runtime_table

    sources, diagnostics = pipeline.load(root, builtin=False)
    assert not diagnostics
    lines = runtime_table(sources).splitlines()
    assert len(lines) == 2
    assert lines[1].split()[:4] == ["r" * 200, "cluster", "r.yaml", "safe\\ntensors"]
