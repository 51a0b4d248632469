"""Colour on a terminal for the diagnostics' severities (issue 10): on when stderr is a terminal,
off when it is not, off when NO_COLOR is set (no-color.org: any value but ""), and `--color
always|never` decides when given. Only the `error[code]` label is coloured; JSON and GitHub never."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from conftest import REPO, run_cli as run
from omegen.commands import shared

BAD = "apiVersion: ome.io/v1\nkind: InferenceService\nmetadata: {name: a, namespace: b}\n"
RED = "\x1b[31m\x1b[1merror[unknown-api-version]\x1b[0m"


@pytest.fixture
def bad(tree):
    return str(tree({"bad.yaml": BAD}))


def test_not_a_terminal_means_no_colour(bad, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, _, err = run(["validate", bad, "--no-builtin-runtimes"], capsys)
    assert code == 1 and err.startswith("bad.yaml:1:1: error[unknown-api-version]: ") and "\x1b" not in err


def test_color_always_and_never(bad, capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # --color always is an explicit request: it wins
    code, _, err = run(["--color", "always", "validate", bad, "--no-builtin-runtimes"], capsys)
    assert code == 1 and err.startswith(f"bad.yaml:1:1: {RED}: apiVersion 'ome.io/v1'")
    assert err.count("\x1b[") == 3  # the label alone
    code, _, err = run(["--color", "always", "validate", bad, "--no-builtin-runtimes", "--format", "json"], capsys)
    assert code == 1 and "\x1b" not in err
    code, _, err = run(["--color", "always", "validate", bad, "--no-builtin-runtimes", "--format", "github"], capsys)
    assert code == 1 and "\x1b" not in err
    code, _, err = run(["--color", "never", "build", bad, "--no-builtin-runtimes"], capsys)
    assert code == 1 and "\x1b" not in err


class Terminal:
    def isatty(self):
        return True


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("1", False), ("anything", False), ("", True)])
def test_no_color_any_value_but_empty_turns_colour_off(value, expected, monkeypatch):
    if value is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", value)
    assert shared.colour(Terminal()) is expected
    import io

    assert shared.colour(io.StringIO()) is False


def _on_a_terminal(argv, env):
    """Run omegen with stderr on a real pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    try:
        subprocess.run([sys.executable, "-m", "omegen", *argv], stdout=subprocess.DEVNULL, stderr=follower, env=env, cwd=REPO, timeout=60)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal's other side is closed, everything is read
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)


def test_a_real_terminal_gets_colour_unless_no_color(bad):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert RED in _on_a_terminal(["validate", bad, "--no-builtin-runtimes"], env)
    plain = _on_a_terminal(["validate", bad, "--no-builtin-runtimes"], env | {"NO_COLOR": "1"})
    assert "error[unknown-api-version]" in plain and "\x1b" not in plain
