"""Overlays: directories whose omegen.yaml names bases; source patches before resolution, output
transforms after rendering; errors at the overlay's file and line; the repository's overlays."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, omegen_yaml, write_tree
from omegen import pipeline, yamlio
from omegen.emit import tree as emit
from omegen.resolve.explain import explain_json, explain_text

QUICKSTART = REPO / "examples" / "quickstart"


def texts(diagnostics):
    return [d.as_text() for d in diagnostics]


def errors(build):
    return [d.as_text() for d in build.diagnostics if d.severity.name == "ERROR"]


@pytest.fixture
def repo(tmp_path):
    """A repository with the quickstart as its base (the boundary is tmp_path)."""
    shutil.copytree(QUICKSTART, tmp_path / "base")

    def overlay(body: str, files: dict = (), name: str = "overlays/x") -> Path:
        directory = tmp_path / name
        write_tree(directory, {"omegen.yaml": omegen_yaml(body), **dict(files)})
        return directory

    return tmp_path, overlay


def selection(src: Path, service: str, namespace: str, root: Path):
    explanation = pipeline.explain(pipeline.Options(src=src, root=root), service, namespace)
    assert explanation.ok, texts(explanation.diagnostics)
    return explanation.resolution


# --- source patches ------------------------------------------------------------------------------


def test_the_prod_overlay_pins_a_runtime():
    base = selection(QUICKSTART, "chat-assistant", "team-a", REPO)
    prod = selection(REPO / "overlays" / "prod", "chat-assistant", "team-a", REPO)
    assert (base.runtime.name, base.decided_by) == ("vllm-llama-3-3-70b-instruct", "priority")
    assert (prod.runtime.name, prod.decided_by) == ("vllm-llama-3-1-70b-instruct", "explicit")
    text = explain_text(prod)
    assert "Selected: vllm-llama-3-1-70b-instruct (ClusterServingRuntime)" in text
    assert "Changed by overlay patches:\n  InferenceService team-a/chat-assistant  spec.runtime.name  by omegen.yaml:" in text
    (patched,) = explain_json(prod)["overlayPatches"]
    assert patched["object"] == "InferenceService team-a/chat-assistant" and patched["field"] == "spec.runtime.name"
    assert patched["patch"].startswith("omegen.yaml:") and patched["patch"].endswith("(patches[0])")
    assert "overlayPatches" not in explain_json(base)  # design.md's four keys, unchanged without overlays


def test_a_patched_model_size_makes_another_runtime_win(repo):
    root, overlay = repo
    src = overlay(
        """\
        resources: [../../base]
        patches:
          - patch: |
              apiVersion: ome.io/v1beta1
              kind: BaseModel
              metadata: {name: llama-3-2-3b, namespace: team-b}
              spec: {modelParameterSize: 1.2B}
        """
    )
    before = selection(root / "base", "autocomplete", "team-b", root)
    after = selection(src, "autocomplete", "team-b", root)
    assert (before.runtime.kind, before.runtime.name) == ("ClusterServingRuntime", "vllm-llama-3-2-3b")
    # [2B, 4B] no longer holds the model; team-b's own [500M, 2B] runtime does, and scope ranks it first.
    assert (after.runtime.kind, after.runtime.name, after.decided_by) == ("ServingRuntime", "vllm-llama-3-2-1b", "scope")
    text = explain_text(after)
    assert "size          1.2B" in text
    assert "size mismatch: model has 1.2B, runtime range is [2B, 4B]" in text
    assert "BaseModel team-b/llama-3-2-3b  spec.modelParameterSize  by omegen.yaml:9 (patches[0])" in text
    build = pipeline.build(src, root=root)
    assert build.ok, errors(build)
    (workload,) = [r.obj for r in build.objects if r.kind == "Deployment" and r.name == "autocomplete-engine"]
    assert workload["metadata"]["annotations"]["ome.io/serving-runtime"] == "vllm-llama-3-2-1b"


def test_a_diagnostic_about_a_patched_field_names_the_document_and_the_patch(repo):
    root, overlay = repo
    src = overlay(
        """\
        resources: [../../base]
        patches:
          - target: {kind: InferenceService, name: faq-bot}
            patch: |
              apiVersion: ome.io/v1beta1
              kind: InferenceService
              metadata: {name: faq-bot}
              spec: {engine: {minReplicas: two}}
        """
    )
    build = pipeline.build(src, root=root)
    (only,) = errors(build)
    assert only.startswith("../../base/team-b/faq-bot.yaml:")
    assert "spec.engine.minReplicas" in only and "set by the overlay patch at omegen.yaml:9 (patches[0])" in only


def test_a_source_patch_applies_only_to_the_bases_under_its_overlay(repo):
    root, overlay = repo
    # A second base with its own service of the same kind: the overlay over `base` alone never sees it.
    shutil.copytree(QUICKSTART / "team-b", root / "other" / "team-b")
    (root / "other" / "team-b" / "faq-bot.yaml").unlink()
    src = overlay("resources: [../../base]\npatches:\n  - target: {kind: InferenceService, name: deepseek}\n    patch: |\n      spec: {engine: {minReplicas: 1}}\n")
    assert pipeline.build(src, root=root).ok


# --- output transforms ---------------------------------------------------------------------------


def test_replicas_on_an_autoscaled_workload_is_refused_at_the_overlay_line(repo):
    root, overlay = repo
    src = overlay("resources: [../../base]\nreplicas:\n  - {name: chat-assistant-engine, count: 3}\n")
    build = pipeline.build(src, root=root)
    assert errors(build) == [
        "omegen.yaml:9:5: error[invalid-transform]: replicas[0]: Deployment team-a/chat-assistant-engine is scaled by a "
        "HorizontalPodAutoscaler; set the service's minReplicas/maxReplicas instead (a fixed count would fight the autoscaler)"
    ]
    assert build.objects == () or not build.ok


def test_replicas_reach_a_leaderworkerset_and_a_renamed_hpa_keeps_its_target(repo):
    root, overlay = repo
    src = overlay("resources: [../../base]\nnamePrefix: dev-\nreplicas:\n  - {name: lws-deepseek-engine, count: 2}\n")
    build = pipeline.build(src, root=root)
    assert build.ok, errors(build)
    objects = {(r.kind, r.name): r.obj for r in build.objects}
    assert objects[("LeaderWorkerSet", "dev-lws-deepseek-engine")]["spec"]["replicas"] == 2
    hpa = objects[("HorizontalPodAutoscaler", "dev-chat-assistant-engine")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "dev-chat-assistant-engine"


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: no-such}\n    patch: |\n      spec: {minReadySeconds: 5}\n",
            "omegen.yaml:9:5: error[patch-target-missing]: patches[0]: the target {kind: Deployment, name: no-such} matches no object in the output",
        ),
        (
            "resources: [../../base]\npatches:\n  - target: {kind: InferenceService, name: no-such}\n    patch: |\n      spec: {}\n",
            "omegen.yaml:9:5: error[patch-target-missing]: patches[0]: the target {kind: InferenceService, name: no-such} matches no source object",
        ),
        (
            "resources: [../../base]\npatches:\n  - patch: |\n      - {op: remove, path: /spec}\n",
            "omegen.yaml:9:5: error[invalid-patch]: patches[0]: a JSON 6902 patch needs a target",
        ),
        (
            "resources: [../../base]\npatches:\n  - target: {kind: Service}\n    patch: |\n      - {op: remove, path: /spec/nothing}\n",
            "omegen.yaml:9:5: error[patch-failed]: patches[0]: Service ",
        ),
        ("resources: [../../../outside]\n", "omegen.yaml:7:13: error[path-outside]: resources[0]: ../../../outside leaves the repository"),
        ("resources: [../../missing]\n", "omegen.yaml:7:13: error[missing-resource]: resources[0]: ../../missing does not exist"),
        ("resources: [.]\n", "omegen.yaml:7:13: error[overlay-cycle]: resources[0]: . leads back to itself (. → .)"),
        (
            "resources: [../../base]\npatches:\n  - path: ../../../elsewhere.yaml\n",
            "omegen.yaml:9:5: error[path-outside]: patches[0]: ../../../elsewhere.yaml leaves the repository",
        ),
    ],
)
def test_overlay_errors_are_at_the_overlay_file_and_line(repo, body, expected):
    root, overlay = repo
    (root.parent / "outside").mkdir(exist_ok=True)
    build = pipeline.build(overlay(body), root=root)
    assert any(text.startswith(expected) for text in errors(build)), errors(build)
    assert not build.ok


def test_a_cycle_between_overlays_is_an_error(repo):
    root, overlay = repo
    overlay("resources: [../b]\n", name="overlays/a")
    b = overlay("resources: [../a]\n", name="overlays/b")
    build = pipeline.build(b, root=root)
    assert errors(build) == ["../a/omegen.yaml:7:13: error[overlay-cycle]: resources[0]: ../b leads back to itself (. → ../a → .)"]


def test_the_boundary_is_the_git_work_tree_and_root_overrides_it(repo, tmp_path):
    root, overlay = repo
    src = overlay("resources: [../../base]\n")
    assert not pipeline.build(src).ok  # no git tree: the boundary is the overlay itself
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert pipeline.build(src).ok  # the work tree holding it
    assert not pipeline.build(src, root=src).ok


def test_discovery_never_reads_an_overlays_files(repo):
    root, overlay = repo
    # A patch file that looks like a source, inside the overlay: only the patch reads it.
    overlay(
        "resources: [../..]\npatches:\n  - path: patch.yaml\n",
        {"patch.yaml": "apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: faq-bot, namespace: team-b}\nspec: {engine: {maxReplicas: 3}}\n"},
        name="base/overlays/x",
    )
    base = pipeline.build(root / "base", root=root)
    assert base.ok and not any(r.kind == "HorizontalPodAutoscaler" and r.name == "faq-bot-engine" for r in base.objects)
    over = pipeline.build(root / "base" / "overlays" / "x", root=root)
    assert over.ok and any(r.kind == "HorizontalPodAutoscaler" and r.name == "faq-bot-engine" for r in over.objects)


def test_an_overlay_nested_anywhere_in_a_tree_is_not_read_as_its_sources(repo):
    root, overlay = repo
    patch = "apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: extra, namespace: team-a}\nspec: {model: {name: llama-3-3-70b-instruct}}\n"
    overlay("resources: [..]\n", {"extra.yaml": patch}, name="base/staging")
    base = pipeline.build(root / "base", root=root)
    assert base.ok and not any(r.service == ("team-a", "extra") for r in base.objects)


def test_a_component_acts_on_what_its_overlay_gathered(repo):
    root, overlay = repo
    overlay("commonAnnotations: {from-component: 'yes'}\n", name="components/tagged")
    src = overlay("resources: [../../base]\ncomponents: [../../components/tagged]\nnamePrefix: c-\n")
    build = pipeline.build(src, root=root)
    assert build.ok, errors(build)
    workloads = [r.obj for r in build.objects if r.kind == "Deployment"]
    assert workloads and all(o["metadata"]["annotations"]["from-component"] == "yes" and o["metadata"]["name"].startswith("c-") for o in workloads)


# --- the repository's overlays -------------------------------------------------------------------


def _stream(src: Path) -> str:
    build = pipeline.build(src, root=REPO)
    assert build.ok, errors(build)
    return emit.stream(build.objects)


def test_the_repository_overlays_build_differ_and_validate():
    base, dev, prod = (_stream(p) for p in (QUICKSTART, REPO / "overlays" / "dev", REPO / "overlays" / "prod"))
    assert len({base, dev, prod}) == 3
    dev_objects = [d.data for d in yamlio.load_documents(dev)]
    prod_objects = [d.data for d in yamlio.load_documents(prod)]
    workloads = [o for o in dev_objects if o["kind"] in ("Deployment", "LeaderWorkerSet")]
    assert {o["spec"]["replicas"] for o in workloads} == {1}
    assert not any(o["kind"] == "HorizontalPodAutoscaler" for o in dev_objects)
    images = [c["image"] for o in workloads for c in _containers(o)]
    assert images and all(i.startswith("registry.dev.example.com/mirror/") for i in images)
    assert all(o["spec"]["template"]["spec"]["nodeSelector"]["cloud.example.com/node-pool"] == "gpu-small" for o in workloads if o["kind"] == "Deployment")
    prod_workloads = [o for o in prod_objects if o["kind"] == "Deployment"]
    assert all(o["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone" for o in prod_workloads)
    assert {o["spec"].get("minAvailable") for o in prod_objects if o["kind"] == "PodDisruptionBudget"} == {"50%"}
    assert all(o["metadata"]["labels"]["environment"] == "prod" for o in prod_objects if o["kind"] != "ClusterBaseModel" and o["kind"] != "BaseModel")


def _containers(obj):
    spec = obj["spec"]
    templates = [spec["template"]] if "template" in spec else [t for t in spec["leaderWorkerTemplate"].values() if isinstance(t, dict) and "spec" in t]
    return [c for t in templates for c in t["spec"]["containers"]]


@pytest.mark.parametrize("command", [["build"], ["validate", "--strict"], ["explain", "chat-assistant", "-n", "team-a"]])
def test_overlay_flag_names_an_overlay_under_src(command, tmp_path):
    done = subprocess.run([sys.executable, "-m", "omegen", *command, str(REPO), "--overlay", "prod"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    direct = subprocess.run([sys.executable, "-m", "omegen", *command, str(REPO / "overlays" / "prod")], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout == direct.stdout
    missing = subprocess.run([sys.executable, "-m", "omegen", *command, str(REPO), "--overlay", "nope"], capture_output=True, text=True, cwd=tmp_path)
    assert missing.returncode == 2 and "no overlay directory" in missing.stderr


@pytest.mark.parametrize(
    "selector, labels, expected",
    [
        ("app=web", {"app": "web"}, True),
        ("app==web,tier!=db", {"app": "web", "tier": "api"}, True),
        ("app in (web, api)", {"app": "api"}, True),
        ("app notin (web)", {"app": "web"}, False),
        ("app", {}, False),
        ("!app", {}, True),
        ("app=web,env", {"app": "web"}, False),
    ],
)
def test_label_selectors_read_as_kubernetes_reads_them(selector, labels, expected):
    from omegen.overlay.targets import selector_matches, selector_problem

    assert selector_problem(selector) is None
    assert selector_matches(selector, labels) is expected


def test_a_bases_files_are_named_from_the_directory_being_built(repo, tmp_path):
    root, overlay = repo
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_text("kind: x\n")
    (root / "base" / "link.yaml").symlink_to(outside)
    build = pipeline.build(overlay("resources: [../../base]\n"), root=root)
    assert f"../../base/link.yaml: warning[symlink-outside]: symlink to {outside} leaves the source tree; not followed" in texts(build.diagnostics)


def test_an_output_finding_in_a_patched_field_names_the_patch(repo):
    root, overlay = repo
    src = overlay(
        """\
        resources: [../../base]
        patches:
          - target: {kind: Deployment, name: embeddings-engine}
            patch: |
              - {op: replace, path: /spec/template/spec/containers/0/imagePullPolicy, value: 5}
        """
    )
    build = pipeline.build(src, root=root)
    found = [t for t in errors(build) if "imagePullPolicy" in t]
    assert found and all("changed by the overlay patch at omegen.yaml:9 (patches[0])" in t for t in found), errors(build)
    assert all(t.startswith("../../base/team-a/embeddings.yaml:") for t in found)
