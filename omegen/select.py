"""Runtime resolution: design.md section 3, for both dialects, as pure functions.

`resolve()` picks the runtime for one InferenceService and explains every decision;
`check_runtimes()` validates the seed's priority constraints across all runtimes.

Support is decided by small predicates over one format entry (`ENTRY_RULES`) and over the
runtime as a whole (`RUNTIME_RULES`); the first rule that fails is the reason reported.
Auto-selection ranks the candidates by `RANKING` (scope, priority, size fit), then breaks a tie by
creationTimestamp and name, which is ambiguous and reported as such.

Choices the design leaves open, made here (tests pin each one):
- Format version with operator `Equal` (the default) is the dotted-prefix rule; a model version
  with fewer parts is read as if padded with `.0` (`"1.0.0"` accepts a model at `1`, as OME's
  `1.0 == 1.0.0`). `GreaterThan`/`GreaterThanOrEqual` use OME's comparison exactly (same
  precision and `v` prefix required; pre/build/dev parts force equality), runtime version
  against the model's.
- Framework version: OME's comparison for every operator; `Equal` falls back to string
  equality when either side is not a version OME can parse.
- A half-open size range (one bound) is ranked after every closed range and before no range;
  among half-open ranges the bound nearer the model size wins.
- Rule 4 (creationTimestamp) orders a group of tied runtimes only when every runtime in the
  group has a (parseable) timestamp; otherwise name alone orders it. This keeps the order total.
- Protocol lists "share a protocol version" for the priority-clash check when they intersect or
  either is empty (an empty list accepts every protocol).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable, Iterable, Optional

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
    SizeRange,
    Sources,
    Verdict,
)
from omegen.errors import Diagnostic, error, warning

# Resolution.decided_by values, in the order the rules apply.
EXPLICIT = "explicit"
ONLY_CANDIDATE = "only-candidate"
SCOPE = "scope"
PRIORITY = "priority"
SIZE = "size"
CREATION_TIMESTAMP = "creationTimestamp"
NAME = "name"
DECIDING_RULES = (EXPLICIT, ONLY_CANDIDATE, SCOPE, PRIORITY, SIZE, CREATION_TIMESTAMP, NAME)
AMBIGUOUS_RULES = (CREATION_TIMESTAMP, NAME)

EQUAL = "Equal"
GREATER_THAN = "GreaterThan"
GREATER_THAN_OR_EQUAL = "GreaterThanOrEqual"


# --------------------------------------------------------------------------------------------
# Failures and the support rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why a runtime (or one of its format entries) does not support a model."""

    rule: str  # e.g. "architecture", "protocol", "size", "autoSelect", "disabled"
    reason: str  # one line, e.g. "architecture mismatch: model has X, runtime requires Y"
    missing: Optional[str] = None  # the model field to add, when the model lacks what the runtime requires
    required: Optional[str] = None  # what the runtime requires, when `missing` is set


def _mismatch(rule: str, label: str, model_value: Optional[str], required: str, missing_field: str) -> Failure:
    if model_value is None:
        return Failure(rule, f"{label} mismatch: model has none, runtime requires {required}", missing_field, required)
    return Failure(rule, f"{label} mismatch: model has {model_value}, runtime requires {required}")


def _rule_format_name(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.name is None:
        return None
    if model.format_name is not None and model.format_name.casefold() == entry.name.casefold():
        return None
    return _mismatch("format", "format", model.format_name, entry.name, "spec.modelFormat.name")


def _rule_format_version(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.version is None:
        return None
    if model.format_version is not None and format_version_matches(entry.version, model.format_version, entry.operator):
        return None
    return _mismatch(
        "format version", "format version", model.format_version, _requirement(entry.version, entry.operator),
        "spec.modelFormat.version",
    )


def _rule_model_type(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.model_type is None:
        return None
    if model.model_type is not None and model.model_type.casefold() == entry.model_type.casefold():
        return None
    return _mismatch("modelType", "model type", model.model_type, entry.model_type, "spec.modelType")


def _rule_architecture(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.architecture is None or model.architecture == entry.architecture:
        return None
    return _mismatch("architecture", "architecture", model.architecture, entry.architecture, "spec.modelArchitecture")


def _rule_quantization(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.quantization is None or model.quantization == entry.quantization:
        return None
    return _mismatch("quantization", "quantization", model.quantization, entry.quantization, "spec.quantization")


def _rule_framework(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.framework is None or model.framework == entry.framework:
        return None
    return _mismatch("framework", "framework", model.framework, entry.framework, "spec.modelFramework.name")


def _rule_framework_version(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.framework_version is None:
        return None
    if model.framework_version is not None and framework_version_matches(
        entry.framework_version, model.framework_version, entry.framework_operator
    ):
        return None
    return _mismatch(
        "framework version", "framework version", model.framework_version,
        _requirement(entry.framework_version, entry.framework_operator), "spec.modelFramework.version",
    )


# The per-entry support rules, in the order they are checked and reported.
ENTRY_RULES: tuple[tuple[str, Callable[[FormatEntry, Model], Optional[Failure]]], ...] = (
    ("format", _rule_format_name),
    ("format version", _rule_format_version),
    ("modelType", _rule_model_type),
    ("architecture", _rule_architecture),
    ("quantization", _rule_quantization),
    ("framework", _rule_framework),
    ("framework version", _rule_framework_version),
)


def entry_supports(entry: FormatEntry, model: Model) -> Optional[Failure]:
    """None when every constraint the entry sets holds for the model; else the first that fails."""
    for _, rule in ENTRY_RULES:
        failure = rule(entry, model)
        if failure is not None:
            return failure
    return None


def _rule_disabled(runtime: Runtime, model: Model, protocol: Optional[str]) -> Optional[Failure]:
    return Failure("disabled", "runtime is disabled") if runtime.disabled else None


def _rule_formats(runtime: Runtime, model: Model, protocol: Optional[str]) -> Optional[Failure]:
    if not runtime.formats:
        return Failure("format", "runtime lists no supportedModelFormats")
    failures = []
    for entry in runtime.formats:
        failure = entry_supports(entry, model)
        if failure is None:
            return None
        failures.append((entry, failure))
    # Report the entry that came closest (failed the latest rule); the first such entry on a tie.
    order = [name for name, _ in ENTRY_RULES]
    entry, failure = max(failures, key=lambda ef: order.index(ef[1].rule))  # max() keeps the first maximum
    if len(runtime.formats) > 1:
        failure = Failure(
            failure.rule,
            f"{failure.reason} (closest of {len(runtime.formats)} entries: {_short(entry.path)})",
            failure.missing,
            failure.required,
        )
    return failure


def _rule_protocol(runtime: Runtime, model: Model, protocol: Optional[str]) -> Optional[Failure]:
    if protocol is None or not runtime.protocol_versions or protocol in runtime.protocol_versions:
        return None
    return Failure(
        "protocol",
        f"protocol mismatch: service uses {protocol}, runtime supports {', '.join(runtime.protocol_versions)}",
    )


def _rule_size(runtime: Runtime, model: Model, protocol: Optional[str]) -> Optional[Failure]:
    size_range = _range(runtime)
    if model.size is None or size_range is None or size_range.contains(model.size):
        return None
    return Failure("size", f"size mismatch: model has {model.size.text}, runtime range is {size_range.text()}")


# The runtime-level support rules, in order. `_rule_formats` applies ENTRY_RULES to each entry.
RUNTIME_RULES: tuple[tuple[str, Callable[[Runtime, Model, Optional[str]], Optional[Failure]]], ...] = (
    ("disabled", _rule_disabled),
    ("format", _rule_formats),
    ("protocol", _rule_protocol),
    ("size", _rule_size),
)


def runtime_supports(runtime: Runtime, model: Model, protocol: Optional[str] = None) -> Optional[Failure]:
    """None when the (enabled) runtime supports the model, `autoSelect` not required."""
    for _, rule in RUNTIME_RULES:
        failure = rule(runtime, model, protocol)
        if failure is not None:
            return failure
    return None


def supporting_entries(runtime: Runtime, model: Model) -> tuple[FormatEntry, ...]:
    return tuple(e for e in runtime.formats if entry_supports(e, model) is None)


# --------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------


def dotted_prefix_match(required: str, actual: str) -> bool:
    """The seed's rule: `"1"` matches `1`, `1.0`, `1.15.4`; `"1.15"` does not match `1.16.0`.

    Parts compare numerically when both are digits, else as text; a leading `v` is ignored on
    both sides. A model version with fewer parts is read as padded with zeros, so `"1.0.0"`
    matches `1` (as OME's Equal does).
    """
    want = _strip_v(required).split(".")
    have = _strip_v(actual).split(".")
    for i, part in enumerate(want):
        other = have[i] if i < len(have) else "0"
        if part.isdigit() and other.isdigit():
            if int(part) != int(other):
                return False
        elif part != other:
            return False
    return True


def _strip_v(text: str) -> str:
    text = text.strip()
    return text[1:] if len(text) > 1 and text[0] in "vV" and text[1].isdigit() else text


@dataclass(frozen=True)
class OmeVersion:
    """OME's `pkg/modelver` version: `v1`, `1.12`, `4.43.0.dev0`, `4.51.3-SAM-HQ-preview`, `4.43.0+build`."""

    major: int
    minor: int
    patch: int
    prefix: str
    precision: int
    pre: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    dev: tuple[str, ...] = ()

    @property
    def unofficial(self) -> bool:
        return bool(self.pre or self.build or self.dev)


_NUMERIC = re.compile(r"0|[1-9][0-9]*")


def parse_ome_version(text: str) -> Optional[OmeVersion]:
    """Parse as OME does; None where OME's parser returns an error."""
    if not text:
        return None
    parts = text.split(".", 2)
    precision = len(parts)
    major_text = parts[0]
    prefix = ""
    if major_text.startswith("v"):
        prefix, major_text = "v", major_text[1:]
    minor_text = parts[1] if precision > 1 else "0"
    patch_text = parts[2] if precision > 2 else "0"
    build: list[str] = []
    pre: list[str] = []
    dev: list[str] = []
    if "+" in patch_text:
        patch_text, rest = patch_text.split("+", 1)
        build = rest.split(".")
    if "-" in patch_text:
        patch_text, rest = patch_text.split("-", 1)
        pre = rest.split(".")
    if "." in patch_text:
        patch_text, rest = patch_text.split(".", 1)
        dev = rest.split(".")
    if not all(_NUMERIC.fullmatch(n) for n in (major_text, minor_text, patch_text)):
        return None
    if any(part == "" for part in build + pre + dev):
        return None
    return OmeVersion(int(major_text), int(minor_text), int(patch_text), prefix, precision, tuple(pre), tuple(build), tuple(dev))


def _compare_ome(a: OmeVersion, b: OmeVersion) -> int:
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if x != y:
            return 1 if x > y else -1
    for xs, ys in ((a.pre, b.pre), (a.build, b.build), (a.dev, b.dev)):
        for x, y in zip(xs, ys):
            if x != y:
                return 1 if x > y else -1
        if len(xs) != len(ys):
            return 1 if len(xs) > len(ys) else -1
    return 0


def ome_version_matches(runtime_version: str, model_version: str, operator: Optional[str]) -> bool:
    """OME's `compareModelFormatVersions`: the runtime's version against the model's."""
    model_v = parse_ome_version(model_version)
    runtime_v = parse_ome_version(runtime_version)
    if model_v is None or runtime_v is None:
        return False
    op = operator or EQUAL
    if model_v.unofficial or runtime_v.unofficial or op == EQUAL:
        return _compare_ome(runtime_v, model_v) == 0
    if model_v.precision != runtime_v.precision or model_v.prefix != runtime_v.prefix:
        return False
    cmp = _compare_ome(runtime_v, model_v)
    if op == GREATER_THAN:
        return cmp > 0
    if op == GREATER_THAN_OR_EQUAL:
        return cmp >= 0
    return cmp == 0  # unknown operators behave as Equal, as in OME


def format_version_matches(runtime_version: str, model_version: str, operator: Optional[str] = EQUAL) -> bool:
    if operator in (None, "", EQUAL):
        return dotted_prefix_match(runtime_version, model_version)
    return ome_version_matches(runtime_version, model_version, operator)


def framework_version_matches(runtime_version: str, model_version: str, operator: Optional[str] = EQUAL) -> bool:
    if ome_version_matches(runtime_version, model_version, operator):
        return True
    if operator in (None, "", EQUAL) and (parse_ome_version(runtime_version) is None or parse_ome_version(model_version) is None):
        return runtime_version.strip() == model_version.strip()
    return False


def _requirement(version: str, operator: Optional[str]) -> str:
    if operator == GREATER_THAN:
        return f"a version below {version} (operator GreaterThan)"
    if operator == GREATER_THAN_OR_EQUAL:
        return f"a version at or below {version} (operator GreaterThanOrEqual)"
    return version


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------


def _range(runtime: Runtime) -> Optional[SizeRange]:
    r = runtime.size_range
    if r is None or (r.min is None and r.max is None):
        return None
    return r


def _scope_key(runtime: Runtime) -> int:
    return 1 if runtime.is_cluster else 0


def _valid_priority(priority) -> bool:
    return isinstance(priority, int) and not isinstance(priority, bool)


def _priority_key(entry: Optional[FormatEntry]) -> tuple:
    # A priority that is not an integer is reported by check_runtimes and ranks as unset.
    if entry is None or not _valid_priority(entry.priority):
        return (1, 0)
    return (0, -entry.priority)


def _size_key(runtime: Runtime, size: Optional[Size]) -> tuple:
    if size is None:
        return (0, Decimal(0))
    r = _range(runtime)
    if r is None:
        return (3, Decimal(0))
    if r.min is not None and r.max is not None:
        return (0, r.max.value - r.min.value)
    bound = r.min if r.min is not None else r.max
    return (1, abs(bound.value - size.value))


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


def _candidate_order(runtime: Runtime) -> tuple:
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


def runtime_label(runtime: Runtime) -> str:
    if runtime.is_cluster:
        return f"{runtime.kind} {runtime.name}"
    return f"{runtime.kind} {runtime.namespace}/{runtime.name}"


def model_label(model: Model) -> str:
    name = model.name if model.namespace is None else f"{model.namespace}/{model.name}"
    return f"{model.kind} {name}"


def _at(origin: FieldOrigin) -> str:
    return f"{origin.file}:{origin.line}" if origin.line else origin.file


def _short(path: str) -> str:
    return path[len("spec."):] if path.startswith("spec.") else path


def _diag(make: Callable[..., Diagnostic], code: str, message: str, where: FieldOrigin) -> Diagnostic:
    return make(code, message, where.file, where.line, where.column, where.field)


def _considered(service: InferenceService, sources: Sources) -> list[Runtime]:
    """Every runtime auto-selection looks at: ServingRuntimes in the service's namespace and all
    ClusterServingRuntimes, in the stable order."""
    runtimes = [
        rt
        for rt in sources.runtimes.values()
        if rt.kind == CLUSTER_SERVING_RUNTIME or (rt.kind == SERVING_RUNTIME and rt.namespace == service.namespace)
    ]
    return sorted(runtimes, key=_candidate_order)


def _model_diagnostics(service: InferenceService, sources: Sources, model: Optional[Model]) -> list[Diagnostic]:
    where = service.where("spec.model.name")
    if service.model_name is None:
        return [_diag(error, "model-not-found", f"InferenceService {service.namespace}/{service.name} names no model: add spec.model.name", where)]
    if model is None:
        return [
            _diag(
                error,
                "model-not-found",
                f"model {service.model_name} not found: no {BASE_MODEL} {service.model_name} in namespace "
                f"{service.namespace} and no {CLUSTER_BASE_MODEL} {service.model_name}",
                where,
            )
        ]
    if model.disabled:
        return [_diag(error, "model-disabled", f"{model_label(model)} ({_at(model.where())}) is disabled", where)]
    return []


# How a missing model fact reads in a model-incomplete message, by rule.
_MODEL_FACTS = {
    "format": "model format name",
    "format version": "model format version",
    "modelType": "model type",
    "architecture": "architecture",
    "quantization": "quantization",
    "framework": "framework name",
    "framework version": "framework version",
}


def _incomplete(model: Model, what: str, missing: str, where: FieldOrigin) -> Diagnostic:
    return _diag(
        error,
        "model-incomplete",
        f"{model_label(model)} ({_at(model.where())}) {what}: add {missing}",
        where,
    )


def _eligible_reasons(c: _Candidate, model: Model, protocol: Optional[str]) -> tuple[str, ...]:
    rt = c.runtime
    reasons = [f"matches {_short(c.entry.path)}"]
    reasons.append("scope cluster" if rt.is_cluster else f"scope namespace {rt.namespace}")
    reasons.append(f"priority {c.entry.priority}" if c.entry.priority is not None else "priority unset")
    if protocol is not None and rt.protocol_versions:
        reasons.append(f"protocol {protocol} supported")
    r = _range(rt)
    if model.size is None:
        reasons.append("model size unknown: size fit not ranked" if r is not None else "no size range")
    elif r is None:
        reasons.append("no size range")
    else:
        reasons.append(f"size {model.size.text} within {r.text()}")
    if rt.creation_timestamp:
        reasons.append(f"created {rt.creation_timestamp}")
    return tuple(reasons)


def resolve(service: InferenceService, sources: Sources, strict: bool = False) -> Resolution:
    """Resolve the runtime for one InferenceService (design.md section 3)."""
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
    return _resolve_auto(service, sources, model, strict)


def _resolve_explicit(
    service: InferenceService, sources: Sources, model: Optional[Model], diagnostics: list[Diagnostic]
) -> Resolution:
    name = service.runtime_name
    where = service.where("spec.runtime.name")
    runtime = sources.runtime(SERVING_RUNTIME, name, service.namespace) or sources.runtime(CLUSTER_SERVING_RUNTIME, name)
    if runtime is None:
        diagnostics.append(
            _diag(
                error,
                "runtime-not-found",
                f"runtime {name} not found: no {SERVING_RUNTIME} {name} in namespace {service.namespace} "
                f"and no {CLUSTER_SERVING_RUNTIME} {name}",
                where,
            )
        )
        return Resolution(service, model, None, (), None, tuple(diagnostics))
    if runtime.disabled:
        verdict = Verdict(runtime, False, None, ("runtime is disabled",))
        diagnostics.append(
            _diag(error, "runtime-disabled", f"{runtime_label(runtime)} ({_at(runtime.where('spec.disabled'))}) is disabled", where)
        )
        return Resolution(service, model, None, (verdict,), None, tuple(diagnostics))
    if model is None or diagnostics:
        return Resolution(service, model, None, (), None, tuple(diagnostics))
    failure = runtime_supports(runtime, model, service.protocol_version)
    if failure is not None:
        verdict = Verdict(runtime, False, None, (failure.reason,))
        if failure.missing is not None:
            diag = _incomplete(
                model,
                f"has no {_MODEL_FACTS.get(failure.rule, failure.rule)}, which {runtime_label(runtime)} requires "
                f"({failure.required})",
                failure.missing,
                where,
            )
        else:
            diag = _diag(
                error,
                "runtime-unsupported",
                f"{runtime_label(runtime)} does not support {model_label(model)}: {failure.reason}",
                where,
            )
        return Resolution(service, model, None, (verdict,), None, (diag,))
    entries = supporting_entries(runtime, model)
    entry = _best_entry(e for e in entries if e.auto_select) or entries[0]
    reasons = ["named in spec.runtime.name", f"matches {_short(entry.path)}"]
    if not entry.auto_select:
        reasons.append("autoSelect not required for a named runtime")
    return Resolution(service, model, runtime, (Verdict(runtime, True, 1, tuple(reasons)),), EXPLICIT, ())


def _evaluate_auto(runtime: Runtime, model: Model, protocol: Optional[str]) -> tuple[Optional[_Candidate], Optional[Failure]]:
    failure = runtime_supports(runtime, model, protocol)
    if failure is not None:
        return None, failure
    entries = [e for e in supporting_entries(runtime, model) if e.auto_select]
    if not entries:
        return None, Failure("autoSelect", "autoSelect: no format entry that supports the model has autoSelect: true")
    entry = _best_entry(entries)
    key = (_scope_key(runtime), _priority_key(entry), _size_key(runtime, model.size))
    return _Candidate(runtime, entry, key, parse_timestamp(runtime.creation_timestamp)), None


def _auto_candidates(service: InferenceService, sources: Sources, model: Model):
    candidates: list[_Candidate] = []
    failures: list[tuple[Runtime, Failure]] = []
    for runtime in _considered(service, sources):
        candidate, failure = _evaluate_auto(runtime, model, service.protocol_version)
        if candidate is not None:
            candidates.append(candidate)
        else:
            failures.append((runtime, failure))
    return candidates, failures


def _resolve_auto(service: InferenceService, sources: Sources, model: Model, strict: bool) -> Resolution:
    candidates, failures = _auto_candidates(service, sources, model)
    ranking = _rank(candidates)
    verdicts = [
        Verdict(c.runtime, True, i, _eligible_reasons(c, model, service.protocol_version))
        for i, c in enumerate(ranking.ranked, start=1)
    ]
    verdicts += [Verdict(rt, False, None, (f.reason,)) for rt, f in failures]
    where = service.where("spec.model.name")
    diagnostics: list[Diagnostic] = []
    if not ranking.ranked:
        listed = "; ".join(f"{runtime_label(rt)}: {f.reason}" for rt, f in failures) or "no runtimes are defined"
        missing = sorted({f.missing for _, f in failures if f.missing})
        hint = f"; the model lacks {', '.join(missing)}" if missing else ""
        diagnostics.append(
            _diag(
                error,
                "no-runtime",
                f"no runtime can be auto-selected for {model_label(model)}{hint} "
                f"(omegen explain {service.name} -n {service.namespace} shows a table): {listed}",
                where,
            )
        )
        return Resolution(service, model, None, tuple(verdicts), None, tuple(diagnostics))
    winner = ranking.ranked[0]
    if ranking.decided_by in AMBIGUOUS_RULES:
        tied = ", ".join(c.runtime.name for c in ranking.top_group)
        rule = "creationTimestamp (newest first)" if ranking.decided_by == CREATION_TIMESTAMP else "name (ascending)"
        message = (
            f"ambiguous runtime selection for {model_label(model)}: {winner.runtime.kind}s {tied} tie on scope, "
            f"priority and size fit; {winner.runtime.name} was picked by {rule}; give one a higher priority or "
            f"name the runtime in spec.runtime.name"
        )
        diagnostics.append(_diag(error if strict else warning, "ambiguous-runtime", message, where))
    return Resolution(service, model, winner.runtime, tuple(verdicts), ranking.decided_by, tuple(diagnostics))


# --------------------------------------------------------------------------------------------
# Runtime validation (the seed's priority constraints)
# --------------------------------------------------------------------------------------------


def _priority_where(runtime: Runtime, entry: FormatEntry) -> FieldOrigin:
    return runtime.where(f"{entry.path}.priority" if entry.priority is not None else entry.path)


def _ci(value: Optional[str]) -> Optional[str]:
    return value.casefold() if value is not None else None


def _same_support(a: FormatEntry, b: FormatEntry) -> bool:
    """Two entries that agree on everything selection compares (format name and version,
    modelType, architecture, quantization, framework)."""
    return (
        _ci(a.name) == _ci(b.name)
        and a.version == b.version
        and (a.operator or EQUAL) == (b.operator or EQUAL)
        and _ci(a.model_type) == _ci(b.model_type)
        and a.architecture == b.architecture
        and a.quantization == b.quantization
        and a.framework == b.framework
        and a.framework_version == b.framework_version
        and (a.framework_operator or EQUAL) == (b.framework_operator or EQUAL)
    )


def _protocols_overlap(a: Runtime, b: Runtime) -> bool:
    return not a.protocol_versions or not b.protocol_versions or bool(set(a.protocol_versions) & set(b.protocol_versions))


def _same_range(a: Runtime, b: Runtime) -> bool:
    ra, rb = _range(a), _range(b)
    if ra is None or rb is None:
        return ra is None and rb is None

    def values(r: SizeRange) -> tuple:
        return (r.min.value if r.min else None, r.max.value if r.max else None)

    return values(ra) == values(rb)


def _entry_summary(entry: FormatEntry, runtime: Runtime) -> str:
    parts = [f"format {entry.name or '*'}" + (f" {entry.version}" if entry.version else "")]
    if entry.model_type:
        parts.append(f"modelType {entry.model_type}")
    if entry.architecture:
        parts.append(f"architecture {entry.architecture}")
    if entry.quantization:
        parts.append(f"quantization {entry.quantization}")
    if entry.framework or entry.framework_version:
        parts.append(f"framework {entry.framework or '*'}" + (f" {entry.framework_version}" if entry.framework_version else ""))
    r = _range(runtime)
    parts.append(f"size range {r.text()}" if r else "no size range")
    return ", ".join(parts)


def _runtime_key(runtime: Runtime) -> tuple:
    return (runtime.kind, runtime.namespace, runtime.name)


def _contested(sources: Sources) -> dict[frozenset, InferenceService]:
    """Pairs of runtimes that tie at the top of some service's auto-selection (rules 1-3),
    mapped to the first such service."""
    contested: dict[frozenset, InferenceService] = {}
    for key in sorted(sources.services):
        service = sources.services[key]
        if service.runtime_name is not None:
            continue
        model = sources.model_for(service)
        if model is None or model.disabled or model.format_name is None:
            continue
        candidates, _ = _auto_candidates(service, sources, model)
        top = _rank(candidates).top_group
        for a, b in itertools.combinations(top, 2):
            contested.setdefault(frozenset((_runtime_key(a.runtime), _runtime_key(b.runtime))), service)
    return contested


def check_runtimes(sources: Sources, strict: bool = False) -> list[Diagnostic]:
    """The seed's priority constraints, each reported at the offending field."""
    diagnostics: list[Diagnostic] = []
    runtimes = sorted(sources.runtimes.values(), key=_candidate_order)
    for runtime in runtimes:
        for entry in runtime.formats:
            if entry.priority is None:
                continue
            where = runtime.where(f"{entry.path}.priority")
            if not _valid_priority(entry.priority) or entry.priority <= 0:
                diagnostics.append(
                    _diag(error, "priority-invalid",
                          f"{runtime_label(runtime)}: priority must be an integer greater than 0, got {entry.priority!r}",
                          where)
                )
            if not entry.auto_select:
                diagnostics.append(
                    _diag(warning, "priority-ignored",
                          f"{runtime_label(runtime)}: priority {entry.priority} is ignored because "
                          f"{_short(entry.path)} does not set autoSelect: true", where)
                )
        auto = [e for e in runtime.formats if e.auto_select]
        for i, entry in enumerate(auto):
            for earlier in auto[:i]:
                if _ci(earlier.name) == _ci(entry.name) and earlier.version != entry.version and earlier.priority != entry.priority:
                    diagnostics.append(
                        _diag(
                            error,
                            "priority-version-mismatch",
                            f"{runtime_label(runtime)}: {_short(entry.path)} (format {entry.name or '*'} "
                            f"{entry.version or '(any version)'}, priority {_show(entry.priority)}) must share the priority of "
                            f"{_short(earlier.path)} (version {earlier.version or '(any version)'}, priority "
                            f"{_show(earlier.priority)}): entries for one format with different versions need one priority",
                            _priority_where(runtime, entry),
                        )
                    )
                    break
    diagnostics += _priority_clashes(sources, runtimes, strict)
    return diagnostics


def _show(priority: Optional[int]) -> str:
    return "unset" if priority is None else str(priority)


def _priority_clashes(sources: Sources, runtimes: list[Runtime], strict: bool) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    contested: Optional[dict] = None
    enabled = [rt for rt in runtimes if not rt.disabled and any(e.auto_select and e.priority is not None for e in rt.formats)]
    for a, b in itertools.combinations(enabled, 2):
        if a.kind != b.kind or a.namespace != b.namespace:
            continue
        if not _protocols_overlap(a, b) or not _same_range(a, b):
            continue
        for ea in a.formats:
            if not ea.auto_select or ea.priority is None:
                continue
            for eb in b.formats:
                if not eb.auto_select or eb.priority != ea.priority or not _same_support(ea, eb):
                    continue
                if contested is None:
                    contested = _contested(sources)
                service = contested.get(frozenset((_runtime_key(a), _runtime_key(b))))
                # Report at the runtime the user can edit: the non-built-in one, else the later one.
                if a.builtin and not b.builtin:
                    here, he, there, te = b, eb, a, ea
                elif b.builtin and not a.builtin:
                    here, he, there, te = a, ea, b, eb
                else:
                    here, he, there, te = b, eb, a, ea
                message = (
                    f"{runtime_label(here)}: priority {he.priority} of {_short(he.path)} clashes with "
                    f"{runtime_label(there)} {_short(te.path)} ({_at(there.where(te.path + '.priority'))}): both auto-select "
                    f"{_entry_summary(he, here)} with the same priority"
                )
                if service is not None:
                    message += f"; InferenceService {service.namespace}/{service.name} cannot choose between them"
                message += "; give one a different priority"
                severity = error if strict or service is not None else warning
                diagnostics.append(_diag(severity, "priority-clash", message, here.where(f"{he.path}.priority")))
    return diagnostics
