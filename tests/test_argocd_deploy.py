"""What can be checked of the sidecar without a Docker daemon or a cluster: the Dockerfile's
promises (pinned base, user 999, HOME, entrypoint, plugin.yaml in place), that its install command
works in a fresh venv and gives a working plugin, and that the repo-server patch merges (real kubectl)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from argocd_contract import generate, read_env, reset_modes
from omegen import yamlio

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy" / "argocd"
CASE = Path(__file__).resolve().parent / "argocd" / "one-service"


def instructions() -> list[tuple[str, str]]:
    lines = [line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [tuple(line.split(None, 1)) for line in lines]


def only(keyword: str) -> list[str]:
    return [rest for kw, rest in instructions() if kw == keyword]


def test_base_image_is_pinned():
    (base,) = only("FROM")
    name, _, tag = base.partition(":")
    assert "@sha256:" in base or re.fullmatch(r"\d+\.\d+\.\d+(-[a-z0-9-]+)?", tag), f"{base}: pin an exact version"
    assert name == "python"


def test_runs_as_the_repo_server_user_with_a_writable_home():
    assert only("USER") == ["999"], "the last USER is the one the sidecar runs as"
    env = dict(item.split("=", 1) for rest in only("ENV") for item in shlex.split(rest))
    assert env["HOME"] == "/tmp"
    assert instructions()[-1][0] == "ENTRYPOINT"
    assert json.loads(only("ENTRYPOINT")[0]) == ["/var/run/argocd/argocd-cmp-server"]


def test_plugin_yaml_is_copied_where_the_cmp_server_reads_it():
    copies = [shlex.split(rest) for rest in only("COPY")]
    assert ["deploy/argocd/plugin.yaml", "/home/argocd/cmp-server/config/plugin.yaml"] in copies
    assert all(list(REPO.glob(src)) or src.startswith("dist/") for src, _ in copies)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_repo_server_patch_adds_the_sidecar(tmp_path):
    # The shape of argocd-repo-server in Argo CD's install.yaml, reduced to what the patch touches.
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "argocd-repo-server", "namespace": "argocd"},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "argocd-repo-server"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "argocd-repo-server"}},
                "spec": {
                    "containers": [{"name": "argocd-repo-server", "image": "quay.io/argoproj/argocd:v3.2.0"}],
                    "volumes": [{"name": "var-files", "emptyDir": {}}, {"name": "plugins", "emptyDir": {}}],
                },
            },
        },
    }
    (tmp_path / "rs.yaml").write_text(yamlio.dump(deployment))
    done = subprocess.run(
        ["kubectl", "patch", "--local", "-f", "rs.yaml", "--patch-file", str(DEPLOY / "repo-server-patch.yaml"), "-o", "json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    spec = json.loads(done.stdout)["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in spec["containers"]}
    assert set(containers) == {"argocd-repo-server", "omegen"}
    sidecar = containers["omegen"]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999
    assert {m["mountPath"] for m in sidecar["volumeMounts"]} == {"/var/run/argocd", "/home/argocd/cmp-server/plugins", "/tmp"}
    assert {v["name"] for v in spec["volumes"]} == {"var-files", "plugins", "omegen-tmp"}


def test_the_dockerfile_install_command_works_in_a_fresh_venv(tmp_path):
    """The RUN line exactly as written, with the image's /tmp/wheels moved into tmp_path; then the
    installed omegen serves the plugin's generate as the repo server calls it."""
    (run,) = only("RUN")
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(REPO)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    command = run.replace("/tmp/wheels", str(wheels))
    done = subprocess.run(["/bin/sh", "-c", command], env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not wheels.exists(), "the RUN line cleans up after itself"

    app = tmp_path / "app"
    shutil.copytree(CASE / "app", app)
    reset_modes(app)
    env = {**read_env(CASE / "env.txt"), "PATH": f"{venv / 'bin'}:/usr/bin:/bin"}
    # No network at run time: in a network namespace of its own (only a down loopback) when the
    # machine allows one.
    isolated = shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
    served = generate(app, env, tmp_path / "home", path=env["PATH"], wrap=("unshare", "-rn") if isolated else ())
    assert (served.returncode, served.stderr) == (0, (CASE / "stderr.txt").read_bytes())  # the summary line alone
    assert served.stdout == (CASE / "expected.yaml").read_bytes()
