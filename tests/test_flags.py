"""One meaning per flag on every command (issue 10): `-o/--output` is always a path (explain's hidden
`-o json`, kept for one release, excepted), `--format` is always a format of what the command
prints, and `--help` names where it goes (stdout or stderr)."""

from __future__ import annotations

import click

from conftest import run_cli as run
from omegen.commands.main import cli


def commands(group=cli, prefix=()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def test_o_is_a_path_and_format_a_format_everywhere():
    seen_o, seen_format = [], []
    for path, command in commands():
        for param in command.params:
            if "-o" in getattr(param, "opts", ()):
                if path == ("explain",):
                    assert param.hidden and set(param.type.choices) == {"text", "json"}
                    continue
                assert isinstance(param.type, click.Path) and "--output" in param.opts, path
                seen_o.append(path)
            if "--format" in getattr(param, "opts", ()):
                assert isinstance(param.type, click.Choice) and "text" in param.type.choices and "json" in param.type.choices, path
                assert param.help.endswith(("(stdout).", "(stderr).")), path
                seen_format.append(path)
            assert "--out" not in getattr(param, "opts", ()) or "--output" in param.opts
    assert seen_o == [("build",)]
    assert seen_format == [("build",), ("diff",), ("explain",), ("models",), ("runtimes",), ("validate",)]


def test_diff_formats(capsys):
    (command,) = [c for p, c in commands() if p == ("diff",)]
    (fmt,) = [p for p in command.params if p.name == "fmt"]
    assert list(fmt.type.choices) == ["text", "markdown", "json"]


def test_build_output_and_its_old_spelling(tree, tmp_path, capsys):
    from seed_example import SEED_RUNTIME, SEED_SERVICE
    from test_brief import NO_BUILTIN
    from test_load import MODEL

    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE})
    code, _, _ = run(["build", str(src), "--output", str(tmp_path / "new")], capsys)
    assert code == 0
    code, _, _ = run(["build", str(src), "--out", str(tmp_path / "old")], capsys)
    assert code == 0
    names = lambda d: sorted(p.relative_to(d).as_posix() for p in d.rglob("*"))  # noqa: E731
    assert names(tmp_path / "new") == names(tmp_path / "old") and "kustomization.yaml" in names(tmp_path / "new")
    code, _, err = run(["build", str(src), "--check"], capsys)
    assert code == 2 and "--check needs -o/--output" in err
