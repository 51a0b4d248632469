"""omegen.yaml: the KRM form (schemas/omegen/Omegen.json), strict checks at the field, and the plain
form of omegen 0.1 still read with its old meaning and a warning."""

from __future__ import annotations

import json

import pytest

from conftest import omegen_yaml
from omegen.api import Config
from omegen.load.config import SETTINGS, SOURCE_KEYS, TRANSFORMS, read_config, schema
from omegen.load.sources import load_sources
from test_load import OME_SERVICE


def texts(diagnostics):
    return [d.as_text() for d in diagnostics]


def test_krm_form_sets_the_build_settings(tree):
    root = tree({"omegen.yaml": omegen_yaml('kubernetesVersion: "1.31"\ndefaultNamespace: team-a\nbuiltinRuntimes: false\nstrict: true\n')})
    found, diagnostics = read_config(root)
    assert texts(diagnostics) == []
    assert Config(**found.settings) == Config(kubernetes_version="1.31", default_namespace="team-a", builtin_runtimes=False, strict=True)
    assert found.layer.file == "omegen.yaml" and not found.plain
    assert found.resources is None  # absent: discover the directory


def test_default_namespace_is_where_services_without_one_land(tree):
    root = tree({"omegen.yaml": omegen_yaml("defaultNamespace: team-a\n"), "isvc.yaml": OME_SERVICE})
    sources, diagnostics = load_sources(root, builtin=False)
    assert texts(diagnostics) == []
    assert list(sources.services) == [("team-a", "chat")]


def test_plain_form_keeps_its_meaning_and_says_how_to_move(tree):
    root = tree({"omegen.yaml": "namespace: team-a\n", "isvc.yaml": OME_SERVICE})
    sources, diagnostics = load_sources(root, builtin=False)
    assert list(sources.services) == [("team-a", "chat")]  # `namespace` is still the default namespace
    assert texts(diagnostics) == [
        "omegen.yaml:1:1: warning[plain-config]: omegen.yaml has no apiVersion/kind: read as the plain form of omegen 0.1; "
        'add the header apiVersion: omegen.io/v1alpha1, kind: Omegen, metadata: {name: NAME, annotations: {config.kubernetes.io/local-config: "true"}}, '
        "and rename namespace → defaultNamespace (in the KRM form `namespace` moves every object, as in Kustomize)"
    ]


def test_plain_form_without_namespace_asks_only_for_the_header(tree):
    _, diagnostics = read_config(tree({"omegen.yaml": "builtinRuntimes: false\n"}))
    (only,) = texts(diagnostics)
    assert "add the header" in only and "rename" not in only


def test_plain_form_has_no_transforms(tree):
    # Without the header `namespace` means the default namespace, so a transform there is a mistake.
    _, diagnostics = read_config(tree({"omegen.yaml": "namePrefix: dev-\n"}))
    assert 'omegen.yaml:1:1: error[unknown-field]: namePrefix: unknown field' in texts(diagnostics)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("namespce: a\n", 'omegen.yaml:7:1: error[unknown-field]: namespce: unknown field (did you mean "namespace"?)'),
        ("strict: yes please\n", 'omegen.yaml:7:1: error[invalid-field]: strict: expected boolean, got string "yes please"'),
        ("kubernetesVersion: 1.30\n", 'omegen.yaml:7:1: error[invalid-field]: kubernetesVersion: quote the version, e.g. "1.30" (unquoted 1.3 is a number)'),
        ("defaultNamespace: Team_A\n", "omegen.yaml:7:1: error[invalid-field]: defaultNamespace: \"Team_A\" is not valid: namespaces must be DNS-1123 labels"),
        ('defaultNamespace: ""\n', "omegen.yaml:7:1: error[invalid-field]: defaultNamespace: must not be empty"),
        ('kubernetesVersion: "1.99"\n', "omegen.yaml:7:1: error[invalid-field]: kubernetesVersion: Kubernetes version 1.99 is not supported: schemas are bundled for "),
        ("namespace: Prod\n", 'omegen.yaml:7:1: error[invalid-field]: namespace: "Prod" is not valid: namespaces must be DNS-1123 labels'),
        ("images: [{newTag: v2}]\n", "omegen.yaml:7:10: error[invalid-field]: images[0].name: missing required field"),
        ("replicas: [{name: x, count: -1}]\n", "omegen.yaml:7:22: error[invalid-field]: replicas[0].count: expected integer >= 0, got -1"),
        ("patches: [{patch: x, target: {knd: Deployment}}]\n", 'omegen.yaml:7:31: error[unknown-field]: patches[0].target.knd: unknown field (did you mean "kind"?)'),
        ("commonLabels: {tier: 1}\n", "omegen.yaml:7:16: error[invalid-field]: commonLabels.tier: expected string, got integer 1"),
    ],
)
def test_krm_form_is_checked_strictly_at_the_field(tree, body, expected):
    _, diagnostics = read_config(tree({"omegen.yaml": omegen_yaml(body)}))
    assert [text[: len(expected)] for text in texts(diagnostics)] == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("apiVersion: omegen.io/v1\nkind: Omegen\nmetadata: {name: x, annotations: {config.kubernetes.io/local-config: \"true\"}}\n",
         'omegen.yaml:1:1: error[invalid-field]: apiVersion: expected "omegen.io/v1alpha1", got string "omegen.io/v1"'),
        ("apiVersion: omegen.io/v1alpha1\nkind: Omegen\nmetadata: {name: x}\n",
         "omegen.yaml:3:1: error[invalid-field]: metadata.annotations: missing required field"),
        ("apiVersion: omegen.io/v1alpha1\nkind: Omegen\nmetadata: {name: x, annotations: {config.kubernetes.io/local-config: \"false\"}}\n",
         'omegen.yaml:3:35: error[invalid-field]: metadata.annotations.config.kubernetes.io/local-config: expected "true", got string "false"'),
        ("strict: true\n---\nstrict: false\n", "omegen.yaml:3:1: error[invalid-config]: omegen.yaml must be a single YAML document"),
        ("- strict\n", "omegen.yaml:1:1: error[invalid-config]: omegen.yaml must be a mapping"),
    ],
)
def test_header_and_shape(tree, text, expected):
    found, diagnostics = read_config(tree({"omegen.yaml": text}))
    assert texts(diagnostics) == [expected]
    assert found.settings == {} and found.layer is None  # nothing half-read


def test_a_file_with_errors_sets_nothing(tree):
    found, _ = read_config(tree({"omegen.yaml": omegen_yaml("defaultNamespace: team-a\nstrict: maybe\n")}))
    assert found.settings == {} and found.layer is None


def test_every_setting_and_transform_is_in_the_schema():
    properties = set(schema()["properties"])
    assert set(SETTINGS) | set(SOURCE_KEYS) | set(TRANSFORMS) | {"apiVersion", "kind", "metadata"} == properties
    fields = set(Config.__dataclass_fields__)
    assert set(SETTINGS.values()) == fields


def test_the_schema_is_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema())
    assert json.dumps(schema())  # plain JSON, shippable
