"""The command line end to end: output, exit codes, determinism, and no traceback ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from omegen import cli
from test_load import MODEL, SEED_RUNTIME, SEED_SERVICE


def run(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


@pytest.fixture
def seed_tree(tree):
    return tree({"runtimes/rt.yaml": SEED_RUNTIME, "services/isvc.yaml": SEED_SERVICE, "models/m.yaml": MODEL, "omegen.yaml": "builtinRuntimes: false\n"})


def test_build_prints_one_stream(seed_tree, capsys):
    code, out, err = run(["build", str(seed_tree)], capsys)
    assert (code, err) == (0, "")
    assert "kind: Deployment" in out and "name: llama-3-1-70b-engine" in out
    assert "official-vllm-openai:0.5.3" in out


def test_build_writes_a_tree_and_check_detects_staleness(seed_tree, tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert run(["build", str(seed_tree), "-o", str(out_dir)], capsys)[0] == 0
    assert sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.yaml")) == [
        "kustomization.yaml",
        "llama-3-1-70b/llama-3-1-70b.yaml",
    ]
    assert run(["build", str(seed_tree), "-o", str(out_dir), "--check"], capsys)[0] == 0
    (seed_tree / "services/isvc.yaml").write_text(SEED_SERVICE.lstrip().replace("maxReplicas: 1", "maxReplicas: 3"))
    code, _, err = run(["build", str(seed_tree), "-o", str(out_dir), "--check"], capsys)
    assert code == 1
    assert "error[stale-output]" in err and "llama-3-1-70b/llama-3-1-70b.yaml is not up to date" in err


def test_errors_exit_1_and_write_nothing(seed_tree, tmp_path, capsys):
    (seed_tree / "services/isvc.yaml").write_text(SEED_SERVICE.lstrip() + "  bogus: 1\n")
    out_dir = tmp_path / "out"
    code, out, err = run(["build", str(seed_tree), "-o", str(out_dir)], capsys)
    assert code == 1 and out == ""
    assert err.startswith("services/isvc.yaml:14:3: error[unknown-field]:")
    assert not out_dir.exists()


def test_json_and_github_formats(seed_tree, capsys):
    (seed_tree / "services/isvc.yaml").write_text(SEED_SERVICE.lstrip() + "  bogus: 1\n")
    _, _, err = run(["build", str(seed_tree), "--format", "json"], capsys)
    (diagnostic,) = json.loads(err)
    assert (diagnostic["file"], diagnostic["line"], diagnostic["field"]) == ("services/isvc.yaml", 14, "spec.bogus")
    _, _, err = run(["build", str(seed_tree), "--format", "github"], capsys)
    assert err.startswith("::error file=services/isvc.yaml,line=14,col=3,title=unknown-field::")


def test_usage_error_exits_2(capsys):
    code, _, err = run(["build", "/definitely/not/here"], capsys)
    assert code == 2 and "does not exist" in err
    assert run(["frobnicate"], capsys)[0] == 2


def test_internal_error_exits_3_with_one_line(seed_tree, capsys, monkeypatch):
    from omegen import pipeline

    def boom(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(pipeline, "build", boom)
    code, _, err = run(["build", str(seed_tree)], capsys)
    assert code == 3
    assert err.count("\n") == 1 and err.startswith("omegen: internal error (KeyError: 'oops')")


def test_output_is_identical_across_hash_seeds(seed_tree):
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "omegen.cli", "build", str(seed_tree)], env=env, capture_output=True, text=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_explain_json_shape(seed_tree, capsys):
    code, out, _ = run(["explain", "llama-3-1-70b", str(seed_tree), "-o", "json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert payload["inferenceService"] == {"name": "llama-3-1-70b", "namespace": "llama-3-1-70b"}
    assert payload["selected"] == {"name": "vllm-text-generation", "kind": "ClusterServingRuntime"}
    assert set(payload) == {"inferenceService", "selected", "candidates", "diagnostics"}


def test_explain_unknown_service(seed_tree, capsys):
    code, _, err = run(["explain", "nope", str(seed_tree)], capsys)
    assert code == 1 and "no InferenceService named 'nope'" in err


def test_infos_only_with_verbose_and_generated_files_are_never_sources(seed_tree, capsys):
    (seed_tree / "notes.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    assert run(["build", str(seed_tree), "-o", str(seed_tree / "out")], capsys)[2] == ""
    code, _, err = run(["validate", str(seed_tree), "-v"], capsys)
    # The output tree inside SRC is omegen's own: not read back as sources, not even noted.
    assert code == 0 and err == "notes.yaml:1:1: info[ignored-document]: ConfigMap v1 is not an ome.io/v1beta1 source; ignored\n"
