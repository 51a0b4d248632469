"""Which AcceleratorClass each engine/decoder of a service runs on, as OME's
`pkg/acceleratorclassselector/selector.go` (`GetAcceleratorClass`) chooses it, offline.

OME chooses a class only when the runtime lists `acceleratorRequirements.acceleratorClasses`. Then:
the component's `acceleratorOverride.acceleratorClass`, else `spec.acceleratorSelector.acceleratorClass`;
else a policy (the component's `acceleratorOverride.policy`, else the selector's) over the runtime's
classes that meet `spec.acceleratorSelector.constraints` (`resolve.acceleratorpolicy`). The
`ome.io/accelerator-class` annotation only filters runtimes (`required_names`, the support rule
`accelerator`): OME applies no class for it. The class's fields reach the pods in
`render.accelerators`, with the `acceleratorConfig` of the format entry OME's
`GetSupportedModelFormat` picks (`supported_format`).

Where omegen differs (docs/rendering.md): no cluster state, so FirstAvailable cannot know what is
available (a warning); a named class that does not exist, a policy no class meets, or a runtime
listing a class that does not exist is an error, where OME fails the reconcile (a missing named
class) or silently applies no class (the other two).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Optional

from omegen.api import AcceleratorClass, FieldOrigin, FormatEntry, InferenceService, Model, Resolution, Runtime, Sources
from omegen.errors import Diagnostic, at, error, warning
from omegen.resolve import acceleratorpolicy as policies
from omegen.resolve.versions import ome_version_matches

ANNOTATION = "ome.io/accelerator-class"
COMPONENTS = ("engine", "decoder")  # the router gets no class (OME calls the selector for these two)
POLICIES = (policies.BEST_FIT, policies.CHEAPEST, policies.MOST_CAPABLE, policies.FIRST_AVAILABLE)


@dataclass(frozen=True)
class ClassVerdict:
    """How one of the runtime's classes fared under a policy."""

    name: str
    eligible: bool
    reason: str  # why not, or the policy's score
    selected: bool = False


@dataclass(frozen=True)
class Choice:
    """The class of one component and how it was chosen."""

    component: str
    accelerator: AcceleratorClass
    decided_by: str  # the source field that chose it: `spec.engine.acceleratorOverride.acceleratorClass`, `... policy BestFit`
    candidates: tuple[ClassVerdict, ...] = ()  # under a policy: every class the runtime lists
    entry: Optional[FormatEntry] = None  # GetSupportedModelFormat's pick
    config: dict = field(default_factory=dict, compare=False)  # entry.acceleratorConfig[class], {} when none

    @property
    def name(self) -> str:
        return self.accelerator.name


def _get(tree, *keys):
    for key in keys:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def required_names(service: InferenceService) -> tuple[str, ...]:
    """The classes a runtime must list to serve the service (compareAcceleratorClass in
    runtimeselector/matcher.go): the annotation, the selector's class, each component override's."""
    names = [
        service.annotations.get(ANNOTATION),
        _get(service.accelerator_selector, "acceleratorClass"),
        _get(service.engine, "acceleratorOverride", "acceleratorClass"),
        _get(service.decoder, "acceleratorOverride", "acceleratorClass"),
    ]
    return tuple(dict.fromkeys(str(n) for n in names if n is not None))


def _format_score(entry: FormatEntry, model: Model) -> int:
    """OME's CalculateFormatScore at priority 1 (runtimeselector/scorer.go): names compared exactly,
    versions by OME's modelver; architecture and quantization not looked at."""
    format_matches = framework_matches = False
    if entry.ome_format:
        if entry.name != model.format_name:
            return 0
        if entry.version is not None and model.format_version is not None:
            if not ome_version_matches(entry.version, model.format_version, entry.operator):
                return 0
        format_matches = True
    if entry.ome_framework and model.framework is not None:
        if entry.framework != model.framework:
            return 0
        if entry.framework_version is not None and model.framework_version is not None:
            if not ome_version_matches(entry.framework_version, model.framework_version, entry.framework_operator):
                return 0
        framework_matches = True
    if not ((format_matches or not entry.ome_format) and (framework_matches or (not entry.ome_framework and model.framework is None))):
        return 0
    format_weight, framework_weight = entry.weights
    return (format_weight or 10) * format_matches + (framework_weight or 5) * framework_matches


def supported_format(runtime: Runtime, model: Optional[Model], named: bool) -> Optional[FormatEntry]:
    """GetSupportedModelFormat (runtimeselector/selector.go): of the runtime's entries (only the
    autoSelect ones unless the service names the runtime), the first with the highest score."""
    best, top = None, 0
    for entry in runtime.formats if model is not None else ():
        if not named and not entry.auto_select:
            continue
        score = _format_score(entry, model)
        if score > top:
            best, top = entry, score
    return best


def choose(resolution: Resolution, sources: Sources) -> tuple[tuple[Choice, ...], list[Diagnostic]]:
    """The class of each engine/decoder the service declares, and what is wrong with the request."""
    service, runtime = resolution.service, resolution.runtime
    problems: dict = {}  # (code, field, message) → Diagnostic: the engine and decoder share the selector
    choices = []
    components = [c for c in COMPONENTS if c == "engine" or getattr(service, c) is not None]
    for component in components:
        choice = _choose(service, runtime, sources, component, problems)
        if choice is not None:
            entry = supported_format(runtime, resolution.model, service.runtime_name is not None)
            config = entry.accelerator_config.get(choice.name) if entry is not None else None
            for other in runtime.formats:
                if other is not entry and choice.name in other.accelerator_config:
                    where = runtime.where(f"{other.path}.acceleratorConfig")
                    picked = f"OME applies the acceleratorConfig of {entry.path}" if entry is not None else "OME's GetSupportedModelFormat picks no entry for the model"
                    _add(problems, warning, "accelerator-config-unused",
                         f"{where.field}.{choice.name} is not used: {picked} (the highest-scoring "
                         f"{'' if service.runtime_name else 'autoSelect '}entry by modelFormat and modelFramework)", where)
            choices.append(Choice(component, choice.accelerator, choice.decided_by, choice.candidates, entry, config if isinstance(config, dict) else {}))
    return tuple(choices), list(problems.values())


def _add(problems: dict, maker, code: str, message: str, where: FieldOrigin) -> None:
    problems.setdefault((code, where.file, where.line, message), at(maker, code, message, where))


def _choose(service: InferenceService, runtime: Runtime, sources: Sources, component: str, problems: dict) -> Optional[Choice]:
    override = _get(getattr(service, component), "acceleratorOverride") or {}
    selector = service.accelerator_selector or {}
    if not runtime.accelerator_classes:
        for holder, path in ((override, f"{component}.acceleratorOverride"), (selector, "spec.acceleratorSelector")):
            if holder.get("policy") or holder.get("constraints"):
                where = service.where(path)
                _add(problems, warning, "accelerator-ignored",
                        f"{where.field} is ignored: runtime {runtime.name} lists no spec.acceleratorRequirements.acceleratorClasses, "
                        "and OME chooses a class only from that list", where)
        return None
    if override.get("acceleratorClass") is not None:
        return _named(service, sources, str(override["acceleratorClass"]), service.where(f"{component}.acceleratorOverride.acceleratorClass"), component, problems)
    if selector.get("acceleratorClass") is not None:
        return _named(service, sources, str(selector["acceleratorClass"]), service.where("spec.acceleratorSelector.acceleratorClass"), component, problems)
    if override.get("policy"):
        return _by_policy(service, runtime, sources, component, str(override["policy"]), service.where(f"{component}.acceleratorOverride.policy"), problems)
    if selector.get("policy"):
        return _by_policy(service, runtime, sources, component, str(selector["policy"]), service.where("spec.acceleratorSelector.policy"), problems)
    if ANNOTATION in service.annotations:
        where = service.where(f"metadata.annotations.{ANNOTATION}")
        _add(problems, warning, "accelerator-annotation-only",
                f"the annotation {ANNOTATION} only filters runtimes: OME applies no class to the pods for it; "
                "name the class in spec.acceleratorSelector.acceleratorClass to apply it", where)
    return None


def _not_found(name: str, sources: Sources) -> str:
    close = difflib.get_close_matches(name, sorted(sources.accelerator_classes), n=3, cutoff=0.75)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    why = "could not be loaded: its definition has errors (reported there)" if sources.rejected_at("AcceleratorClass", name) else "not found"
    return f"AcceleratorClass {name} {why}{hint}"


def _named(service, sources: Sources, name: str, where: FieldOrigin, component: str, problems: dict) -> Optional[Choice]:
    accelerator = sources.accelerator_classes.get(name)
    if accelerator is None:
        _add(problems, error, "accelerator-class-not-found", f"{where.field}: {_not_found(name, sources)}", where)
        return None
    return Choice(component, accelerator, where.field)


def _by_policy(service, runtime: Runtime, sources: Sources, component: str, policy: str, where: FieldOrigin, problems: dict) -> Optional[Choice]:
    """getAcceleratorClassByPolicy: the runtime's classes (deduplicated, in order), filtered by the
    service's constraints, picked by the policy."""
    candidates: list[AcceleratorClass] = []
    for index, name in enumerate(runtime.accelerator_classes):
        if name in runtime.accelerator_classes[:index]:
            continue
        accelerator = sources.accelerator_classes.get(name)
        if accelerator is None:
            spot = runtime.where(f"spec.acceleratorRequirements.acceleratorClasses[{index}]")
            _add(problems, error, "accelerator-class-not-found",
                    f"{_not_found(name, sources)}: runtime {runtime.name} lists it (OME's runtime webhook refuses such a runtime)", spot)
            return None
        candidates.append(accelerator)
    constraints = _get(service.accelerator_selector, "constraints") or {}
    verdicts = {a.name: policies.eligible(a.name, a.spec, constraints) for a in candidates}
    valid = [a for a in candidates if verdicts[a.name] is None]
    picked, shown = _pick(policy, valid, constraints)
    rows = tuple(
        ClassVerdict(a.name, verdicts[a.name] is None, verdicts[a.name] or shown.get(a.name, "eligible"), a.name == picked)
        for a in candidates
    )
    decided = f"{where.field} {policy}"
    if picked is None:
        why = "; ".join(f"{r.name}: {r.reason}" for r in rows) if valid == [] else "no candidate states a cost (spec.cost)"
        _add(problems, error, "no-accelerator-class",
                f"{decided}: no accelerator class of runtime {runtime.name} qualifies ({why}); "
                "OME would apply none and run the pods without the class", where)
        return None
    if policy == policies.FIRST_AVAILABLE:
        _add(problems, warning, "accelerator-availability-unknown",
                f"{decided}: availability is not known offline; {picked}, the first class runtime {runtime.name} lists that meets "
                "the constraints, is used (OME would skip classes with no free nodes)", where)
    return Choice(component, next(a for a in valid if a.name == picked), decided, rows)


def _pick(policy: str, valid: list[AcceleratorClass], constraints: dict) -> tuple[Optional[str], dict]:
    """(the class the policy picks, the score shown for each valid class)."""
    if not valid:
        return None, {}
    if policy == policies.CHEAPEST:
        if len(valid) == 1:
            return valid[0].name, {valid[0].name: "the only eligible class"}
        return policies.cheapest([(a.name, a.spec) for a in valid])
    if policy == policies.FIRST_AVAILABLE or len(valid) == 1:
        return valid[0].name, {valid[0].name: "first eligible in the runtime's list" if len(valid) > 1 else "the only eligible class"}
    if policy == policies.BEST_FIT:
        scores = [policies.best_fit_score(a.spec, constraints) for a in valid]
    else:
        scores = policies.capability_scores([a.spec for a in valid], [str(p) for p in constraints.get("preferredPrecisions") or []])
    best = max(range(len(valid)), key=lambda i: (scores[i], -i))  # the first maximum
    return valid[best].name, {a.name: f"{policy} score {scores[i]:.3f}" for i, a in enumerate(valid)}
