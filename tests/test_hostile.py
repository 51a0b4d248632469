"""The hostile corpus (tests/hostile_corpus.py): every case exits 0 or 1 with its diagnostic, never
3 (an internal error), never hanging."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_tree
from hostile_corpus import BASE, CASES, OME_SERVICE
from omegen.commands import main as cli
from omegen.render import templatevars


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


# The regular expression templatevars used before it was made linear: the reference its
# replacement must agree with, on every text (hypothesis below), and that took 55 s on 2,000 spaces.
_OLD_ACTION = re.compile(r"\{\{(-[ \t\r\n])?\s*(.*?)\s*([ \t\r\n]-)?\}\}", re.DOTALL)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["{", "}", "-", " ", "\n", "\t", ".", "N", "x"]), max_size=40))
def test_template_actions_are_found_as_the_regular_expression_found_them(text):
    expected = [(m.start(), m.end(), bool(m.group(1)), m.group(2), bool(m.group(3))) for m in _OLD_ACTION.finditer(text)]
    assert list(templatevars._actions(text)) == expected


def test_an_unclosed_action_on_a_long_line_is_linear():
    # 200,000 spaces after `{{`: cubic would never finish; linear takes milliseconds.
    text = "{{" + " " * 200_000
    assert templatevars.substitute_text(text, {}) == text
    # As before: the action runs from the first `{{` to the first `}}`, and is not a placeholder.
    text = "{{" * 100_000 + " .Name }}"
    assert templatevars.substitute_text(text, {"Name": "n"}) == text


def test_template_amplification_is_bounded_by_the_output_limit(tmp_path, capsys, monkeypatch):
    # One annotation repeated in every object of every service: the whole output is capped (64 MiB
    # by default; lowered here so that the test stays small).
    from omegen.validate import sizes

    monkeypatch.setattr(sizes, "MAX_OUTPUT_BYTES", 200_000)
    services = "---\n".join(
        OME_SERVICE.replace("  name: chat\n", f"  name: chat-{i}\n  annotations: {{big: {'x' * 20_000}}}\n") for i in range(3)
    )
    root = write_tree(tmp_path / "src", {**BASE, "isvc.yaml": services})
    code, out, err = build(root, capsys)
    assert (code, out) == (1, "")
    assert "<omegen>: error[output-too-large]: the output would be " in err
    assert "the largest services: default/chat-0 (" in err
