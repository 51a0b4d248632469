"""`omegen validate`: every stage but the output, optionally kubeconform over the rendered objects."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import shared, summary


@click.command(name="validate")
@shared.src_argument
@click.option(
    "--kubeconform",
    "kubeconform",
    is_flag=False,
    flag_value="kubeconform",
    default=None,
    metavar="[PATH]",
    help="Also run kubeconform (from PATH, or the given executable) on the rendered output.",
)
@shared.slice_options
@shared.cache_option
@shared.build_options
def validate(src: Path, kubeconform: Optional[str], only_namespaces, only_selectors, cache, overlay, root, strict, no_builtin, fmt: str, verbose: bool, quiet: bool) -> None:
    """Load, resolve, render and validate SRC without writing anything."""
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage

    if kubeconform is not None and Path(kubeconform).is_dir():
        # `validate --kubeconform SRC` reads SRC as the executable: say so instead of validating "."
        raise click.UsageError(
            f"--kubeconform takes the kubeconform executable, and {kubeconform!r} is a directory: "
            "write SRC first (omegen validate SRC --kubeconform) or --kubeconform=PATH"
        )
    result = pipeline.run(
        pipeline.Options(
            src=shared.source_dir(src, overlay), write=False, strict=strict, builtin=shared.builtin(no_builtin), kubeconform=kubeconform, root=root,
            slice=shared.slice_of(only_namespaces, only_selectors),
            cache=cache,
        )
    )
    shared.report(result.diagnostics, fmt, verbose, quiet)
    if result.ok and not quiet:
        shared.note(summary.summary_line(result, verb="validated"))
    sys.exit(shared.EXIT_OK if result.ok else shared.EXIT_ERRORS)
