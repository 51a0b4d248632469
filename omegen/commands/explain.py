"""`omegen explain ISVC`: which runtime serves a service, every candidate's verdict, the deciding rule."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import shared
from omegen.errors import error, has_errors


@click.command()
@click.argument("isvc")
@shared.src_argument
@click.option("-n", "--namespace", help="Namespace of the InferenceService (needed when the name is not unique).")
@click.option("-o", "--output", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@shared.strict_option
@shared.builtin_option
def explain(isvc: str, src: Path, namespace: Optional[str], output: str, strict, no_builtin) -> None:
    """Show which runtime serves ISVC, every candidate's verdict, and the rule that decided."""
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage
    from omegen.resolve import explain as explaining

    resolution, matches, diagnostics = pipeline.resolve_one(src, isvc, namespace, builtin=shared.builtin(no_builtin), strict=strict)
    if resolution is None:
        where = f" in namespace {namespace!r}" if namespace else ""
        if len(matches) > 1:
            options = ", ".join(f"{ns}/{name}" for ns, name in matches)
            message = f"InferenceService {isvc!r} exists in several namespaces ({options}); choose one with -n"
        elif matches:
            message = f"InferenceService {matches[0][0]}/{isvc} could not be loaded: its definition has errors (listed with it)"
        else:
            message = f"no InferenceService named {isvc!r}{where} under {src}"
        shared.report(list(diagnostics) + [error("service-not-found", message)])
        sys.exit(shared.EXIT_ERRORS)
    own = list(resolution.diagnostics)  # the pipeline already applied --strict / omegen.yaml strict
    if output == "json":
        payload = explaining.explain_json(resolution)
        shared.out(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    else:
        shared.out(explaining.explain_text(resolution, include_diagnostics=False))
    shared.report(list(diagnostics) + own)  # a load error elsewhere (a broken model file) may be the cause
    sys.exit(shared.EXIT_ERRORS if has_errors(own) else shared.EXIT_OK)
