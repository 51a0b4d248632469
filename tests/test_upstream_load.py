"""Every YAML file OME ships loads without a traceback: valid ones load, the rest give diagnostics."""

from __future__ import annotations

from omegen.errors import Severity

# Upstream files that are genuinely wrong, and what is wrong with them.
KNOWN_BAD = {
    # Two files define the same runtime or sample service name (ome-behaviour.md section 5).
    "runtimes/srt/Qwen/qwen2-5-32b-instruct-rt.yaml": {"duplicate-object"},
    "runtimes/srt/Qwen/qwen3-embedding-0-6b-rt.yaml": {"duplicate-object"},
    "runtimes/srt/mixtral-8x7b-instruct-rt.yaml": {"duplicate-object"},
    "runtimes/srt/unsloth/llama-3-2-11b-vision-instruct-rt.yaml": {"duplicate-object"},
    "samples/isvc/Qwen/qwen2-5-32b-instruct.yaml": {"duplicate-object"},
    "samples/isvc/Qwen/qwen3-embedding-0-6b.yaml": {"duplicate-object"},
    "samples/isvc/deepseek-ai/deepseek-v3.yaml": {"duplicate-object"},
    "samples/isvc/meta/llama3-1-70b-instruct.yaml": {"duplicate-object"},
    "samples/isvc/meta/llama3-1-8b-instruct.yaml": {"duplicate-object"},
    "samples/isvc/meta/llama3-2-1b-instruct.yaml": {"duplicate-object"},
    # Pod fields (tolerations, volumes, affinity) at the top of an engineConfig runtime: OME ignores
    # them, so these runtimes' pods never get their GPU toleration or shared-memory volume (a warning).
    "runtimes/srt/gpt-oss-120b-rt.yaml": {"ignored-field"},
    "runtimes/srt/gpt-oss-20b-rt.yaml": {"ignored-field"},
    # Written against an older API: `spec.model.modelName`, `spec.deployment`, `spec.modelRef`.
    "samples/isvc/LGAI-EXAONE/exaone-3-5-7-8b-instruct-isvc.yaml": {"unknown-field", "invalid-field"},
    "samples/isvc/zai-org/glm-4-5v.yaml": {"unknown-field"},
    # OME objects omegen does not compile are reported, not dropped in silence (issue 10).
    "samples/benchmark/deepseek-r1-rdma.yaml": {"unrendered-kind"},
    "samples/benchmark/e5-mistral-7b-instruct.yaml": {"unrendered-kind"},
    "samples/benchmark/llama3-1-70b-instruct.yaml": {"unrendered-kind"},
}


def test_every_upstream_file_loads_or_gives_diagnostics(upstream_load):
    sources, diagnostics = upstream_load
    problems: dict = {}
    for d in diagnostics:
        if d.severity is not Severity.INFO:
            problems.setdefault(d.file, set()).add(d.code)
    assert problems == KNOWN_BAD
    # 207 runtime files minus the 4 duplicate names; all 207 models; the sample services that are valid.
    assert (len(sources.runtimes), len(sources.models)) == (203, 207)
    assert len(sources.services) >= 140
    # Everything else (CRDs, kustomizations, Namespaces, the controller ConfigMap) is noted.
    assert all(d.code == "ignored-document" for d in diagnostics if d.severity is Severity.INFO)
