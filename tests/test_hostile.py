"""The hostile corpus (tests/hostile_corpus.py): every case exits 0 or 1 with its diagnostic, never
3 (an internal error), never hanging."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, write_tree
from hostile_corpus import BASE, CASES, OME_SERVICE
from omegen.commands import main as cli
from omegen.kube import names
from omegen.render import templatevars


def build(root, capsys, *args):
    with pytest.raises(SystemExit) as exited:
        cli.main(["build", str(root), *args])
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


@pytest.mark.parametrize("files, code, expected", [pytest.param(f, c, e, id=i) for i, f, c, e in CASES])
def test_hostile_case(tmp_path, capsys, files, code, expected):
    root = write_tree(tmp_path / "src", {rel: text for rel, text in {**BASE, **files}.items() if text is not None})
    got, out, err = build(root, capsys)
    assert (got, expected in (err if code else out + err)) == (code, True), err[:2000]
    assert "internal error" not in err


def test_corpus_ids_are_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


# The regular expression templatevars used before it was made linear: the reference its
# replacement must agree with, on every text (hypothesis below), and that took 55 s on 2,000 spaces.
_OLD_ACTION = re.compile(r"\{\{(-[ \t\r\n])?\s*(.*?)\s*([ \t\r\n]-)?\}\}", re.DOTALL)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(["{", "}", "-", " ", "\n", "\t", ".", "N", "x"]), max_size=40))
def test_template_actions_are_found_as_the_regular_expression_found_them(text):
    expected = [(m.start(), m.end(), bool(m.group(1)), m.group(2), bool(m.group(3))) for m in _OLD_ACTION.finditer(text)]
    assert list(templatevars._actions(text)) == expected


def test_an_unclosed_action_on_a_long_line_is_linear():
    # 200,000 spaces after `{{`: cubic would never finish; linear takes milliseconds.
    text = "{{" + " " * 200_000
    assert templatevars.substitute_text(text, {}) == text
    # As before: the action runs from the first `{{` to the first `}}`, and is not a placeholder.
    text = "{{" * 100_000 + " .Name }}"
    assert templatevars.substitute_text(text, {"Name": "n"}) == text


def test_template_amplification_is_bounded_by_the_output_limit(tmp_path, capsys, monkeypatch):
    # One annotation repeated in every object of every service: the whole output is capped (64 MiB
    # by default; lowered here so that the test stays small).
    from omegen.validate import sizes

    monkeypatch.setattr(sizes, "MAX_OUTPUT_BYTES", 200_000)
    services = "---\n".join(
        OME_SERVICE.replace("  name: chat\n", f"  name: chat-{i}\n  annotations: {{big: {'x' * 20_000}}}\n") for i in range(3)
    )
    root = write_tree(tmp_path / "src", {**BASE, "isvc.yaml": services})
    code, out, err = build(root, capsys)
    assert (code, out) == (1, "")
    assert "<omegen>: error[output-too-large]: the output would be " in err
    assert "the largest services: default/chat-0 (" in err


# --- sources that must not be lost -----------------------------------------------------------------

def _tree_and_out(tmp_path, capsys):
    root = write_tree(tmp_path / "src", {k: v for k, v in BASE.items() if k != "isvc.yaml"} | {"team/isvc.yaml": BASE["isvc.yaml"]})
    out = tmp_path / "out"
    assert build(root, capsys, "-o", str(out))[0] == 0
    return root, out


def _snapshot(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_an_unlistable_directory_is_an_error_and_out_is_kept(tmp_path, capsys, monkeypatch):
    # Fault injection (root reads every directory): os.walk's scandir fails for team/.
    root, out = _tree_and_out(tmp_path, capsys)
    before = _snapshot(out)
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("/team"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, _, err = build(root, capsys, "-o", str(out))
    assert code == 1
    assert "team: error[unreadable-directory]: cannot read directory: Permission denied" in err
    assert _snapshot(out) == before, "OUT is not touched when sources could not be read"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv to drop CAP_DAC_OVERRIDE")
def test_an_unreadable_directory_for_real(tmp_path, capsys):
    # Root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH is held to the permission bits, like any user.
    root, out = _tree_and_out(tmp_path, capsys)
    before = _snapshot(out)
    (root / "team").chmod(0)
    try:
        done = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search",
             sys.executable, "-m", "omegen", "build", str(root), "-o", str(out)],
            capture_output=True, text=True, timeout=120, cwd=REPO,
        )
    finally:
        (root / "team").chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert "team: error[unreadable-directory]: cannot read directory: Permission denied" in done.stderr
    assert _snapshot(out) == before


def test_output_inside_a_source_directory_is_an_error(tmp_path, capsys):
    root = write_tree(tmp_path / "src", {k: v for k, v in BASE.items() if k != "isvc.yaml"} | {"team/isvc.yaml": BASE["isvc.yaml"]})
    code, _, err = build(root, capsys, "-o", str(root / "team"))
    assert code == 1
    assert "team: error[output-in-sources]: the output directory is inside the source tree and holds source files (team/isvc.yaml)" in err
    assert sorted(p.name for p in (root / "team").iterdir()) == ["isvc.yaml"], "nothing written"


def test_output_inside_the_source_tree_is_allowed_as_a_directory_of_its_own(tmp_path, capsys):
    root = write_tree(tmp_path / "src", BASE)
    for run in range(2):  # the second build finds its own files there, and still builds
        code, _, err = build(root, capsys, "-o", str(root / "deploy"), "-v")
        assert code == 0, err
        assert run == 0 or "deploy: info[output-in-sources]: the output directory is inside the source tree; it is not read as sources" in err
    assert (root / "deploy" / "kustomization.yaml").is_file()


def test_a_sparse_giant_omegen_yaml_is_refused_before_it_is_read(tmp_path, capsys):
    root = write_tree(tmp_path / "src", BASE)
    with (root / "omegen.yaml").open("r+b") as handle:
        handle.truncate(1 << 30)  # 1 GiB of holes: reading it whole would take a GiB of memory
    code, _, err = build(root, capsys)
    assert code == 1
    assert "omegen.yaml:1:1: error[yaml-limit]: file is larger than 16 MiB" in err


def test_a_config_symlink_out_of_the_tree_is_not_followed(tmp_path, capsys):
    outside = tmp_path / "outside.yaml"
    outside.write_text(BASE["omegen.yaml"] + "namespace: secret-namespace-name\n")
    root = write_tree(tmp_path / "src", {k: v for k, v in BASE.items() if k != "omegen.yaml"})
    (root / "omegen.yaml").symlink_to(outside)
    code, out, err = build(root, capsys, "--no-builtin-runtimes")
    assert "omegen.yaml: warning[symlink-outside]" in err and "not followed" in err
    assert "secret-namespace-name" not in out + err


def test_a_huge_config_value_is_quoted_short(tmp_path, capsys):
    # A 100,000-character version string: the diagnostic quotes a short prefix, on one line.
    root = write_tree(tmp_path / "src", {**BASE, "omegen.yaml": BASE["omegen.yaml"] + 'kubernetesVersion: "1.' + "9" * 100_000 + '"\n'})
    code, _, err = build(root, capsys)
    assert code == 1 and "error[" in err
    assert max(len(line) for line in err.splitlines()) < 1000


# --- the API server's rules at their boundaries ------------------------------------------------------

@pytest.mark.parametrize(
    "check, value, ok",
    [
        (names.label_value_problem, "a" * 63, True),
        (names.label_value_problem, "a" * 64, False),
        (names.label_value_problem, "a\n", False),
        (names.label_value_problem, "", True),
        (names.label_key_problem, "example.com/" + "k" * 63, True),
        (names.label_key_problem, "example.com/" + "k" * 64, False),
        (names.label_key_problem, "k\n", False),
        (lambda v: names.name_problem(v, names.DNS1123_LABEL), "a" * 63, True),
        (lambda v: names.name_problem(v, names.DNS1123_LABEL), "a" * 64, False),
        (lambda v: names.name_problem(v, names.DNS1123_LABEL), "team-a\n", False),
        (lambda v: names.name_problem(v, names.DNS1123_SUBDOMAIN), "a." * 126 + "a", True),
        (lambda v: names.name_problem(v, names.DNS1123_SUBDOMAIN), "a.b\n", False),
        (lambda v: names.name_problem(v, names.DNS1035_LABEL), "chat\n", False),
        (names.port_name_problem, "http\n", False),
        (names.port_name_problem, "h" * 15, True),
        (names.annotations_problem, {"k": "v" * (256 * 1024 - 1)}, True),
        (names.annotations_problem, {"k": "v" * (256 * 1024)}, False),
    ],
)
def test_name_rules_at_their_boundaries(check, value, ok):
    assert (check(value) is None) is ok


@pytest.mark.parametrize("replicas, ok", [(2147483647, True), (2147483648, False)])
def test_replica_count_at_the_int32_boundary(tmp_path, capsys, replicas, ok):
    from hostile_corpus import service_engine

    root = write_tree(tmp_path / "src", {**BASE, **service_engine(f"{{minReplicas: {replicas}, maxReplicas: {replicas}}}")})
    code, _, err = build(root, capsys)
    assert ("spec.engine.minReplicas: expected integer <= 2147483647" in err) is not ok
    assert "internal error" not in err and code in (0, 1)


def test_output_into_the_source_tree_itself_is_an_error(tmp_path, capsys):
    root = write_tree(tmp_path / "src", BASE)
    before = sorted(p.name for p in root.iterdir())
    code, _, err = build(root, capsys, "-o", str(root))
    assert code == 1 and ".: error[output-in-sources]: the output directory is the source tree itself" in err
    assert sorted(p.name for p in root.iterdir()) == before
