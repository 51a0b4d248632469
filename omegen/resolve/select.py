"""Runtime resolution: which runtime serves one InferenceService (design.md section 3), as pure functions.

`resolve()` picks the runtime for one InferenceService and explains every decision. A runtime named
in `spec.runtime.name` is used when it supports the model (`omegen.resolve.support`); otherwise
auto-selection ranks every supporting runtime that has a supporting `autoSelect` entry by scope,
priority and size fit (rules 1-3), then breaks a tie by creationTimestamp and name (rules 4-5),
which is ambiguous and reported as such. A problem with the service's model (missing, disabled,
lacking a fact a runtime requires) is reported here too, at the service's `spec.model.name`.

Choices the design leaves open, made here (tests pin each one):
- Sizes are never negative, so a range with only a max is `[0, max]` and ranks by its width like a
  closed range. A range with only a min is unbounded: it ranks after every bounded range and before
  no range; among those, the min nearer the model size wins.
- Rule 4 (creationTimestamp) orders a group of tied runtimes only when every runtime in the
  group has a (parseable) timestamp; otherwise name alone orders it. This keeps the order total.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Iterable, Optional

from omegen.resolve import accelerators, finetuned
from omegen.api import (
    BASE_MODEL,
    CLUSTER_BASE_MODEL,
    CLUSTER_SERVING_RUNTIME,
    SERVING_RUNTIME,
    FieldOrigin,
    FormatEntry,
    InferenceService,
    Model,
    Resolution,
    Runtime,
    Size,
    Sources,
    Verdict,
)
from omegen.errors import Diagnostic, at, error, warning
from omegen.resolve import nomatch
from omegen.resolve.sourcetext import model_label, position, runtime_label, short_path
from omegen.resolve.support import FACTS, Failure, runtime_supports, size_range, supporting_entries

# Resolution.decided_by values, in the order the rules apply.
EXPLICIT = "explicit"
ONLY_CANDIDATE = "only-candidate"
SCOPE = "scope"
PRIORITY = "priority"
SIZE = "size"
CREATION_TIMESTAMP = "creationTimestamp"
NAME = "name"
AMBIGUOUS_RULES = (CREATION_TIMESTAMP, NAME)


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------


def _scope_key(runtime: Runtime) -> int:
    return 1 if runtime.is_cluster else 0


def _priority_key(entry: Optional[FormatEntry]) -> tuple:
    # The input schema holds a priority to an integer ≥ 1 (load rejects the runtime otherwise).
    if entry is None or entry.priority is None:
        return (1, 0)
    return (0, -entry.priority)


def _size_key(runtime: Runtime, size: Optional[Size]) -> tuple:
    if size is None:
        return (0, Decimal(0))
    r = size_range(runtime)
    if r is None:
        return (3, Decimal(0))
    if r.max is not None:
        return (0, r.max.value - (r.min.value if r.min is not None else Decimal(0)))
    return (1, abs(r.min.value - size.value))


def parse_timestamp(text: Optional[str]) -> Optional[datetime]:
    """RFC 3339 → an aware datetime (naive ones read as UTC); None when absent or unparseable."""
    if not text:
        return None
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _best_entry(entries: Iterable[FormatEntry]) -> Optional[FormatEntry]:
    """The entry with the highest priority (set beats unset); the first on a tie."""
    best = None
    for entry in entries:
        if best is None or _priority_key(entry) < _priority_key(best):
            best = entry
    return best


@dataclass(frozen=True)
class _Candidate:
    runtime: Runtime
    entry: FormatEntry  # the best supporting autoSelect entry
    key: tuple  # (scope, priority, size): the ranking rules 1-3
    timestamp: Optional[datetime]


def candidate_order(runtime: Runtime) -> tuple:
    """The stable order for runtimes that are not ranked: namespaced first, then namespace, name."""
    return (_scope_key(runtime), runtime.namespace or "", runtime.name)


def _order_group(group: list[_Candidate]) -> tuple[list[_Candidate], bool]:
    """Order candidates tied on rules 1-3 by rule 4 (when all have a timestamp) and 5.
    Returns the order and whether rule 4 applied."""
    by_name = sorted(group, key=lambda c: (c.runtime.name, c.runtime.namespace or ""))
    if len(group) > 1 and all(c.timestamp is not None for c in group):
        return sorted(by_name, key=lambda c: c.timestamp, reverse=True), True  # stable: name breaks equal times
    return by_name, False


@dataclass(frozen=True)
class _Ranking:
    ranked: tuple[_Candidate, ...]
    top_group: tuple[_Candidate, ...]  # the candidates tied with the winner on rules 1-3
    decided_by: Optional[str]


def _rank(candidates: list[_Candidate]) -> _Ranking:
    ranked: list[_Candidate] = []
    groups = []
    for _, members in itertools.groupby(sorted(candidates, key=lambda c: c.key), key=lambda c: c.key):
        ordered, used_time = _order_group(list(members))
        groups.append((ordered, used_time))
        ranked.extend(ordered)
    if not ranked:
        return _Ranking((), (), None)
    top, used_time = groups[0]
    if len(ranked) == 1:
        decided = ONLY_CANDIDATE
    elif len(top) == 1:
        w, r = ranked[0].key, ranked[1].key
        decided = SCOPE if w[0] != r[0] else PRIORITY if w[1] != r[1] else SIZE
    elif used_time and top[0].timestamp != top[1].timestamp:
        decided = CREATION_TIMESTAMP
    else:
        decided = NAME
    return _Ranking(tuple(ranked), tuple(top), decided)


# --------------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------------


def _considered(service: InferenceService, sources: Sources) -> list[Runtime]:
    """Every runtime auto-selection looks at: ServingRuntimes in the service's namespace and all
    ClusterServingRuntimes, in the stable order."""
    runtimes = [
        rt
        for rt in sources.runtimes.values()
        if rt.kind == CLUSTER_SERVING_RUNTIME or (rt.kind == SERVING_RUNTIME and rt.namespace == service.namespace)
    ]
    return sorted(runtimes, key=candidate_order)


def _model_diagnostics(service: InferenceService, sources: Sources, model: Optional[Model]) -> list[Diagnostic]:
    where = service.where("spec.model.name")
    if service.model_name is None:
        return [at(error, "model-not-found", f"InferenceService {service.namespace}/{service.name} names no model: add spec.model.name", where)]
    if model is None:
        broken = sources.rejected_at(BASE_MODEL, service.model_name, service.namespace) or sources.rejected_at(
            CLUSTER_BASE_MODEL, service.model_name
        )
        if broken:
            message = f"model {service.model_name} could not be loaded: its definition at {broken} has errors (reported there)"
            return [replace(at(error, "model-not-found", message, where), cause=broken)]
        message = (
            f"model {service.model_name} not found: no {BASE_MODEL} {service.model_name} in namespace "
            f"{service.namespace} and no {CLUSTER_BASE_MODEL} {service.model_name}"
        ) + nomatch.suggestion(service.model_name, service.namespace, sources.models, BASE_MODEL)
        return [at(error, "model-not-found", message, where)]
    if model.disabled:
        return [at(error, "model-disabled", f"{model_label(model)} ({position(model.where())}) is disabled", where)]
    return []


def _incomplete(model: Model, what: str, missing: str, where: FieldOrigin) -> Diagnostic:
    return at(
        error,
        "model-incomplete",
        f"{model_label(model)} ({position(model.where())}) {what}: add {missing}",
        where,
    )


def _eligible_reasons(c: _Candidate, model: Model, protocol: Optional[str]) -> tuple[str, ...]:
    rt = c.runtime
    reasons = [f"matches {short_path(c.entry.path)}"]
    reasons.append("scope cluster" if rt.is_cluster else f"scope namespace {rt.namespace}")
    reasons.append(f"priority {c.entry.priority}" if c.entry.priority is not None else "priority unset")
    if protocol is not None and rt.protocol_versions:
        reasons.append(f"protocol {protocol} supported")
    r = size_range(rt)
    if model.size is None:
        reasons.append("model size unknown: size fit not ranked" if r is not None else "no size range")
    elif r is None:
        reasons.append("no size range")
    else:
        reasons.append(f"size {model.size.text} within {r.text()}")
    if rt.creation_timestamp:
        reasons.append(f"created {rt.creation_timestamp}")
    return tuple(reasons)


def resolve(service: InferenceService, sources: Sources) -> Resolution:
    """Resolve the runtime for one InferenceService (design.md section 3), and its fine-tuned weights."""
    resolution = _resolve(service, sources)
    weights, problems = finetuned.fine_tuned_weights(service, sources)
    if weights or problems:
        resolution = replace(resolution, fine_tuned=weights, diagnostics=resolution.diagnostics + tuple(problems))
    if resolution.runtime is None:
        return resolution
    choices, problems = accelerators.choose(resolution, sources)
    if not choices and not problems:
        return resolution
    return replace(resolution, accelerators=choices, diagnostics=resolution.diagnostics + tuple(problems))


def _resolve(service: InferenceService, sources: Sources) -> Resolution:
    model = sources.model_for(service)
    diagnostics = _model_diagnostics(service, sources, model)
    if service.runtime_name is not None:
        return _resolve_explicit(service, sources, model, diagnostics)
    if diagnostics:
        return Resolution(service, model, None, (), None, tuple(diagnostics))
    assert model is not None
    if model.format_name is None:
        diag = _incomplete(model, "has no model format name, which runtime selection needs", "spec.modelFormat.name",
                           service.where("spec.model.name"))
        return Resolution(service, model, None, (), None, (diag,))
    return _resolve_auto(service, sources, model)


def _resolve_explicit(
    service: InferenceService, sources: Sources, model: Optional[Model], diagnostics: list[Diagnostic]
) -> Resolution:
    name = service.runtime_name
    where = service.where("spec.runtime.name")
    runtime = sources.runtime(SERVING_RUNTIME, name, service.namespace) or sources.runtime(CLUSTER_SERVING_RUNTIME, name)
    if runtime is None:
        broken = sources.rejected_at(SERVING_RUNTIME, name, service.namespace) or sources.rejected_at(CLUSTER_SERVING_RUNTIME, name)
        if broken:
            message = f"runtime {name} could not be loaded: its definition at {broken} has errors (reported there)"
        else:
            message = (
                f"runtime {name} not found: no {SERVING_RUNTIME} {name} in namespace {service.namespace} "
                f"and no {CLUSTER_SERVING_RUNTIME} {name}"
            ) + nomatch.suggestion(name, service.namespace, sources.runtimes, SERVING_RUNTIME)
        diagnostics.append(replace(at(error, "runtime-not-found", message, where), cause=broken or ""))
        return Resolution(service, model, None, (), None, tuple(diagnostics))
    if runtime.disabled:
        verdict = Verdict(runtime, False, None, ("runtime is disabled",))
        diagnostics.append(
            at(error, "runtime-disabled", f"{runtime_label(runtime)} ({position(runtime.where('spec.disabled'))}) is disabled", where)
        )
        return Resolution(service, model, None, (verdict,), None, tuple(diagnostics))
    if model is None or diagnostics:
        return Resolution(service, model, None, (), None, tuple(diagnostics))
    failure = runtime_supports(runtime, model, service.protocol_version, accelerators.required_names(service))
    if failure is not None:
        verdict = Verdict(runtime, False, None, (failure.reason,))
        if failure.missing is not None:
            diag = _incomplete(
                model,
                f"has no {FACTS[failure.rule].noun}, which {runtime_label(runtime)} requires "
                f"({failure.required})",
                failure.missing,
                where,
            )
        else:
            diag = at(
                error,
                "runtime-unsupported",
                f"{runtime_label(runtime)} does not support {model_label(model)}: {failure.reason}",
                where,
            )
        return Resolution(service, model, None, (verdict,), None, (diag,))
    entries = supporting_entries(runtime, model)
    entry = _best_entry(e for e in entries if e.auto_select) or entries[0]
    reasons = ["named in spec.runtime.name", f"matches {short_path(entry.path)}"]
    if not entry.auto_select:
        reasons.append("autoSelect not required for a named runtime")
    return Resolution(service, model, runtime, (Verdict(runtime, True, 1, tuple(reasons)),), EXPLICIT, ())


def _evaluate_auto(runtime: Runtime, model: Model, protocol: Optional[str], required: tuple = ()) -> tuple[Optional[_Candidate], Optional[Failure]]:
    failure = runtime_supports(runtime, model, protocol, required)
    if failure is not None:
        return None, failure
    entries = [e for e in supporting_entries(runtime, model) if e.auto_select]
    if not entries:
        return None, Failure("autoSelect", "autoSelect: no format entry that supports the model has autoSelect: true", needs="no format entry with autoSelect: true")
    entry = _best_entry(entries)
    key = (_scope_key(runtime), _priority_key(entry), _size_key(runtime, model.size))
    return _Candidate(runtime, entry, key, parse_timestamp(runtime.creation_timestamp)), None


def _would_help(runtime: Runtime, model: Model, failure: Failure, protocol: Optional[str], required: tuple) -> bool:
    """Whether stating the missing fact (as the runtime requires it) makes the runtime a candidate:
    only then is "the model lacks X" worth saying (a 9M model lacking quantization is not helped
    by adding the fp8 a 400B runtime wants)."""
    if failure.missing is None or " " in failure.required:  # " ": an operator's range, not one value
        return False
    stated = replace(model, **{FACTS[failure.rule].attribute: failure.required})
    candidate, _ = _evaluate_auto(runtime, stated, protocol, required)
    return candidate is not None


def _auto_candidates(service: InferenceService, sources: Sources, model: Model):
    candidates: list[_Candidate] = []
    failures: list[tuple[Runtime, Failure]] = []
    for runtime in _considered(service, sources):
        candidate, failure = _evaluate_auto(runtime, model, service.protocol_version, accelerators.required_names(service))
        if candidate is not None:
            candidates.append(candidate)
        else:
            failures.append((runtime, failure))
    return candidates, failures


def tied_at_top(service: InferenceService, sources: Sources, model: Model) -> tuple[Runtime, ...]:
    """The runtimes tied with the winner of the service's auto-selection on rules 1-3 (scope,
    priority, size fit); more than one means rules 4-5 decide, which is ambiguous."""
    candidates, _ = _auto_candidates(service, sources, model)
    return tuple(c.runtime for c in _rank(candidates).top_group)


def _resolve_auto(service: InferenceService, sources: Sources, model: Model) -> Resolution:
    candidates, failures = _auto_candidates(service, sources, model)
    ranking = _rank(candidates)
    verdicts = [
        Verdict(c.runtime, True, i, tuple(map(sys.intern, _eligible_reasons(c, model, service.protocol_version))))
        for i, c in enumerate(ranking.ranked, start=1)
    ]
    # Interned: every service of a model repeats the same few reasons (memory at 10,000 services).
    verdicts += [Verdict(rt, False, None, (sys.intern(f.reason),)) for rt, f in failures]
    where = service.where("spec.model.name")
    diagnostics: list[Diagnostic] = []
    if not ranking.ranked:
        required = accelerators.required_names(service)
        missing = sorted({f.missing for rt, f in failures if f.missing and _would_help(rt, model, f, service.protocol_version, required)})
        diagnostics.append(nomatch.no_runtime(service, sources, model, failures, missing, where))
        return Resolution(service, model, None, tuple(verdicts), None, tuple(diagnostics))
    winner = ranking.ranked[0]
    if ranking.decided_by in AMBIGUOUS_RULES:
        rule = "creationTimestamp (newest first)" if ranking.decided_by == CREATION_TIMESTAMP else "name (ascending)"
        diagnostics.append(at(warning, "ambiguous-runtime", _ambiguity(model, ranking.top_group, winner, rule), where))
    return Resolution(service, model, winner.runtime, tuple(verdicts), ranking.decided_by, tuple(diagnostics))


def _ambiguity(model: Model, tied: tuple, winner: _Candidate, rule: str) -> str:
    ranges = {c.runtime.name: (size_range(c.runtime).text() if size_range(c.runtime) else "no range") for c in tied}
    shown = tied[:3]
    more = f" and {len(tied) - 3} more" if len(tied) > 3 else ""
    if model.size is None and len(set(ranges.values())) > 1:
        # Only the missing size keeps them apart: the pick may serve an 8B model on a 70B runtime.
        names = ", ".join(f"{c.runtime.name} {ranges[c.runtime.name]}" for c in shown) + more
        return (
            f"ambiguous runtime selection for {model_label(model)}: it has no spec.modelParameterSize, and {names} "
            f"tie on scope and priority with different size ranges; {winner.runtime.name} was picked by {rule}; "
            f"add spec.modelParameterSize to the model or name the runtime in spec.runtime.name"
        )
    names = ", ".join(c.runtime.name for c in shown) + more
    return (
        f"ambiguous runtime selection for {model_label(model)}: {winner.runtime.kind}s {names} tie on scope, "
        f"priority and size fit; {winner.runtime.name} was picked by {rule}; give one a higher priority or "
        f"name the runtime in spec.runtime.name"
    )
