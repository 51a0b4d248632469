"""YAML I/O: safe loading, positions, duplicate keys, limits, canonical dumping."""

from __future__ import annotations

import pytest

from omegen import yamlio


def test_marks_point_at_keys_and_items():
    (doc,) = yamlio.load_documents("a: 1\nb:\n  - x: 2\n    y: [1, 2]\n")
    assert doc.data == {"a": 1, "b": [{"x": 2, "y": [1, 2]}]}
    assert doc.mark(("b",)) == (2, 1)
    assert doc.mark(("b", 0, "y")) == (4, 5)
    assert doc.mark(("b", 0, "y", 1)) == (4, 12)
    # A path that does not exist falls back to its nearest existing ancestor.
    assert doc.mark(("b", 0, "missing")) == (3, 5)


def test_documents_report_their_start_line():
    docs = list(yamlio.load_documents("a: 1\n---\nb: 2\n---\n# only a comment\n"))
    # The comment-only document is empty: it loads as None (the loader skips it).
    assert [(d.data, d.line) for d in docs] == [({"a": 1}, 1), ({"b": 2}, 3), (None, 6)]


@pytest.mark.parametrize(
    "text, code, position, message",
    [
        ("a: 1\nb: 2\na: 3\n", "duplicate-key", (3, 1), "duplicate key 'a' (first defined at line 1)"),
        # An unclosed bracket is reported where it opened, not past the end of the file.
        ("a:\n  b: [1\n", "yaml-syntax", (2, 6), "did not find expected ',' or ']' (while parsing a flow sequence)"),
        ("a: !!python/object/apply:os.system [ls]\n", "yaml-syntax", (1, 4), "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
        ("a: *missing\n", "yaml-syntax", (1, 4), "found undefined alias"),
    ],
)
def test_bad_input_raises_with_position(text, code, position, message):
    with pytest.raises(yamlio.YAMLError) as caught:
        list(yamlio.load_documents(text))
    assert (caught.value.code, (caught.value.line, caught.value.column), caught.value.message) == (code, position, message)


def test_merge_keys_are_not_duplicates():
    (doc,) = yamlio.load_documents("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert doc.data["other"] == {"x": 1, "y": 2}


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(yamlio.YAMLError) as caught:
        list(yamlio.load_documents("\n".join(lines) + "\n"))
    assert caught.value.code == "yaml-limit"


def test_dump_is_sorted_block_style_and_keeps_multiline_text():
    text = yamlio.dump({"b": "line one\nline two\n", "a": [{"z": 1, "y": "8080"}], "c": "{{ system_message }}"})
    assert text == 'a:\n- y: \'8080\'\n  z: 1\nb: |\n  line one\n  line two\nc: \'{{ system_message }}\'\n'
    (loaded,) = yamlio.load_documents(text)
    assert loaded.data == {"b": "line one\nline two\n", "a": [{"z": 1, "y": "8080"}], "c": "{{ system_message }}"}


def test_dump_all_separates_documents():
    assert yamlio.dump_all([{"a": 1}, {"b": 2}]) == "a: 1\n---\nb: 2\n"


def test_format_path():
    assert yamlio.format_source_path(("spec", "supportedModelFormats", 0, "priority")) == "spec.supportedModelFormats[0].priority"
    assert yamlio.format_source_path(()) == ""


def test_keys_are_duplicates_when_kubernetes_would_read_them_as_the_same_string():
    # YAML 1.1's `on` is the boolean true, which Python confuses with the integer 1; Kubernetes reads
    # the keys "true" and "1". But `1` and "1" are the same key to it.
    (doc,) = yamlio.load_documents("on: a\n1: b\n~: c\n")
    assert doc.data == {"true": "a", "1": "b", "null": "c"}
    with pytest.raises(yamlio.YAMLError) as caught:
        list(yamlio.load_documents("1: a\n'1': b\n"))
    assert (caught.value.code, caught.value.line, caught.value.message) == ("duplicate-key", 2, "duplicate key '1' (first defined at line 1)")


def test_non_string_keys_are_marked_under_their_json_name():
    (doc,) = yamlio.load_documents("a:\n  yes: 1\n  ~: 2\n  3: 4\n")
    assert [doc.mark(("a", key)) for key in ("true", "null", "3")] == [(2, 3), (3, 3), (4, 3)]
    assert [yamlio.json_key(k) for k in (True, None, 3, "x")] == ["true", "null", "3", "x"]


def test_unacceptable_characters_are_located():
    with pytest.raises(yamlio.YAMLError) as caught:
        list(yamlio.load_documents("a: ü\nb: \x00\n"))
    assert (caught.value.line, caught.value.column) == (2, 4)


def test_a_merged_key_may_be_overridden_but_not_written_twice():
    (doc,) = yamlio.load_documents("base: &b {x: 1, y: 1}\nother:\n  <<: *b\n  x: 2\n")
    assert doc.data["other"] == {"x": 2, "y": 1}
    with pytest.raises(yamlio.YAMLError) as caught:
        list(yamlio.load_documents("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n  y: 3\n"))
    assert (caught.value.code, caught.value.line) == ("duplicate-key", 5)


def test_dump_never_writes_anchors():
    # A value shared by two fields is written out twice: output is plain YAML, each document standalone.
    shared = {"k": 1}
    assert yamlio.dump({"a": shared, "b": shared}) == "a:\n  k: 1\nb:\n  k: 1\n"
