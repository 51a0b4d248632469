"""`emitModels`: the ClusterBaseModels/BaseModels the rendered pods wait for are in the output.

The pods select nodes labelled by OME's model agent (`models.ome.io/clusterbasemodel.<name>: Ready`,
GetClusterBaseModelLabel in OME's pkg/constants/constants.go), which it sets only for model objects
in the cluster; without them the pods stay Pending."""

from __future__ import annotations

import pytest

from omegen import pipeline
from omegen.api import Resolution
from omegen.emit import tree as emit
from omegen.errors import has_errors
from omegen.render.models import model_objects
from omegen.render.service import render_service
from omegen.resolve import select
from omegen.validate.objects import validate_objects
from sources import DIALECTS, OME_SERVICE, files, objects

MODEL_KINDS = ("ClusterBaseModel", "BaseModel")


def _config(extra: str) -> str:
    return (
        "apiVersion: omegen.io/v1alpha1\nkind: Omegen\nmetadata:\n  name: t\n  annotations:\n"
        '    config.kubernetes.io/local-config: "true"\nbuiltinRuntimes: false\n' + extra
    )


def _models(result):
    return [r.obj for r in result.objects if r.kind in MODEL_KINDS]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_model_is_written_once_as_in_its_source(tree, dialect):
    tree_files = files(dialect)
    second = tree_files["isvc.yaml"].replace("name: llama-3-1-70b\n  namespace", "name: second\n  namespace").replace(
        "name: llama-chat\n", "name: llama-chat-2\n"
    )
    root = tree({**tree_files, "isvc2.yaml": second})
    result = pipeline.build(root)
    assert result.ok, [d.as_text() for d in result.diagnostics]
    assert len({r.service for r in result.objects if r.service}) == 2
    (model,) = _models(result)  # two services, one model
    source = pipeline.load(root)[0]
    (expected,) = [m.document for m in source.models.values()]
    assert model == expected
    # Models come first in the stream: the pods depend on them.
    assert result.objects[0].obj is model


def test_a_base_model_gets_its_namespace_and_loses_server_fields(tree):
    model = (
        "apiVersion: ome.io/v1beta1\nkind: BaseModel\nmetadata:\n  name: llama-3-1-8b-instruct\n"
        "  uid: '1234'\n  resourceVersion: '9'\n  annotations:\n    models.ome.io/category: MEDIUM\n"
        "spec:\n  vendor: meta\n  modelFormat: {name: safetensors, version: '1.0.0'}\n"
        "  modelFramework: {name: transformers, version: '4.42.3'}\n  modelArchitecture: LlamaForCausalLM\n"
        "  modelParameterSize: 8.03B\n  storage: {storageUri: 'hf://meta-llama/Llama-3.1-8B-Instruct', path: /raid/m}\n"
        "status:\n  state: Ready\n"
    )
    result = pipeline.build(tree({**files("ome", extra={"m.yaml": model}), "omegen.yaml": _config("defaultNamespace: team-a\n")}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    (obj,) = _models(result)
    assert obj["metadata"] == {"name": "llama-3-1-8b-instruct", "namespace": "team-a", "annotations": {"models.ome.io/category": "MEDIUM"}}
    assert "status" not in obj


def test_a_builtin_model_comes_from_the_catalog(tree):
    service = OME_SERVICE.replace("    kind: BaseModel\n", "    kind: ClusterBaseModel\n").replace(
        "  runtime:\n    name: srt-llama-3-1-8b-instruct\n", ""
    ).replace("  router:\n    minReplicas: 1\n    maxReplicas: 1\n    config:\n      RUST_LOG: info\n      POLICY: cache_aware\n", "")
    result = pipeline.build(tree({"isvc.yaml": service}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    (obj,) = _models(result)
    assert obj["kind"] == "ClusterBaseModel" and obj["metadata"]["name"] == "llama-3-1-8b-instruct"
    assert obj["spec"]["storage"]["path"] == "/raid/models/meta/llama-3-1-8b-instruct"
    pods = [o for o in objects(result).values() if o["kind"] == "Deployment"]
    assert all(p["spec"]["template"]["spec"]["nodeSelector"]["models.ome.io/clusterbasemodel.llama-3-1-8b-instruct"] == "Ready" for p in pods)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_emit_models_false_and_only(tree, dialect):
    off = pipeline.build(tree({**files(dialect), "omegen.yaml": _config("emitModels: false\n")}))
    assert off.ok and _models(off) == [] and off.objects
    only = pipeline.build(tree({**files(dialect), "omegen.yaml": _config("emitModels: only\n")}))
    assert only.ok and [r.kind for r in only.objects] == [_models(only)[0]["kind"]]


def test_emit_models_takes_only_its_values(tree):
    result = pipeline.build(tree({**files("seed"), "omegen.yaml": _config("emitModels: sometimes\n")}))
    assert not result.ok
    assert any(d.field == "emitModels" for d in result.diagnostics)


def test_the_tree_puts_models_in_files_of_their_own(tree, tmp_path):
    for dialect, expected in (("seed", "_cluster/llama-3-1-70b.clusterbasemodel.yaml"), ("ome", "team-a/llama-3-1-8b-instruct.basemodel.yaml")):
        out = tmp_path / f"out-{dialect}"
        result = pipeline.run(pipeline.Options(src=tree(files(dialect)), out=out))
        assert result.ok, [d.as_text() for d in result.diagnostics]
        assert expected in result.files
        text = (out / expected).read_text()
        assert text.startswith(emit.HEADER) and text.count("\nkind: ") == 1
        assert expected in (out / "kustomization.yaml").read_text()


def test_upstream_samples_models_are_written_and_valid(upstream_load):
    """Every upstream sample that renders brings its model into the output, and that model is a
    valid object of OME's CRD schema (schemas/ome.io/, derived from config/crd/full)."""
    sources, _ = upstream_load
    rendered, used = [], []
    for key in sorted(sources.services):
        resolution = select.resolve(sources.services[key], sources)
        if resolution.runtime is None or has_errors(resolution.diagnostics):
            continue
        objs, diagnostics = render_service(resolution)
        assert not has_errors(diagnostics)
        rendered += objs
        used.append(resolution.model)
    models = model_objects(used)
    assert len(models) == len({(m.kind, m.namespace, m.name) for m in used}) >= 10
    problems = [d for d in validate_objects(models) if d.code == "output-schema"]
    assert problems == [], [d.as_text() for d in problems[:5]]
