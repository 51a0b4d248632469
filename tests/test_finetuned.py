"""Fine-tuned weights (`spec.model.fineTunedWeights`), as OME's controller renders them:
`ReconcileFineTunedWeights`, `ProcessBaseLabels`, `ProcessBaseAnnotations`, `UpdateVolumeMounts`,
`UpdateEnvVariables`, `UpdatePodSpecVolumes`, `UpdatePodSpecNodeSelector`
(pkg/controller/v1beta1/inferenceservice/components/base.go) and `IsMergedFineTunedWeight`
(utils/utils.go). The weights reach the pod through OME's adapter webhook, so this renders only with
`webhooks: cluster`."""

from __future__ import annotations

import pytest

from omegen import pipeline, yamlio
from omegen.errors import Severity
from omegen.validate.objects import validate_objects
from sources import DIALECTS, files, objects

CLUSTER = (
    "apiVersion: omegen.io/v1alpha1\nkind: Omegen\nmetadata:\n  name: t\n  annotations:\n"
    '    config.kubernetes.io/local-config: "true"\nbuiltinRuntimes: false\nwebhooks: cluster\n'
)


def weight(name="llama-ft", merged=False, strategy="lora"):
    hyper = f"  hyperParameters:\n    strategy: {strategy}\n" if strategy else "  hyperParameters:\n    epochs: 3\n"
    return (
        f"apiVersion: ome.io/v1beta1\nkind: FineTunedWeight\nmetadata:\n  name: {name}\nspec:\n"
        "  baseModelRef:\n    name: base\n  modelType: LoRA\n" + hyper
        + f"  configuration:\n    merged_weights: {'true' if merged else 'false'}\n"
        "  storage:\n    storageUri: oci://n/bucket/o\n"
    )


def tree_files(dialect: str, names=("llama-ft",), cluster=True, **kw) -> dict:
    out = files(dialect)
    (doc,) = yamlio.load_documents(out["isvc.yaml"], positions=False)
    model = doc.data["spec"]["predictor"]["model"] if dialect == "seed" else doc.data["spec"]["model"]
    model["fineTunedWeights"] = list(names)
    out["isvc.yaml"] = yamlio.dump(doc.data)
    out["ftw.yaml"] = weight(**kw)
    if cluster:
        out["omegen.yaml"] = CLUSTER
    return out


def engine_template(result) -> dict:
    return next(o for (kind, name), o in objects(result).items() if kind == "Deployment" and name.endswith("-engine"))["spec"]["template"]


def serving(pod):
    return next(c for c in pod["containers"] if c["name"] == "ome-container")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_refused_unless_omes_webhooks_run_in_the_cluster(tree, dialect):
    result = pipeline.build(tree(tree_files(dialect, cluster=False)))
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.code == "fine-tuned-weights"]
    assert d.file == "isvc.yaml" and "fine-tuned adapter webhook" in d.message and "webhooks: cluster" in d.message


@pytest.mark.parametrize("dialect", DIALECTS)
def test_adapter_weights(tree, dialect):
    result = pipeline.build(tree(tree_files(dialect)))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    template = engine_template(result)
    labels, annotations = template["metadata"]["labels"], template["metadata"]["annotations"]
    assert labels["fine-tuned-serving"] == "true"
    assert labels["fine-tuned-weight-ft-strategy"] == "lora" and labels["fine-tuned-serving-with-merged-weights"] == "false"
    assert annotations["ome.io/inject-fine-tuned-adapter"] == "llama-ft"
    assert annotations["ome.io/fine-tuned-weight-ft-strategy"] == "lora"
    assert "ome.io/fine-tuned-serving-with-merged-weights" not in annotations
    pod = template["spec"]
    container = serving(pod)
    env = {e["name"]: e.get("value") for e in container["env"]}
    # Meta base model: SERVED_MODEL_NAME=/data/<weight>, MODEL_PATH the adapter's directory
    assert env["SERVED_MODEL_NAME"] == "/data/llama-ft" and env["MODEL_PATH"] == "/opt/ml/model"
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["model-empty-dir"] == {"name": "model-empty-dir", "mountPath": "/opt/ml/model"}
    assert any(m.get("readOnly") for m in mounts.values()), "the base model is still mounted (unmerged weights)"
    assert {"name": "model-empty-dir", "emptyDir": {"medium": "Memory"}} in pod["volumes"]
    assert any(k.startswith("models.ome.io/") for k in pod["nodeSelector"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_merged_weights_need_no_base_model(tree, dialect):
    result = pipeline.build(tree(tree_files(dialect, merged=True)))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    template = engine_template(result)
    annotations = template["metadata"]["annotations"]
    assert annotations["ome.io/fine-tuned-serving-with-merged-weights"] == "true"
    assert annotations["ome.io/inject-model-init"] == "false"
    assert template["metadata"]["labels"]["fine-tuned-serving-with-merged-weights"] == "true"
    pod = template["spec"]
    assert not any(k.startswith("models.ome.io/") for k in pod.get("nodeSelector", {}))
    assert not any("hostPath" in v and v["name"] != "devinf" for v in pod["volumes"])
    assert [m["name"] for m in serving(pod)["volumeMounts"] if m.get("readOnly")] == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_stacked_missing_and_strategyless_weights_are_errors(tree, dialect):
    stacked = pipeline.build(tree(tree_files(dialect, names=("llama-ft", "other"))))
    assert [d.code for d in stacked.diagnostics if d.severity is Severity.ERROR] == ["stacked-fine-tuned-weights"]
    missing = pipeline.build(tree(tree_files(dialect, names=("nope",))))
    assert [d.code for d in missing.diagnostics if d.severity is Severity.ERROR] == ["fine-tuned-weight-not-found"]
    bare = pipeline.build(tree(tree_files(dialect, strategy=None)))
    (d,) = [d for d in bare.diagnostics if d.severity is Severity.ERROR]
    assert d.code == "fine-tuned-weight-strategy" and d.file == "ftw.yaml"


def test_the_weight_is_in_the_output_and_valid(tree):
    result = pipeline.build(tree(tree_files("ome")))
    assert result.ok
    (ftw,) = [r for r in result.objects if r.kind == "FineTunedWeight"]
    assert ftw.obj["metadata"] == {"name": "llama-ft"} and ftw.obj["spec"]["hyperParameters"] == {"strategy": "lora"}
    assert [d for d in validate_objects([ftw]) if d.code == "output-schema"] == []
