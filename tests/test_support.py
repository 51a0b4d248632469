"""The support rules (design.md section 3): each constraint of one format entry against one model,
and each runtime-level rule, with a positive and a negative case and the reason reported."""

from __future__ import annotations

from dataclasses import replace

import pytest

from omegen.resolve.support import entry_supports, runtime_supports
from select_factories import entry, model, runtime


# --------------------------------------------------------------------------------------------
# Support rules, one format entry against one model
# --------------------------------------------------------------------------------------------

ENTRY_CASES = [
    # (id, entry kwargs, model kwargs, failed rule or None, reason fragment, model field to add)
    ("format-equal", {}, {}, None, None, None),
    ("format-ignores-case", {"name": "SafeTensors"}, {"fmt": "safetensors"}, None, None, None),
    ("format-differs", {"name": "pytorch"}, {"fmt": "onnx"}, "format",
     "format mismatch: model has onnx, runtime requires pytorch", None),
    ("format-unset-matches-anything", {"name": None}, {"fmt": "onnx"}, None, None, None),
    ("version-major-prefix", {"version": "1"}, {"version": "1.15.4"}, None, None, None),
    ("version-major-equal", {"version": "1"}, {"version": "1"}, None, None, None),
    ("version-minor-prefix", {"version": "1.15"}, {"version": "1.15.4"}, None, None, None),
    ("version-minor-differs", {"version": "1.15"}, {"version": "1.16.0"}, "format version",
     "format version mismatch: model has 1.16.0, runtime requires 1.15", None),
    ("version-dotted-not-textual", {"version": "1"}, {"version": "10.0"}, "format version", None, None),
    ("version-minor-1-is-not-10", {"version": "1.1"}, {"version": "1.10"}, "format version", None, None),
    ("version-minor-10-is-not-1", {"version": "1.10"}, {"version": "1.1.0"}, "format version", None, None),
    ("version-minor-10-prefix", {"version": "1.10"}, {"version": "1.10.2"}, None, None, None),
    ("version-padded", {"version": "1.0.0"}, {"version": "1"}, None, None, None),
    ("version-padded-nonzero", {"version": "1.0.1"}, {"version": "1"}, "format version", None, None),
    ("version-v-prefix", {"version": "v1"}, {"version": "1.2"}, None, None, None),
    ("version-unset-matches-anything", {"version": None}, {"version": "9"}, None, None, None),
    ("version-required-model-has-none", {"version": "1"}, {"version": None}, "format version",
     "format version mismatch: model has none, runtime requires 1", "spec.modelFormat.version"),
    ("version-gt-runtime-greater", {"version": "1.8.0", "operator": "GreaterThan"}, {"version": "1.7.0"}, None, None, None),
    ("version-gt-equal", {"version": "1.7.0", "operator": "GreaterThan"}, {"version": "1.7.0"}, "format version",
     "runtime requires a version below 1.7.0 (operator GreaterThan)", None),
    ("version-gte-equal", {"version": "1.7.0", "operator": "GreaterThanOrEqual"}, {"version": "1.7.0"}, None, None, None),
    ("version-gte-less", {"version": "1.6.0", "operator": "GreaterThanOrEqual"}, {"version": "1.7.0"},
     "format version", None, None),
    ("model-type-ignores-case", {"model_type": "transformer"}, {"model_type": "Transformer"}, None, None, None),
    ("model-type-differs", {"model_type": "BERT"}, {"model_type": "transformer"}, "modelType",
     "model type mismatch: model has transformer, runtime requires BERT", None),
    ("model-type-model-only", {}, {"model_type": "llama"}, None, None, None),
    ("architecture-equal", {"arch": "LlamaForCausalLM"}, {"arch": "LlamaForCausalLM"}, None, None, None),
    ("architecture-differs", {"arch": "LlamaForCausalLM"}, {"arch": "MistralForCausalLM"}, "architecture",
     "architecture mismatch: model has MistralForCausalLM, runtime requires LlamaForCausalLM", None),
    ("architecture-is-case-sensitive", {"arch": "LlamaForCausalLM"}, {"arch": "llamaforcausallm"}, "architecture", None, None),
    ("architecture-runtime-only", {"arch": "LlamaForCausalLM"}, {}, "architecture",
     "architecture mismatch: model has none, runtime requires LlamaForCausalLM", "spec.modelArchitecture"),
    ("architecture-model-only", {}, {"arch": "LlamaForCausalLM"}, None, None, None),
    ("quantization-equal", {"quant": "fp8"}, {"quant": "fp8"}, None, None, None),
    ("quantization-differs", {"quant": "int8"}, {"quant": "fp16"}, "quantization",
     "quantization mismatch: model has fp16, runtime requires int8", None),
    ("quantization-runtime-only", {"quant": "fp8"}, {}, "quantization", None, "spec.quantization"),
    ("quantization-model-only", {}, {"quant": "fp8"}, None, None, None),
    ("framework-equal", {"fw": "transformers"}, {"fw": "transformers"}, None, None, None),
    ("framework-differs", {"fw": "transformers"}, {"fw": "diffusers"}, "framework",
     "framework mismatch: model has diffusers, runtime requires transformers", None),
    ("framework-runtime-only", {"fw": "transformers"}, {}, "framework", None, "spec.modelFramework.name"),
    ("framework-model-only", {}, {"fw": "transformers", "fw_version": "4.0.0"}, None, None, None),
    ("framework-version-equal", {"fw": "transformers", "fw_version": "4.43.1"},
     {"fw": "transformers", "fw_version": "4.43.1"}, None, None, None),
    ("framework-version-precision-ignored", {"fw": "transformers", "fw_version": "4.43"},
     {"fw": "transformers", "fw_version": "4.43.0"}, None, None, None),
    ("framework-version-differs", {"fw": "transformers", "fw_version": "4.45.0"},
     {"fw": "transformers", "fw_version": "4.45.0.dev0"}, "framework version",
     "framework version mismatch: model has 4.45.0.dev0, runtime requires 4.45.0", None),
    ("framework-version-required", {"fw": "transformers", "fw_version": "4.45.0"}, {"fw": "transformers"},
     "framework version", None, "spec.modelFramework.version"),
    ("framework-version-gte", {"fw": "transformers", "fw_version": "4.48.3", "fw_operator": "GreaterThanOrEqual"},
     {"fw": "transformers", "fw_version": "4.43.1"}, None, None, None),
    ("framework-version-gte-less", {"fw": "transformers", "fw_version": "4.40.0", "fw_operator": "GreaterThanOrEqual"},
     {"fw": "transformers", "fw_version": "4.43.1"}, "framework version", None, None),
]


@pytest.mark.parametrize("entry_kw, model_kw, rule, reason, missing", [c[1:] for c in ENTRY_CASES], ids=[c[0] for c in ENTRY_CASES])
def test_entry_rules(entry_kw, model_kw, rule, reason, missing):
    failure = entry_supports(entry(**entry_kw), model(**model_kw))
    if rule is None:
        assert failure is None
        return
    assert failure is not None and failure.rule == rule
    if reason is not None:
        assert reason in failure.reason
    assert failure.missing == missing


def test_entry_rules_report_the_first_failure_in_table_order():
    failure = entry_supports(entry("onnx", arch="A", quant="fp8"), model(fmt="pytorch", arch="B"))
    assert failure.rule == "format"


# --------------------------------------------------------------------------------------------
# Runtime-level rules
# --------------------------------------------------------------------------------------------

RUNTIME_CASES = [
    # (id, runtime kwargs, model kwargs, protocol, failed rule or None, reason fragment)
    ("enabled", {}, {}, None, None, None),
    ("disabled", {"disabled": True}, {}, None, "disabled", "runtime is disabled"),
    ("no-formats", {"formats": ()}, {}, None, "format", "runtime lists no supportedModelFormats"),
    ("protocol-listed", {"protocols": ("openAI", "openInference-v2")}, {}, "openInference-v2", None, None),
    ("protocol-not-listed", {"protocols": ("openAI",)}, {}, "openInference-v2", "protocol",
     "protocol mismatch: service uses openInference-v2, runtime supports openAI"),
    ("protocol-service-unset", {"protocols": ("openAI",)}, {}, None, None, None),
    ("protocol-runtime-unset", {}, {}, "openInference-v2", None, None),
    ("size-inside", {"size": ("1B", "13B")}, {"size": "7B"}, None, None, None),
    ("size-min-inclusive", {"size": ("1B", "13B")}, {"size": "1B"}, None, None, None),
    ("size-max-inclusive", {"size": ("1B", "13B")}, {"size": "13B"}, None, None, None),
    ("size-outside", {"size": ("1B", "13B")}, {"size": "70B"}, None, "size",
     "size mismatch: model has 70B, runtime range is [1B, 13B]"),
    ("size-below", {"size": ("1B", "13B")}, {"size": "500M"}, None, "size", None),
    ("size-exact-decimal", {"size": ("7.1B", "8B")}, {"size": "7100M"}, None, None, None),
    ("size-1.5B-is-1500M", {"size": ("1500M", "1500M")}, {"size": "1.5B"}, None, None, None),
    ("size-lower-case-suffixes", {"size": ("1500m", "1.5b")}, {"size": "1.5B"}, None, None, None),
    ("size-one-above-max", {"size": ("1B", "1.5B")}, {"size": "1500000001"}, None, "size", None),
    ("size-one-below-min", {"size": ("1.5B", None)}, {"size": "1499999999"}, None, "size", None),
    ("size-model-unknown", {"size": ("1B", "13B")}, {}, None, None, None),
    ("size-runtime-unranged", {}, {"size": "700B"}, None, None, None),
    ("size-half-open-min", {"size": ("10B", None)}, {"size": "700B"}, None, None, None),
    ("size-half-open-max", {"size": (None, "10B")}, {"size": "70B"}, None, "size",
     "size mismatch: model has 70B, runtime range is [, 10B]"),
]


@pytest.mark.parametrize("rt_kw, model_kw, protocol, rule, reason", [c[1:] for c in RUNTIME_CASES], ids=[c[0] for c in RUNTIME_CASES])
def test_runtime_rules(rt_kw, model_kw, protocol, rule, reason):
    formats = rt_kw.pop("formats", None)
    rt = runtime("rt", **rt_kw)
    if formats is not None:
        rt = replace(rt, formats=formats)
    failure = runtime_supports(rt, model(**model_kw), protocol)
    if rule is None:
        assert failure is None
    else:
        assert failure is not None and failure.rule == rule
        if reason:
            assert reason in failure.reason


def test_format_rules_come_before_protocol_and_size():
    rt = runtime("rt", entry("onnx"), protocols=("openAI",), size=("1B", "2B"))
    assert runtime_supports(rt, model(size="7B"), "openInference-v2").rule == "format"


def test_a_runtime_supports_when_any_entry_does_and_reports_the_closest_entry_otherwise():
    rt = runtime("rt", entry("onnx"), entry("pytorch", arch="LlamaForCausalLM"), entry("pytorch", arch="X", version="2"))
    assert runtime_supports(rt, model(arch="LlamaForCausalLM")) is None
    failure = runtime_supports(rt, model(arch="MistralForCausalLM", version="2.1"))
    # entry [2] gets past the version rule, entry [1] too; both fail on architecture: the first wins.
    assert failure.rule == "architecture"
    assert failure.reason == (
        "architecture mismatch: model has MistralForCausalLM, runtime requires LlamaForCausalLM "
        "(closest of 3 entries: supportedModelFormats[1])"
    )
