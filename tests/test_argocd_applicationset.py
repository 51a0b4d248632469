"""deploy/argocd/applicationset.yaml: the estate sharded into slices. Every Application it makes is
run through the real `omegen argocd generate`, as the repo server runs it, over an estate laid out
as the file's comment says; together they render exactly the full build, and no object twice."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from argocd_contract import generate, plugin, reset_modes, split
from conftest import write_tree
from omegen import pipeline, yamlio
from omegen.commands.argocd_parameters import PARAMETERS
from test_slices import ESTATE, service

APPSET = Path(__file__).resolve().parents[1] / "deploy" / "argocd" / "applicationset.yaml"
PLACEHOLDER = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


def appset() -> dict:
    (doc,) = yamlio.load_documents(APPSET.read_text(encoding="utf-8"))
    return doc.data


def models_overlay() -> str:
    """The overlays/models/omegen.yaml the file's comment shows (so the comment cannot go stale)."""
    lines = APPSET.read_text(encoding="utf-8").splitlines()
    start = lines.index("#   apiVersion: omegen.io/v1alpha1")
    block = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        block.append(line[len("#   "):])
    return "\n".join(block) + "\n"


def applications() -> list[tuple[str, list[dict]]]:
    """(Application name, plugin parameters) per generator element, as a goTemplate fills them in."""
    spec = appset()["spec"]
    assert spec["goTemplate"] is True
    (generator,) = spec["generators"]
    template = spec["template"]
    out = []
    for element in generator["list"]["elements"]:
        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: element[m.group(1)], text)  # KeyError: missingkey=error

        parameters = [{"name": p["name"], "string": fill(p["string"])} for p in template["spec"]["source"]["plugin"]["parameters"]]
        out.append((fill(template["metadata"]["name"]), parameters))
    return out


def test_its_parameters_are_the_plugins():
    announced = {p["name"] for p in plugin()["spec"]["parameters"]["static"]}
    assert set(PARAMETERS) == announced, "plugin.yaml announces exactly the parameters generate reads"
    for _, parameters in applications():
        assert {p["name"] for p in parameters} <= announced
    assert appset()["spec"]["template"]["spec"]["source"]["plugin"]["name"] == plugin()["metadata"]["name"]


def test_the_slices_and_the_models_render_the_estate_once(tmp_path):
    repo = tmp_path / "repo"
    source_path = appset()["spec"]["template"]["spec"]["source"]["path"]
    files = {k: v for k, v in ESTATE.items() if not k.startswith("defaulted/")}  # the example's slices: team-a, team-b
    files["team-b/misc.yaml"] = service("misc", "team-b", {"team": "misc"})
    files["overlays/models/omegen.yaml"] = models_overlay()
    app = write_tree(repo / source_path, files)
    reset_modes(repo)
    full = pipeline.build(app, root=repo)
    assert full.ok, full.diagnostics
    seen: dict = {}
    for name, parameters in applications():
        env = {"ARGOCD_APP_NAME": name, "ARGOCD_APP_SOURCE_PATH": source_path, "ARGOCD_APP_PARAMETERS": json.dumps(parameters)}
        done = generate(app, env, tmp_path / "home")
        assert done.returncode == 0, (name, done.stderr.decode())
        objects = split(done.stdout)
        assert objects, name
        for obj in objects:
            identity = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
            assert identity not in seen, f"{identity} is rendered by {seen[identity]} and {name}"
            seen[identity] = name
        if name.endswith("-models"):
            assert {o["kind"] for o in objects} == {"ClusterBaseModel"}
        else:
            assert "ClusterBaseModel" not in {o["kind"] for o in objects}
    assert sorted(seen) == sorted((r.kind, r.namespace, r.name) for r in full.objects)


def test_an_empty_slice_fails_the_sync(tmp_path):
    app = write_tree(tmp_path / "repo" / "apps" / "estate", ESTATE)
    reset_modes(tmp_path / "repo")
    env = {"ARGOCD_APP_SOURCE_PATH": "apps/estate", "ARGOCD_APP_PARAMETERS": json.dumps([{"name": "onlyNamespace", "string": "team-gone"}])}
    done = generate(app, env, tmp_path / "home")
    assert done.returncode == 1 and done.stdout == b""
    assert "error[empty-slice]" in done.stderr.decode()
