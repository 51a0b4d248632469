"""The `omegen` command: the click group, and `main()`, which maps every outcome onto an exit code.

Exit codes: 0 success (warnings allowed), 1 the sources have errors (or OUT or stdout cannot be
written), 2 usage error, 3 internal error; 130 after Ctrl-C (SIGINT), 143 after SIGTERM, which is
handled alike: an output tree being written is left as it was, or completed (emit/transaction). Each command lives in its own module beside this one and
only parses its options, calls the pipeline and prints; `shared` holds what they have in common.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Optional

import click

from omegen import __version__
from omegen.commands import argocd, build, diff, explain, krm, kustomize_plugin, runtimes, schemas, validate
from omegen.commands.shared import EXIT_ERRORS, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, StdoutClosed, StdoutFailed


@dataclass
class _Run:
    """What main() must know about the command line after a command failed."""

    debug: bool = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="omegen")
@click.option("--debug", is_flag=True, help="On an internal error (exit 3), print its traceback to report.")
@click.option(
    "--color",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the diagnostics' severities: auto is on a terminal, unless NO_COLOR is set.",
)
@click.pass_context
def cli(context: click.Context, debug: bool, color: str) -> None:
    """Compile OME model-serving sources into plain, fully resolved Kubernetes YAML."""
    context.obj.debug = debug
    context.color = {"always": True, "never": False}.get(color)  # None: auto (commands/shared.colour); subcommands inherit it


for command in (build.build, explain.explain, validate.validate, runtimes.runtimes, runtimes.models, schemas.schemas, argocd.argocd, krm.krm, kustomize_plugin.kustomize_plugin, diff.diff):
    cli.add_command(command)


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, as Python raises KeyboardInterrupt for SIGINT (a
    BaseException, so that only clean-up code sees it on its way out)."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated()


def _quiet_stdout() -> None:
    # Nothing more can be said on stdout; point it at /dev/null so the final flush is quiet too.
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (embedded use), or closed
        pass


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point: maps every outcome onto the documented exit codes; a traceback only with --debug."""
    run = _Run()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli.main(args=argv, prog_name="omegen", standalone_mode=False, obj=run)
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
    except _Terminated:
        sys.stderr.write("omegen: terminated\n")
        sys.exit(EXIT_TERMINATED)
    except StdoutClosed:
        _quiet_stdout()
        sys.exit(EXIT_OK)
    except StdoutFailed as exc:
        _quiet_stdout()
        sys.stderr.write(f"omegen: cannot write the output to stdout: {exc}\n")
        sys.exit(EXIT_ERRORS)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        # Only stderr: a bug report is the user's to send, and omegen writes nothing outside OUT.
        if run.debug:
            import traceback  # only here: every command pays for what main imports

            traceback.print_exception(exc, file=sys.stderr)
            advice = "please report it with this traceback and the command you ran"
        else:
            advice = "rerun with `omegen --debug ...` and report it with the traceback and the command you ran"
        sys.stderr.write(f"omegen: internal error ({type(exc).__name__}: {exc}); this is a bug in omegen: {advice}\n")
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
