"""Nothing is dropped in silence (issue 10): a document meant for OME under a wrong apiVersion, an
empty source tree, and a build that would remove most of OUT are errors, and OUT stays as it was."""

from __future__ import annotations

import pytest

from conftest import run_cli as run, omegen_yaml
from omegen.emit.tree import PRUNE_THRESHOLD
from seed_example import SEED_RUNTIME, SEED_SERVICE
from test_load import MODEL

NO_BUILTIN = omegen_yaml("builtinRuntimes: false\n")


def service(name: str) -> str:
    return SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace", f"name: {name}\n  namespace")


def snapshot(directory):
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def built(tree, tmp_path, capsys):
    """A source tree with four services, built once into OUT."""
    files = {"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME, "m.yaml": MODEL}
    files |= {f"isvc-{n}.yaml": service(f"svc-{n}") for n in range(4)}
    src = tree(files)
    out = tmp_path / "out"
    code, _, err = run(["build", str(src), "-o", str(out)], capsys)
    assert code == 0, err
    return src, out


@pytest.mark.parametrize(
    "api_version, code, text",
    [
        ("ome.io/v1", "unknown-api-version", "apiVersion 'ome.io/v1': OME serves InferenceService only as ome.io/v1beta1 (did you mean ome.io/v1beta1?)"),
        ("ome.io/v1alpha1", "unknown-api-version", "apiVersion 'ome.io/v1alpha1': OME serves InferenceService only as ome.io/v1beta1"),
        ("serving.kserve.io/v1beta1", "wrong-api-group", "apiVersion 'serving.kserve.io/v1beta1': InferenceService is an OME kind, and OME's group is ome.io"),
        ("v1", "wrong-api-group", "apiVersion 'v1': InferenceService is an OME kind"),
    ],
)
def test_a_service_under_a_wrong_api_version_is_an_error_and_out_is_untouched(built, capsys, api_version, code, text):
    src, out = built
    before = snapshot(out)
    path = src / "isvc-3.yaml"
    path.write_text(path.read_text().replace("apiVersion: ome.io/v1beta1", f"apiVersion: {api_version}"))
    status, stdout, err = run(["build", str(src), "-o", str(out)], capsys)
    assert status == 1 and stdout == ""
    assert err.startswith(f"isvc-3.yaml:1:1: error[{code}]: {text}"), err
    assert snapshot(out) == before


def test_an_other_ome_kind_under_another_group_is_an_error(tree):
    from omegen import pipeline

    src = tree({"ftw.yaml": "apiVersion: example.com/v1\nkind: FineTunedWeight\nmetadata: {name: w}\n"})
    diagnostics = pipeline.load(src, builtin=False)[1]
    assert [(d.code, d.line, d.column, d.field) for d in diagnostics] == [("wrong-api-group", 1, 1, "apiVersion")]


def test_an_empty_tree_is_an_error_on_stdout_and_with_out(tree, tmp_path, capsys):
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME})
    code, stdout, err = run(["build", str(src)], capsys)
    assert (code, stdout) == (1, "")
    assert err == (
        f"<omegen>: error[no-services]: no InferenceService found under {src}: the output would be empty, and applied "
        "with pruning it deletes every workload; check SRC, or pass --allow-empty if an empty output is meant\n"
    )
    assert len(err) < 500
    out = tmp_path / "out"
    code, _, err = run(["build", str(src), "-o", str(out)], capsys)
    assert code == 1 and "error[no-services]" in err and not out.exists()


def test_allow_empty_builds_an_empty_stream(tree, capsys):
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME})
    code, stdout, err = run(["build", str(src), "--allow-empty"], capsys)
    assert code == 0 and "no-services" not in err


def test_a_wrong_src_with_out_deletes_nothing(built, tmp_path, capsys):
    _, out = built
    before = snapshot(out)
    wrong = tmp_path / "typo"
    wrong.mkdir()
    code, _, err = run(["build", str(wrong), "-o", str(out)], capsys)
    assert code == 1 and "error[no-services]" in err
    assert snapshot(out) == before


def test_removing_more_than_half_of_out_needs_prune(built, capsys):
    src, out = built
    before = snapshot(out)
    for n in range(1, 4):  # 3 of 4 services gone: more than half
        (src / f"isvc-{n}.yaml").unlink()
    code, _, err = run(["build", str(src), "-o", str(out)], capsys)
    assert code == 1
    line = [l for l in err.splitlines() if "prune-needed" in l]
    assert line == [
        f"{out}: error[prune-needed]: this build would remove 3 of the 4 services in {out} "
        "(llama-3-1-70b/svc-1, llama-3-1-70b/svc-2, llama-3-1-70b/svc-3), more than half; nothing was written. "
        "If that is meant, run it again with --prune"
    ]
    assert snapshot(out) == before
    code, _, err = run(["build", str(src), "-o", str(out), "--prune"], capsys)
    assert code == 0, err
    assert sorted(snapshot(out)) == ["_cluster/llama-3-1-70b.clusterbasemodel.yaml", "kustomization.yaml", "llama-3-1-70b/svc-0.yaml"]


def test_removing_half_of_out_is_routine(built, capsys):
    src, out = built
    assert PRUNE_THRESHOLD == 0.5
    for n in range(2, 4):  # exactly half: a rename or two, not a lost tree
        (src / f"isvc-{n}.yaml").unlink()
    code, _, err = run(["build", str(src), "-o", str(out)], capsys)
    assert code == 0, err
    assert sorted(snapshot(out)) == [
        "_cluster/llama-3-1-70b.clusterbasemodel.yaml",
        "kustomization.yaml",
        "llama-3-1-70b/svc-0.yaml",
        "llama-3-1-70b/svc-1.yaml",
    ]


def test_check_reports_removals_as_stale_without_needing_prune(built, capsys):
    src, out = built
    for n in range(1, 4):
        (src / f"isvc-{n}.yaml").unlink()
    code, _, err = run(["build", str(src), "-o", str(out), "--check"], capsys)
    assert code == 1 and "prune-needed" not in err and err.count("error[stale-output]") == 4
