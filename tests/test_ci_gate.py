"""The CI gate users copy: docs/ci.md's workflow steps run as GitHub would run them (in a clone with
origin/<base>), the pre-commit hooks' commands, and the Flux example over the rendered tree."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from omegen import pipeline, yamlio

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "examples" / "quickstart"
BIN = str(Path(sys.executable).parent)
git_missing = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def workflow() -> dict:
    text = (REPO / "docs" / "ci.md").read_text()
    block = re.search(r"```yaml\n(# \.github/workflows/omegen\.yml\n.*?)```", text, re.S).group(1)
    (doc,) = yamlio.load_documents(block)
    return doc.data


def git(cwd: Path, *args) -> str:
    done = subprocess.run(["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def omegen(cwd: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([f"{BIN}/omegen", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def pull_request(tmp_path) -> Path:
    """A platform repository (the quickstart plus its committed rendered/) on main, cloned, with a
    pull-request branch checked out."""
    origin = tmp_path / "origin"
    shutil.copytree(QUICKSTART, origin)
    git(origin, "init", "-q", "-b", "main")
    assert omegen(origin, "build", ".", "-o", "rendered").returncode == 0
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "platform")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "-b", "pr")
    return clone


def run_steps(clone: Path, summary: Path) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}", "GITHUB_BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(summary)}
    steps = [s for s in workflow()["jobs"]["render"]["steps"] if "run" in s and not s["name"].startswith("Install")]
    assert [s["name"] for s in steps] == ["Rendered tree is up to date", "Impact of this change"]
    return [subprocess.run(["bash", "-e", "-c", s["run"]], cwd=clone, env=env, capture_output=True, text=True, timeout=300) for s in steps]


def scale_embeddings(root: Path) -> None:
    path = root / "team-a" / "embeddings.yaml"
    path.write_text(path.read_text().replace("minReplicas: 2", "minReplicas: 3").replace("maxReplicas: 2", "maxReplicas: 3"))


@git_missing
def test_workflow_passes_a_rendered_change_and_summarises_its_impact(pull_request, tmp_path):
    scale_embeddings(pull_request)
    assert omegen(pull_request, "build", ".", "-o", "rendered").returncode == 0
    git(pull_request, "commit", "-qam", "scale embeddings")
    check, impact = run_steps(pull_request, tmp_path / "summary.md")
    assert check.returncode == 0, check.stderr
    assert impact.returncode == 0, impact.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### omegen diff: `origin/main (")
    assert "| `team-a/embeddings` | changed: replicas of embeddings-engine: 2 → 3 |" in summary


@git_missing
def test_workflow_fails_on_a_stale_tree_with_an_annotation_and_writes_nothing(pull_request, tmp_path):
    scale_embeddings(pull_request)  # the source changed, rendered/ was not re-rendered
    git(pull_request, "commit", "-qam", "forgot to render")
    before = {p: p.read_bytes() for p in (pull_request / "rendered").rglob("*") if p.is_file()}
    check, impact = run_steps(pull_request, tmp_path / "summary.md")
    assert check.returncode == 1
    assert "::error file=" in check.stderr and "title=stale-output::" in check.stderr
    assert {p: p.read_bytes() for p in (pull_request / "rendered").rglob("*") if p.is_file()} == before
    assert impact.returncode == 0, "the report still runs (if: always()) and never fails the job"


def hook(hook_id: str) -> list[str]:
    (doc,) = yamlio.load_documents((REPO / ".pre-commit-hooks.yaml").read_text())
    (found,) = [h for h in doc.data if h["id"] == hook_id]
    assert found["pass_filenames"] is False and found["language"] == "python"
    return shlex.split(found["entry"]) + found.get("args", [])


def test_pre_commit_hooks_render_then_check(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(QUICKSTART, root)
    check, build = hook("omegen-check"), hook("omegen-build")
    assert omegen(root, *check[1:]).returncode == 1, "nothing rendered yet"
    assert not (root / "rendered").exists()
    assert omegen(root, *build[1:]).returncode == 0
    assert omegen(root, *check[1:]).returncode == 0
    scale_embeddings(root)
    stale = omegen(root, *check[1:])
    assert stale.returncode == 1 and "rendered/team-a/embeddings.yaml is not up to date" in stale.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_flux_example_points_at_a_tree_kustomize_builds(tmp_path):
    docs = [d.data for d in yamlio.load_documents((REPO / "deploy" / "flux" / "kustomizations.yaml").read_text())]
    serving = next(d for d in docs if d["metadata"]["name"] == "model-serving")
    assert serving["spec"]["path"] == "./rendered" and serving["spec"]["prune"] is True
    assert serving["spec"]["dependsOn"] == [{"name": "lws"}]
    (source,) = [d.data for d in yamlio.load_documents((REPO / "deploy" / "flux" / "gitrepository.yaml").read_text())]
    assert serving["spec"]["sourceRef"] == {"kind": "GitRepository", "name": source["metadata"]["name"]}
    # What kustomize-controller does with the path: kustomize build (plugins refused, none needed).
    out = tmp_path / "rendered"
    assert omegen(tmp_path, "build", str(QUICKSTART), "-o", str(out)).returncode == 0
    done = subprocess.run(["kubectl", "kustomize", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    key = lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])  # noqa: E731
    got = sorted((d.data for d in yamlio.load_documents(done.stdout, positions=False)), key=key)
    assert got == sorted((r.obj for r in pipeline.build(QUICKSTART).objects), key=key)
