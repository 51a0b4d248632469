"""What every command shares: stdout that is UTF-8 whatever the locale, the diagnostics report on
stderr, the exit codes, and the click options several commands take."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click

from omegen.commands import brief
from omegen.errors import Severity, format_diagnostics

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a process stopped by Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM (Argo CD and CI runners stop a job with it)

src_argument = click.argument(
    "src", required=False, default=".", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
builtin_option = click.option(
    "--no-builtin-runtimes", "no_builtin", is_flag=True, default=None, help="Do not load the built-in runtime and model catalog."
)
overlay_option = click.option(
    "--overlay", "overlay", metavar="NAME", help="Build the overlay SRC/overlays/NAME (shorthand for giving that directory as SRC)."
)
root_option = click.option(
    "--root",
    "root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The directory overlay paths may not leave (default: the git work tree holding SRC, else SRC).",
)
strict_option = click.option("--strict", is_flag=True, default=None, help="Treat warnings and ambiguous selections as errors.")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True, help="Diagnostics format (stderr)."
)
verbose_option = click.option(
    "-v", "--verbose", is_flag=True, help="Report everything: infos (ignored documents, replaced built-ins), consequences and repeats in full."
)


class StdoutClosed(Exception):
    """The reader of stdout went away (`omegen build | head -1`). Deliberately not an OSError:
    click would turn that into exit 1, "the sources have errors"."""


class StdoutFailed(Exception):
    """stdout cannot take the output: it is closed, /dev/full, or over a file-size limit (EFBIG;
    Python ignores SIGXFSZ). Exit 1 with one line on stderr, never an internal error."""


def out(text: str) -> None:
    """Everything for stdout goes through here: UTF-8 whatever the locale says, so the bytes are the
    same on every machine (and a non-ASCII value never crashes an ASCII terminal)."""
    if sys.stdout is None:  # started with file descriptor 1 closed
        raise StdoutFailed("stdout is closed")
    try:
        sys.stdout.flush()
        fd = _fileno(sys.stdout)
        if fd is not None:
            # Straight to the descriptor, every byte accounted for: a buffered writer has been seen
            # to lose the tail past a file-size limit (RLIMIT_FSIZE) without raising.
            view = memoryview(text.encode("utf-8"))
            while view:
                view = view[os.write(fd, view) :]
            return
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(text)
        else:
            buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    except BrokenPipeError:
        raise StdoutClosed from None
    except (OSError, ValueError) as exc:  # ValueError: a stdout someone closed (`sys.stdout.close()`)
        raise StdoutFailed(getattr(exc, "strerror", None) or str(exc)) from None


def _fileno(stream):
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):  # pytest's capture, an embedding's StringIO
        return None


def source_dir(src: Path, overlay: Optional[str]) -> Path:
    """SRC, or SRC/overlays/NAME with `--overlay NAME` (a usage error when there is none)."""
    if overlay is None:
        return src
    path = src / "overlays" / overlay
    if "/" in overlay or overlay in ("", ".", "..") or not path.is_dir():
        raise click.UsageError(f"--overlay {overlay}: no overlay directory {path}")
    return path


def builtin(no_builtin: Optional[bool]) -> Optional[bool]:
    """`--no-builtin-runtimes` given: no catalog; absent: as omegen.yaml says."""
    return False if no_builtin else None


quiet_option = click.option("-q", "--quiet", is_flag=True, help="Report errors only.")
wide_option = click.option("--wide", is_flag=True, help="Print tables in full, however wide (default: fit the terminal).")


def report(diagnostics, fmt: str = "text", verbose: bool = False, quiet: bool = False, silenced: bool = False) -> None:
    """The diagnostics on stderr: brief text by default (commands/brief.py), everything with
    --verbose, and always everything in JSON (for tools)."""
    if fmt == "json":
        text = format_diagnostics([d for d in diagnostics if not quiet or d.severity is Severity.ERROR], fmt)
    elif fmt == "github":
        text = format_diagnostics(brief.shown(diagnostics, verbose=verbose, quiet=quiet, silenced=silenced), fmt)
    else:
        lines = brief.text_lines(diagnostics, verbose=verbose, quiet=quiet, silenced=silenced, colour=colour(sys.stderr))
        text = "".join(line + "\n" for line in lines)
    if text:
        sys.stderr.write(text)


def colour(stream) -> bool:
    """Colour on `stream`? `--color always|never` decides when given (click's context carries it);
    else only on a terminal, and never when NO_COLOR is set to anything but "" (no-color.org)."""
    context = click.get_current_context(silent=True)
    chosen = context.color if context is not None else None
    if chosen is not None:
        return chosen
    if os.environ.get("NO_COLOR", ""):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def note(line: str) -> None:
    """One line for a person on stderr (the summary); `→` becomes `->` where stderr cannot write it."""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    try:
        line.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        line = line.replace("→", "->").replace("…", "...")
    sys.stderr.write(line + "\n")


def build_options(command):
    """The options of every command that builds SRC (build, validate): which sources, how strict, how
    to report. Applied bottom-up, as a stack of decorators would be, so `--help` lists them in order."""
    for option in reversed((overlay_option, root_option, strict_option, builtin_option, format_option, verbose_option, quiet_option)):
        command = option(command)
    return command


only_namespace_option = click.option(
    "--only-namespace",
    "only_namespaces",
    metavar="NS",
    multiple=True,
    help="Build only the InferenceServices in namespace NS, as written in the sources (repeatable: any of them).",
)
only_selector_option = click.option(
    "--only-selector",
    "only_selectors",
    metavar="SELECTOR",
    multiple=True,
    help="Build only the InferenceServices whose labels, as written, match: key=value, key!=value, key, !key, comma-separated (repeatable: all must hold).",
)


def slice_options(command):
    """--only-namespace and --only-selector (omegen/load/slices.py): a slice of the estate."""
    return only_namespace_option(only_selector_option(command))


def slice_of(namespaces, selectors):
    """The Slice of the two options; a usage error (exit 2) when a value is not a namespace or selector."""
    from omegen.load.slices import SliceError, make_slice

    try:
        return make_slice(namespaces, selectors)
    except SliceError as exc:
        raise click.UsageError(str(exc)) from None


cache_option = click.option(
    "--cache",
    "cache",
    envvar="OMEGEN_CACHE",
    type=click.Path(file_okay=False, path_type=Path),
    help="Reuse the earlier build in this directory when every input is unchanged (also OMEGEN_CACHE). As trusted as the directory: see SECURITY.md.",
)
