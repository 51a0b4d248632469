"""Whether a runtime supports a model: the support rules of runtime resolution (design.md section 3).

Support is decided by small predicates over one format entry (`ENTRY_RULES`: format name and
version, modelType, architecture, quantization, framework and its version) and over the runtime as a
whole (`RUNTIME_RULES`: disabled, accelerator classes, formats, protocol, size range); the first rule that fails is the
`Failure` reported, with the model field to add when the model lacks what the runtime requires.
`autoSelect` and ranking are not support: `omegen.resolve.select` applies them on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from omegen.api import FormatEntry, Model, Runtime, SizeRange
from omegen.resolve.sourcetext import short_path
from omegen.resolve.versions import GREATER_THAN, GREATER_THAN_OR_EQUAL, format_version_matches, framework_version_matches


@dataclass(frozen=True)
class Fact:
    """A fact about a model that a format entry may require."""

    label: str  # in a mismatch: "architecture mismatch: ..."
    noun: str  # when the model lacks it: "has no framework name"
    attribute: str  # the `Model` attribute holding it
    field: str  # where a ClusterBaseModel/BaseModel states it


# By support rule name; the entry rules below and `omegen.resolve.select` read their words from here.
FACTS = {
    "format": Fact("format", "model format name", "format_name", "spec.modelFormat.name"),
    "format version": Fact("format version", "model format version", "format_version", "spec.modelFormat.version"),
    "modelType": Fact("model type", "model type", "model_type", "spec.modelType"),
    "architecture": Fact("architecture", "architecture", "architecture", "spec.modelArchitecture"),
    "quantization": Fact("quantization", "quantization", "quantization", "spec.quantization"),
    "framework": Fact("framework", "framework name", "framework", "spec.modelFramework.name"),
    "framework version": Fact("framework version", "framework version", "framework_version", "spec.modelFramework.version"),
}


@dataclass(frozen=True)
class Failure:
    """Why a runtime (or one of its format entries) does not support a model."""

    rule: str  # e.g. "architecture", "protocol", "size", "autoSelect", "disabled"
    reason: str  # one line, e.g. "architecture mismatch: model has X, runtime requires Y"
    missing: Optional[str] = None  # the model field to add, when the model lacks what the runtime requires
    required: Optional[str] = None  # what the runtime requires, when `missing` is set
    needs: Optional[str] = None  # the requirement alone, for a short list ("needs size in [1B, 4B]")


def _mismatch(rule: str, model_value: Optional[str], required: str) -> Failure:
    fact = FACTS[rule]
    if model_value is None:
        return Failure(rule, f"{fact.label} mismatch: model has none, runtime requires {required}", fact.field, required, f"needs {fact.label} {required}")
    return Failure(rule, f"{fact.label} mismatch: model has {model_value}, runtime requires {required}", needs=f"needs {fact.label} {required}")


def _requirement(version: str, operator: Optional[str]) -> str:
    if operator == GREATER_THAN:
        return f"a version below {version} (operator GreaterThan)"
    if operator == GREATER_THAN_OR_EQUAL:
        return f"a version at or below {version} (operator GreaterThanOrEqual)"
    return version


def _equal(rule: str, entry_attribute: str, ignore_case: bool = False) -> Callable[[FormatEntry, Model], Optional[Failure]]:
    """A rule that holds when the entry leaves the fact unset or the model states the same value."""
    model_attribute = FACTS[rule].attribute

    def check(entry: FormatEntry, model: Model) -> Optional[Failure]:
        required, have = getattr(entry, entry_attribute), getattr(model, model_attribute)
        if required is None or (have is not None and (have.casefold() == required.casefold() if ignore_case else have == required)):
            return None
        return _mismatch(rule, have, required)

    return check


def _rule_format_version(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.version is None:
        return None
    if model.format_version is not None and format_version_matches(entry.version, model.format_version, entry.operator):
        return None
    return _mismatch("format version", model.format_version, _requirement(entry.version, entry.operator))


def _rule_framework_version(entry: FormatEntry, model: Model) -> Optional[Failure]:
    if entry.framework_version is None:
        return None
    if model.framework_version is not None and framework_version_matches(
        entry.framework_version, model.framework_version, entry.framework_operator
    ):
        return None
    return _mismatch(
        "framework version", model.framework_version, _requirement(entry.framework_version, entry.framework_operator)
    )


# The per-entry support rules, in the order they are checked and reported.
ENTRY_RULES: tuple[tuple[str, Callable[[FormatEntry, Model], Optional[Failure]]], ...] = (
    ("format", _equal("format", "name", ignore_case=True)),
    ("format version", _rule_format_version),
    ("modelType", _equal("modelType", "model_type", ignore_case=True)),
    ("architecture", _equal("architecture", "architecture")),
    ("quantization", _equal("quantization", "quantization")),
    ("framework", _equal("framework", "framework")),
    ("framework version", _rule_framework_version),
)


def entry_supports(entry: FormatEntry, model: Model) -> Optional[Failure]:
    """None when every constraint the entry sets holds for the model; else the first that fails."""
    for _, rule in ENTRY_RULES:
        failure = rule(entry, model)
        if failure is not None:
            return failure
    return None


@dataclass(frozen=True)
class Need:
    """What the service asks of every runtime besides its model: its protocol, and the accelerator
    classes it names (resolve.accelerators.required_classes)."""

    protocol: Optional[str] = None
    accelerators: tuple[str, ...] = ()


def _rule_disabled(runtime: Runtime, model: Model, need: Need) -> Optional[Failure]:
    return Failure("disabled", "runtime is disabled") if runtime.disabled else None


def _rule_accelerator(runtime: Runtime, model: Model, need: Need) -> Optional[Failure]:
    """OME's compareAcceleratorClass (runtimeselector/matcher.go), checked right after `disabled`
    as its matcher does: every class the service names must be in the runtime's list."""
    missing = [name for name in need.accelerators if name not in runtime.accelerator_classes]
    if not missing:
        return None
    listed = ", ".join(runtime.accelerator_classes) or "none"
    return Failure(
        "accelerator",
        f"accelerator class mismatch: service requires {', '.join(missing)}, runtime supports {listed} (spec.acceleratorRequirements.acceleratorClasses)",
        needs=f"needs accelerator class {', '.join(missing)}",
    )


def _rule_formats(runtime: Runtime, model: Model, need: Need) -> Optional[Failure]:
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
            f"{failure.reason} (closest of {len(runtime.formats)} entries: {short_path(entry.path)})",
            failure.missing,
            failure.required,
            failure.needs,
        )
    return failure


def _rule_protocol(runtime: Runtime, model: Model, need: Need) -> Optional[Failure]:
    protocol = need.protocol
    if protocol is None or not runtime.protocol_versions or protocol in runtime.protocol_versions:
        return None
    return Failure(
        "protocol",
        f"protocol mismatch: service uses {protocol}, runtime supports {', '.join(runtime.protocol_versions)}",
    )


def size_range(runtime: Runtime) -> Optional[SizeRange]:
    """The runtime's model size range; None when it sets no bound."""
    r = runtime.size_range
    if r is None or (r.min is None and r.max is None):
        return None
    return r


def _rule_size(runtime: Runtime, model: Model, need: Need) -> Optional[Failure]:
    r = size_range(runtime)
    if model.size is None or r is None or r.contains(model.size):
        return None
    return Failure("size", f"size mismatch: model has {model.size.text}, runtime range is {r.text()}", needs=f"needs size in {r.text()}")


# The runtime-level support rules, in order. `_rule_formats` applies ENTRY_RULES to each entry.
RUNTIME_RULES: tuple[tuple[str, Callable[[Runtime, Model, Need], Optional[Failure]]], ...] = (
    ("disabled", _rule_disabled),
    ("accelerator", _rule_accelerator),
    ("format", _rule_formats),
    ("protocol", _rule_protocol),
    ("size", _rule_size),
)


def runtime_supports(runtime: Runtime, model: Model, protocol: Optional[str] = None, accelerators: tuple = ()) -> Optional[Failure]:
    """None when the (enabled) runtime supports the model, `autoSelect` not required."""
    need = Need(protocol, tuple(accelerators))
    for _, rule in RUNTIME_RULES:
        failure = rule(runtime, model, need)
        if failure is not None:
            return failure
    return None


def supporting_entries(runtime: Runtime, model: Model) -> tuple[FormatEntry, ...]:
    return tuple(e for e in runtime.formats if entry_supports(e, model) is None)


def all_failures(runtime: Runtime, model: Model, protocol: Optional[str] = None, accelerators: tuple = ()) -> list[Failure]:
    """Every rule the runtime fails for the model (for the format entry that fails the fewest), so
    near misses can be ranked: the runtime that fails one rule is closer than one that fails four."""
    need = Need(protocol, tuple(accelerators))
    failures: list[Failure] = []
    for name, rule in RUNTIME_RULES:
        if name == "format":
            failures.extend(_closest_entry_failures(runtime, model))
        else:
            failure = rule(runtime, model, need)
            if failure is not None:
                failures.append(failure)
    return failures


def _closest_entry_failures(runtime: Runtime, model: Model) -> list[Failure]:
    if not runtime.formats:
        return [Failure("format", "runtime lists no supportedModelFormats")]
    best: Optional[list[Failure]] = None
    for entry in runtime.formats:
        failed = [f for _, rule in ENTRY_RULES if (f := rule(entry, model)) is not None]
        if best is None or len(failed) < len(best):
            best = failed
    return best or []
