"""`omegen krm`: omegen as a KRM function (kpt fn eval/render --exec, kustomize --enable-exec).

A ResourceList on stdin, a ResourceList on stdout (always, so the orchestrator can show the
results), diagnostics as its `results`; exit 1 when any is an error, so kpt fails the pipeline and
writes nothing. The summary line goes to stderr, never into the ResourceList (gitops-contracts.md
§1.2: stdout is the ResourceList's alone, unstructured text goes to stderr; kpt shows a function's
stderr with its results), and only when the function succeeded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from omegen.commands import shared, summary
from omegen.errors import has_errors, sort_diagnostics


@click.command()
@shared.strict_option
def krm(strict) -> None:
    """Read a ResourceList on stdin; print it with the rendered objects added."""
    from omegen import pipeline, yamlio  # deferred: `omegen --help` need not load every stage
    from omegen.emit import resourcelist as emit
    from omegen.load import resourcelist as load

    request = load.read_request(sys.stdin.read())
    diagnostics = list(request.diagnostics)
    objects, ok, build = (), False, None
    if not has_errors(diagnostics):
        build = pipeline.run(pipeline.Options(src=Path("ResourceList.items"), files=request.files, strict=strict))
        diagnostics = sort_diagnostics(diagnostics + list(build.diagnostics))
        objects, ok = build.objects, build.ok
    shared.out(yamlio.dump(emit.response(request, objects, diagnostics, ok and not has_errors(diagnostics))))
    if not ok or has_errors(diagnostics):
        sys.exit(shared.EXIT_ERRORS)
    shared.note(summary.summary_line(build, verb="generated"))
