"""`omegen explain` output: the JSON shape of design.md section 5 and the text report."""

from __future__ import annotations

import json

from omegen.resolve.explain import explain_json, explain_text
from omegen.resolve.select import resolve
from select_factories import escalated, SR, entry, model, runtime, service, sources


def llama():
    return model("llama", fmt="safetensors", version="1.0.0", arch="LlamaForCausalLM", fw="transformers",
                 fw_version="4.43.1", size="70B")


def catalog():
    return (
        runtime("vllm-70b", entry("safetensors", version="1", arch="LlamaForCausalLM", priority=2),
                protocols=("openAI",), size=("60B", "128B")),
        runtime("vllm-any", entry("safetensors", arch="LlamaForCausalLM", priority=1)),
        runtime("vllm-mistral", entry("safetensors", arch="MistralForCausalLM", priority=1)),
    )


def resolved(svc, *objects, strict=False):
    return escalated(resolve(svc, sources(svc, *objects)), strict)


def test_json_shape_with_a_selection():
    svc = service(model_name="llama", protocol="openAI")
    out = explain_json(resolved(svc, llama(), *catalog()))
    assert list(out) == ["inferenceService", "selected", "candidates", "diagnostics"]
    assert out["inferenceService"] == {"name": "svc", "namespace": "default"}
    assert out["selected"] == {"name": "vllm-70b", "kind": "ClusterServingRuntime"}
    assert [list(c) for c in out["candidates"]] == [["name", "kind", "eligible", "rank", "reasons"]] * 3
    assert [(c["name"], c["eligible"], c["rank"]) for c in out["candidates"]] == [
        ("vllm-70b", True, 1), ("vllm-any", True, 2), ("vllm-mistral", False, None)]
    assert out["candidates"][0]["reasons"] == [
        "matches supportedModelFormats[0]", "scope cluster", "priority 2", "protocol openAI supported",
        "size 70B within [60B, 128B]"]
    assert out["candidates"][2]["reasons"] == [
        "architecture mismatch: model has LlamaForCausalLM, runtime requires MistralForCausalLM"]
    assert out["diagnostics"] == []
    assert json.loads(json.dumps(out)) == out


def test_json_shape_without_a_selection():
    svc = service(model_name="llama")
    out = explain_json(resolved(svc, model("llama", arch="Other"), *catalog()))
    assert out["selected"] is None
    assert all(c["eligible"] is False and c["rank"] is None for c in out["candidates"])
    [d] = out["diagnostics"]
    assert list(d) == ["code", "severity", "message", "file", "line", "column", "field", "subject", "notes"]
    assert (d["code"], d["severity"], d["file"], d["line"], d["field"]) == (
        "no-runtime", "error", "services/svc.yaml", 7, "spec.model.name")
    assert d["message"] == "no runtime can be auto-selected for ClusterBaseModel llama" and d["notes"][-1].startswith("omegen explain ")


def test_json_for_an_explicit_runtime_and_an_ambiguity():
    svc = service(model_name="llama", runtime_name="vllm-any")
    out = explain_json(resolved(svc, llama(), *catalog()))
    assert out["selected"] == {"name": "vllm-any", "kind": "ClusterServingRuntime"}
    assert [c["name"] for c in out["candidates"]] == ["vllm-any"]
    svc = service(model_name="llama")
    out = explain_json(resolved(svc, llama(), runtime("b"), runtime("a"), runtime("local", entry("onnx"), kind=SR)))
    # (the model is safetensors; the pytorch runtimes do not support it)
    assert out["selected"] is None
    out = explain_json(resolved(svc, model("llama"), runtime("b"), runtime("a")))
    assert out["selected"]["name"] == "a"
    assert [d["code"] for d in out["diagnostics"]] == ["ambiguous-runtime"]


def test_text_report():
    svc = service(model_name="llama", protocol="openAI")
    text = explain_text(resolved(svc, llama(), *catalog()))
    assert text == (
        "InferenceService default/svc\n"
        "  model         llama\n"
        "  runtime       - (auto-select)\n"
        "  protocol      openAI\n"
        "Model ClusterBaseModel llama (models/llama.yaml:1)\n"
        "  format        safetensors\n"
        "  version       1.0.0\n"
        "  architecture  LlamaForCausalLM\n"
        "  type          -\n"
        "  quantization  -\n"
        "  framework     transformers 4.43.1\n"
        "  size          70B\n"
        "\n"
        "RANK  RUNTIME       KIND                   VERDICT     REASON\n"
        "1     vllm-70b      ClusterServingRuntime  selected    matches supportedModelFormats[0]; scope cluster; "
        "priority 2; protocol openAI supported; size 70B within [60B, 128B]\n"
        "2     vllm-any      ClusterServingRuntime  eligible    matches supportedModelFormats[0]; scope cluster; "
        "priority 1; no size range\n"
        "-     vllm-mistral  ClusterServingRuntime  ineligible  architecture mismatch: model has LlamaForCausalLM, "
        "runtime requires MistralForCausalLM\n"
        "\n"
        "Selected: vllm-70b (ClusterServingRuntime)\n"
        "Decided by: priority (the higher priority wins; a set priority beats an unset one)\n"
    )


def test_text_columns_are_aligned():
    svc = service(model_name="llama")
    text = explain_text(resolved(svc, llama(), *catalog(), runtime("x", entry("onnx"), kind=SR)))
    table = [line for line in text.splitlines() if line.startswith(("RANK", "1 ", "2 ", "- "))]
    starts = {line.index("ineligible") for line in table if "ineligible" in line}
    assert starts == {table[0].index("VERDICT")}
    assert "default/x  " in text and "ServingRuntime " in text


def test_text_for_an_ambiguous_choice_and_diagnostics():
    svc = service(model_name="m")
    text = explain_text(resolved(svc, model(), runtime("b"), runtime("a")))
    assert "Selected: a (ClusterServingRuntime)\n" in text
    assert "Decided by: name (ascending; ambiguous: the runtimes tie on scope, priority and size fit)\n" in text
    assert "Diagnostics:\n  services/svc.yaml:7:11: warning[ambiguous-runtime]: " in text
    assert "Diagnostics" not in explain_text(resolved(svc, model(), runtime("b"), runtime("a")), include_diagnostics=False)


def test_text_without_a_model_or_a_runtime():
    svc = service(model_name="ghost", runtime_name="nope")
    text = explain_text(resolved(svc))
    assert "Model: not found\n" in text and "No runtime was considered." in text and "Selected: none\n" in text
    assert "error[model-not-found]" in text and "error[runtime-not-found]" in text
    assert "  runtime       nope (named in spec.runtime.name)\n" in text
