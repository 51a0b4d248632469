"""The order of the stages, and nothing else: load → resolve → render → validate (→ emit, by the CLI).

    result = build(Path("examples/quickstart"))
    result.objects      # rendered Kubernetes objects (api.Rendered), in emit order
    result.diagnostics  # everything every stage reported, sorted

`build` never raises for a problem in the sources; it reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from omegen.emit import tree as emit
from omegen.render import service as render
from omegen.resolve import runtime_checks
from omegen.resolve import select
from omegen.validate import objects as validate
from omegen.api import INFERENCE_SERVICE, Rendered, Resolution, Sources
from omegen.errors import Diagnostic, has_errors, promote_warnings, sort_diagnostics
from omegen.load.sources import load_sources


@dataclass(frozen=True)
class BuildResult:
    sources: Sources
    resolutions: tuple[Resolution, ...] = ()
    objects: tuple[Rendered, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def load(src: Path, *, builtin: Optional[bool] = None, strict: Optional[bool] = None, skip: Iterable[Path] = ()):
    """Sources plus the load-time and runtime-validation diagnostics."""
    sources, diagnostics = load_sources(src, builtin=builtin, strict=strict, skip=skip)
    diagnostics = list(diagnostics) + list(runtime_checks.check_runtimes(sources, strict=sources.config.strict))
    return sources, diagnostics


def build(
    src: Path,
    *,
    builtin: Optional[bool] = None,
    strict: Optional[bool] = None,
    skip: Iterable[Path] = (),
) -> BuildResult:
    sources, diagnostics = load(src, builtin=builtin, strict=strict, skip=skip)
    strict_mode = sources.config.strict
    resolutions = []
    objects: list[Rendered] = []
    for key in sorted(sources.services):
        resolution = select.resolve(sources.services[key], sources, strict=strict_mode)
        resolutions.append(resolution)
        diagnostics.extend(resolution.diagnostics)
        if resolution.runtime is None or has_errors(resolution.diagnostics):
            continue
        rendered, problems = render.render_service(resolution)
        diagnostics.extend(problems)
        if not has_errors(problems):
            objects.extend(rendered)
    if objects:
        diagnostics.extend(validate.validate_objects(objects, sources.config.kubernetes_version))
    if strict_mode:
        diagnostics = promote_warnings(diagnostics)
    return BuildResult(
        sources=sources,
        resolutions=tuple(resolutions),
        objects=tuple(emit.order(objects)),
        diagnostics=tuple(sort_diagnostics(diagnostics)),
    )


def resolve_one(src: Path, name: str, namespace: Optional[str], *, builtin: Optional[bool] = None, strict: Optional[bool] = None):
    """For `explain`: the Resolution of one service (None when no such service) and the load diagnostics."""
    sources, diagnostics = load(src, builtin=builtin, strict=strict)
    # Services rejected for errors count too: explaining a namesake instead would mislead.
    known = set(sources.services) | {(ns, n) for kind, ns, n in sources.rejected if kind == INFERENCE_SERVICE}
    candidates = sorted(key for key in known if key[1] == name and (namespace is None or key[0] == namespace))
    if len(candidates) != 1 or candidates[0] not in sources.services:
        return None, candidates, sort_diagnostics(diagnostics)
    resolution = select.resolve(sources.services[candidates[0]], sources, strict=sources.config.strict)
    return resolution, candidates, sort_diagnostics(diagnostics)
