"""`omegen explain`: a Resolution as JSON (design.md section 5) or as a readable report."""

from __future__ import annotations

from typing import Callable, Optional

from omegen.api import Model, Resolution, Verdict
from omegen.errors import sort_diagnostics

# How each deciding rule reads in the text report.
_DECIDED_BY_TEXT = {
    "explicit": "the service names it in spec.runtime.name",
    "only-candidate": "it is the only eligible runtime",
    "scope": "a ServingRuntime in the service's namespace beats ClusterServingRuntimes",
    "priority": "the higher priority wins; a set priority beats an unset one",
    "size": "a range containing the model size beats no range; the narrowest range wins",
    "creationTimestamp": "newest first; ambiguous: the runtimes tie on scope, priority and size fit",
    "name": "ascending; ambiguous: the runtimes tie on scope, priority and size fit",
}


def explain_json(resolution: Resolution, eligible_only: bool = False) -> dict:
    """`{"inferenceService", "selected", "candidates", "diagnostics"}` exactly as design.md section 5
    (`eligible_only`: the eligible candidates alone)."""
    selected = None
    if resolution.runtime is not None:
        selected = {"name": resolution.runtime.name, "kind": resolution.runtime.kind}
    out = {
        "inferenceService": {"name": resolution.service.name, "namespace": resolution.service.namespace},
        "selected": selected,
        "candidates": [
            {
                "name": v.runtime.name,
                "kind": v.runtime.kind,
                "eligible": v.eligible,
                "rank": v.rank,
                "reasons": list(v.reasons),
            }
            for v in resolution.candidates
            if v.eligible or not eligible_only
        ],
        "diagnostics": [d.as_dict() for d in sort_diagnostics(resolution.diagnostics)],
    }
    if resolution.accelerators:  # only with accelerator classes, as overlayPatches
        out["accelerators"] = [
            {
                "component": c.component,
                "name": c.name,
                "decidedBy": c.decided_by,
                "formatEntry": c.entry.path if c.entry is not None else None,
                "candidates": [{"name": v.name, "eligible": v.eligible, "selected": v.selected, "reason": v.reason} for v in c.candidates],
            }
            for c in resolution.accelerators
        ]
    patched = overlay_patches(resolution)
    if patched:  # only for overlays: design.md's four keys stay the whole answer otherwise
        out["overlayPatches"] = [{"object": obj, "field": path, "patch": patch} for obj, path, patch in patched]
    return out


def overlay_patches(resolution: Resolution) -> list[tuple[str, str, str]]:
    """(object, field, overlay patch) for every fact of this selection an overlay's source patch
    set: the service, its model, and every runtime considered."""
    holders = [(f"InferenceService {resolution.service.namespace}/{resolution.service.name}", resolution.service)]
    if resolution.model is not None:
        model = resolution.model
        holders.append((f"{model.kind} {model.name if model.namespace is None else f'{model.namespace}/{model.name}'}", model))
    for verdict in resolution.candidates:
        runtime = verdict.runtime
        holders.append((f"{runtime.kind} {runtime.name if runtime.namespace is None else f'{runtime.namespace}/{runtime.name}'}", runtime))
    return [(label, path, patch) for label, holder in holders for path, patch in getattr(holder, "patched", ())]


def _or_dash(value: Optional[str]) -> str:
    return value if value else "-"


def _facts(resolution: Resolution) -> list[str]:
    service = resolution.service
    model: Optional[Model] = resolution.model
    runtime = f"{service.runtime_name} (named in spec.runtime.name)" if service.runtime_name else "- (auto-select)"
    lines = [
        f"InferenceService {service.namespace}/{service.name}",
        f"  {'model':<14}{_or_dash(service.model_name)}",
        f"  {'runtime':<14}{runtime}",
        f"  {'protocol':<14}{_or_dash(service.protocol_version)}",
    ]
    if model is None:
        lines.append("Model: not found")
        return lines
    where = model.origin.file + (f":{model.origin.line}" if model.origin.line else "")
    name = model.name if model.namespace is None else f"{model.namespace}/{model.name}"
    lines.append(f"Model {model.kind} {name} ({where})")
    facts = [
        ("format", _or_dash(model.format_name)),
        ("version", _or_dash(model.format_version)),
        ("architecture", _or_dash(model.architecture)),
        ("type", _or_dash(model.model_type)),
        ("quantization", _or_dash(model.quantization)),
        ("framework", " ".join(x for x in (model.framework, model.framework_version) if x) or "-"),
        ("size", model.size.text if model.size else "-"),
    ]
    lines += [f"  {label:<14}{value}" for label, value in facts]
    return lines


def _verdict_text(v: Verdict, resolution: Resolution) -> str:
    if not v.eligible:
        return "ineligible"
    if resolution.runtime is not None and v.runtime == resolution.runtime:
        return "selected"
    return "eligible"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        out.append("  ".join(cells).rstrip())
    return out


def explain_text(
    resolution: Resolution,
    include_diagnostics: bool = True,
    table: Optional[Callable[[list], list[str]]] = None,
    eligible_only: bool = False,
) -> str:
    """The model's facts, an aligned RANK / RUNTIME / KIND / VERDICT / REASON table, the winner and
    the rule that decided it. `table` lays the candidates' rows out (the front end fits them to the
    terminal); `eligible_only` leaves the ineligible runtimes out of it."""
    lines = _facts(resolution)
    lines.append("")
    candidates = [v for v in resolution.candidates if v.eligible or not eligible_only]
    if candidates:
        rows = [("RANK", "RUNTIME", "KIND", "VERDICT", "REASON")]
        for v in candidates:
            name = v.runtime.name if v.runtime.namespace is None else f"{v.runtime.namespace}/{v.runtime.name}"
            rows.append(
                (str(v.rank) if v.rank is not None else "-", name, v.runtime.kind, _verdict_text(v, resolution),
                 "; ".join(v.reasons))
            )
        lines += (table or _table)(rows)
    elif resolution.candidates:
        lines.append(f"No runtime is eligible ({len(resolution.candidates)} considered; without --eligible every verdict is shown).")
    else:
        lines.append("No runtime was considered.")
    lines.append("")
    if resolution.runtime is not None:
        lines.append(f"Selected: {resolution.runtime.name} ({resolution.runtime.kind})")
        rule = resolution.decided_by or "-"
        lines.append(f"Decided by: {rule} ({_DECIDED_BY_TEXT.get(rule, rule)})")
    else:
        lines.append("Selected: none")
    for choice in resolution.accelerators:
        lines.append("")
        entry = f"; acceleratorConfig of {choice.entry.path}" if choice.entry is not None and choice.config else ""
        lines.append(f"Accelerator class ({choice.component}): {choice.name} (decided by {choice.decided_by}{entry})")
        if choice.candidates:
            rows = [("  CLASS", "VERDICT", "REASON")]
            rows += [(f"  {v.name}", "selected" if v.selected else "eligible" if v.eligible else "ineligible", v.reason) for v in choice.candidates]
            lines += _table(rows)
    patched = overlay_patches(resolution)
    if patched:
        lines.append("")
        lines.append("Changed by overlay patches:")
        lines += _table([(f"  {obj}", path, f"by {patch}") for obj, path, patch in patched])
    if include_diagnostics and resolution.diagnostics:
        lines.append("")
        lines.append("Diagnostics:")
        lines += [f"  {d.as_text()}" for d in sort_diagnostics(resolution.diagnostics)]
    return "\n".join(lines) + "\n"
