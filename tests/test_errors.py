"""Diagnostic formatting: text, JSON and GitHub annotations, sorted."""

from __future__ import annotations

import json

from omegen.errors import Severity, error, format_diagnostics, info, promote_warnings, warning

DIAGNOSTICS = [
    warning("ambiguous-runtime", "tie broken by name", "b.yaml", 3, 5, "spec"),
    error("unknown-field", 'unknown field "priorty"', "a.yaml", 12, 7, "spec.x"),
    info("ignored-document", "ignored", "a.yaml", 1, 1),
    error("internal", "no file"),
]


def test_text_is_sorted_by_severity_then_causes_then_file_and_position():
    consequence = error("runtime-not-found", "rt could not be loaded", "a.yaml", 2, 1, cause="z.yaml:1")
    assert format_diagnostics(DIAGNOSTICS + [consequence], "text").splitlines() == [
        "<omegen>: error[internal]: no file",
        'a.yaml:12:7: error[unknown-field]: unknown field "priorty"',
        "a.yaml:2:1: error[runtime-not-found]: rt could not be loaded",  # a consequence: after every cause
        "b.yaml:3:5: warning[ambiguous-runtime]: tie broken by name",
        "a.yaml:1:1: info[ignored-document]: ignored",
    ]


def test_json_carries_every_field():
    payload = json.loads(format_diagnostics(DIAGNOSTICS, "json"))
    assert payload[1] == {
        "code": "unknown-field",
        "severity": "error",
        "message": 'unknown field "priorty"',
        "file": "a.yaml",
        "line": 12,
        "column": 7,
        "field": "spec.x",
    }


def test_github_annotations_escape_properties():
    text = format_diagnostics([error("x", "50% done\nnext", "dir/a,b.yaml", 2, 3)], "github")
    assert text == "::error file=dir/a%2Cb.yaml,line=2,col=3,title=x::50%25 done%0Anext\n"
    assert format_diagnostics([info("i", "m", "f.yaml")], "github") == "::notice file=f.yaml,title=i::m\n"


def test_duplicates_are_reported_once_and_strict_promotes_warnings():
    assert format_diagnostics(DIAGNOSTICS + DIAGNOSTICS, "text") == format_diagnostics(DIAGNOSTICS, "text")
    promoted = promote_warnings(DIAGNOSTICS)
    assert [d.severity for d in promoted] == [Severity.ERROR, Severity.ERROR, Severity.INFO, Severity.ERROR]


def test_text_is_one_line_per_diagnostic_whatever_the_message_holds():
    # A key or value from a source file may hold a newline; it must not forge a second diagnostic.
    forged = error("unknown-field", 'unknown field "a\nb.yaml:1:1: error[x]: forged\r\t"', "a.yaml", 1, 1)
    assert format_diagnostics([forged], "text") == 'a.yaml:1:1: error[unknown-field]: unknown field "a\\nb.yaml:1:1: error[x]: forged\\r\\t"\n'
    assert json.loads(format_diagnostics([forged], "json"))[0]["message"] == forged.message
