"""Fine-tuned weights (`spec.model.fineTunedWeights`), as OME's controller renders them:
`ReconcileFineTunedWeights`, `ProcessBaseLabels`, `ProcessBaseAnnotations`, `UpdateVolumeMounts`,
`UpdateEnvVariables`, `UpdatePodSpecVolumes`, `UpdatePodSpecNodeSelector`
(pkg/controller/v1beta1/inferenceservice/components/base.go) and `IsMergedFineTunedWeight`
(utils/utils.go). The weights reach the pod through OME's adapter webhook: left to the cluster with
`webhooks: cluster`, or emulated from omegen.yaml's `webhookConfig.fineTunedAdapter`
(`FineTunedAdapterInjector.injectFineTunedAdapter`, fine_tuned_adapter_injector.go; field by field
in tests/test_agentinit.py)."""

from __future__ import annotations

import pytest

from omegen import pipeline, yamlio
from omegen.errors import Severity
from omegen.validate.objects import validate_objects
from sources import ADAPTER_SETTINGS, DIALECTS, MODEL_INIT_SETTINGS, config, files, objects

CLUSTER = (
    "apiVersion: omegen.io/v1alpha1\nkind: Omegen\nmetadata:\n  name: t\n  annotations:\n"
    '    config.kubernetes.io/local-config: "true"\nbuiltinRuntimes: false\nwebhooks: cluster\n'
)


def weight(name="llama-ft", merged=False, strategy="lora", uri="oci://n/bucket/o"):
    hyper = f"  hyperParameters:\n    strategy: {strategy}\n" if strategy else "  hyperParameters:\n    epochs: 3\n"
    return (
        f"apiVersion: ome.io/v1beta1\nkind: FineTunedWeight\nmetadata:\n  name: {name}\nspec:\n"
        "  baseModelRef:\n    name: base\n  modelType: LoRA\n" + hyper
        + f"  configuration:\n    merged_weights: {'true' if merged else 'false'}\n"
        f"  storage:\n    storageUri: {uri}\n"
    )


def tree_files(dialect: str, names=("llama-ft",), cluster=True, omegen_yaml=None, **kw) -> dict:
    out = files(dialect)
    (doc,) = yamlio.load_documents(out["isvc.yaml"], positions=False)
    model = doc.data["spec"]["predictor"]["model"] if dialect == "seed" else doc.data["spec"]["model"]
    model["fineTunedWeights"] = list(names)
    out["isvc.yaml"] = yamlio.dump(doc.data)
    out["ftw.yaml"] = weight(**kw)
    if cluster:
        out["omegen.yaml"] = CLUSTER
    if omegen_yaml is not None:
        out["omegen.yaml"] = omegen_yaml
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
    assert "`webhookConfig: {fineTunedAdapter: {image: ..., cpuRequest: ..., cpuLimit: ..., memoryRequest: ..." in d.message


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


URI = "oci://n/tenancy-ns/b/ft-bucket/o/weights/llama-ft"
EMULATED = config(fineTunedAdapter=ADAPTER_SETTINGS)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_adapter_is_emulated_with_omes_settings(tree, dialect):
    result = pipeline.build(tree(tree_files(dialect, cluster=False, omegen_yaml=EMULATED, uri=URI)))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    template = engine_template(result)
    labels, annotations = template["metadata"]["labels"], template["metadata"]["annotations"]
    # the trigger is dropped; the controller's labels and annotations stay (ProcessBase*)
    assert "ome.io/inject-fine-tuned-adapter" not in annotations
    assert annotations["ome.io/fine-tuned-weight-ft-strategy"] == "lora" and labels["fine-tuned-serving"] == "true"
    pod = template["spec"]
    (init,) = pod["initContainers"]
    assert init["name"] == "fine-tuned-adapter" and init["image"] == ADAPTER_SETTINGS["image"]
    assert init["args"] == ["fine-tuned-adapter", "--config", "/ome-agent.yaml", "--debug"]
    assert init["resources"] == {"limits": {"cpu": "15", "memory": "320Gi"}, "requests": {"cpu": "15", "memory": "300Gi"}}
    assert init["volumeMounts"] == [
        {"name": "model-empty-dir", "mountPath": "/mnt/finetuned/download"},
        {"name": "model-empty-dir", "mountPath": "/opt/ml/model"},
    ]
    env = {e["name"]: e.get("value") for e in init["env"]}
    assert env["OME_AGENT_MODEL_BUCKET_NAME"] == "ft-bucket" and env["OME_AGENT_MODEL_NAMESPACE"] == "tenancy-ns"
    assert env["OME_AGENT_MODEL_OBJECT_NAME"] == "weights/llama-ft"
    assert env["OME_AGENT_UNZIPPED_FINE_TUNED_WEIGHT_DIRECTORY"] == "/opt/ml/model"
    # the controller's side, as with `webhooks: cluster`: the emptyDir the adapter fills, mounted for serving
    assert {"name": "model-empty-dir", "mountPath": "/opt/ml/model"} in serving(pod)["volumeMounts"]
    assert {"name": "model-empty-dir", "emptyDir": {"medium": "Memory"}} in pod["volumes"]
    assert [d for d in validate_objects(list(result.objects)) if d.severity is Severity.ERROR] == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_emulated_merged_weights_and_model_init_run_in_the_mutators_order(tree, dialect):
    text = config(fineTunedAdapter=ADAPTER_SETTINGS, modelInit=MODEL_INIT_SETTINGS)
    merged = pipeline.build(tree(tree_files(dialect, cluster=False, omegen_yaml=text, uri=URI, merged=True)))
    assert merged.ok, [d.as_text() for d in merged.diagnostics]
    template = engine_template(merged)
    # merged weights: the controller writes inject-model-init "false", so no model-init container
    assert template["metadata"]["annotations"]["ome.io/inject-model-init"] == "false"
    (init,) = template["spec"]["initContainers"]
    assert {"name": "OME_AGENT_MODEL_OBJECT_NAME", "value": "weights/llama-ft-merged-weight"} in init["env"]
    # unmerged weights with model-init asked for: model-init first, then the adapter (Mutator.mutate)
    files_ = tree_files(dialect, cluster=False, omegen_yaml=text, uri=URI)
    (doc,) = yamlio.load_documents(files_["isvc.yaml"], positions=False)
    doc.data["metadata"].setdefault("annotations", {})["ome.io/inject-model-init"] = "true"
    files_["isvc.yaml"] = yamlio.dump(doc.data)
    both = pipeline.build(tree(files_))
    assert both.ok, [d.as_text() for d in both.diagnostics]
    pod = engine_template(both)["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["model-init", "fine-tuned-adapter"]
    assert [d for d in validate_objects(list(both.objects)) if d.severity is Severity.ERROR] == []


def test_a_storage_uri_omes_adapter_cannot_parse_is_an_error_at_the_weight(tree):
    result = pipeline.build(tree(tree_files("ome", cluster=False, omegen_yaml=EMULATED)))
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert d.code == "webhook-emulation" and d.file == "ftw.yaml" and "oci://n/bucket/o" in d.message


def test_cluster_mode_ignores_the_adapter_settings(tree):
    plain = engine_template(pipeline.build(tree(tree_files("seed"))))
    with_settings = pipeline.build(tree(tree_files("seed", omegen_yaml=config("cluster", fineTunedAdapter=ADAPTER_SETTINGS))))
    assert with_settings.ok and engine_template(with_settings) == plain
    assert plain["metadata"]["annotations"]["ome.io/inject-fine-tuned-adapter"] == "llama-ft"
