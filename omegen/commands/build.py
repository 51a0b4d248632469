"""`omegen build`: SRC to one YAML stream on stdout, or to an output tree (-o), or --check it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import shared, summary


@click.command()
@shared.src_argument
# --output, as every command's -o; --out, its first spelling, stays accepted.
@click.option("-o", "--output", "--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Write an output tree here instead of stdout.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when OUT is not up to date.")
@click.option("--allow-empty", is_flag=True, help="Accept a SRC with no InferenceService (an empty output).")
@click.option("--prune", is_flag=True, help="Allow a build that removes more than half of the services in OUT.")
@shared.slice_options
@shared.cache_option
@shared.build_options
def build(
    src: Path, out: Optional[Path], check: bool, allow_empty: bool, prune: bool, only_namespaces, only_selectors, cache, overlay, root, strict, no_builtin, fmt: str, verbose: bool, quiet: bool
) -> None:
    """Compile SRC (default: the current directory) to Kubernetes YAML."""
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage

    if check and out is None:
        raise click.UsageError("--check needs -o/--output: the output tree to compare with")
    options = pipeline.Options(
        src=shared.source_dir(src, overlay),
        out=out,
        check=check,
        strict=strict,
        builtin=shared.builtin(no_builtin),
        allow_empty=allow_empty,
        prune=prune,
        root=root,
        slice=shared.slice_of(only_namespaces, only_selectors),
        cache=cache,
    )
    result = pipeline.run(options)
    shared.report(result.diagnostics, fmt, verbose, quiet)  # once: `--format json` is a single array
    if not result.ok:
        if check and fmt == "text" and not quiet and any(d.code == "stale-output" for d in result.diagnostics):
            sys.stderr.write(summary.check_diff(out, result))
        sys.exit(shared.EXIT_ERRORS)
    if out is None:
        shared.out(result.stream)
    if not quiet:  # never silent: say what was built (stderr, so the stream on stdout stays clean)
        shared.note(summary.summary_line(result, out=out, verb="checked" if check else ""))
