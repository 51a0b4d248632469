"""yamlemit writes exactly what PyYAML's dumper writes as yamlio calls it, or says it cannot.

The reference is `yamlio.dump_with_pyyaml`. Compared over every golden expected.yaml, OME's upstream
files and what omegen renders from them, hand-picked corner cases, and a hypothesis fuzz of tricky
strings and structures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omegen import yamlemit, yamlio

CASES = Path(__file__).resolve().parent / "cases"


def same_as_pyyaml(data) -> bool:
    """True when yamlemit wrote PyYAML's bytes; False when it declined; fails on any difference."""
    want = yamlio.dump_with_pyyaml(data)
    try:
        got = yamlemit.dump(data)
    except yamlemit.Unsupported:
        return False
    assert got == want, f"{data!r}:\n--- PyYAML\n{want}--- yamlemit\n{got}"
    return True


def documents(text: str) -> list:
    return [d.data for d in yamlio.load_documents(text, positions=False)]


@pytest.mark.parametrize("case", sorted(p.parent.name for p in CASES.glob("*/expected.yaml")))
def test_every_golden_document(case):
    text = (CASES / case / "expected.yaml").read_text()
    docs = documents(text)
    assert docs
    assert all(same_as_pyyaml(doc) for doc in docs), "every golden document takes the fast path"
    assert yamlio.dump_all(docs) in text  # the stream after the header comment


def test_upstream_files_and_their_rendered_output(upstream):
    from omegen import pipeline

    docs = []
    for path in sorted(upstream.rglob("*.yaml")):
        try:
            docs += [d for d in documents(path.read_text()) if isinstance(d, (dict, list))]
        except yamlio.YAMLError:
            continue
    rendered = [o.obj for o in pipeline.build(upstream).objects]
    assert len(docs) > 100 and len(rendered) > 100
    declined = [doc for doc in docs + rendered if not same_as_pyyaml(doc)]
    assert not declined


CORNERS = [
    # strings PyYAML quotes because they would read back as something else
    *["yes", "No", "ON", "off", "y", "n", "true", "FALSE", "null", "Null", "~", "", "<<", "=", "!", "&", "*"],
    *["1", "-1", "+1", "012", "0o17", "0x1F", "0b101", "1_000", "1:30", "1.5", "1e3", "1.0e+3", ".5", "-.inf", ".NaN"],
    *["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "1.2.3", "v1", "8080", "3Gi"],
    # indicators, leading/trailing blanks, comments, document markers
    *["- a", "-a", "-", "? x", "?x", ": y", ":y", "a:b", "a: b", "a:", "a #b", "a#b", "#c", "---", "...", "--x", "..x"],
    *[" a", "a ", " ", "  ", "'q'", '"q"', "it's", "a,b", "[x]", "{x}", "%x", "@x", "`x", "|x", ">x", "a\\b"],
    # line breaks: literal, single-quoted (trailing space), double-quoted (tab, space before a break)
    *["a\nb", "a\nb\n", "a\nb\n\n", "\n", "\n\n", "\na", "a\n\n\nb", "a\nb ", " a\nb", "a \nb", "a\n b", "a\tb\nc"],
    *["line one\nline two\n", "{{ x }}\n{% if y %}\n  z\n{% endif %}\n", "a\r\nb", "\ra", "a\r"],
    # unicode: printable as is, the rest escaped in double quotes
    *["é", "日本語", "\u00a0", "a\u00a0b", "\ufeff", "\ufffe", "😀", "a😀\nb", "\x00", "\x07", "\x1b", "\x7f", "\x80", "ÿ\x9f"],
]


@pytest.mark.parametrize("value", CORNERS)
def test_corner_strings_as_values_keys_and_items(value):
    assert same_as_pyyaml({"k": value, "nested": {"k": value}, "list": [value, [value]]})
    assert same_as_pyyaml([value, {"k": value}])
    if "\n" not in value and "\r" not in value:
        assert same_as_pyyaml({value: 1, "k": {value: [value]}})


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -7, 2**70, 1.5, -0.0, 1e16, 1e-7, 123456789.123, float("inf"), float("-inf"), float("nan")],
)
def test_non_string_scalars(value):
    assert same_as_pyyaml({"k": value, "l": [value]})


def test_empty_containers_and_nesting():
    for doc in [{}, [], {"a": {}}, {"a": []}, [[]], [{}], [[[1]]], [{"a": [{"b": {}}]}], {"a": [[{"b": 1, "c": [2]}]]}]:
        assert same_as_pyyaml(doc)


def test_keep_chomping_ends_the_stream_like_libyaml():
    # `|+` leaves the document open-ended: libyaml closes the stream with `...` when that literal
    # is the last block scalar written, even if other values follow it.
    assert same_as_pyyaml({"a": "x\n\n", "b": 1})
    assert same_as_pyyaml({"a": "x\n\n", "b": "y\n"})
    assert yamlemit.dump({"a": "x\n\n", "b": 1}).endswith("b: 1\n...\n")
    assert not yamlemit.dump({"a": "x\n\n", "b": "y\n"}).endswith("...\n")


@pytest.mark.parametrize(
    "doc, why",
    [
        ({"k" * 129: 1}, "a key over 128 bytes is a `? ` complex key"),
        ({"a\nb": 1}, "a multi-line key is a complex key"),
        ({1: "a"}, "non-str keys"),
        ({"k": ("a",)}, "tuples (PyYAML writes them as lists)"),
        ({"k": "x " * 5000}, "a long line reaches the width, where libyaml folds"),
        ({"k": "a\u2028b"}, "breaks other than \\n"),
        ("scalar", "a root scalar ends with `...`"),
    ],
)
def test_declines_what_it_does_not_prove_exact(doc, why):
    with pytest.raises(yamlemit.Unsupported):
        yamlemit.dump(doc)


def test_yamlio_falls_back_to_pyyaml_for_a_declined_document():
    doc = {"k" * 129: "x " * 5000, "a": "b"}
    assert yamlio.dump(doc) == yamlio.dump_with_pyyaml(doc)
    assert "\n? kkk" in yamlio.dump(doc)  # PyYAML's complex key
    assert yamlio.dump({"k": ("a",)}) == "k:\n- a\n"

    class Name(str):
        pass

    with pytest.raises(Exception, match="cannot represent"):  # PyYAML's own refusal, as before
        yamlio.dump({"k": Name("x")})


# ------------------------------------------------------------------------------------------ fuzz

TRICKY = list("ab :#-?,[]{}&*!|>'\"%@`\n\r\t.~=<+0123456789eExXoO_/\\") + [
    "é", "\u00a0", "\ufeff", "😀", "\x00", "\x7f", "\x85", "\u2028", "\x1b", "日", "\ufffe",
]  # fmt: skip
WORDS = [w for w in CORNERS if len(w) < 30]

strings = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=12),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet=st.sampled_from(TRICKY), max_size=4)), max_size=5).map("".join),
    st.text(max_size=8),
)
scalars = st.one_of(
    strings,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(strings, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.dictionaries(strings, trees, max_size=5), st.lists(trees, max_size=4)))
def test_fuzz_against_pyyaml(doc):
    same_as_pyyaml(doc)
