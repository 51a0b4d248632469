"""Runtime resolution (design.md section 3): every ranking rule and every tie-break, with a positive and
a negative case; explicit runtimes and the service's model; the upstream selection cases
(ome-behaviour.md 2.7) where our rules agree with OME's; one test per documented divergence from
OME, asserting our behaviour. The support rules are pinned in test_support.py, versions in
test_versions.py, runtime validation in test_runtime_checks.py."""

from __future__ import annotations

import pytest

from omegen.api import BASE_MODEL
from omegen.errors import Severity
from omegen.resolve.select import resolve
from omegen.resolve.support import runtime_supports
from select_factories import escalated, CSR, SR, entry, model, runtime, service, sources


def pick(*objects, svc=None, strict=False):
    svc = svc or service()
    return escalated(resolve(svc, sources(svc, *objects)), strict)


def codes(resolution_or_diags):
    diags = getattr(resolution_or_diags, "diagnostics", resolution_or_diags)
    return [d.code for d in diags]


def order(resolution):
    return [v.runtime.name for v in resolution.candidates if v.eligible]


def verdict(resolution, name):
    return next(v for v in resolution.candidates if v.runtime.name == name)


# --------------------------------------------------------------------------------------------
# Explicit runtime
# --------------------------------------------------------------------------------------------


def test_explicit_prefers_namespaced_serving_runtime():
    svc = service(runtime_name="rt")
    r = pick(model(), runtime("rt"), runtime("rt", kind=SR), svc=svc)
    assert (r.runtime.kind, r.decided_by, r.diagnostics) == (SR, "explicit", ())
    assert [(v.runtime.kind, v.eligible, v.rank) for v in r.candidates] == [(SR, True, 1)]


def test_explicit_falls_back_to_cluster_runtime():
    svc = service(runtime_name="rt")
    r = pick(model(), runtime("rt"), runtime("rt", kind=SR, namespace="other"), svc=svc)
    assert (r.runtime.kind, r.runtime.name) == (CSR, "rt")


def test_explicit_not_found():
    svc = service(runtime_name="nope")
    r = pick(model(), runtime("rt", kind=SR, namespace="other"), svc=svc)
    assert r.runtime is None
    [d] = r.diagnostics
    assert (d.code, d.severity, d.file, d.line, d.field) == (
        "runtime-not-found", Severity.ERROR, "services/svc.yaml", 9, "spec.runtime.name")
    assert d.message == (
        "runtime nope not found: no ServingRuntime nope in namespace default and no ClusterServingRuntime nope"
    )


def test_explicit_disabled():
    r = pick(model(), runtime("rt", disabled=True), svc=service(runtime_name="rt"))
    assert r.runtime is None and codes(r) == ["runtime-disabled"]
    assert r.diagnostics[0].message == "ClusterServingRuntime rt (runtimes/rt.yaml:5) is disabled"


def test_explicit_namespaced_disabled_shadows_cluster_runtime():
    r = pick(model(), runtime("rt"), runtime("rt", kind=SR, disabled=True), svc=service(runtime_name="rt"))
    assert r.runtime is None and codes(r) == ["runtime-disabled"]


def test_explicit_unsupported_names_runtime_and_first_failed_rule():
    r = pick(model(arch="MistralForCausalLM"), runtime("vllm", entry(arch="LlamaForCausalLM")),
             svc=service(runtime_name="vllm"))
    assert r.runtime is None
    [d] = r.diagnostics
    assert (d.code, d.line, d.field) == ("runtime-unsupported", 9, "spec.runtime.name")
    assert d.message == (
        "ClusterServingRuntime vllm does not support ClusterBaseModel m: "
        "architecture mismatch: model has MistralForCausalLM, runtime requires LlamaForCausalLM"
    )
    assert [(v.eligible, v.rank) for v in r.candidates] == [(False, None)]


def test_explicit_does_not_need_auto_select():
    r = pick(model(), runtime("rt", entry(auto=False)), svc=service(runtime_name="rt"))
    assert r.runtime.name == "rt" and r.diagnostics == ()
    assert "autoSelect not required for a named runtime" in r.candidates[0].reasons


def test_explicit_with_model_lacking_a_required_fact_says_which_field_to_add():
    r = pick(model(fmt=None), runtime("rt", entry("safetensors")), svc=service(runtime_name="rt"))
    [d] = r.diagnostics
    assert d.code == "model-incomplete" and d.field == "spec.runtime.name"
    assert d.message == (
        "ClusterBaseModel m (models/m.yaml:1) has no model format name, which ClusterServingRuntime rt requires "
        "(safetensors): add spec.modelFormat.name"
    )
    r = pick(model(), runtime("rt", entry(arch="GPTNeoXForCausalLM")), svc=service(runtime_name="rt"))
    assert r.diagnostics[0].message.endswith(
        "has no architecture, which ClusterServingRuntime rt requires (GPTNeoXForCausalLM): add spec.modelArchitecture")


def test_explicit_with_missing_model():
    r = pick(runtime("rt"), svc=service(runtime_name="rt", model_name="ghost"))
    assert r.runtime is None and codes(r) == ["model-not-found"]


def test_explicit_reports_missing_model_and_missing_runtime_together():
    r = pick(svc=service(runtime_name="rt", model_name="ghost"))
    assert codes(r) == ["model-not-found", "runtime-not-found"]


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


def test_model_not_found():
    r = pick(runtime("rt"), svc=service(model_name="ghost"))
    [d] = r.diagnostics
    assert (d.code, d.line, d.field) == ("model-not-found", 7, "spec.model.name")
    assert d.message == "model ghost not found: no BaseModel ghost in namespace default and no ClusterBaseModel ghost"


def test_service_without_model():
    r = pick(runtime("rt"), svc=service(model_name=None))
    assert codes(r) == ["model-not-found"] and r.diagnostics[0].message.endswith("add spec.model.name")


def test_model_without_format_name():
    r = pick(model(fmt=None), runtime("rt"))
    [d] = r.diagnostics
    assert (d.code, d.field) == ("model-incomplete", "spec.model.name")
    assert d.message == (
        "ClusterBaseModel m (models/m.yaml:1) has no model format name, which runtime selection needs: "
        "add spec.modelFormat.name"
    )


def test_model_disabled():
    r = pick(model(disabled=True), runtime("rt"))
    assert r.runtime is None and codes(r) == ["model-disabled"]


def test_namespaced_base_model_wins_over_cluster_base_model():
    r = pick(model(fmt="onnx"), model(fmt="pytorch", kind=BASE_MODEL, namespace="default"), runtime("rt"))
    assert r.model.kind == BASE_MODEL and r.runtime.name == "rt"


# --------------------------------------------------------------------------------------------
# Auto-selection: eligibility
# --------------------------------------------------------------------------------------------


def test_only_candidate():
    r = pick(model(), runtime("a"), runtime("b", entry("onnx")))
    assert (r.runtime.name, r.decided_by, r.diagnostics) == ("a", "only-candidate", ())


def test_auto_select_is_required():
    r = pick(model(), runtime("a", entry(auto=False)), runtime("b"))
    assert r.runtime.name == "b"
    assert verdict(r, "a").reasons == ("autoSelect: no format entry that supports the model has autoSelect: true",)


def test_auto_select_on_a_non_supporting_entry_does_not_count():
    r = pick(model(), runtime("a", entry("onnx", auto=True), entry("pytorch", auto=False)))
    assert r.runtime is None and codes(r) == ["no-runtime"]


def test_disabled_runtime_is_not_a_candidate():
    r = pick(model(), runtime("a", disabled=True), runtime("b"))
    assert r.runtime.name == "b" and verdict(r, "a").reasons == ("runtime is disabled",)


def test_a_disabled_serving_runtime_does_not_shadow_a_cluster_runtime_in_auto_selection():
    # Only a *named* runtime is looked up namespace-first; auto-selection just skips the disabled one.
    r = pick(model(), runtime("rt"), runtime("rt", kind=SR, disabled=True))
    assert (r.runtime.kind, r.decided_by) == (CSR, "only-candidate")
    assert [(v.runtime.kind, v.eligible) for v in r.candidates] == [(CSR, True), (SR, False)]


def test_serving_and_cluster_runtime_of_one_name_are_both_ranked():
    r = pick(model(), runtime("rt", entry(priority=5)), runtime("rt", kind=SR))
    assert (r.runtime.kind, r.decided_by, r.diagnostics) == (SR, "scope", ())
    assert [(v.runtime.kind, v.rank) for v in r.candidates] == [(SR, 1), (CSR, 2)]


def test_only_a_non_auto_select_entry_supports_the_model():
    rt = runtime("rt", entry("onnx", priority=3), entry("pytorch", auto=False))
    r = pick(model(), rt)
    assert r.runtime is None and verdict(r, "rt").reasons == (
        "autoSelect: no format entry that supports the model has autoSelect: true",)
    r = pick(model(), rt, svc=service(runtime_name="rt"))
    assert (r.runtime.name, r.diagnostics) == ("rt", ())
    assert "matches supportedModelFormats[1]" in r.candidates[0].reasons


def test_serving_runtimes_of_other_namespaces_are_not_considered():
    r = pick(model(), runtime("a", kind=SR, namespace="other"), runtime("b"))
    assert [v.runtime.name for v in r.candidates] == ["b"]


def test_no_candidate_counts_the_rules_and_names_the_closest_runtimes():
    r = pick(
        model(size="70B", arch="LlamaForCausalLM"),
        runtime("z-fmt", entry("onnx")),
        runtime("a-size", size=("1B", "10B")),
        runtime("m-auto", entry(auto=False)),
        runtime("ns-off", kind=SR, disabled=True),
        runtime("b-arch", entry(arch="MistralForCausalLM")),
    )
    assert r.runtime is None and r.decided_by is None
    [d] = r.diagnostics
    assert (d.code, d.severity, d.field) == ("no-runtime", Severity.ERROR, "spec.model.name")
    # Brief (issue 10): a headline, then how many each rule excluded, the closest three (a line
    # each), and where the rest is.
    assert d.message == "no runtime can be auto-selected for ClusterBaseModel m"
    assert d.notes == (
        "5 runtimes excluded (1 by architecture, 1 by autoSelect, 1 by disabled, 1 by format, 1 by size)",
        "closest: a-size (needs size in [1B, 10B])",
        "closest: b-arch (needs architecture MistralForCausalLM)",
        "closest: m-auto (no format entry with autoSelect: true)",
        "omegen explain svc -n default lists every runtime",
    )
    assert [v.runtime.name for v in r.candidates] == ["ns-off", "a-size", "b-arch", "m-auto", "z-fmt"]


def test_no_candidate_hints_at_model_fields_runtimes_require():
    r = pick(model(), runtime("a", entry(arch="LlamaForCausalLM")), runtime("b", entry(fw="transformers")))
    assert r.diagnostics[0].full_message() == (
        "no runtime can be auto-selected for ClusterBaseModel m; 2 runtimes excluded (1 by architecture, 1 by framework); "
        "closest: a (needs architecture LlamaForCausalLM); closest: b (needs framework transformers); the model lacks "
        "spec.modelArchitecture, spec.modelFramework.name; omegen explain svc -n default lists every runtime"
    )


def test_no_candidate_hints_only_at_facts_that_would_help():
    # Stating quantization fp8 would not make a 7B model fit the 400B runtime: no hint.
    r = pick(model(size="7B"), runtime("big-fp8", entry(quant="fp8"), size=("400B", "410B")))
    assert "the model lacks" not in r.diagnostics[0].full_message()
    r = pick(model(size="405B"), runtime("big-fp8", entry(quant="fp8"), size=("400B", "410B")))
    assert "the model lacks spec.quantization" in r.diagnostics[0].notes


def test_no_runtimes_at_all():
    r = pick(model())
    assert codes(r) == ["no-runtime"] and r.diagnostics[0].notes == ("no runtimes are defined",)


def test_candidates_are_eligible_by_rank_then_the_rest_in_stable_order():
    r = pick(
        model(),
        runtime("c-off", disabled=True),
        runtime("b", entry(priority=1)),
        runtime("a", entry(priority=3)),
        runtime("x", entry("onnx"), kind=SR),
        runtime("y", kind=SR, namespace="default", disabled=True),
    )
    assert [(v.runtime.name, v.eligible, v.rank) for v in r.candidates] == [
        ("a", True, 1), ("b", True, 2), ("x", False, None), ("y", False, None), ("c-off", False, None)]


# --------------------------------------------------------------------------------------------
# Auto-selection: ranking, each rule positive and negative
# --------------------------------------------------------------------------------------------


def test_scope_namespaced_beats_cluster_even_with_lower_priority():
    r = pick(model(), runtime("cluster", entry(priority=9)), runtime("local", entry(priority=1), kind=SR))
    assert (r.runtime.name, r.decided_by) == ("local", "scope")
    assert order(r) == ["local", "cluster"]


def test_scope_does_not_decide_between_two_cluster_runtimes():
    r = pick(model(), runtime("a", entry(priority=1)), runtime("b", entry(priority=2)))
    assert (r.runtime.name, r.decided_by) == ("b", "priority")


def test_priority_higher_wins():
    r = pick(model(), runtime("a", entry(priority=1)), runtime("b", entry(priority=2)))
    assert order(r) == ["b", "a"] and r.decided_by == "priority"
    assert "priority 2" in verdict(r, "b").reasons


def test_priority_set_beats_unset():
    r = pick(model(), runtime("a"), runtime("b", entry(priority=1)))
    assert (r.runtime.name, r.decided_by) == ("b", "priority")
    assert "priority unset" in verdict(r, "a").reasons


def test_priority_equal_falls_through_to_the_next_rule():
    r = pick(model(size="7B"), runtime("a", entry(priority=2), size=("1B", "100B")),
             runtime("b", entry(priority=2), size=("5B", "10B")))
    assert (r.runtime.name, r.decided_by) == ("b", "size")


def test_priority_of_the_best_supporting_auto_select_entry_counts():
    r = pick(model(), runtime("a", entry(priority=1), entry(priority=3)), runtime("b", entry(priority=2)))
    assert r.runtime.name == "a" and "priority 3" in verdict(r, "a").reasons
    assert "matches supportedModelFormats[1]" in verdict(r, "a").reasons


def test_priority_on_an_entry_without_auto_select_is_ignored():
    r = pick(model(), runtime("a", entry(auto=True), entry(auto=False, priority=9)), runtime("b", entry(priority=1)))
    assert (r.runtime.name, r.decided_by) == ("b", "priority")


def test_priority_of_a_non_supporting_entry_is_ignored():
    r = pick(model(), runtime("a", entry(), entry("onnx", priority=9)), runtime("b", entry(priority=1)))
    assert r.runtime.name == "b"


def test_size_ranged_and_containing_beats_unranged():
    r = pick(model(size="7B"), runtime("a-unranged"), runtime("b-ranged", size=("1B", "100B")))
    assert (r.runtime.name, r.decided_by) == ("b-ranged", "size")
    assert "size 7B within [1B, 100B]" in verdict(r, "b-ranged").reasons
    assert "no size range" in verdict(r, "a-unranged").reasons


def test_size_narrowest_range_wins():
    r = pick(model(size="70B"), runtime("a-wide", size=("1B", "1T")), runtime("b-narrow", size=("60B", "128B")))
    assert (r.runtime.name, r.decided_by) == ("b-narrow", "size")
    assert "size 70B within [60B, 128B]" in verdict(r, "b-narrow").reasons


def test_size_closed_range_beats_half_open_and_half_open_beats_none():
    r = pick(model(size="7B"), runtime("a-none"), runtime("b-open", size=("1B", None)),
             runtime("c-closed", size=("1B", "1T")))
    assert order(r) == ["c-closed", "b-open", "a-none"]


def test_size_half_open_nearer_bound_wins():
    r = pick(model(size="7B"), runtime("a", size=("1B", None)), runtime("b", size=("5B", None)))
    assert (r.runtime.name, r.decided_by) == ("b", "size")


def test_size_max_only_range_is_zero_to_max():
    # (, 8B] is [0, 8B]: 8B wide, so it beats the 99B-wide [1B, 100B] and loses to [6B, 8B].
    r = pick(model(size="7B"), runtime("a-wide", size=("1B", "100B")), runtime("b-max-only", size=(None, "8B")),
             runtime("c-open", size=("1B", None)))
    assert order(r) == ["b-max-only", "a-wide", "c-open"]
    r = pick(model(size="7B"), runtime("a-max-only", size=(None, "8B")), runtime("b-narrow", size=("6B", "8B")))
    assert order(r) == ["b-narrow", "a-max-only"]


def test_size_not_ranked_when_model_size_unknown():
    r = pick(model(), runtime("a-unranged"), runtime("b-ranged", size=("1B", "10B")))
    assert (r.runtime.name, r.decided_by) == ("a-unranged", "name")
    assert "model size unknown: size fit not ranked" in verdict(r, "b-ranged").reasons


def test_size_equal_widths_tie():
    r = pick(model(size="7B"), runtime("b", size=("6B", "10B")), runtime("a", size=("5B", "9B")))
    assert (r.runtime.name, r.decided_by) == ("a", "name")


def test_size_equal_ranges_written_differently_tie():
    # 1.5B..2B and 1500M..2000m are the same range (exact decimals): size does not decide.
    r = pick(model(size="1.5b"), runtime("b", size=("1.5B", "2B")), runtime("a", size=("1500M", "2000m")))
    assert (order(r), r.decided_by) == (["a", "b"], "name")


def test_size_bounds_are_inclusive_in_ranking():
    r = pick(model(size="1.5B"), runtime("at-min", size=("1500M", "3B")), runtime("at-max", size=("1B", "1.5B")),
             runtime("above", size=("1500000001", "2B")))
    assert order(r) == ["at-max", "at-min"]
    assert verdict(r, "above").reasons == ("size mismatch: model has 1.5B, runtime range is [1500000001, 2B]",)


def test_creation_timestamp_newest_first_is_ambiguous():
    r = pick(model(), runtime("a", created="2024-01-01T00:00:00Z"), runtime("b", created="2025-01-01T00:00:00Z"))
    assert (r.runtime.name, r.decided_by) == ("b", "creationTimestamp")
    [d] = r.diagnostics
    assert (d.code, d.severity, d.field) == ("ambiguous-runtime", Severity.WARNING, "spec.model.name")
    assert d.message == (
        "ambiguous runtime selection for ClusterBaseModel m: ClusterServingRuntimes b, a tie on scope, priority and "
        "size fit; b was picked by creationTimestamp (newest first); give one a higher priority or name the runtime "
        "in spec.runtime.name"
    )


def test_creation_timestamps_compare_as_datetimes():
    # 10:00+02:00 is 08:00Z, older than 09:00Z, although it sorts later as text.
    r = pick(model(), runtime("a", created="2024-01-01T10:00:00+02:00"), runtime("b", created="2024-01-01T09:00:00Z"))
    assert (r.runtime.name, r.decided_by) == ("b", "creationTimestamp")


def test_creation_timestamp_needs_every_tied_runtime_to_have_one():
    r = pick(model(), runtime("a"), runtime("b", created="2025-01-01T00:00:00Z"))
    assert (r.runtime.name, r.decided_by) == ("a", "name")


def test_an_unparseable_timestamp_counts_as_absent():
    r = pick(model(), runtime("a", created="yesterday"), runtime("b", created="2025-01-01T00:00:00Z"))
    assert (r.runtime.name, r.decided_by) == ("a", "name")


def test_creation_timestamp_ambiguity_is_an_error_under_strict():
    r = pick(model(), runtime("a", created="2024-01-01T00:00:00Z"), runtime("b", created="2024-01-01T00:00:01+00:00"),
             strict=True)
    assert (r.runtime.name, r.decided_by) == ("b", "creationTimestamp")
    assert [(d.code, d.severity) for d in r.diagnostics] == [("ambiguous-runtime", Severity.ERROR)]
    assert "picked by creationTimestamp (newest first)" in r.diagnostics[0].message


def test_equal_timestamps_fall_through_to_name():
    r = pick(model(), runtime("b", created="2024-01-01T00:00:00Z"), runtime("a", created="2024-01-01T00:00:00Z"))
    assert (r.runtime.name, r.decided_by) == ("a", "name")


def test_timestamp_does_not_override_earlier_rules():
    r = pick(model(), runtime("a", entry(priority=2), created="2020-01-01T00:00:00Z"),
             runtime("b", entry(priority=1), created="2025-01-01T00:00:00Z"))
    assert (r.runtime.name, r.decided_by, r.diagnostics) == ("a", "priority", ())


def test_name_ascending_is_ambiguous():
    r = pick(model(), runtime("beta"), runtime("alpha"), runtime("gamma", entry(priority=1)))
    assert (r.runtime.name, r.decided_by) == ("gamma", "priority")
    r = pick(model(), runtime("beta"), runtime("alpha"))
    assert (r.runtime.name, r.decided_by) == ("alpha", "name")
    [d] = r.diagnostics
    assert d.severity is Severity.WARNING and "alpha, beta tie" in d.message and "picked by name (ascending)" in d.message


def test_ambiguity_is_an_error_under_strict():
    r = pick(model(), runtime("beta"), runtime("alpha"), strict=True)
    assert r.runtime.name == "alpha"
    assert [(d.code, d.severity) for d in r.diagnostics] == [("ambiguous-runtime", Severity.ERROR)]


def test_no_ambiguity_when_a_rule_before_the_tie_breaks_decides():
    r = pick(model(), runtime("a"), runtime("b"), runtime("c", entry(priority=1)))
    assert r.decided_by == "priority" and r.diagnostics == ()


def test_ambiguity_lists_only_the_runtimes_tied_with_the_winner():
    r = pick(model(), runtime("rt-a", entry(priority=2)), runtime("rt-b", entry(priority=2)),
             runtime("rt-c", entry(priority=1)))
    assert "ClusterServingRuntimes rt-a, rt-b tie" in r.diagnostics[0].message
    assert "rt-c" not in r.diagnostics[0].message


def test_deciding_rule_is_between_winner_and_runner_up():
    # The winner beats the runner-up on size, though both beat the third on priority.
    r = pick(model(size="7B"), runtime("a", entry(priority=2), size=("1B", "10B")),
             runtime("b", entry(priority=2), size=("1B", "100B")), runtime("c", entry(priority=1), size=("6B", "8B")))
    assert (order(r), r.decided_by) == (["a", "b", "c"], "size")


# --------------------------------------------------------------------------------------------
# Upstream selection cases (ome-behaviour.md 2.7), weights translated away
# --------------------------------------------------------------------------------------------


def _supporting_runtimes_fixture():
    """TestGetSupportingRuntimes: namespace `default`; weights dropped (they do not exist in our rules)."""
    return (
        runtime("pytorch-rt", entry("pytorch", priority=2), kind=SR, size=("1B", "10B")),
        runtime("onnx-rt", entry("onnx", priority=1), kind=SR, size=("10B", "20B")),
        runtime("tensorflow-rt", entry("tensorflow"), kind=SR, size=("50B", "100B")),
        runtime("multi-format-rt", entry("pytorch", priority=1), entry("onnx", priority=1), kind=SR, size=("1B", "20B")),
        runtime("disabled-rt", entry("pytorch"), kind=SR, disabled=True),
        runtime("no-autoselect-rt", entry("pytorch", auto=False), kind=SR),
        runtime("cluster-pytorch-rt", entry("pytorch"), size=("5B", "15B")),
    )


@pytest.mark.parametrize(
    "fmt, size, expected, decided_by",
    [
        ("pytorch", "7B", ["pytorch-rt", "multi-format-rt", "cluster-pytorch-rt"], "priority"),
        ("onnx", "13B", ["onnx-rt", "multi-format-rt"], "size"),
        ("tensorflow", "70B", ["tensorflow-rt"], "only-candidate"),
        ("unknown-format", "7B", [], None),
        ("pytorch", "200B", [], None),
    ],
)
def test_upstream_get_supporting_runtimes(fmt, size, expected, decided_by):
    r = pick(model(fmt=fmt, size=size), *_supporting_runtimes_fixture())
    assert order(r) == expected and r.decided_by == decided_by
    if not expected:
        assert codes(r) == ["no-runtime"]


def test_upstream_sort_higher_score_first():
    # "score 5 vs 36 → 36 first": with weights gone, priority carries the difference.
    r = pick(model(), runtime("low", entry(priority=1)), runtime("high", entry(priority=7)))
    assert order(r) == ["high", "low"]


def test_upstream_sort_narrower_range_first():
    # "equal score, model 7B; ranges 20B-30B vs 5B-10B → 5B-10B first". Under our rules (and in
    # OME's matcher) 20B-30B does not hold a 7B model at all, so the sort is shown with a range that does.
    r = pick(model(size="7B"), runtime("wide", size=("1B", "30B")), runtime("narrow", size=("5B", "10B")))
    assert order(r) == ["narrow", "wide"]
    r = pick(model(size="7B"), runtime("out", size=("20B", "30B")), runtime("narrow", size=("5B", "10B")))
    assert order(r) == ["narrow"]


def test_upstream_sort_namespace_before_cluster():
    r = pick(model(), runtime("zzz", kind=SR), runtime("aaa"))
    assert order(r) == ["zzz", "aaa"] and r.decided_by == "scope"


def test_upstream_score_maximum_over_formats():
    r = pick(model(), runtime("two", entry(priority=1), entry(priority=2)), runtime("one", entry(priority=1)))
    assert r.runtime.name == "two"


@pytest.mark.parametrize(
    "rt_entry, mdl",
    [
        (entry("pytorch", fw="pytorch-fw"), model(fw="other")),  # framework name differs
        (entry("tensorflow"), model(fmt="pytorch")),  # format differs
        (entry("pytorch", fw="transformers"), model()),  # runtime has a framework, model has none
        (entry("pytorch", auto=False), model()),  # autoSelect false
    ],
)
def test_upstream_score_zero_cases_are_not_candidates(rt_entry, mdl):
    r = pick(mdl, runtime("rt", rt_entry))
    assert r.runtime is None and codes(r) == ["no-runtime"]


def test_upstream_exclude_no_autoselect():
    r = pick(model(), runtime("rt-no-auto", entry(auto=False)), runtime("rt-auto"))
    assert order(r) == ["rt-auto"]


def test_upstream_no_runtime_found_details():
    r = pick(model(size="70B"), runtime("rt-wrong-format", entry("onnx")), runtime("rt-size-too-small", size=("1B", "10B")))
    msg = r.diagnostics[0].full_message()
    assert "closest: rt-size-too-small (needs size in [1B, 10B]); closest: rt-wrong-format (needs format onnx)" in msg


def test_upstream_validate_runtime():
    assert codes(pick(model(), runtime("rt", disabled=True), svc=service(runtime_name="rt"))) == ["runtime-disabled"]
    assert pick(model(), runtime("rt", entry(auto=False)), svc=service(runtime_name="rt")).diagnostics == ()


@pytest.mark.parametrize(
    "rt, mdl, ok",
    [
        (runtime("rt", entry("pytorch", version="1.0.0")), model(version="1.0.0", size="7B"), True),
        (runtime("rt", entry("pytorch", version="1.0.0")), model(fmt="tensorflow", version="2.0.0"), False),
        (runtime("rt", size=("1B", "13B")), model(size="70B"), False),
        (runtime("rt", size=("1B", "13B")), model(size="1B"), True),
        (runtime("rt", size=("1B", "13B")), model(size="13B"), True),
        (runtime("rt", size=("1B", "13B")), model(), True),
        (runtime("rt"), model(size="70B"), True),
        (runtime("rt", entry(arch="LlamaForCausalLM", quant="fp8")), model(arch="LlamaForCausalLM", quant="fp8"), True),
        (runtime("rt", entry("diffusers"), size=("1B", "5B")), model(fmt="diffusers", size="7B"), False),
        (runtime("rt", entry("diffusers"), size=("6B", "13B")), model(fmt="diffusers", size="7B"), True),
    ],
)
def test_upstream_runtime_supports_model(rt, mdl, ok):
    assert (runtime_supports(rt, mdl) is None) is ok


def test_upstream_fetch_order_newest_first_then_name():
    now, earlier = "2025-06-01T12:00:00Z", "2025-06-01T11:00:00Z"
    r = pick(model(), runtime("runtime-a", created=now), runtime("runtime-b", created=earlier),
             runtime("runtime-c", created=now))
    assert order(r) == ["runtime-a", "runtime-c", "runtime-b"]
    r = pick(model(), *(runtime(n, created=now) for n in ("zebra", "alpha", "beta")))
    assert order(r) == ["alpha", "beta", "zebra"]


def test_upstream_get_runtime_wrong_namespace_and_cluster():
    assert codes(pick(model(), runtime("rt", kind=SR, namespace="x"), svc=service(runtime_name="rt"))) == ["runtime-not-found"]
    assert pick(model(), runtime("rt"), svc=service(runtime_name="rt")).runtime.is_cluster


# --------------------------------------------------------------------------------------------
# Documented divergences from OME's controller (design.md section 3, last paragraph): OUR behaviour
# --------------------------------------------------------------------------------------------


def test_divergence_protocol_versions_are_honoured():
    # OME ignores protocolVersions and would select `openai-only`.
    r = pick(model(), runtime("openai-only", protocols=("openAI",)), svc=service(protocol="openInference-v2"))
    assert r.runtime is None and "protocol mismatch" in r.diagnostics[0].full_message()


def test_divergence_unset_priority_is_not_one():
    # OME scores an unset priority as 1: a tie broken by name would pick `a-unset`.
    r = pick(model(), runtime("a-unset"), runtime("b-one", entry(priority=1)))
    assert (r.runtime.name, r.decided_by) == ("b-one", "priority")


def test_divergence_upstream_accelerator_fixture_set_beats_unset():
    # TestSupportedRuntimeWithAC without accelerator requirements: OME orders pytorch-rt, -3, -4, -1
    # (weights 12 beat priority 1 × weight 8). Ours: priorities 2, 1, then the unset ones by name.
    r = pick(
        model(size="7B"),
        runtime("pytorch-rt", entry(priority=2), kind=SR, size=("1B", "10B")),
        runtime("pytorch-rt-1", entry(priority=1), kind=SR, size=("1B", "8B")),
        runtime("pytorch-rt-2", kind=SR, size=("50B", "100B")),
        runtime("pytorch-rt-3", kind=SR, size=("1B", "10B")),
        runtime("pytorch-rt-4", kind=SR, size=("1B", "10B")),
    )
    assert order(r) == ["pytorch-rt", "pytorch-rt-1", "pytorch-rt-3", "pytorch-rt-4"]


def test_divergence_no_weight_multiplication():
    # OME: format weight 10 × priority 1 = 10 beats weight 1 × priority 2 = 2. We have no weights: priority decides.
    r = pick(model(), runtime("heavy", entry(priority=1)), runtime("prio", entry(priority=2)))
    assert (r.runtime.name, r.decided_by) == ("prio", "priority")


def test_divergence_unranged_runtime_does_not_win_a_size_tie():
    # OME's sizeScore is 0 for a runtime without a range, so `a-unranged` would win.
    r = pick(model(size="32B"), runtime("a-unranged"), runtime("b-ranged", size=("30B", "35B")))
    assert (r.runtime.name, r.decided_by) == ("b-ranged", "size")


def test_divergence_architecture_and_quantization_only_on_the_model_side_are_ignored():
    # OME requires both sides or neither; ours ignores a constraint the runtime leaves unset.
    assert runtime_supports(runtime("rt"), model(arch="LlamaForCausalLM", quant="fp8")) is None


def test_divergence_architecture_and_quantization_required_by_the_runtime_must_hold():
    assert runtime_supports(runtime("rt", entry(arch="LlamaForCausalLM")), model()).rule == "architecture"
    assert runtime_supports(runtime("rt", entry(quant="fp8")), model()).rule == "quantization"


def test_divergence_format_name_is_case_insensitive():
    assert runtime_supports(runtime("rt", entry("SafeTensors")), model(fmt="safetensors")) is None


def test_divergence_format_version_is_a_dotted_prefix():
    # OME's Equal reads "1.15" as 1.15.0, which is not 1.15.4.
    assert runtime_supports(runtime("rt", entry(version="1.15")), model(version="1.15.4")) is None


def test_divergence_model_version_is_ignored_when_the_runtime_sets_none():
    assert runtime_supports(runtime("rt", entry(version=None)), model(version="1.0.0")) is None


def test_divergence_auto_select_must_be_on_the_supporting_entry():
    # OME accepts autoSelect from any entry of the runtime.
    r = pick(model(), runtime("rt", entry("pytorch", auto=False), entry("onnx", auto=True)))
    assert r.runtime is None


def test_divergence_creation_timestamp_breaks_ties():
    # OME never uses creationTimestamp; it would pick `a-old` by name.
    r = pick(model(), runtime("a-old", created="2020-01-01T00:00:00Z"), runtime("b-new", created="2024-01-01T00:00:00Z"))
    assert r.runtime.name == "b-new"
