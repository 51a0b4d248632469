"""`omegen argocd generate`: the Argo CD Config Management Plugin's generate command.

It runs in the application's directory, reads the plugin's parameters from the environment
(`argocd_parameters`), builds, and prints one YAML stream. On any error it prints the diagnostics
on stderr and nothing at all on stdout, and exits 1: Argo CD must never apply a partial or empty
stream with pruning on. After a stream it ends stderr with the summary line (commands/summary.py):
Argo CD shows stderr only when generate fails, but keeps it in the plugin sidecar's log, where an
operator reading why an application changed finds what was generated.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from omegen.commands import shared, summary
from omegen.errors import has_errors


@click.group()
def argocd() -> None:
    """Argo CD Config Management Plugin commands (see deploy/argocd/)."""


@argocd.command()
def generate() -> None:
    """Print the application's manifests (run by the plugin in the app directory)."""
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage
    from omegen.commands import argocd_parameters

    settings, problems = argocd_parameters.read(os.environ)
    if has_errors(problems):
        shared.report(problems)
        sys.exit(shared.EXIT_ERRORS)
    try:
        src = shared.source_dir(Path("."), settings.overlay)  # the one overlays/NAME rule
    except click.UsageError as exc:
        shared.report(problems + [argocd_parameters.bad_overlay(exc.message)])
        sys.exit(shared.EXIT_ERRORS)
    build = pipeline.run(
        pipeline.Options(
            src=src,
            strict=settings.strict,
            kubernetes_version=settings.kubernetes_version,
            cluster_version=settings.cluster_version,
            root=argocd_parameters.repository_root(Path("."), settings.source_path),
            slice=settings.slice,
        )
    )
    shared.report(problems + list(build.diagnostics))
    if not build.ok:
        sys.exit(shared.EXIT_ERRORS)
    shared.out(build.stream)
    shared.note(summary.summary_line(build, verb="generated"))
