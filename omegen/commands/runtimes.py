"""`omegen runtimes` and `omegen models`: the catalog as loaded (built-in, plus SRC's when given),
as a table that fits the terminal or as JSON (commands/catalog.py has the rows)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import shared
from omegen.errors import has_errors

_src = click.argument("src", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
_format = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format (stdout).")


def _listing_options(command):
    """The options `runtimes` and `models` share, in their --help order."""
    for option in reversed((_src, _format, shared.wide_option, shared.strict_option, shared.builtin_option)):
        command = option(command)
    return command


@click.command()
@_listing_options
def runtimes(src: Optional[Path], fmt: str, wide: bool, strict, no_builtin) -> None:
    """List every runtime (built-in, plus SRC's when given) as a table."""
    from omegen.commands import catalog

    _list(src, fmt, wide, strict, no_builtin, catalog.runtime_json, catalog.runtime_table)


@click.command()
@_listing_options
def models(src: Optional[Path], fmt: str, wide: bool, strict, no_builtin) -> None:
    """List every model (built-in, plus SRC's when given) as a table."""
    from omegen.commands import catalog

    _list(src, fmt, wide, strict, no_builtin, catalog.model_json, catalog.model_table)


def _list(src, fmt, wide, strict, no_builtin, as_json, as_table) -> None:
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage
    from omegen.commands import tables

    sources, diagnostics = pipeline.load(src, builtin=shared.builtin(no_builtin), strict=bool(strict))  # None: the catalog alone
    if fmt == "json":
        shared.out(json.dumps(as_json(sources), indent=2) + "\n")
    else:
        shared.out(as_table(sources, tables.width(wide)))
    shared.report(diagnostics)
    sys.exit(shared.EXIT_ERRORS if has_errors(diagnostics) else shared.EXIT_OK)
