"""Resolve every upstream OME sample InferenceService against OME's runtimes and models.

Uses `../shared/upstream/ome/config` (runtimes, models, samples/isvc) when it is present beside the
repository; skipped otherwise. Each outcome must be a selection or a precise diagnostic.
"""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import pytest

from omegen.errors import Severity
from omegen.resolve.runtime_checks import check_runtimes
from omegen.resolve.select import resolve
from select_factories import DECIDING_RULES

from conftest import UPSTREAM_OME as UPSTREAM

pytestmark = pytest.mark.skipif(not (UPSTREAM / "samples" / "isvc").is_dir(), reason="../shared/upstream is absent")

# The diagnostics a failed resolution may end with, each precise about what to fix.
FAILURE_CODES = {
    "model-not-found", "model-incomplete", "model-disabled", "runtime-not-found", "runtime-disabled",
    "runtime-unsupported", "no-runtime",
}


@pytest.fixture(scope="module")
def sources(upstream_load):
    return upstream_load[0]


@pytest.fixture(scope="module")
def resolutions(sources):
    return {key: resolve(sources.services[key], sources) for key in sorted(sources.services)}


def test_every_sample_resolves_to_a_selection_or_a_precise_diagnostic(sources, resolutions):
    assert len(sources.services) > 100 and len(sources.runtimes) > 200
    outcomes = collections.Counter()
    for key, r in resolutions.items():
        errors = [d for d in r.diagnostics if d.severity is Severity.ERROR]
        if r.runtime is not None:
            assert not errors, key
            assert r.decided_by in DECIDING_RULES
            assert r.candidates[0].runtime == r.runtime and r.candidates[0].rank == 1
            outcomes[f"selected/{r.decided_by}"] += 1
        else:
            assert errors, key
            for d in errors:
                assert d.code in FAILURE_CODES, d
                assert d.file.startswith("samples/isvc/") and d.line > 0 and d.field, d
                assert "\n" not in d.message
            outcomes[f"error/{errors[0].code}"] += 1
    assert sum(outcomes.values()) == len(sources.services)
    assert outcomes["selected/explicit"] > 0 and outcomes["selected/only-candidate"] > 0
    assert outcomes["error/model-incomplete"] > 0


def test_models_without_a_format_say_which_field_to_add(resolutions):
    r = resolutions[("llama-3-1-8b-instruct", "llama-3-1-8b-instruct")]
    [d] = r.diagnostics
    assert d.code == "model-incomplete" and d.field == "spec.runtime.name"
    assert "models/meta/Llama-3.1-8B-Instruct.yaml" in d.message and d.message.endswith("add spec.modelFormat.name")


def test_xgen_needs_an_architecture(resolutions):
    # OME: "model has no architecture but runtime requires GPTNeoXForCausalLM, ..."
    [d] = resolutions[("xgen-7b-8k-inst", "xgen-7b-8k-inst")].diagnostics
    assert d.code == "model-incomplete" and d.message.endswith("(GPTNeoXForCausalLM): add spec.modelArchitecture")


def test_qwen2_5_32b_prefers_ranged_runtimes_and_reports_the_tie(resolutions):
    # OME picks srt-deepseek-r1-distill-qwen-14b (no size range wins OME's size tie). Ours: the two
    # 30B-34B runtimes tie, name decides, and the choice is reported as ambiguous.
    r = resolutions[("qwen2-5-32b-instruct", "qwen2-5-32b-instruct")]
    assert (r.runtime.name, r.decided_by) == ("srt-qwen2-5-32b-instruct", "name")
    assert [d.code for d in r.diagnostics] == ["ambiguous-runtime"]
    assert [v.runtime.name for v in r.candidates if v.eligible][:2] == [
        "srt-qwen2-5-32b-instruct", "srt-qwen2-5-coder-32b-instruct"]


def test_gpt_oss_20b_without_a_size_is_decided_by_name(resolutions):
    r = resolutions[("openai-test", "gpt-oss-20b")]
    assert (r.runtime.name, r.decided_by) == ("srt-gpt-oss-120b-grpc", "name")


def test_the_catalog_has_four_priority_clash_pairs(sources):
    clashes = [d for d in check_runtimes(sources) if d.code == "priority-clash"]
    assert len(clashes) == 4
    # Two of them are reached by a sample service whose pick would be arbitrary: errors.
    assert sorted(d.severity.label for d in clashes) == ["error", "error", "warning", "warning"]
    assert all(d.field.endswith(".priority") for d in clashes)


def test_explain_renders_every_sample(resolutions):
    from omegen.resolve.explain import explain_json, explain_text

    for key, r in resolutions.items():
        payload = json.loads(json.dumps(explain_json(r)))
        assert payload["inferenceService"] == {"name": key[1], "namespace": key[0]}
        assert (payload["selected"] is None) == (r.runtime is None)
        text = explain_text(r)
        assert f"InferenceService {key[0]}/{key[1]}" in text


def test_omegen_explain_command_on_an_upstream_sample(tmp_path, capsys):
    from omegen.commands import main as cli

    root = tmp_path / "ome"
    for sub in ("runtimes", "models", "samples/isvc/meta"):
        shutil.copytree(UPSTREAM / sub, root / sub)
    with pytest.raises(SystemExit) as exited:
        cli.main(["explain", "llama-3-1-8b-instruct", str(root), "--no-builtin-runtimes", "-o", "json"])
    captured = capsys.readouterr()
    assert exited.value.code == 1  # the upstream model lacks modelFormat: a precise diagnostic, no traceback
    payload = json.loads(captured.out)
    assert payload["selected"] is None
    assert [d["code"] for d in payload["diagnostics"]] == ["model-incomplete"]
    assert "error[model-incomplete]" in captured.err and "Traceback" not in captured.err
