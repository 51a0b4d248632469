"""The command line end to end: output, exit codes, determinism, and no traceback ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import run_cli as run, omegen_yaml
from seed_example import SEED_RUNTIME, SEED_SERVICE
from test_load import MODEL


@pytest.fixture
def seed_tree(tree):
    return tree({"runtimes/rt.yaml": SEED_RUNTIME, "services/isvc.yaml": SEED_SERVICE, "models/m.yaml": MODEL, "omegen.yaml": omegen_yaml("builtinRuntimes: false\n")})


def test_build_prints_one_stream(seed_tree, capsys):
    code, out, err = run(["build", str(seed_tree)], capsys)
    # Never silent: one summary line on stderr, the stream alone on stdout (issue 10).
    assert (code, err) == (0, "omegen: 1 service → 4 objects (2 Service, 1 ClusterBaseModel, 1 Deployment); 0 errors, 0 warnings\n")
    assert "kind: Deployment" in out and "name: llama-3-1-70b-engine" in out
    assert "official-vllm-openai:0.5.3" in out


def test_build_writes_a_tree_and_check_detects_staleness(seed_tree, tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert run(["build", str(seed_tree), "-o", str(out_dir)], capsys)[0] == 0
    assert sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.yaml")) == [
        "_cluster/llama-3-1-70b.clusterbasemodel.yaml",  # the model the pods wait for (emitModels)
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

    monkeypatch.setattr(pipeline, "run", boom)
    code, _, err = run(["build", str(seed_tree)], capsys)
    assert code == 3
    assert err.count("\n") == 1 and err.startswith("omegen: internal error (KeyError: 'oops')")


def test_internal_error_says_how_to_get_the_traceback(seed_tree, capsys, monkeypatch):
    from omegen import pipeline

    def boom(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(pipeline, "run", boom)
    code, _, err = run(["build", str(seed_tree)], capsys)
    assert code == 3 and "Traceback" not in err
    assert "rerun with `omegen --debug ...` and report it" in err


def test_debug_prints_the_traceback_of_an_internal_error_and_writes_no_file(seed_tree, tmp_path, capsys, monkeypatch):
    from omegen import pipeline

    def boom(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(pipeline, "run", boom)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    code, out, err = run(["--debug", "build", str(seed_tree), "-o", str(tmp_path / "out")], capsys)
    assert (code, out) == (3, "")
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "in boom" in err and lines[-2] == "KeyError: 'oops'"  # the frame that raised, then the exception
    assert lines[-1].startswith("omegen: internal error (KeyError: 'oops'); this is a bug in omegen: please report it")
    assert list(cwd.iterdir()) == [] and not (tmp_path / "out").exists()  # no crash file, no half-written OUT


def test_debug_changes_nothing_when_nothing_goes_wrong(seed_tree, capsys):
    assert run(["--debug", "build", str(seed_tree)], capsys) == run(["build", str(seed_tree)], capsys)


def test_output_is_identical_across_hash_seeds(seed_tree):
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "omegen.commands.main", "build", str(seed_tree)], env=env, capture_output=True, text=True, check=True)
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
    assert run(["build", str(seed_tree), "-o", str(seed_tree / "out"), "-q"], capsys)[2] == ""
    code, _, err = run(["validate", str(seed_tree), "-v"], capsys)
    # The output tree inside SRC is omegen's own: not read back as sources, not even noted.
    assert code == 0 and err.splitlines()[0] == "notes.yaml:1:1: info[ignored-document]: ConfigMap v1 is not an ome.io/v1beta1 source; ignored"
    assert len(err.splitlines()) == 2 and err.splitlines()[1].startswith("omegen: 1 service")


# --- hostile environments: interrupts, closed pipes, locales, unusable output directories ----------


def test_ctrl_c_exits_130_with_one_line(seed_tree, capsys, monkeypatch):
    from omegen import pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run", interrupted)
    code, out, err = run(["build", str(seed_tree)], capsys)
    # Not 1 ("the sources have errors"): the conventional status of a process stopped by SIGINT.
    assert code == 130 and out == ""
    assert err.strip() == "omegen: interrupted"


def test_a_closed_stdout_is_not_an_error(seed_tree):
    # `omegen build | head -1`: the reader went away; no traceback, no "Exception ignored", exit 0.
    proc = subprocess.Popen(
        [sys.executable, "-m", "omegen.commands.main", "build", str(seed_tree)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(), err) == (0, b"")


def test_stdout_is_utf8_whatever_the_locale(seed_tree):
    service = seed_tree / "services/isvc.yaml"
    service.write_text(service.read_text().replace("  namespace: llama-3-1-70b\n", "  namespace: llama-3-1-70b\n  annotations: {note: \"héllo ✓ 日本\"}\n"))
    outputs = set()
    for encoding in ("utf-8", "ascii", "latin-1"):
        env = {**os.environ, "PYTHONIOENCODING": encoding}
        done = subprocess.run([sys.executable, "-m", "omegen.commands.main", "build", str(seed_tree)], env=env, capture_output=True)
        assert done.returncode == 0 and done.stderr.startswith(b"omegen: 1 service ") and done.stderr.count(b"\n") == 1, done.stderr
        assert (b"->" if encoding == "ascii" else "→".encode(encoding, "replace") if encoding == "utf-8" else b"->") in done.stderr
        outputs.add(done.stdout)
    (output,) = outputs
    assert "note: héllo ✓ 日本".encode() in output


def test_out_that_is_a_broken_symlink_is_reported_not_a_crash(seed_tree, tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.symlink_to(tmp_path / "missing")
    code, _, err = run(["build", str(seed_tree), "-o", str(out_dir)], capsys)
    assert code == 1 and "internal error" not in err
    assert err == f"{out_dir}: error[output-conflict]: {out_dir} is a symlink to a missing directory; move it away or choose another -o\n"
    assert not (tmp_path / "missing").exists()


def test_a_user_file_where_a_namespace_directory_goes_is_a_conflict(seed_tree, tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "llama-3-1-70b").write_text("mine\n")
    code, _, err = run(["build", str(seed_tree), "-o", str(out_dir)], capsys)
    assert code == 1 and "internal error" not in err
    assert f"error[output-conflict]: {out_dir / 'llama-3-1-70b'} exists and was not written by omegen" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["llama-3-1-70b"]
    assert (out_dir / "llama-3-1-70b").read_text() == "mine\n"


def test_an_unwritable_out_is_an_error_and_changes_nothing(seed_tree, tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "out"
    assert run(["build", str(seed_tree), "-o", str(out_dir)], capsys)[0] == 0
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    (seed_tree / "services/isvc.yaml").write_text(SEED_SERVICE.lstrip().replace("maxReplicas: 1", "maxReplicas: 3"))

    def read_only(*args, **kwargs):  # what a read-only directory does to a rename (root ignores chmod)
        raise PermissionError(13, "Permission denied", str(args[1]))

    monkeypatch.setattr(os, "replace", read_only)
    code, _, err = run(["build", str(seed_tree), "-o", str(out_dir)], capsys)
    assert code == 1 and "internal error" not in err and err.count("\n") == 1
    assert "error[output-error]: cannot write" in err and "Permission denied" in err and "nothing was changed" in err
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before


def test_schemas_export_into_a_file_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(["schemas", "export", str(blocker / "sub")], capsys)
    assert code == 2 and "internal error" not in err
    assert "cannot write" in err and "Not a directory" in err


def test_runtimes_takes_strict_like_every_command_that_reads_sources(tree, capsys):
    # design.md section 5: every command that reads sources takes --no-builtin-runtimes and --strict.
    runtime = SEED_RUNTIME.replace("  containers:\n", "  containers:\n    - name: sidecar\n      image: s:1\n")
    root = tree({"rt.yaml": runtime})
    code, out, err = run(["runtimes", str(root), "--no-builtin-runtimes"], capsys)
    assert code == 0 and "vllm-text-generation" in out and "warning[ignored-container]" in err
    code, out, err = run(["runtimes", str(root), "--no-builtin-runtimes", "--strict"], capsys)
    assert code == 1 and "vllm-text-generation" in out and "error[ignored-container]" in err


def test_json_diagnostics_are_one_array_even_when_writing_fails(seed_tree, tmp_path, capsys, monkeypatch):
    runtime = seed_tree / "runtimes/rt.yaml"  # a warning, so there is something to report before writing
    runtime.write_text(SEED_RUNTIME.lstrip().replace("  containers:\n", "  containers:\n    - name: sidecar\n      image: s:1\n"))

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    code, _, err = run(["build", str(seed_tree), "-o", str(tmp_path / "out"), "--format", "json"], capsys)
    assert code == 1
    assert [d["code"] for d in json.loads(err)] == ["output-error", "ignored-container"]
    assert not (tmp_path / "out").exists()


def test_explain_does_not_explain_a_namesake_of_a_broken_service(seed_tree, capsys):
    broken = SEED_SERVICE.lstrip().replace("namespace: llama-3-1-70b", "namespace: other") + "  bogus: 1\n"
    (seed_tree / "services/broken.yaml").write_text(broken)
    code, out, err = run(["explain", "llama-3-1-70b", str(seed_tree)], capsys)
    assert code == 1 and out == ""
    assert "exists in several namespaces (llama-3-1-70b/llama-3-1-70b, other/llama-3-1-70b)" in err
    code, out, err = run(["explain", "llama-3-1-70b", str(seed_tree), "-n", "other"], capsys)
    assert code == 1 and out == ""
    assert err.splitlines()[0] == (
        "<omegen>: error[service-not-found]: InferenceService other/llama-3-1-70b could not be loaded: its definition has errors (listed with it)"
    )
    assert "services/broken.yaml:14:3: error[unknown-field]" in err


def test_kubeconform_option_does_not_swallow_the_source_directory(seed_tree, capsys):
    code, out, err = run(["validate", "--kubeconform", str(seed_tree)], capsys)
    assert code == 2 and out == ""
    assert "--kubeconform takes the kubeconform executable" in err and "is a directory" in err


def test_runtimes_without_src_lists_the_catalog_alone_not_the_current_directory(tmp_path, capsys, monkeypatch):
    (tmp_path / "rt.yaml").write_text(SEED_RUNTIME.replace("vllm-text-generation", "not-in-the-catalog"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["runtimes"], capsys)
    assert (code, err) == (0, "")
    assert "vllm-llama-3-2-1b" in out and "not-in-the-catalog" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rt.yaml"]
    code, out, _ = run(["runtimes", str(tmp_path)], capsys)
    assert code == 0 and "not-in-the-catalog" in out  # the same runtime is listed when SRC names its directory
