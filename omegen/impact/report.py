"""`omegen diff`'s report in text (a terminal), Markdown (a PR comment or $GITHUB_STEP_SUMMARY) and
JSON (`compare.as_json`)."""

from __future__ import annotations

import json

from omegen.impact.compare import Impact, ServiceImpact, as_json


def render(impact: Impact, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(impact), indent=2) + "\n"
    return markdown(impact) if fmt == "markdown" else text(impact)


def _touched(impact: Impact) -> list[ServiceImpact]:
    return [s for s in impact.services if s.status != "unchanged"]


def _summary(impact: Impact) -> str:
    touched = _touched(impact)
    gpu = sum(len(s.gpu_restarts) for s in touched)
    restarts = sum(len(s.restarts) for s in touched)
    return (
        f"{len(touched)} of {len(impact.services)} services change; {restarts} workloads restart their pods"
        f" ({gpu} with GPUs); objects: {len(impact.added)} added, {len(impact.removed)} removed, {len(impact.modified)} changed"
    )


def _what(s: ServiceImpact) -> list[str]:
    if s.status == "added":
        return [f"new service, runtime {s.runtime_after} ({s.rule_after})"]
    if s.status == "removed":
        return [f"service removed (was served by {s.runtime_before})"]
    return list(s.changes) or ["other fields of its objects (see the diff)"]


def text(impact: Impact) -> str:
    lines = [f"omegen diff {impact.base} → {impact.src}"]
    if impact.base_errors:
        lines.append(f"BASE ({impact.base}) does not build; its errors:")
        lines += [f"  {d.as_text()}" for d in impact.base_errors]
        return "\n".join(lines) + "\n"
    if not impact.changed:
        return "\n".join(lines + ["no change: the rendered output is identical"]) + "\n"
    lines.append(_summary(impact))
    for s in _touched(impact):
        lines.append(f"{s.namespace}/{s.name}: {s.status}")
        lines += [f"  {what}" for what in _what(s)]
        for workload in s.restarts:
            lines.append(f"  restarts pods of {workload}" + (" (GPU)" if workload in s.gpu_restarts else ""))
    for title, objects in (("added", impact.added), ("removed", impact.removed), ("changed", impact.modified)):
        if objects:
            lines.append(f"objects {title}:")
            lines += [f"  {o}" for o in objects]
    lines += list(impact.diff)
    if impact.diff_omitted:
        lines.append(f"... {impact.diff_omitted} more diff lines not shown (--max-lines {impact.max_lines})")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(impact: Impact) -> str:
    out = [f"### omegen diff: `{_cell(impact.base)}` → `{_cell(impact.src)}`", ""]
    if impact.base_errors:
        out += [f"**BASE `{_cell(impact.base)}` does not build**; its errors:", "", "```"]
        out += [d.as_text() for d in impact.base_errors] + ["```"]
        return "\n".join(out) + "\n"
    if not impact.changed:
        return "\n".join(out + ["No change: the rendered output is identical."]) + "\n"
    out += [_summary(impact) + ".", "", "| service | change | runtime (deciding rule) | pods restart |", "| --- | --- | --- | --- |"]
    for s in _touched(impact):
        if s.runtime_changed:
            runtime = f"{s.runtime_before} ({s.rule_before}) → **{s.runtime_after}** ({s.rule_after})"
        else:
            runtime = f"{s.runtime_after or s.runtime_before} ({s.rule_after or s.rule_before})"
        restarts = "<br>".join(f"{w} **GPU**" if w in s.gpu_restarts else w for w in s.restarts) or "none"
        what = [w for w in _what(s) if not w.startswith("runtime: ")] or ["runtime only"]  # the runtime has its column
        out.append(f"| `{s.namespace}/{s.name}` | {s.status}: {_cell('; '.join(what))} | {_cell(runtime)} | {_cell(restarts)} |")
    for title, objects in (("Added", impact.added), ("Removed", impact.removed), ("Changed", impact.modified)):
        if objects:
            out += ["", f"**{title} objects:** " + ", ".join(f"`{_cell(o)}`" for o in objects)]
    out += ["", "<details><summary>Rendered diff</summary>", "", "```diff"] + list(impact.diff)
    if impact.diff_omitted:
        out.append(f"... {impact.diff_omitted} more lines")
    out += ["```", "", "</details>"]
    return "\n".join(out) + "\n"
