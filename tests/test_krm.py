"""`omegen krm`, the KRM function: the ResourceList contract (gitops-contracts.md §1), and the real
kpt driving it (`kpt fn eval --exec`, `kpt fn render --allow-exec` twice over a Kptfile pipeline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from omegen import pipeline, yamlio
from omegen.api import Rendered
from omegen.emit import resourcelist as emit
from omegen.emit.tree import output_file
from omegen.load import resourcelist as load

OMEGEN = str(Path(sys.executable).parent / "omegen")
CONFIG = {
    "apiVersion": "omegen.io/v1alpha1",
    "kind": "Omegen",
    "metadata": {"name": "pkg", "annotations": {"config.kubernetes.io/local-config": "true"}},
    "defaultNamespace": "team-a",
}
SERVICE = {
    "apiVersion": "ome.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "chat"},
    "spec": {"model": {"name": "llama-3-2-1b-instruct"}},
}
FOREIGN = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "foreign"}, "data": {"a": "b"}}


def at(obj: dict, path: str, index: int = 0) -> dict:
    """An item as kpt sends it: with its file and index."""
    obj = {**obj, "metadata": {**obj["metadata"]}}
    obj["metadata"]["annotations"] = {
        **obj["metadata"].get("annotations", {}),
        "internal.config.kubernetes.io/path": path,
        "internal.config.kubernetes.io/index": str(index),
        "config.kubernetes.io/path": path,
        "config.kubernetes.io/index": str(index),
    }
    return obj


def resource_list(items, config=CONFIG) -> str:
    data = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if config is not None:
        data["functionConfig"] = config
    return yamlio.dump(data)


def run_krm(text: str) -> tuple[int, dict, str]:
    done = subprocess.run([OMEGEN, "krm"], input=text, capture_output=True, text=True, timeout=120)
    (doc,) = yamlio.load_documents(done.stdout, positions=False)
    return done.returncode, doc.data, done.stderr


def test_adds_rendered_objects_marks_sources_and_leaves_foreign_items(tmp_path):
    code, out, stderr = run_krm(resource_list([at(SERVICE, "team-a/chat.yaml"), at(FOREIGN, "cm.yaml")]))
    # stdout is the ResourceList alone; the summary line is for a person, on stderr.
    assert (code, stderr) == (0, "omegen: 1 service → 4 objects (2 Service, 1 ClusterBaseModel, 1 Deployment) generated; 0 errors, 0 warnings\n")
    assert out["kind"] == "ResourceList" and "results" not in out
    source, foreign, *rendered = out["items"]
    assert source["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"
    assert foreign == at(FOREIGN, "cm.yaml"), "a foreign item comes back as it went in"
    # Exactly what `omegen build` renders for the same sources, one file per service.
    (tmp_path / "omegen.yaml").write_text(yamlio.dump(CONFIG))
    (tmp_path / "chat.yaml").write_text(yamlio.dump(SERVICE))
    built = pipeline.build(tmp_path).objects
    assert [load.as_written(r) for r in rendered] == [r.obj for r in built]
    # Laid out as -o lays out files, under rendered/: the service's objects in one file, the model in its own.
    paths = [(r["metadata"]["annotations"][load.PATH], r["metadata"]["annotations"][load.INDEX]) for r in rendered]
    files = [f"rendered/{output_file(r)}" for r in built]
    assert paths == [(f, str(files[:i].count(f))) for i, f in enumerate(files)]
    assert "rendered/team-a/chat.yaml" in files and "rendered/_cluster/llama-3-2-1b-instruct.clusterbasemodel.yaml" in files


def test_a_second_run_replaces_instead_of_appending():
    first_code, first, _ = run_krm(resource_list([at(SERVICE, "chat.yaml"), at(FOREIGN, "cm.yaml")]))
    second_code, second, _ = run_krm(resource_list(first["items"]))
    assert (first_code, second_code) == (0, 0)
    assert second == first


def test_without_function_config_the_defaults_apply():
    code, out, _ = run_krm(resource_list([at(SERVICE, "chat.yaml")], config=None))
    assert code == 0
    assert {i["metadata"].get("namespace") for i in out["items"][1:] if i["kind"] != "ClusterBaseModel"} == {"default"}


def test_resources_in_the_function_config_is_reported_not_read():
    code, out, _ = run_krm(resource_list([at(SERVICE, "chat.yaml")], config={**CONFIG, "resources": ["../base"]}))
    assert code == 0
    assert [(r["severity"], r["tags"]["code"]) for r in out["results"]] == [("warning", "ignored-field")]
    assert "items are the sources" in out["results"][0]["message"]


def test_an_error_becomes_a_result_at_the_item_and_fails_the_function():
    broken = {**SERVICE, "metadata": {"name": "broken"}, "spec": {"model": {"name": "no-such-model"}}}
    items = [at(SERVICE, "ok.yaml"), at(broken, "team-a/services.yaml", 1), at(FOREIGN, "cm.yaml")]
    code, out, _ = run_krm(resource_list(items))
    assert code == 1
    assert out["items"] == items, "a failed run hands every item back as received, and adds nothing"
    (problem,) = [r for r in out["results"] if r["severity"] == "error"]
    assert "no-such-model" in problem["message"]
    assert problem["resourceRef"] == {"apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "name": "broken"}
    assert problem["file"] == {"path": "team-a/services.yaml", "index": 0}
    assert problem["field"] == {"path": "spec.model.name"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "must be one ResourceList"),
        ("items: [\n", "stdin is not YAML"),
        (resource_list([], config={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"}}), "functionConfig must be an omegen.io/v1alpha1 Omegen"),
        (resource_list([at(SERVICE, "../outside.yaml")]), "will not read or write"),
    ],
)
def test_bad_input_is_a_result_and_exit_1(text, message):
    code, out, _ = run_krm(text)
    assert code == 1
    assert out["kind"] == "ResourceList", "kpt needs a ResourceList even to report a failure"
    assert any(message in r["message"] for r in out["results"]), out["results"]


def test_a_model_the_output_includes_stays_applicable_and_is_not_added_twice():
    model = {"apiVersion": "ome.io/v1beta1", "kind": "BaseModel", "metadata": {"name": "m", "namespace": "team-a"}, "spec": {}}
    request = load.read_request(resource_list([at(SERVICE, "chat.yaml"), at(model, "model.yaml")]))
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat-engine", "namespace": "team-a"}}
    objects = [Rendered(dict(model), ("team-a", "chat")), Rendered(deployment, ("team-a", "chat"))]
    (doc,) = yamlio.load_documents(yamlio.dump(emit.response(request, objects, [], ok=True)), positions=False)
    service, kept_model, added = doc.data["items"]
    assert "config.kubernetes.io/local-config" in service["metadata"]["annotations"]
    assert "config.kubernetes.io/local-config" not in kept_model["metadata"]["annotations"]
    assert added["kind"] == "Deployment"


# --- the real kpt --------------------------------------------------------------------------------

kpt = pytest.mark.skipif(shutil.which("kpt") is None, reason="kpt is not installed")
KPTFILE = """\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: pkg
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
  mutators:
    - exec: omegen krm
      configPath: omegen.yaml
"""


def package(root: Path, model: str = "llama-3-2-1b-instruct") -> Path:
    (root / "team-a").mkdir(parents=True)
    (root / "Kptfile").write_text(KPTFILE)
    (root / "omegen.yaml").write_text(yamlio.dump(CONFIG))
    (root / "team-a" / "chat.yaml").write_text(yamlio.dump({**SERVICE, "spec": {"model": {"name": model}}}))
    # A foreign file in the user's own style (flow map, double quotes): kpt must rewrite none of it.
    (root / "cm.yaml").write_text('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: foreign\n  annotations: {note: "kept as written"}\ndata: {a: "b", n: "1"}\n')
    return root


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_kpt(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    return subprocess.run(["kpt", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@kpt
def test_kpt_fn_render_twice_changes_nothing_the_second_time(tmp_path):
    root = package(tmp_path / "pkg")
    first = run_kpt("fn", "render", "--allow-exec", cwd=root)
    assert first.returncode == 0, first.stderr
    # kpt shows a function's stderr under its [PASS] line: the summary reaches the person running it.
    assert '"omegen: 1 service → 4 objects (2 Service, 1 ClusterBaseModel, 1 Deployment) generated; 0 errors, 0 warnings"' in first.stderr
    after_first = snapshot(root)
    rendered = [d.data for rel, text in after_first.items() if rel.startswith("rendered/") for d in yamlio.load_documents(text.decode(), positions=False)]
    identity = lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])  # noqa: E731
    built = [r.obj for r in pipeline.build(root).objects]
    assert sorted(rendered, key=identity) == sorted(built, key=identity), "kpt wrote what omegen build renders"
    assert "config.kubernetes.io/local-config" in (root / "team-a" / "chat.yaml").read_text()
    untouched = package(tmp_path / "fresh")
    for name in ("cm.yaml", "Kptfile", "omegen.yaml"):
        assert after_first[name] == (untouched / name).read_bytes(), f"{name} is foreign: not a byte changes"
    second = run_kpt("fn", "render", "--allow-exec", cwd=root)
    assert second.returncode == 0, second.stderr
    assert snapshot(root) == after_first


@kpt
def test_kpt_fn_eval_exec(tmp_path):
    root = package(tmp_path / "pkg")
    (root / "Kptfile").unlink()
    done = run_kpt("fn", "eval", ".", "--exec", "omegen krm", "--fn-config", "omegen.yaml", "-o", "unwrap", cwd=root)
    assert done.returncode == 0, done.stderr
    kinds = [d.data["kind"] for d in yamlio.load_documents(done.stdout, positions=False)]
    assert kinds.count("Deployment") == 1 and "InferenceService" in kinds and "ConfigMap" in kinds
    assert not (root / "rendered").exists(), "-o unwrap writes nothing into the package"


@kpt
def test_kpt_render_failure_reaches_the_user_and_writes_nothing(tmp_path):
    root = package(tmp_path / "pkg", model="no-such-model")
    before = snapshot(root)
    done = run_kpt("fn", "render", "--allow-exec", cwd=root)
    assert done.returncode == 1
    assert "[error] ome.io/v1beta1/InferenceService/chat spec.model.name: model no-such-model not found" in done.stderr
    assert "omegen: " not in done.stderr  # no summary after a failure: the results are the story
    assert snapshot(root) == before


def test_tool_annotations_on_a_source_never_reach_the_output(tmp_path):
    # kpt leaves local-config on the sources it wrote back; copied onto a Deployment it would make
    # kpt and kustomize drop the workload.
    (tmp_path / "omegen.yaml").write_text(yamlio.dump(CONFIG))
    marked = {**SERVICE, "metadata": {"name": "chat", "annotations": {"config.kubernetes.io/local-config": "true", "team": "a"}}}
    (tmp_path / "chat.yaml").write_text(yamlio.dump(marked))
    objects = pipeline.build(tmp_path).objects
    annotations = [r.obj["metadata"].get("annotations", {}) for r in objects if r.kind == "Deployment"]
    assert annotations and all("team" in a and not any(k.startswith("config.kubernetes.io/") for k in a) for a in annotations)


def test_the_function_configs_transforms_apply_to_the_rendered_items():
    config = {**CONFIG, "commonLabels": {"env": "prod"}, "namePrefix": "prod-"}
    code, out, stderr = run_krm(resource_list([at(SERVICE, "chat.yaml")], config=config))
    assert code == 0, out.get("results")
    rendered = [i for i in out["items"] if i["apiVersion"] != "ome.io/v1beta1" or i["kind"] != "InferenceService"]
    workloads = [i for i in rendered if i["kind"] == "Deployment"]
    assert [w["metadata"]["name"] for w in workloads] == ["prod-chat-engine"]
    assert all(i["metadata"]["labels"]["env"] == "prod" for i in rendered if i["kind"] != "ClusterBaseModel")
