"""The command line. The only module that knows about click, stdout/stderr and exit codes.

Exit codes: 0 success (warnings allowed), 1 the sources have errors (or OUT cannot be written), 2 usage
error, 3 internal error; 130 after Ctrl-C.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import click

from omegen import __version__
from omegen.errors import Diagnostic, Severity, error, format_diagnostics, has_errors, promote_warnings, sort_diagnostics

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a process stopped by Ctrl-C

_src_argument = click.argument(
    "src", required=False, default=".", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
_builtin_option = click.option(
    "--no-builtin-runtimes", "no_builtin", is_flag=True, default=None, help="Do not load the built-in runtime and model catalog."
)
_strict_option = click.option("--strict", is_flag=True, default=None, help="Treat warnings and ambiguous selections as errors.")
_format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True, help="Diagnostics format (stderr)."
)
_verbose_option = click.option(
    "-v", "--verbose", is_flag=True, help="Also report info diagnostics (ignored documents, replaced built-ins)."
)


class _StdoutClosed(Exception):
    """The reader of stdout went away (`omegen build | head -1`). Deliberately not an OSError:
    click would turn that into exit 1, "the sources have errors"."""


def _out(text: str) -> None:
    """Everything for stdout goes through here: UTF-8 whatever the locale says, so the bytes are the
    same on every machine (and a non-ASCII value never crashes an ASCII terminal)."""
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(text)
        else:
            sys.stdout.flush()
            buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    except BrokenPipeError:
        raise _StdoutClosed from None


def _builtin(no_builtin: Optional[bool]) -> Optional[bool]:
    return False if no_builtin else None


def _report(diagnostics, fmt: str = "text", verbose: bool = False) -> None:
    """Errors and warnings to stderr; infos too with --verbose, and always in JSON (for tools)."""
    if not verbose and fmt != "json":
        diagnostics = [d for d in diagnostics if d.severity is not Severity.INFO]
    text = format_diagnostics(diagnostics, fmt)
    if text:
        sys.stderr.write(text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="omegen")
def cli() -> None:
    """Compile OME model-serving sources into plain, fully resolved Kubernetes YAML."""


@cli.command()
@_src_argument
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), help="Write an output tree here instead of stdout.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when OUT is not up to date.")
@_strict_option
@_builtin_option
@_format_option
@_verbose_option
def build(src: Path, out: Optional[Path], check: bool, strict, no_builtin, fmt: str, verbose: bool) -> None:
    """Compile SRC (default: the current directory) to Kubernetes YAML."""
    from omegen import pipeline

    if check and out is None:
        raise click.UsageError("--check needs -o/--out: the output tree to compare with")
    result = pipeline.run(pipeline.Options(src=src, out=out, check=check, strict=strict, builtin=_builtin(no_builtin)))
    _report(result.diagnostics, fmt, verbose)  # once: `--format json` is a single array
    if not result.ok:
        sys.exit(EXIT_ERRORS)
    if out is None:
        _out(result.stream)


@cli.command()
@click.argument("isvc")
@_src_argument
@click.option("-n", "--namespace", help="Namespace of the InferenceService (needed when the name is not unique).")
@click.option("-o", "--output", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_strict_option
@_builtin_option
def explain(isvc: str, src: Path, namespace: Optional[str], output: str, strict, no_builtin) -> None:
    """Show which runtime serves ISVC, every candidate's verdict, and the rule that decided."""
    from omegen.resolve import explain as explaining
    from omegen import pipeline

    resolution, matches, diagnostics = pipeline.resolve_one(src, isvc, namespace, builtin=_builtin(no_builtin), strict=strict)
    if resolution is None:
        where = f" in namespace {namespace!r}" if namespace else ""
        if len(matches) > 1:
            options = ", ".join(f"{ns}/{name}" for ns, name in matches)
            message = f"InferenceService {isvc!r} exists in several namespaces ({options}); choose one with -n"
        elif matches:
            message = f"InferenceService {matches[0][0]}/{isvc} could not be loaded: its definition has errors (listed with it)"
        else:
            message = f"no InferenceService named {isvc!r}{where} under {src}"
        _report(list(diagnostics) + [error("service-not-found", message)])
        sys.exit(EXIT_ERRORS)
    own = list(resolution.diagnostics)  # the pipeline already applied --strict / omegen.yaml strict
    if output == "json":
        payload = explaining.explain_json(resolution)
        _out(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    else:
        _out(explaining.explain_text(resolution, include_diagnostics=False))
    _report(list(diagnostics) + own)  # a load error elsewhere (a broken model file) may be the cause
    sys.exit(EXIT_ERRORS if has_errors(own) else EXIT_OK)


@cli.command(name="validate")
@_src_argument
@click.option(
    "--kubeconform",
    "kubeconform",
    is_flag=False,
    flag_value="kubeconform",
    default=None,
    metavar="[PATH]",
    help="Also run kubeconform (from PATH, or the given executable) on the rendered output.",
)
@_strict_option
@_builtin_option
@_format_option
@_verbose_option
def validate_command(src: Path, kubeconform: Optional[str], strict, no_builtin, fmt: str, verbose: bool) -> None:
    """Load, resolve, render and validate SRC without writing anything."""
    from omegen import pipeline

    if kubeconform is not None and Path(kubeconform).is_dir():
        # `validate --kubeconform SRC` reads SRC as the executable: say so instead of validating "."
        raise click.UsageError(
            f"--kubeconform takes the kubeconform executable, and {kubeconform!r} is a directory: "
            "write SRC first (omegen validate SRC --kubeconform) or --kubeconform=PATH"
        )
    result = pipeline.run(
        pipeline.Options(src=src, write=False, strict=strict, builtin=_builtin(no_builtin), kubeconform=kubeconform)
    )
    _report(result.diagnostics, fmt, verbose)
    sys.exit(EXIT_OK if result.ok else EXIT_ERRORS)


@cli.command()
@click.argument("src", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@_strict_option
@_builtin_option
def runtimes(src: Optional[Path], strict, no_builtin) -> None:
    """List every runtime (built-in, plus SRC's when given) as a table."""
    import tempfile

    from omegen import pipeline
    from omegen.commands import catalog

    if src is None:  # the catalog alone: never scan the current directory uninvited
        with tempfile.TemporaryDirectory(prefix="omegen-empty-") as empty:
            sources, diagnostics = pipeline.load(Path(empty), builtin=_builtin(no_builtin), strict=bool(strict))
    else:
        sources, diagnostics = pipeline.load(src, builtin=_builtin(no_builtin), strict=bool(strict))
    _out(catalog.runtime_table(sources))
    _report(diagnostics)
    sys.exit(EXIT_ERRORS if has_errors(diagnostics) else EXIT_OK)


@cli.group()
def schemas() -> None:
    """omegen's own JSON Schemas."""


@schemas.command(name="export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def schemas_export(directory: Path) -> None:
    """Write the schemas in kubeconform's -schema-location layout under DIRECTORY."""
    from omegen.validate import kubeconform as kc

    try:
        written = kc.export_schemas(directory)
    except OSError as exc:
        raise click.ClickException(f"cannot write {exc.filename or directory}: {exc.strerror or exc}") from None
    _out("".join(f"{path}\n" for path in written))


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point: maps every outcome onto the documented exit codes; no traceback reaches a user."""
    try:
        cli.main(args=argv, prog_name="omegen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except (click.exceptions.Abort, KeyboardInterrupt):
        # click turns Ctrl-C into Abort; either way it is not "the sources have errors" (1).
        sys.stderr.write("omegen: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except _StdoutClosed:
        # Nothing more can be said on stdout; point it at /dev/null so the final flush is quiet too.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # stdout is not a real file (embedded use)
            pass
        sys.exit(EXIT_OK)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        sys.stderr.write(
            f"omegen: internal error ({type(exc).__name__}: {exc}); this is a bug in omegen, please report it with the command you ran\n"
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
