"""YAML syntax errors at the line and column that is wrong (issue 10), for the common mistakes."""

from __future__ import annotations

import pytest

from omegen import yamlio


@pytest.mark.parametrize(
    "text, line, column, starts",
    [
        ("a:\n  b: [1, 2\n  c: 3\n", 2, 6, "did not find expected ',' or ']'"),  # where the [ opened
        ("a:\n  b: 1\n   c: 2\n", 3, 4, "bad indentation: this line is indented more than the key above it"),
        ("a:\n\tb: 1\n", 2, 1, "found character that cannot start any token"),  # the tab
        ("a:\n  b 1\n  c: 2\n", 2, 3, "missing ':' after the key on this line?"),  # not the line after
    ],
    ids=["unclosed-bracket", "bad-indentation", "tab", "missing-colon"],
)
def test_syntax_errors_point_at_the_mistake(text, line, column, starts):
    with pytest.raises(yamlio.YAMLError) as raised:
        list(yamlio.load_documents(text))
    assert (raised.value.line, raised.value.column) == (line, column)
    assert raised.value.message.startswith(starts) and len(raised.value.message) < 200
