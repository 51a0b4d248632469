"""One explainer for every JSON Schema finding (omegen/kube/schemafindings.py): the same mistake is
worded alike in a source (load/inputschema, the pure-Python jsonschema), in omegen.yaml
(load/config) and in an output object (kube/schemas, either backend)."""

from __future__ import annotations

import pytest

from omegen import yamlio
from omegen.kube import schemas
from omegen.kube.schemafindings import describe, explain
from omegen.load import config, inputschema

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "replicas": {"type": "integer", "minimum": 1},
        "policy": {"enum": ["Default", "None"]},
        "port": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "name": {"type": "string", "minLength": 1},
        "kind": {"const": "Thing"},
        "image": {"type": "string"},
    },
    "required": ["name"],
    "additionalProperties": False,
}

MISTAKES = [
    ({"name": "a", "replicas": "2"}, 'replicas: expected integer, got string "2"'),
    ({"name": "a", "replicas": 0}, "replicas: expected integer >= 1, got 0"),
    ({"name": "a", "policy": "Always"}, 'policy: expected one of Default, None, got string "Always"'),
    ({"name": "a", "port": [1]}, "port: expected integer or string, got array"),
    ({"name": ""}, "name: expected a non-empty string"),
    ({"name": "a", "kind": "Other"}, 'kind: expected "Thing", got string "Other"'),
    ({"name": "a", "imag": "x"}, 'imag: unknown field (did you mean "image"?)'),
    ({}, "name: missing required field"),
]


def _input(data) -> list[str]:
    doc = next(yamlio.load_documents(yamlio.dump(data)))
    return [d.message for d in inputschema.check_with(inputschema.validator_for(SCHEMA), doc, "x.yaml")]


def _output(data, backend) -> list[str]:
    return [f"{yamlio.format_source_path(i.path)}: {i.message}" for i in schemas.Checker(SCHEMA, backend).check(data)]


@pytest.mark.parametrize("data,expected", MISTAKES, ids=[m[1].split(":")[0] + "-" + str(i) for i, m in enumerate(MISTAKES)])
def test_a_mistake_is_worded_alike_in_a_source_and_in_an_output_object(data, expected):
    assert _input(data) == [expected]
    assert _output(data, schemas.PY) == [expected]
    if schemas._rs is not None:
        assert _output(data, schemas.RS) == [expected]


def test_the_most_telling_finding_at_a_field_is_kept_for_sources():
    # A string where an integer >= 1 is wanted fails only the type; a wrong-typed enum value fails
    # the type and the enum: the type is what to fix.
    schema = {"type": "object", "properties": {"mode": {"type": "string", "enum": ["a", "b"]}}}
    doc = next(yamlio.load_documents("mode: 5\n"))
    found = inputschema.check_with(inputschema.validator_for(schema), doc, "x.yaml")
    assert [(d.code, d.message) for d in found] == [("invalid-field", "mode: expected string, got integer 5")]


def test_unknown_field_flag_and_runner_hint():
    findings = explain(("engine",), "additionalProperties", {"properties": {"runner": {}, "leader": {}}, "additionalProperties": False}, {"resources": {}, "leadr": 1}, "")
    assert [(f.path, f.message, f.unknown) for f in findings] == [
        (("engine", "leadr"), 'unknown field (did you mean "leader"?)', True),
        (("engine", "resources"), 'unknown field (did you mean "engine.runner.resources"?)', True),
    ]


def test_a_keyword_without_its_own_wording_keeps_the_library_message_on_one_line():
    [finding] = explain(("a",), "pattern", {"pattern": "^x$"}, "y", "'y' does not\n  match '^x$'")
    assert (finding.path, finding.message, finding.unknown) == (("a",), "'y' does not match '^x$'", False)


@pytest.mark.parametrize(
    "value,described",
    [(None, "null"), (True, "boolean true"), (3, "integer 3"), (1.5, "number 1.5"), ("x", 'string "x"'), ({"a": 1}, "object"), ([1], "array"), ("y" * 50, 'string "' + "y" * 37 + '..."')],
)
def test_values_are_described_one_way(value, described):
    assert describe(value) == described


def test_omegen_yaml_checks_the_schema_cannot_express_use_the_same_wording(tmp_path):
    (tmp_path / "omegen.yaml").write_text("kubernetesVersion: latest\n", encoding="utf-8")
    _, diagnostics = config.read_config(tmp_path)
    assert [d.message for d in diagnostics if d.code == "invalid-field"] == ['kubernetesVersion: expected "1.<minor>", got string "latest"']
