"""The Argo CD plugin (deploy/argocd/), run as the repo server runs it.

Each case under tests/argocd/<name>/ is an app directory (`app/`), the environment Argo CD gives it
(`env.txt`), and either `expected.yaml` (the exact stdout) with `stderr.txt` (the warnings, then the
summary line, which Argo CD keeps in the sidecar's log) or `errors.txt` (the exact stderr of a
failed generate, which must print nothing on stdout and no summary line).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from omegen import pipeline
from argocd_contract import check_out, discovers, generate, read_env, split

CASES = Path(__file__).resolve().parent / "argocd"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "app").is_dir() or (p / "repo").is_dir())


def run_case(name: str, tmp_path: Path):
    app = check_out(CASES / name, tmp_path)
    return app, generate(app, read_env(CASES / name / "env.txt"), tmp_path / "home")


@pytest.mark.parametrize("name", NAMES)
def test_generate_as_the_repo_server_runs_it(name, tmp_path):
    case = CASES / name
    app, done = run_case(name, tmp_path)
    assert discovers(app), "plugin.yaml's discovery finds the app by its omegen.yaml"
    stderr = done.stderr.decode("utf-8").replace(str(tmp_path), "<tmp>")  # an absolute path, named in a message
    if (case / "errors.txt").exists():
        assert done.returncode == 1
        assert done.stdout == b"", "a failed generate prints nothing Argo CD could apply"
        assert stderr == (case / "errors.txt").read_text(encoding="utf-8")
        return
    assert done.returncode == 0, stderr
    assert stderr == ((case / "stderr.txt").read_text(encoding="utf-8") if (case / "stderr.txt").exists() else "")
    assert done.stdout.decode("utf-8") == (case / "expected.yaml").read_text(encoding="utf-8")
    objects = split(done.stdout)
    assert objects and all({"apiVersion", "kind"} <= set(o) and o["metadata"]["name"] for o in objects)
    assert not any(o["kind"].endswith("List") for o in objects)
    # What Argo CD applies is exactly what `omegen build` renders for the same directory.
    build = pipeline.build(app, root=app.parents[1])  # every app sits at <repo>/apps/<name>
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [(r.kind, r.name) for r in build.objects]


def test_discovery_ignores_a_directory_without_omegen_yaml(tmp_path):
    (tmp_path / "chat.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert not discovers(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "omegen.yaml").write_text("{}\n")
    assert not discovers(tmp_path), "only the app's own directory counts"


def test_split_unpacks_lists_as_argo_cd_does():
    stream = b"---\nnull\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: b}}\n"
    assert [o["metadata"]["name"] for o in split(stream)] == ["a", "b"]


def test_the_plugin_never_allows_an_empty_stream():
    text = (Path(__file__).resolve().parents[1] / "deploy" / "argocd" / "plugin.yaml").read_text()
    assert "--allow-empty" not in text.split("command:")[1].splitlines()[0]
