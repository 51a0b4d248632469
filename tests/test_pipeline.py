"""The pipeline end to end on small trees: stage order, diagnostics that reach the user, determinism."""

from __future__ import annotations

from omegen import pipeline
from omegen.emit import tree as emit
from seed_example import SEED_RUNTIME, SEED_SERVICE
from test_load import MODEL


def texts(result):
    return [d.as_text() for d in result.diagnostics]


def test_missing_model_is_an_error_at_the_reference(tree):
    result = pipeline.build(tree({"rt.yaml": SEED_RUNTIME, "isvc.yaml": SEED_SERVICE}), builtin=False)
    assert texts(result) == [
        "isvc.yaml:9:7: error[model-not-found]: model llama-3-1-70b not found: "
        "no BaseModel llama-3-1-70b in namespace llama-3-1-70b and no ClusterBaseModel llama-3-1-70b"
    ]
    assert result.objects == () and not result.ok


def test_one_broken_service_does_not_hide_the_others(tree):
    other = SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace", "name: second\n  namespace")
    broken = other.replace("name: second", "name: third").replace("runtime: vllm-text-generation", "runtime: nope")
    result = pipeline.build(
        tree({"rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE, "b.yaml": other, "c.yaml": broken}),
        builtin=False,
    )
    assert [d.code for d in result.diagnostics] == ["runtime-not-found"]
    assert sorted({r.service[1] for r in result.objects if r.service}) == ["llama-3-1-70b", "second"]  # models: no service


def test_strict_turns_warnings_into_errors(tree):
    runtime = SEED_RUNTIME.replace("      autoSelect: true\n", "")  # priority without autoSelect: a warning
    root = tree({"rt.yaml": runtime, "m.yaml": MODEL, "a.yaml": SEED_SERVICE})
    relaxed = pipeline.build(root, builtin=False)
    assert relaxed.ok and [d.severity.label for d in relaxed.diagnostics if d.code == "priority-ignored"] == ["warning"]
    strict = pipeline.build(root, builtin=False, strict=True)
    assert not strict.ok and [d.severity.label for d in strict.diagnostics if d.code == "priority-ignored"] == ["error"]


def test_same_sources_give_byte_identical_output(tree, tmp_path):
    files = {"rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE}
    first = emit.stream(pipeline.build(tree(files), builtin=False).objects)
    from conftest import write_tree

    renamed = write_tree(tmp_path / "elsewhere", {f"z/{name}": text for name, text in reversed(list(files.items()))})
    assert emit.stream(pipeline.build(renamed, builtin=False).objects) == first


def test_a_reference_to_a_rejected_object_says_why_it_is_missing(tree):
    runtime = SEED_RUNTIME.replace("      priority: 1", "      priority: 0")
    model = MODEL.replace("modelParameterSize: 70.6B", "modelParameterSize: 70.6X")
    result = pipeline.build(tree({"rt.yaml": runtime, "m.yaml": model, "isvc.yaml": SEED_SERVICE}), builtin=False)
    # Causes first, then the references they break, each naming its cause (issue 10).
    assert texts(result) == [
        "m.yaml:10:3: error[invalid-size]: spec.modelParameterSize: invalid size '70.6X': expected a number with an optional suffix K, M, B or T (e.g. \"7B\", \"1.5B\", \"500M\")",
        "rt.yaml:12:7: error[invalid-field]: spec.supportedModelFormats[0].priority: expected integer >= 1, got 0",
        "isvc.yaml:9:7: error[model-not-found]: model llama-3-1-70b could not be loaded: its definition at m.yaml:1 has errors (reported there)",
        "isvc.yaml:11:7: error[runtime-not-found]: runtime vllm-text-generation could not be loaded: its definition at rt.yaml:1 has errors (reported there)",
    ]
    assert [d.cause for d in result.diagnostics] == ["", "", "m.yaml:1", "rt.yaml:1"]


def test_a_model_name_too_long_for_a_label_is_an_error_at_the_model(tree):
    long_name = "llama-" + "x" * 60
    model = MODEL.replace("name: llama-3-1-70b", f"name: {long_name}")
    service = SEED_SERVICE.replace("baseModel: llama-3-1-70b", f"baseModel: {long_name}")
    result = pipeline.build(tree({"rt.yaml": SEED_RUNTIME, "m.yaml": model, "isvc.yaml": service}), builtin=False)
    assert texts(result) == [
        f'm.yaml:4:3: error[invalid-label-value]: value "{long_name}" is 66 characters long; label values are at '
        "most 63 (OME copies it into the label base-model-name of every object)"
    ]


def test_inject_model_init_without_omes_settings_is_refused(tree):
    # OME's model-init webhook (pkg/webhook/admission/pod/model_init_injector.go) needs the modelInit
    # settings of OME's ConfigMap; without them in omegen.yaml's webhookConfig, `webhooks: emulate`
    # (the default) refuses it (tests/test_webhooks.py).
    service = SEED_SERVICE.replace("  namespace: llama-3-1-70b\n", "  namespace: llama-3-1-70b\n  annotations:\n    ome.io/inject-model-init: \"true\"\n")
    result = pipeline.build(tree({"rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "isvc.yaml": service}), builtin=False)
    assert [d.code for d in result.diagnostics] == ["webhook-emulation"]
    assert texts(result)[0].startswith('isvc.yaml:7:5: error[webhook-emulation]: ome.io/inject-model-init: "true" needs OME\'s model-init webhook: '
                                 "to emulate it offline, add OME's settings to omegen.yaml as `webhookConfig: {modelInit: {image: ...")
    assert not result.ok
