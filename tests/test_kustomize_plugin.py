"""`omegen kustomize-plugin`: installed where kubectl kustomize looks, and run by the real
`kubectl kustomize --enable-alpha-plugins` with `omegen.yaml` listed under `generators:`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from omegen import pipeline, yamlio

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "examples" / "quickstart"
OMEGEN = str(Path(sys.executable).parent / "omegen")
kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def install(env: dict, *args) -> Path:
    done = subprocess.run([OMEGEN, "kustomize-plugin", "install", *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def clean_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("KUSTOMIZE_PLUGIN_HOME", "XDG_CONFIG_HOME")}
    return {**env, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}


def app(tmp_path: Path, source: Path = QUICKSTART) -> Path:
    root = tmp_path / "app"
    shutil.copytree(source, root)
    (root / "kustomization.yaml").write_text("generators:\n- omegen.yaml\n")
    return root


def kustomize(root: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", str(root)], env=env, capture_output=True, text=True, timeout=300)


def key(obj: dict) -> tuple:
    return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def test_install_puts_an_executable_where_kustomize_looks(tmp_path):
    env = clean_env(tmp_path)
    target = install(env)
    assert target == tmp_path / "xdg" / "kustomize" / "plugin" / "omegen.io" / "v1alpha1" / "omegen" / "Omegen"
    assert target.stat().st_mode & stat.S_IXUSR
    assert install(env, str(tmp_path / "elsewhere")) == tmp_path / "elsewhere" / "omegen.io" / "v1alpha1" / "omegen" / "Omegen"
    del env["XDG_CONFIG_HOME"]
    assert install(env) == tmp_path / "home" / ".config" / "kustomize" / "plugin" / "omegen.io" / "v1alpha1" / "omegen" / "Omegen"


@kubectl
def test_kubectl_kustomize_renders_the_same_workloads_as_omegen_build(tmp_path):
    env = clean_env(tmp_path)
    install(env)
    root = app(tmp_path)
    done = kustomize(root, env)
    assert done.returncode == 0, done.stderr
    got = sorted((d.data for d in yamlio.load_documents(done.stdout, positions=False)), key=key)
    expected = sorted((r.obj for r in pipeline.build(QUICKSTART).objects), key=key)
    assert got == expected
    assert sum(o["kind"] in ("Deployment", "LeaderWorkerSet") for o in got) == 7, "every quickstart service has its workload"


@kubectl
def test_a_source_error_fails_kustomize_with_omegens_message_and_no_output(tmp_path):
    env = clean_env(tmp_path)
    install(env)
    root = app(tmp_path)
    (root / "broken.yaml").write_text(
        "apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: broken}\nspec:\n  model: {name: no-such-model}\n"
    )
    done = kustomize(root, env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "broken.yaml:5:11: error[model-not-found]: model no-such-model not found" in done.stderr


@kubectl
def test_a_generator_config_from_another_directory_is_refused(tmp_path):
    env = clean_env(tmp_path)
    install(env)
    root = app(tmp_path)
    other = tmp_path / "app" / "other"
    other.mkdir()
    config = (root / "omegen.yaml").read_text().replace("defaultNamespace: team-a", "defaultNamespace: team-z")
    (other / "omegen.yaml").write_text(config)
    (root / "kustomization.yaml").write_text("generators:\n- other/omegen.yaml\n")
    done = kustomize(root, env)
    assert done.returncode == 1 and done.stdout == ""
    assert "the generator config is not this kustomization directory's omegen.yaml" in done.stderr


@kubectl
def test_kubectl_apply_k_cannot_run_the_plugin(tmp_path):
    # Why the README says to pipe `kubectl kustomize --enable-alpha-plugins` into `kubectl apply -f -`.
    env = clean_env(tmp_path)
    install(env)
    root = app(tmp_path)
    done = subprocess.run(
        ["kubectl", "apply", "--dry-run=client", "-k", str(root)], env={**env, "KUBECONFIG": str(tmp_path / "none")},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode != 0
    assert "external plugins disabled" in done.stderr
