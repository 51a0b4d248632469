"""The hostile corpus (tests/hostile_corpus.py): every case exits 0 or 1 with its diagnostic, never
3 (an internal error), never hanging."""

from __future__ import annotations

import pytest

from conftest import write_tree
from hostile_corpus import BASE, CASES
from omegen.commands import main as cli


def build(root, capsys, *args):
    with pytest.raises(SystemExit) as exited:
        cli.main(["build", str(root), *args])
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


@pytest.mark.parametrize("files, code, expected", [pytest.param(f, c, e, id=i) for i, f, c, e in CASES])
def test_hostile_case(tmp_path, capsys, files, code, expected):
    root = write_tree(tmp_path / "src", {rel: text for rel, text in {**BASE, **files}.items() if text is not None})
    got, out, err = build(root, capsys)
    assert (got, expected in (err if code else out + err)) == (code, True), err[:2000]
    assert "internal error" not in err


def test_corpus_ids_are_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))
