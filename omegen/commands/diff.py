"""`omegen diff BASE [SRC]`: what a change does to each service (the comparison is omegen.impact's)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from omegen.commands import shared


@click.command()
@click.argument("base")
@shared.src_argument
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True, help="Report format (stdout).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changed, as git diff --exit-code.")
@click.option("--max-lines", type=click.IntRange(min=0), default=300, show_default=True, help="Lines of unified diff shown at most.")
@shared.overlay_option
@shared.root_option
@shared.strict_option
@shared.builtin_option
@shared.slice_options
def diff(base: str, src: Path, fmt: str, exit_code: bool, max_lines: int, overlay, root, strict, no_builtin, only_namespaces, only_selectors) -> None:
    """Compare SRC (default: .) with BASE: a directory or a git revision of SRC's repository."""
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage
    from omegen.impact import base as bases
    from omegen.impact import compare, report

    chosen = shared.slice_of(only_namespaces, only_selectors)

    def build(directory: Path, root=None):
        return pipeline.run(pipeline.Options(src=directory, write=False, strict=strict, builtin=shared.builtin(no_builtin), root=root, slice=chosen))

    src = shared.source_dir(src, overlay)
    after = build(src, root)
    try:
        with bases.checkout(base, src) as (directory, label, root):
            before = build(directory, root)
    except bases.BaseError as exc:
        raise click.UsageError(str(exc)) from None
    impact = compare.compare(label, before, str(src), after, max_lines=max_lines)
    if impact.src_errors:
        shared.report(after.diagnostics)
        sys.exit(shared.EXIT_ERRORS)
    shared.out(report.render(impact, fmt))
    sys.exit(shared.EXIT_ERRORS if exit_code and impact.changed else shared.EXIT_OK)
