"""Argo CD's side of the Config Management Plugin contract, as the tests need it.

How the repo server runs a plugin's generate command (argoproj/argo-cd `cmpserver/plugin/plugin.go`):
the command from plugin.yaml, in the application's directory, files at mode 0644, the sidecar's
environment plus the build environment and parameters, no TTY, no stdin. How it reads stdout
(`reposerver/repository/repository.go`, gitops-engine `SplitYAML`): a stream of YAML or JSON
documents, empty and `null` ones skipped, every `kind: List` unpacked into its items.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from omegen import yamlio

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "deploy" / "argocd" / "plugin.yaml"


def plugin() -> dict:
    (doc,) = yamlio.load_documents(PLUGIN.read_text(encoding="utf-8"))
    return doc.data


def discovers(app: Path) -> bool:
    """`spec.discover.fileName`: a Go filepath.Glob evaluated in the app directory."""
    pattern = plugin()["spec"]["discover"]["fileName"]
    return bool(glob.glob(pattern, root_dir=app))


def read_env(path: Path) -> dict:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    return env


def check_out(case: Path, tmp: Path) -> Path:
    """The case's files as the repo server has them; returns the app directory. A case is either
    `app/` (placed at apps/<case>) or a whole `repo/` with the app where `app.txt` says."""
    if (case / "repo").is_dir():
        shutil.copytree(case / "repo", tmp / "repo")
        app = tmp / "repo" / (case / "app.txt").read_text().strip()
    else:
        app = tmp / "repo" / "apps" / case.name
        shutil.copytree(case / "app", app)
    reset_modes(tmp / "repo")
    return app


def reset_modes(app: Path) -> None:
    """The repo server ships files without their modes (preserveFileMode is false)."""
    for directory, _, files in os.walk(app):
        os.chmod(directory, 0o755)
        for name in files:
            os.chmod(Path(directory) / name, 0o644)


def generate(app: Path, env: dict, home: Path, path: str = "", wrap: tuple = ()) -> subprocess.CompletedProcess:
    """`path`: the sidecar's PATH (default: this interpreter's bin directory, where omegen is);
    `wrap`: a command to run it under (e.g. `unshare -rn`, no network)."""
    spec = plugin()["spec"]["generate"]
    argv = list(spec["command"]) + list(spec.get("args", []))
    argv[0] = shutil.which(argv[0], path=path or f"{Path(sys.executable).parent}:/usr/bin:/bin") or argv[0]
    sidecar = {"PATH": path or f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home), "LANG": "C"}
    return subprocess.run(
        [*wrap, *argv],
        cwd=app,
        env={**sidecar, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,  # the repo server's default deadline
    )


def split(stdout: bytes) -> list[dict]:
    """What Argo CD would apply from the stream."""
    objects = []
    for doc in yamlio.load_documents(stdout.decode("utf-8"), positions=False):
        if doc.data is None:
            continue
        assert isinstance(doc.data, dict), f"a document that is not an object: {doc.data!r}"
        if str(doc.data.get("kind", "")).endswith("List") and isinstance(doc.data.get("items"), list):
            objects.extend(doc.data["items"])
        else:
            objects.append(doc.data)
    return objects
