"""Broken sources produce broken output, and validation says so in terms the user can act on:
the output object, the field, and the source lines it came from."""

from __future__ import annotations

from conftest import omegen_yaml
from omegen import pipeline
from seed_example import SEED_MODEL as MODEL
from seed_example import SEED_RUNTIME as RUNTIME
from seed_example import SEED_SERVICE as SERVICE


def build(tree, runtime=RUNTIME, service=SERVICE):
    root = tree({"runtime.yaml": runtime, "isvc.yaml": service, "model.yaml": MODEL, "omegen.yaml": omegen_yaml("builtinRuntimes: false\n")})
    result = pipeline.build(root)
    return [d.as_text() for d in result.diagnostics], result


def test_container_field_of_the_wrong_type(tree):
    runtime = RUNTIME.replace("        requests:\n          cpu: 128", "        requests:\n          cpu: [128]")
    texts, result = build(tree, runtime=runtime)
    # Free-form Kubernetes fields are typed where they are written, before any rendering code reads them.
    # The cause first, then its consequence (issue 10).
    assert texts == [
        "runtime.yaml:23:11: error[invalid-field]: spec.containers[0].resources.requests.cpu: expected string or number, got array",
        "isvc.yaml:11:7: error[runtime-not-found]: runtime vllm-text-generation could not be loaded: "
        "its definition at runtime.yaml:1 has errors (reported there)",
    ]
    assert not result.ok


def test_field_the_api_does_not_have(tree):
    runtime = RUNTIME.replace("      image: official-vllm-openai:0.5.3\n", "      image: official-vllm-openai:0.5.3\n      imagePullPolicyy: Always\n")
    texts, _ = build(tree, runtime=runtime)
    assert texts == [
        "isvc.yaml:7:3: error[output-schema]: Deployment llama-3-1-70b/llama-3-1-70b-engine: "
        'spec.template.spec.containers[0].imagePullPolicyy: unknown field (did you mean "imagePullPolicy"?) '
        "(from runtime runtime.yaml:21, spec.containers[0].imagePullPolicyy)"
    ]


def test_probe_on_a_port_the_container_lacks(tree):
    runtime = RUNTIME.replace(
        "      image: official-vllm-openai:0.5.3\n",
        "      image: official-vllm-openai:0.5.3\n      ports: [{containerPort: 8000, name: http}]\n"
        "      livenessProbe: {httpGet: {path: /health, port: 9000}}\n",
    )
    texts, _ = build(tree, runtime=runtime)
    assert texts == [
        "isvc.yaml:7:3: error[output-port]: Deployment llama-3-1-70b/llama-3-1-70b-engine: "
        "spec.template.spec.containers[0].livenessProbe.httpGet.port: port 9000 is not a port of this container "
        '(ports: 8000 "http") (from runtime runtime.yaml:22, spec.containers[0].livenessProbe.httpGet.port)'
    ]


def test_service_name_that_makes_a_service_name_too_long(tree):
    name = "a-very-long-inference-service-name-for-the-llama-three-model"
    service = SERVICE.replace("  name: llama-3-1-70b\n", f"  name: {name}\n")
    texts, _ = build(tree, service=service)
    assert texts == [
        f"isvc.yaml:7:3: error[output-name]: Service llama-3-1-70b/{name}-engine: metadata.name: "
        f'"{name}-engine" is {len(name) + 7} characters long; Service names must be DNS-1035 labels of at most 63 characters'
    ]


def test_a_field_the_service_overrides_points_at_the_service(tree):
    service = """\
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata:
  name: llama-3-1-70b
  namespace: llama-3-1-70b
spec:
  model: {name: llama-3-1-70b}
  runtime: {name: vllm-text-generation}
  engine:
    runner:
      name: ome-container
      resources:
        limitz: {memory: 200Gi}
"""
    # (A field of the wrong type is reported at the source, before rendering: an unknown field
    # is what reaches the output check.)
    texts, _ = build(tree, service=service)
    assert texts == [
        "isvc.yaml:9:3: error[output-schema]: Deployment llama-3-1-70b/llama-3-1-70b-engine: "
        'spec.template.spec.containers[0].resources.limitz: unknown field (did you mean "limits"?) '
        "(from service isvc.yaml:13, spec.engine.runner.resources.limitz)"
    ]
