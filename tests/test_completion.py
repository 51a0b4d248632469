"""Shell completion is click's (README, "Shell completion"): the script it prints, and completions of
the commands and of a choice, through the real `omegen` entry point."""

from __future__ import annotations

import pytest

from conftest import run_cli as run


@pytest.mark.parametrize(("shell", "start"), [("bash", "_omegen_completion() {"), ("zsh", "#compdef omegen"), ("fish", "function _omegen_completion")])
def test_the_completion_script_is_printed(shell, start, capsys, monkeypatch):
    monkeypatch.setenv("_OMEGEN_COMPLETE", f"{shell}_source")
    code, out, err = run([], capsys)
    assert (code, err) == (0, "")
    assert out.startswith(start) and "_OMEGEN_COMPLETE=" in out


def test_commands_and_choices_complete(capsys, monkeypatch):
    monkeypatch.setenv("_OMEGEN_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "omegen mo")
    monkeypatch.setenv("COMP_CWORD", "1")
    code, out, _ = run([], capsys)
    assert (code, out.split()) == (0, ["plain,models"])
    monkeypatch.setenv("COMP_WORDS", "omegen runtimes --format ")
    monkeypatch.setenv("COMP_CWORD", "3")
    code, out, _ = run([], capsys)
    assert (code, out.split()) == (0, ["plain,text", "plain,json"])
