"""The output tree under faults, with real processes and real signals: SIGKILL, SIGTERM and SIGINT
at known instants of an `-o` build (emit/transaction's OMEGEN_TEST_PAUSE hook), two builds of one
OUT at once, and a stdout that cannot take the output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from conftest import REPO, write_tree
from hostile_corpus import BASE, OME_SERVICE


def services(names, replicas=2) -> str:
    return "---\n".join(
        OME_SERVICE.replace("  name: chat\n", f"  name: {name}\n").replace("maxReplicas: 2", f"maxReplicas: {replicas}") for name in names
    )


_STARTED: list = []


@pytest.fixture(autouse=True)
def _no_process_left():
    # A paused build waits for its release file forever: whatever a failed assertion left is killed.
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


def _default_sigint() -> None:
    # A shell's background job (`cmd &`) ignores SIGINT, its children inherit that, and Python then
    # installs no KeyboardInterrupt handler: the SIGINT cases would hang. Give the build the
    # disposition a terminal gives it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def omegen(*args, env=None, **kwargs):
    process = subprocess.Popen(
        [sys.executable, "-m", "omegen", *map(str, args)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
        **kwargs,
    )
    _STARTED.append(process)
    return process


def run(*args, env=None):
    process = omegen(*args, env=env)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def snapshot(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def trees(tmp_path):
    """(src, OUT holding the old tree, the old tree's files, the new tree's files): the new sources
    change two services, drop one and add one."""
    src = write_tree(tmp_path / "src", {**BASE, "isvc.yaml": services(["a", "b", "c"])})
    out = tmp_path / "out"
    assert run("build", src, "-o", out)[0] == 0
    old = snapshot(out)
    (src / "isvc.yaml").write_text(services(["a", "b", "d"], replicas=3))
    fresh = tmp_path / "fresh"
    assert run("build", src, "-o", fresh)[0] == 0
    return src, out, old, snapshot(fresh)


def paused(src, out, release, at):
    """A build of src into out, stopped at `at` ("stage:1", "rename:2") until `release` exists."""
    process = omegen("build", src, "-o", out, env={"OMEGEN_TEST_PAUSE": f"{at}:{release}"})
    line = process.stderr.readline()
    assert line.startswith("omegen-test: paused after"), line + process.stderr.read()
    return process


@pytest.mark.parametrize("at", ["rename:1", "rename:4"])
def test_sigkill_while_renaming_then_the_next_run_completes_the_new_tree(trees, tmp_path, at):
    src, out, old, new = trees
    process = paused(src, out, tmp_path / "never", at)
    process.kill()
    process.wait()
    assert snapshot(out) not in (old, new)  # the mix a reader could see before: now journalled
    code, _, err = run("build", src, "-o", out, "--check")
    assert code == 1 and "is half-updated by an interrupted build" in err
    code, _, err = run("build", src, "-o", out)
    assert code == 0, err
    assert "warning[output-recovered]: completed the update" in err
    assert snapshot(out) == new


def test_sigkill_while_staging_leaves_the_old_tree_and_the_next_run_cleans_up(trees, tmp_path):
    src, out, old, new = trees
    process = paused(src, out, tmp_path / "never", "stage:2")
    process.kill()
    process.wait()
    left = snapshot(out)
    assert {k: v for k, v in left.items() if not k.endswith(".tmp")} == old
    assert any(k.endswith(".tmp") for k in left)
    code, _, err = run("build", src, "-o", out, "--check")
    assert code == 1 and "is a temporary file an interrupted build left" in err
    code, _, err = run("build", src, "-o", out)
    assert code == 0 and "warning[output-recovered]: removed 2 temporary file(s)" in err
    assert snapshot(out) == new


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_or_sigint_while_staging_leaves_the_old_tree(trees, tmp_path, signum, code):
    src, out, old, _ = trees
    process = paused(src, out, tmp_path / "never", "stage:2")
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert snapshot(out) == old  # no temporary file either


def test_sigterm_while_renaming_finishes_the_new_tree_then_exits_143(trees, tmp_path):
    src, out, _, new = trees
    release = tmp_path / "release"
    process = paused(src, out, release, "rename:2")
    process.send_signal(signal.SIGTERM)
    release.touch()  # the signal waits for the renames
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and "omegen: terminated" in err
    assert snapshot(out) == new


def test_a_second_build_of_the_same_out_fails_at_once(trees, tmp_path):
    src, out, old, new = trees
    release = tmp_path / "release"
    first = paused(src, out, release, "stage:1")
    code, _, err = run("build", src, "-o", out)
    assert code == 1 and "error[output-locked]: another omegen build is writing" in err
    release.touch()
    first.communicate(timeout=60)
    assert first.returncode == 0
    assert snapshot(out) == new
    assert not list(tmp_path.glob("*.lock")) and not list(out.rglob("*.lock")), "no lock file in or beside OUT"


def test_a_forged_journal_is_not_obeyed(trees):
    # OUT is shared with whoever can push to it: a journal omegen did not write must not make it
    # rename or delete anything outside its own files.
    src, out, _, _ = trees
    victim = out / "keep.txt"
    victim.write_text("mine\n")
    (out / ".omegen-journal.json").write_text('{"rename": [["keep.txt", "kustomization.yaml"]], "remove": ["../x"]}')
    code, _, err = run("build", src, "-o", out)
    assert code == 1 and "error[output-error]" in err
    assert victim.read_text() == "mine\n"


@pytest.mark.parametrize(
    "shell, expected",
    [
        ("exec 1>/dev/full; exec {python} -m omegen build {src}", "cannot write the output to stdout: No space left on device"),
        ("exec 1>&-; exec {python} -m omegen build {src}", "cannot write the output to stdout: stdout is closed"),
        ("ulimit -f 1; exec {python} -m omegen build {src} > {tmp}/limited.yaml", "cannot write the output to stdout: File too large"),
    ],
    ids=["dev-full", "closed", "file-size-limit"],
)
def test_a_stdout_that_cannot_take_the_output_is_exit_1(tmp_path, shell, expected):
    src = write_tree(tmp_path / "src", {**BASE, "isvc.yaml": services(["a", "b", "c"])})
    command = shell.format(python=sys.executable, src=src, tmp=tmp_path)
    done = subprocess.run(["bash", "-c", command], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"omegen: {expected}" in done.stderr.splitlines(), done.stderr


def test_a_reader_that_goes_away_is_exit_0(tmp_path):
    src = write_tree(tmp_path / "src", {**BASE, "isvc.yaml": services(["a", "b", "c"])})
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m omegen build {src} | head -c 10"], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "internal error" not in done.stderr and "cannot write" not in done.stderr, done.stderr


def test_a_users_file_named_like_a_temporary_one_is_left_alone(trees):
    src, out, _, new = trees
    theirs = out / "default" / ".notes.yaml.0123abcd.tmp"
    theirs.write_text("my notes\n")
    code, _, err = run("build", src, "-o", out)
    assert code == 0, err
    assert theirs.read_text() == "my notes\n" and "output-recovered" not in err
