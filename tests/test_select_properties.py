"""Property tests for runtime resolution: order independence, disabled runtimes are inert,
scope always wins, and the resolution is internally consistent."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from omegen.resolve.runtime_checks import check_runtimes
from omegen.resolve.select import AMBIGUOUS_RULES, resolve
from select_factories import DECIDING_RULES
from select_factories import escalated, CSR, SR, entry, model, runtime, service, sources

SETTINGS = settings(max_examples=150, deadline=None)

NAMES = ("alpha", "beta", "gamma", "delta", "eps")
SIZES = (None, ("1B", "10B"), ("5B", "9B"), ("1B", None), (None, "8B"), ("20B", "30B"), ("6B", "10B"))
TIMES = (None, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "2024-12-31T23:00:00-02:00")

entries = st.builds(
    entry,
    st.sampled_from(("pytorch", "onnx", "PyTorch")),
    auto=st.booleans(),
    priority=st.sampled_from((None, 1, 2)),
    arch=st.sampled_from((None, None, "LlamaForCausalLM", "MistralForCausalLM")),
)


@st.composite
def runtimes(draw, names=NAMES):
    kind = draw(st.sampled_from((CSR, SR)))
    return runtime(
        draw(st.sampled_from(names)),
        *draw(st.lists(entries, min_size=1, max_size=2)),
        kind=kind,
        namespace=draw(st.sampled_from(("default", "other"))) if kind == SR else None,
        protocols=draw(st.sampled_from(((), ("openAI",), ("openAI", "openInference-v2")))),
        size=draw(st.sampled_from(SIZES)),
        disabled=draw(st.booleans()),
        created=draw(st.sampled_from(TIMES)),
    )


def unique(rts):
    by_key = {}
    for rt in rts:
        by_key.setdefault((rt.kind, rt.namespace, rt.name), rt)
    return list(by_key.values())


runtime_sets = st.lists(runtimes(), max_size=8).map(unique)
models = st.builds(
    model,
    fmt=st.sampled_from(("pytorch", "onnx")),
    size=st.sampled_from((None, "7B", "25B")),
    arch=st.sampled_from((None, "LlamaForCausalLM")),
)
services = st.builds(
    service,
    protocol=st.sampled_from((None, "openAI", "openInference-v2")),
    runtime_name=st.sampled_from((None, None, None, "alpha", "beta")),
)


def outcome(r):
    """Everything a user sees of a resolution."""
    return (
        (r.runtime.kind, r.runtime.namespace, r.runtime.name) if r.runtime else None,
        r.decided_by,
        [(v.runtime.kind, v.runtime.namespace, v.runtime.name, v.eligible, v.rank, v.reasons) for v in r.candidates],
        list(r.diagnostics),
    )


@SETTINGS
@given(rts=runtime_sets, mdl=models, svc=services, data=st.data())
def test_result_does_not_depend_on_listing_order(rts, mdl, svc, data):
    shuffled = data.draw(st.permutations(rts))
    first = resolve(svc, sources(svc, mdl, *rts))
    second = resolve(svc, sources(svc, mdl, *shuffled))
    assert outcome(first) == outcome(second)
    assert check_runtimes(sources(svc, mdl, *rts)) == check_runtimes(sources(svc, mdl, *shuffled))


@SETTINGS
@given(rts=runtime_sets, mdl=models, svc=services, extra=runtimes(names=("zeta", "eta", "alpha")))
def test_adding_a_disabled_runtime_never_changes_the_result(rts, mdl, svc, extra):
    keys = {(rt.kind, rt.namespace, rt.name) for rt in rts}
    if (extra.kind, extra.namespace, extra.name) in keys:
        return  # that would replace a runtime, not add one
    if svc.runtime_name == extra.name:
        return  # naming a runtime that is disabled is its own (precise) error, by design
    disabled = replace(extra, disabled=True)
    before = resolve(svc, sources(svc, mdl, *rts))
    after = resolve(svc, sources(svc, mdl, *rts, disabled))
    assert (after.runtime, after.decided_by) == (before.runtime, before.decided_by)
    assert [v for v in after.candidates if v.eligible] == [v for v in before.candidates if v.eligible]
    if any(d.code == "no-runtime" for d in before.diagnostics):
        assert [d.code for d in after.diagnostics] == [d.code for d in before.diagnostics]
    else:
        assert after.diagnostics == before.diagnostics


@SETTINGS
@given(rts=runtime_sets, mdl=models, svc=services)
def test_a_namespaced_candidate_always_beats_a_cluster_one(rts, mdl, svc):
    svc = replace(svc, runtime_name=None)
    r = resolve(svc, sources(svc, mdl, *rts))
    kinds = [v.runtime.kind for v in r.candidates if v.eligible]
    assert kinds == sorted(kinds, key=lambda k: k != SR)
    if SR in kinds:
        assert r.runtime.kind == SR and r.runtime.namespace == svc.namespace


@SETTINGS
@given(rts=runtime_sets, mdl=models, svc=services, strict=st.booleans())
def test_resolution_is_consistent(rts, mdl, svc, strict):
    r = escalated(resolve(svc, sources(svc, mdl, *rts)), strict)
    eligible = [v for v in r.candidates if v.eligible]
    assert [v.rank for v in eligible] == list(range(1, len(eligible) + 1))
    assert all(v.rank is None and v.reasons for v in r.candidates if not v.eligible)
    assert r.candidates[: len(eligible)] == tuple(eligible)
    if r.runtime is not None:
        assert eligible[0].runtime == r.runtime and r.decided_by in DECIDING_RULES
        assert not r.runtime.disabled
    else:
        assert r.decided_by is None and any(d.severity.name == "ERROR" for d in r.diagnostics)
    ambiguous = [d for d in r.diagnostics if d.code == "ambiguous-runtime"]
    assert bool(ambiguous) == (r.decided_by in AMBIGUOUS_RULES)
    assert all((d.severity.name == "ERROR") == strict for d in ambiguous)
