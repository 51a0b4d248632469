"""`omegen runtimes`: the runtime table (built-in, plus SRC's when given)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import shared
from omegen.errors import has_errors


@click.command()
@click.argument("src", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format (stdout).")
@shared.strict_option
@shared.builtin_option
def runtimes(src: Optional[Path], fmt: str, strict, no_builtin) -> None:
    """List every runtime (built-in, plus SRC's when given) as a table."""
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage
    from omegen.commands import catalog

    sources, diagnostics = pipeline.load(src, builtin=shared.builtin(no_builtin), strict=bool(strict))  # None: the catalog alone
    if fmt == "json":
        shared.out(json.dumps(catalog.runtime_json(sources), indent=2) + "\n")
    else:
        shared.out(catalog.runtime_table(sources))
    shared.report(diagnostics)
    sys.exit(shared.EXIT_ERRORS if has_errors(diagnostics) else shared.EXIT_OK)
