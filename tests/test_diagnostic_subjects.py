"""Every stage names the object a diagnostic is about (`Diagnostic.subject`), beside its position."""

from __future__ import annotations

import json

from omegen import pipeline
from omegen.errors import ObjectRef, error, format_diagnostics
from omegen.validate.objects import validate_objects
from output_fixtures import valid_set
from seed_example import SEED_MODEL, SEED_RUNTIME, SEED_SERVICE

RUNTIME = ObjectRef("ClusterServingRuntime", "vllm-text-generation", "", "ome.io/v1beta1")
SERVICE = ObjectRef("InferenceService", "llama-3-1-70b", "llama-3-1-70b", "ome.io/v1beta1")


def subjects(result, code):
    return [d.subject for d in result.diagnostics if d.code == code]


def test_a_source_field_diagnostic_names_its_source_object(tree):
    runtime = SEED_RUNTIME.replace("  protocolVersions:", "  protocolVersion:")
    result = pipeline.build(tree({"rt.yaml": runtime, "m.yaml": SEED_MODEL, "isvc.yaml": SEED_SERVICE}), builtin=False)
    assert subjects(result, "unknown-field") == [RUNTIME]


def test_a_namespaced_object_without_a_namespace_is_in_the_configured_one(tree):
    service = SEED_SERVICE.replace("  namespace: llama-3-1-70b\n", "").replace("    minReplicas: 1", "    minReplica: 1")
    result = pipeline.build(tree({"rt.yaml": SEED_RUNTIME, "m.yaml": SEED_MODEL, "isvc.yaml": service}), builtin=False)
    assert subjects(result, "unknown-field") == [ObjectRef("InferenceService", "llama-3-1-70b", "default", "ome.io/v1beta1")]


def test_a_resolution_diagnostic_names_the_service(tree):
    result = pipeline.build(tree({"rt.yaml": SEED_RUNTIME, "isvc.yaml": SEED_SERVICE}), builtin=False)
    assert subjects(result, "model-not-found") == [SERVICE]


def test_a_render_diagnostic_names_the_object_that_wrote_the_field(tree):
    runtime = SEED_RUNTIME.replace("      image: official-vllm-openai:0.5.3\n", "")
    result = pipeline.build(tree({"rt.yaml": runtime, "m.yaml": SEED_MODEL, "isvc.yaml": SEED_SERVICE}), builtin=False)
    assert subjects(result, "no-image") == [RUNTIME]


def test_an_output_diagnostic_names_the_output_object():
    objects = valid_set()
    deployment = next(r for r in objects if r.kind == "Deployment")
    deployment.obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 3
    [found] = [d for d in validate_objects(objects) if d.code == "output-schema"]
    assert found.subject == ObjectRef("Deployment", deployment.name, deployment.namespace, "apps/v1")
    assert found.file == "services/llama.yaml"  # still located at the service it was rendered for


def test_json_carries_the_subject_and_text_does_not_change():
    about = error("unknown-field", "unknown field", "rt.yaml", 3, 1, "spec.x", RUNTIME)
    bare = error("unknown-field", "unknown field", "rt.yaml", 3, 1, "spec.x")
    [payload] = json.loads(format_diagnostics([about], "json"))
    assert payload["subject"] == {"apiVersion": "ome.io/v1beta1", "kind": "ClusterServingRuntime", "name": "vllm-text-generation"}
    assert "subject" not in json.loads(format_diagnostics([bare], "json"))[0]
    assert format_diagnostics([about], "text") == format_diagnostics([bare], "text")


def test_a_discovery_diagnostic_names_the_document_as_written(tree):
    # Documents discovery does not read as sources are still about an object, named as written.
    files = {
        "typo.yaml": "apiVersion: ome.io/v1beta1\nkind: ServingRuntim\nmetadata: {name: rt, namespace: team-a}\n",
        "group.yaml": "apiVersion: serving.kserve.io/v1alpha1\nkind: ClusterServingRuntime\nmetadata: {name: kserve-rt}\n",
        "version.yaml": "apiVersion: ome.io/v1\nkind: ClusterBaseModel\nmetadata: {name: m}\n",
        "unrendered.yaml": "apiVersion: ome.io/v1beta1\nkind: BenchmarkJob\nmetadata: {name: bench, namespace: team-a}\n",
        "other.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\n",
        "nameless.yaml": "apiVersion: ome.io/v1beta1\nkind: ServingRuntim\nmetadata: {}\n",
        "isvc.yaml": SEED_SERVICE,
        "rt.yaml": SEED_RUNTIME,
        "m.yaml": SEED_MODEL,
    }
    result = pipeline.build(tree(files), builtin=False)
    by_file = {(d.file, d.code): d.subject for d in result.diagnostics}
    assert by_file[("typo.yaml", "unknown-kind")] == ObjectRef("ServingRuntim", "rt", "team-a", "ome.io/v1beta1")
    assert by_file[("group.yaml", "wrong-api-group")] == ObjectRef("ClusterServingRuntime", "kserve-rt", "", "serving.kserve.io/v1alpha1")
    assert by_file[("version.yaml", "unknown-api-version")] == ObjectRef("ClusterBaseModel", "m", "", "ome.io/v1")
    assert by_file[("unrendered.yaml", "unrendered-kind")] == ObjectRef("BenchmarkJob", "bench", "team-a", "ome.io/v1beta1")
    assert by_file[("other.yaml", "ignored-document")] == ObjectRef("Deployment", "web", "team-a", "apps/v1")
    assert by_file[("nameless.yaml", "unknown-kind")] is None  # no name to name it by
