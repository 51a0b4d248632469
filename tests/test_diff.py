"""`omegen diff BASE [SRC]`: the impact of a change on the quickstart, through the real command."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from omegen.commands import main

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "examples" / "quickstart"


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def omegen_diff(capsys, monkeypatch):
    """`omegen diff ARGS` in this process (the schema caches stay warm), optionally in `cwd`."""

    def run(*args, cwd=None) -> Done:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        with pytest.raises(SystemExit) as exited:
            main.main(["diff", *args])
        captured = capsys.readouterr()
        return Done(exited.value.code, captured.out, captured.err)

    return run


@pytest.fixture
def report(omegen_diff):
    def run(*args, cwd=None) -> dict:
        done = omegen_diff(*args, "--format", "json", cwd=cwd)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run




@pytest.fixture
def changed(tmp_path) -> Path:
    """The quickstart with team-b's own runtime removed (faq-bot falls back to the catalog's) and
    embeddings scaled from 2 to 3 replicas."""
    src = tmp_path / "src"
    shutil.copytree(QUICKSTART, src)
    (src / "team-b" / "runtimes" / "vllm-llama-3-2-1b.yaml").unlink()
    path = src / "team-a" / "embeddings.yaml"
    path.write_text(path.read_text().replace("minReplicas: 2", "minReplicas: 3").replace("maxReplicas: 2", "maxReplicas: 3"))
    return src


def service(data: dict, name: str) -> dict:
    (found,) = [s for s in data["services"] if s["name"] == name]
    return found


def test_no_change(tmp_path, omegen_diff, report):
    src = tmp_path / "src"
    shutil.copytree(QUICKSTART, src)
    done = omegen_diff(str(QUICKSTART), str(src), "--exit-code")
    assert done.returncode == 0, done.stderr
    assert "no change: the rendered output is identical" in done.stdout
    data = report(str(QUICKSTART), str(src))
    assert data["changed"] is False and {s["status"] for s in data["services"]} == {"unchanged"}


def test_runtime_change_with_its_rules_image_replicas_and_gpu_restart(changed, omegen_diff, report):
    data = report(str(QUICKSTART), str(changed))
    faq = service(data, "faq-bot")
    assert faq["status"] == "changed"
    assert faq["runtime"] == {"before": "ServingRuntime team-b/vllm-llama-3-2-1b", "after": "ClusterServingRuntime vllm-llama-3-2-1b"}
    assert faq["decidedBy"] == {"before": "scope", "after": "only-candidate"}
    assert any(c.startswith("image of faq-bot-engine/ome-container: ") for c in faq["changes"])
    assert faq["restarts"] == faq["gpuRestarts"] == ["Deployment faq-bot-engine"]
    embeddings = service(data, "embeddings")
    assert embeddings["changes"] == ["replicas of embeddings-engine: 2 → 3"]
    assert embeddings["restarts"] == [], "scaling does not restart pods"
    assert {s["name"] for s in data["services"] if s["status"] == "unchanged"} == {
        "chat-assistant", "llama-405b", "smollm-playground", "autocomplete", "deepseek"
    }
    assert "Deployment team-a/embeddings-engine" in data["objects"]["modified"]
    assert data["objects"]["added"] == data["objects"]["removed"] == []
    assert "-  replicas: 2" in data["diff"] and "+  replicas: 3" in data["diff"]


def test_exit_code_only_when_asked(changed, omegen_diff, report):
    assert omegen_diff(str(QUICKSTART), str(changed)).returncode == 0
    assert omegen_diff(str(QUICKSTART), str(changed), "--exit-code").returncode == 1


def test_services_and_objects_that_appear_and_go(tmp_path, omegen_diff, report):
    src = tmp_path / "src"
    shutil.copytree(QUICKSTART, src)
    (src / "team-a" / "smollm-playground.yaml").unlink()
    data = report(str(QUICKSTART), str(src))
    assert service(data, "smollm-playground")["status"] == "removed"
    assert "Deployment team-a/smollm-playground-engine" in data["objects"]["removed"]
    back = report(str(src), str(QUICKSTART))
    assert service(back, "smollm-playground")["status"] == "added"
    assert "Deployment team-a/smollm-playground-engine" in back["objects"]["added"]


def test_the_unified_diff_is_bounded(changed, omegen_diff, report):
    data = report(str(QUICKSTART), str(changed), "--max-lines", "10")
    assert len(data["diff"]) == 10 and data["diffOmittedLines"] > 0
    done = omegen_diff(str(QUICKSTART), str(changed), "--max-lines", "10")
    assert f"... {data['diffOmittedLines']} more diff lines not shown" in done.stdout


def test_markdown_is_a_table_for_a_pull_request(changed, omegen_diff, report):
    done = omegen_diff(str(QUICKSTART), str(changed), "--format", "markdown")
    assert done.returncode == 0
    assert "| service | change | runtime (deciding rule) | pods restart |" in done.stdout
    assert "| `team-b/faq-bot` | changed: image of faq-bot-engine/ome-container:" in done.stdout
    assert "**ClusterServingRuntime vllm-llama-3-2-1b** (only-candidate) | Deployment faq-bot-engine **GPU** |" in done.stdout
    assert "```diff" in done.stdout


def test_base_that_does_not_build_is_reported_with_its_errors(tmp_path, omegen_diff, report):
    base = tmp_path / "base"
    shutil.copytree(QUICKSTART, base)
    (base / "team-a" / "broken.yaml").write_text("apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: broken}\nspec:\n  model: {name: nope}\n")
    done = omegen_diff(str(base), str(QUICKSTART))
    assert done.returncode == 0
    assert "does not build; its errors:" in done.stdout
    assert "team-a/broken.yaml:5:11: error[model-not-found]" in done.stdout
    assert omegen_diff(str(base), str(QUICKSTART), "--exit-code").returncode == 1


def test_src_that_does_not_build_fails_and_prints_no_report(tmp_path, omegen_diff, report):
    src = tmp_path / "src"
    shutil.copytree(QUICKSTART, src)
    (src / "team-a" / "broken.yaml").write_text("apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: broken}\nspec:\n  model: {name: nope}\n")
    done = omegen_diff(str(QUICKSTART), str(src))
    assert (done.returncode, done.stdout) == (1, "")
    assert "broken.yaml:5:11: error[model-not-found]" in done.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_base_as_a_git_revision_is_built_from_a_temporary_checkout(tmp_path, changed, omegen_diff, report):
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo / "platform")

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    shutil.rmtree(repo / "platform")
    shutil.copytree(changed, repo / "platform")
    (repo / "platform" / "untracked.txt").write_text("the work tree is the SRC side\n")
    data = report("HEAD", "platform", cwd=repo)
    assert data["base"].startswith("HEAD (")
    assert service(data, "faq-bot")["runtime"]["before"] == "ServingRuntime team-b/vllm-llama-3-2-1b"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert "untracked.txt" in status, "the work tree is left as it was"
    missing = omegen_diff("no-such-revision", "platform", cwd=repo)
    assert missing.returncode == 2
    assert "'no-such-revision' is neither a directory nor a git revision" in missing.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_an_overlay_at_a_git_revision_finds_its_base_in_the_checkout(tmp_path, omegen_diff, report):
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo / "base")
    overlay = repo / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "omegen.yaml").write_text(
        "apiVersion: omegen.io/v1alpha1\nkind: Omegen\nmetadata:\n  name: prod\n  annotations:\n"
        '    config.kubernetes.io/local-config: "true"\nresources:\n  - ../../base\ncommonLabels:\n  env: prod\n'
    )
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base"], cwd=repo, check=True)
    (overlay / "omegen.yaml").write_text((overlay / "omegen.yaml").read_text().replace("env: prod", "env: production"))
    data = report("HEAD", "overlays/prod", cwd=repo)
    assert data["baseErrors"] == []
    assert len(data["objects"]["modified"]) > 0 and data["objects"]["added"] == []
