"""`omegen kustomize-plugin`: omegen as a legacy exec generator for `kubectl kustomize
--enable-alpha-plugins` (the only plugin route kubectl runs; gitops-contracts.md §1.5, §2(c)).

`install [DIR]` writes the executable kustomize looks up for `omegen.io/v1alpha1` `Omegen`:
`DIR/omegen.io/v1alpha1/omegen/Omegen` (DIR: `$XDG_CONFIG_HOME/kustomize/plugin`, else
`~/.config/kustomize/plugin`). kustomize then runs it with the generator config (the kustomization
directory's `omegen.yaml`, copied to a temporary file) as argv[1], in the kustomization directory;
`run` builds that directory and prints one YAML stream. On an error kustomize shows stderr and fails.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import shared

PLUGIN_PATH = ("omegen.io", "v1alpha1", "omegen", "Omegen")


def default_root() -> Path:
    """Where kubectl kustomize looks, in its order: KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME, ~/.config."""
    if os.environ.get("KUSTOMIZE_PLUGIN_HOME"):
        return Path(os.environ["KUSTOMIZE_PLUGIN_HOME"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kustomize" / "plugin"


def script() -> str:
    # This interpreter, by absolute path: kustomize's PATH may not hold the venv omegen lives in.
    return f"#!/bin/sh\n# Installed by `omegen kustomize-plugin install`.\nexec {shlex.quote(sys.executable)} -m omegen kustomize-plugin run \"$@\"\n"


@click.group(name="kustomize-plugin")
def kustomize_plugin() -> None:
    """omegen as a kubectl kustomize generator plugin."""


@kustomize_plugin.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def install(directory: Optional[Path]) -> None:
    """Install the plugin under DIRECTORY (default: $XDG_CONFIG_HOME/kustomize/plugin)."""
    root = directory or default_root()
    target = root.joinpath(*PLUGIN_PATH)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(script(), encoding="utf-8")
        tmp.chmod(0o755)
        tmp.replace(target)
    except OSError as exc:
        raise click.ClickException(f"cannot write {exc.filename or target}: {exc.strerror or exc}") from None
    shared.out(f"{target}\n")


@kustomize_plugin.command()
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("args", nargs=-1)
def run(config: Path, args: tuple) -> None:
    """Called by kustomize: CONFIG is its copy of the generator config."""
    from omegen import pipeline  # deferred: `omegen --help` need not load every stage
    from omegen.load.generatorconfig import same_config

    if args:
        raise click.UsageError(f"omegen's generator takes no arguments (argsOneLiner/argsFromFile): got {' '.join(args)}")
    root = Path(os.environ.get("KUSTOMIZE_PLUGIN_CONFIG_ROOT") or ".")
    problem = same_config(config, root)
    if problem is not None:
        shared.report([problem])
        sys.exit(shared.EXIT_ERRORS)
    build = pipeline.run(pipeline.Options(src=root))
    shared.report(build.diagnostics)
    if not build.ok:
        sys.exit(shared.EXIT_ERRORS)
    shared.out(build.stream)
