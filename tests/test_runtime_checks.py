"""Runtime validation (the seed's priority constraints): each finding, its severity and where it is
reported, and the cases that must stay quiet."""

from __future__ import annotations

from dataclasses import replace

import pytest

from omegen.errors import Severity, promote_warnings
from omegen.resolve.runtime_checks import check_runtimes
from select_factories import SR, entry, model, runtime, service, sources


def by_code(diags, code):
    return [d for d in diags if d.code == code]


@pytest.mark.parametrize("priority", ["0", "-1", '"2"', "true"])
def test_a_priority_that_is_not_an_integer_above_0_is_the_input_schemas_error(tree, priority):
    # Decided once, in load: runtime validation never sees such a runtime.
    from omegen import pipeline
    from seed_example import SEED_RUNTIME

    root = tree({"rt.yaml": SEED_RUNTIME.replace("      priority: 1", f"      priority: {priority}")})
    sources, diagnostics = pipeline.load(root, builtin=False)
    assert [(d.code, d.field) for d in diagnostics] == [("invalid-field", "spec.supportedModelFormats[0].priority")]
    assert sources.runtimes == {}


def test_priority_without_auto_select_is_a_warning():
    [d] = check_runtimes(sources(runtime("rt", entry(), entry("onnx", auto=False, priority=2))))
    assert (d.code, d.severity, d.line, d.field) == (
        "priority-ignored", Severity.WARNING, 13, "spec.supportedModelFormats[1].priority")
    assert d.message == (
        "ClusterServingRuntime rt: priority 2 is ignored because supportedModelFormats[1] does not set autoSelect: true"
    )
    assert check_runtimes(sources(runtime("rt", entry(auto=False)))) == []


def test_versions_of_one_format_must_share_a_priority():
    rt = runtime("rt", entry("safetensors", version="1", priority=1), entry("SafeTensors", version="2", priority=2))
    [d] = check_runtimes(sources(rt))
    assert (d.code, d.severity, d.field) == ("priority-version-mismatch", Severity.ERROR, "spec.supportedModelFormats[1].priority")
    ok = runtime("rt", entry("safetensors", version="1", priority=2), entry("safetensors", version="2", priority=2))
    assert check_runtimes(sources(ok)) == []
    other_formats = runtime("rt", entry("safetensors", version="1", priority=1), entry("onnx", version="2", priority=2))
    assert check_runtimes(sources(other_formats)) == []
    same_version = runtime("rt", entry("safetensors", version="1", priority=1, fw_version="1"),
                           entry("safetensors", version="1", priority=2, fw_version="2"))
    assert check_runtimes(sources(same_version)) == []


def test_version_mismatch_with_an_unset_priority():
    rt = runtime("rt", entry("safetensors", version="1", priority=1), entry("safetensors", version="2"))
    [d] = check_runtimes(sources(rt))
    assert d.code == "priority-version-mismatch" and d.field == "spec.supportedModelFormats[1]"


def clash_pair(**overrides):
    a = dict(arch="LlamaForCausalLM", fw="transformers", fw_version="4.43.1", priority=1)
    b = dict(a, **overrides.pop("b_entry", {}))
    return (
        runtime("rt-a", entry("safetensors", version="1.0.0", **a), protocols=("openAI",), size=("1B", "10B"),
                **overrides.get("a_rt", {})),
        runtime("rt-b", entry("safetensors", version="1.0.0", **b), protocols=overrides.get("b_protocols", ("openAI",)),
                size=overrides.get("b_size", ("1B", "10B")), **overrides.get("b_rt", {})),
    )


def test_priority_clash_is_a_warning_when_no_service_reaches_it():
    [d] = check_runtimes(sources(*clash_pair()))
    assert (d.code, d.severity, d.file, d.line, d.field) == (
        "priority-clash", Severity.WARNING, "runtimes/rt-b.yaml", 11, "spec.supportedModelFormats[0].priority")
    assert d.message == (
        "ClusterServingRuntime rt-b: priority 1 of supportedModelFormats[0] clashes with ClusterServingRuntime rt-a "
        "supportedModelFormats[0] (runtimes/rt-a.yaml:11): both auto-select format safetensors 1.0.0, "
        "architecture LlamaForCausalLM, framework transformers 4.43.1, size range [1B, 10B] with the same priority; "
        "give one a different priority"
    )


def test_priority_clash_is_an_error_under_strict():
    [d] = promote_warnings(check_runtimes(sources(*clash_pair())))
    assert d.severity is Severity.ERROR


def test_priority_clash_is_an_error_when_a_service_must_pick_between_them():
    mdl = model(fmt="safetensors", version="1.0.0", arch="LlamaForCausalLM", fw="transformers", fw_version="4.43.1",
                size="7B")
    [d] = check_runtimes(sources(*clash_pair(), mdl, service()))
    assert d.severity is Severity.ERROR and "InferenceService default/svc cannot choose between them" in d.message


def test_priority_clash_stays_a_warning_when_a_better_runtime_wins():
    mdl = model(fmt="safetensors", version="1.0.0", arch="LlamaForCausalLM", fw="transformers", fw_version="4.43.1")
    better = runtime("rt-c", entry("safetensors", priority=5))
    diags = check_runtimes(sources(*clash_pair(), better, mdl, service()))
    assert [(d.code, d.severity) for d in diags] == [("priority-clash", Severity.WARNING)]


@pytest.mark.parametrize(
    "overrides",
    [
        {"b_entry": {"priority": 2}},
        {"b_entry": {"arch": "MistralForCausalLM"}},
        {"b_entry": {"fw_version": "4.44.0"}},
        {"b_entry": {"quant": "fp8"}},
        {"b_entry": {"auto": False}},
        {"b_entry": {"priority": None}, "a_rt": {}},
        {"b_protocols": ("openInference-v2",)},
        {"b_size": ("1B", "20B")},
        {"b_rt": {"disabled": True}},
        {"b_rt": {"kind": SR}},
    ],
    ids=["priority", "architecture", "framework-version", "quantization", "not-auto", "unset-priority", "protocol",
         "size-range", "disabled", "other-scope"],
)
def test_no_priority_clash_when_runtimes_differ(overrides):
    assert by_code(check_runtimes(sources(*clash_pair(**overrides))), "priority-clash") == []


def test_priority_clash_needs_the_same_namespace():
    a, b = clash_pair()
    a = replace(a, kind=SR, namespace="x")
    b_same = replace(b, kind=SR, namespace="x")
    b_other = replace(b, kind=SR, namespace="y")
    assert len(by_code(check_runtimes(sources(a, b_same)), "priority-clash")) == 1
    assert by_code(check_runtimes(sources(a, b_other)), "priority-clash") == []


def test_priority_clash_with_unset_protocols_and_ranges():
    a = runtime("a", entry(priority=1))
    b = runtime("b", entry(priority=1), protocols=("openAI",))
    assert len(by_code(check_runtimes(sources(a, b)), "priority-clash")) == 1


def test_priority_clash_is_reported_at_the_runtime_the_user_owns():
    a, b = clash_pair(b_rt={"builtin": True})
    [d] = check_runtimes(sources(a, b))
    assert d.file == "runtimes/rt-a.yaml" and "<builtin>/runtimes/rt-b.yaml:11" in d.message


def test_check_runtimes_is_deterministic_and_clean_for_good_runtimes():
    good = sources(runtime("a", entry(priority=1)), runtime("b", entry(priority=2)), runtime("c", entry(auto=False)))
    assert check_runtimes(good) == []
    pair = clash_pair()
    assert check_runtimes(sources(*pair)) == check_runtimes(sources(*reversed(pair)))


def test_version_mismatch_looks_only_at_auto_select_entries():
    # A priority on an entry without autoSelect is ignored (and warned about), so it cannot mismatch.
    rt = runtime("rt", entry("safetensors", version="1", priority=1), entry("safetensors", version="2", auto=False, priority=2))
    assert [d.code for d in check_runtimes(sources(rt))] == ["priority-ignored"]
    rt = runtime("rt", entry("safetensors", version="1", priority=1), entry("safetensors", version="2", auto=False))
    assert check_runtimes(sources(rt)) == []


def test_priorities_on_entries_of_different_formats_neither_mismatch_nor_clash():
    a = runtime("a", entry("safetensors", priority=1), entry("onnx", priority=2))
    b = runtime("b", entry("onnx", priority=1), entry("safetensors", priority=2))
    assert check_runtimes(sources(a, b)) == []


def test_priority_clash_with_equal_ranges_written_differently():
    a = runtime("a", entry(priority=1), size=("1.5B", "2B"))
    b = runtime("b", entry(priority=1), size=("1500m", "2000M"))
    assert len(by_code(check_runtimes(sources(a, b)), "priority-clash")) == 1


def test_priority_clash_ignores_case_where_support_does():
    a = runtime("a", entry("SafeTensors", model_type="Transformer", priority=1))
    b = runtime("b", entry("safetensors", model_type="transformer", priority=1))
    assert len(by_code(check_runtimes(sources(a, b)), "priority-clash")) == 1
