"""`omegen schemas export DIR`: omegen's own JSON Schemas, laid out for kubeconform."""

from __future__ import annotations

from pathlib import Path

import click

from omegen.commands import shared


@click.group()
def schemas() -> None:
    """omegen's own JSON Schemas."""

@schemas.command(name="export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export(directory: Path) -> None:
    """Write the schemas in kubeconform's -schema-location layout under DIRECTORY."""
    from omegen.validate import kubeconform  # deferred: `omegen --help` need not load every stage

    try:
        written = kubeconform.export_schemas(directory)
    except OSError as exc:
        raise click.ClickException(f"cannot write {exc.filename or directory}: {exc.strerror or exc}") from None
    shared.out("".join(f"{path}\n" for path in written))
