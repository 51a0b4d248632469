"""`omegen explain ISVC`: which runtime serves a service, every candidate's verdict, the deciding rule."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import shared


@click.command()
@click.argument("isvc")
@shared.src_argument
@click.option("-n", "--namespace", help="Namespace of the InferenceService (needed when the name is not unique).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format (stdout).")
# `-o json` was explain's format before every command's -o/--output became a path: kept, hidden, for one release.
@click.option("-o", "--output", "legacy_output", type=click.Choice(["text", "json"]), default=None, hidden=True)
@click.option("--eligible", "eligible_only", is_flag=True, help="Show only the runtimes that could serve it.")
@shared.wide_option
@shared.overlay_option
@shared.root_option
@shared.strict_option
@shared.builtin_option
def explain(
    isvc: str, src: Path, namespace: Optional[str], output: str, legacy_output: Optional[str], eligible_only: bool, wide: bool, overlay, root, strict, no_builtin
) -> None:
    """Show which runtime serves ISVC, every candidate's verdict, and the rule that decided."""
    output = legacy_output or output
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage
    from omegen.commands import tables
    from omegen.resolve import explain as explaining

    options = pipeline.Options(src=shared.source_dir(src, overlay), strict=strict, builtin=shared.builtin(no_builtin), root=root)
    explanation = pipeline.explain(options, isvc, namespace)
    if explanation.resolution is not None:
        if output == "json":
            shared.out(json.dumps(explaining.explain_json(explanation.resolution, eligible_only), indent=2, sort_keys=False) + "\n")
        else:
            limit = tables.width(wide)
            # Narrowed on a terminal: the reasons wrap under their column, the kind is elided.
            fit = lambda rows: tables.fit(rows, limit, wrap=(4,), elide=(2,))  # noqa: E731
            shared.out(explaining.explain_text(explanation.resolution, include_diagnostics=False, table=fit, eligible_only=eligible_only))
    shared.report(explanation.diagnostics, silenced=True)  # silenced warnings too: explain shows everything about one service
    sys.exit(shared.EXIT_OK if explanation.ok else shared.EXIT_ERRORS)
