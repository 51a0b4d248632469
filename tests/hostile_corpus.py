"""The hostile corpus: small source trees that once crashed, hung or produced output the API server
rejects, each with the diagnostic omegen must give instead (run by tests/test_hostile.py).

A case is (id, files, exit code, expected diagnostic text): `files` patches the base tree (a working
OME-dialect runtime, model and service); a value of None deletes a file. The expected text is a
substring of stderr, normally `file:line:column: error[code]`.
"""

from __future__ import annotations

from conftest import omegen_yaml
from test_load import MODEL as _MODEL, OME_RUNTIME, OME_SERVICE

MODEL = _MODEL.replace("  modelType: transformer\n", "  modelType: transformer\n  quantization: fp8\n")
BASE = {"rt.yaml": OME_RUNTIME, "isvc.yaml": OME_SERVICE, "model.yaml": MODEL, "omegen.yaml": omegen_yaml("builtinRuntimes: false\n")}
_IMAGE = "      image: docker.io/lmsysorg/sglang:v0.5.5\n"


def runner(lines: str) -> dict:
    """The runtime with `lines` added under engineConfig.runner (at six spaces)."""
    return {"rt.yaml": OME_RUNTIME.replace(_IMAGE, _IMAGE + lines)}


def engine_config(lines: str) -> dict:
    """The runtime with `lines` added under engineConfig (at four spaces)."""
    return {"rt.yaml": OME_RUNTIME.replace("  engineConfig:\n", "  engineConfig:\n" + lines)}


def service_engine(flow: str) -> dict:
    """The service with its engine written as the flow mapping `flow`."""
    return {"isvc.yaml": OME_SERVICE.replace("  engine: {minReplicas: 1, maxReplicas: 2}\n", f"  engine: {flow}\n")}


def metadata(lines: str) -> dict:
    """The service with `lines` added under metadata (after its name)."""
    return {"isvc.yaml": OME_SERVICE.replace("  name: chat\n", "  name: chat\n" + lines)}


def other(text: str) -> dict:
    """A ConfigMap-like file beside the sources: every YAML file in the tree is read."""
    return {"other.yaml": text}


def _merge_bomb() -> str:
    lines = ["a: &a {x0: 1, x1: 1, x2: 1, x3: 1, x4: 1, x5: 1, x6: 1, x7: 1, x8: 1, x9: 1}"]
    for name, previous in zip("bcdefgh", "abcdefg"):
        lines.append(f"{name}: &{name} {{<<: [{', '.join(['*' + previous] * 10)}]}}")
    return "\n".join(lines) + "\n"


def _nested(levels: int) -> str:
    return "{a: " * levels + "1" + "}" * levels


YAML_VALUES = [
    ("set-annotations", metadata("  annotations: !!set {a, b}\n"), 1, "isvc.yaml:5:16: error[yaml-value]: !!set has no JSON equivalent"),
    ("set-in-configmap", other("data: !!set {a}\n"), 1, "other.yaml:1:7: error[yaml-value]: !!set"),
    ("omap", other("a: !!omap [{x: 1}]\n"), 1, "other.yaml:1:4: error[yaml-value]: !!omap has no JSON equivalent"),
    ("pairs", other("a: !!pairs [{x: 1}]\n"), 1, "other.yaml:1:4: error[yaml-value]: !!pairs"),
    ("bad-date-configmap", other("apiVersion: v1\nkind: ConfigMap\ndata:\n  x: 2024-02-30\n"), 1, "other.yaml:4:6: error[yaml-value]: '2024-02-30' is not a valid !!timestamp"),
    ("int-tag", other("a: !!int x\n"), 1, "other.yaml:1:4: error[yaml-value]: 'x' is not a valid !!int"),
    ("float-tag", other("a: !!float y\n"), 1, "other.yaml:1:4: error[yaml-value]: 'y' is not a valid !!float"),
    ("bool-tag", other("a: !!bool maybe\n"), 1, "other.yaml:1:4: error[yaml-value]: 'maybe' is not a valid !!bool"),
    ("timestamp-tag", other("a: !!timestamp x\n"), 1, "other.yaml:1:4: error[yaml-value]: 'x' is not a valid !!timestamp"),
    ("binary-not-base64", other("a: !!binary a\n"), 1, "other.yaml:1:4: error[yaml-syntax]: failed to decode base64 data"),
    ("tagged-key", other("? !!int x\n: 1\n"), 1, "other.yaml:1:3: error[yaml-value]: 'x' is not a valid !!int"),
    ("tagged-key-in-source", metadata("  labels: {!!float y: z}\n"), 1, "isvc.yaml:5:12: error[yaml-value]: 'y' is not a valid !!float"),
    ("nan", runner("      env: [{name: X, value: .nan}]\n"), 1, "rt.yaml:20:30: error[yaml-value]: '.nan' is not a number JSON can hold"),
    ("infinity", other("a: -.inf\n"), 1, "other.yaml:1:4: error[yaml-value]: '-.inf' is not a number"),
    ("long-bad-scalar-is-shortened", other("a: !!int " + "x" * 5000 + "\n"), 1, "error[yaml-value]: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is not a valid !!int"),
    ("python-tag", other("a: !!python/object/apply:os.system [ls]\n"), 1, "other.yaml:1:4: error[yaml-syntax]: could not determine a constructor"),
    # Values JSON can hold after all: a timestamp or !!binary is the string it was written as.
    ("date-in-env", runner("      env: [{name: X, value: 2024-01-01}]\n"), 0, "value: '2024-01-01'"),
    ("binary-in-env", runner("      env: [{name: X, value: !!binary aGVsbG8=}]\n"), 0, "value: aGVsbG8="),
    ("date-key", metadata("  labels: {2024-01-01: x}\n"), 0, "'2024-01-01': x"),
    ("date-namespace", metadata("  namespace: 2024-01-01\n"), 0, "namespace: '2024-01-01'"),
]

YAML_LIMITS = [
    ("merge-key-bomb", other(_merge_bomb()), 1, "error[yaml-limit]: document has more than 1000000 nodes"),
    ("deep-400-service", service_engine("{minReplicas: 1, maxReplicas: 2, affinity: " + _nested(400) + "}"), 1, "isvc.yaml:8:446: error[yaml-limit]: value nested more than 100 levels deep"),
    ("deep-480-service", service_engine("{minReplicas: 1, maxReplicas: 2, affinity: " + _nested(480) + "}"), 1, "error[yaml-limit]: value nested more than 100 levels deep"),
    ("deep-330-both", {**engine_config("    affinity: " + _nested(330) + "\n"), **service_engine("{minReplicas: 1, maxReplicas: 2, affinity: " + _nested(330) + "}")}, 1, "error[yaml-limit]: value nested more than 100 levels deep"),
    ("deep-lists", other("a: " + "[" * 450 + "]" * 450 + "\n"), 1, "error[yaml-limit]: value nested more than 100 levels deep"),
    ("recursive-alias", other("x: &a [*a]\n"), 1, "other.yaml:1:4: error[yaml-limit]: value nested more than 100 levels deep"),
    ("recursive-alias-map", other("x: &a {y: *a}\n"), 1, "error[yaml-limit]: value nested more than 100 levels deep"),
    ("recursive-merge", other("x: &a {<<: *a, y: 1}\n"), 1, "error[yaml-limit]"),
    ("deep-through-merge", other("a: &a " + _nested(60) + "\nb: " + "{b: " * 60 + "{<<: *a}" + "}" * 60 + "\n"), 1, "error[yaml-limit]: value nested more than 100 levels deep"),
    ("unclosed-bracket-where-it-opened", other("a: 1\nb: 2\nc: [\nd: 4\n"), 1, "other.yaml:3:4: error[yaml-syntax]"),
    ("unclosed-quote-where-it-opened", other('a: 1\nb: "abc\nc: 2\n'), 1, "other.yaml:2:4: error[yaml-syntax]"),
    ("bad-indent", other("a: 1\nb:\n  - x\n  y: 2\n"), 1, "other.yaml:4:3: error[yaml-syntax]"),
]

_BAD = "error[invalid-field]: spec.engineConfig."
WRONG_TYPES = [
    ("resources-10", runner("      resources: 10\n"), 1, "rt.yaml:20:7: " + _BAD + "runner.resources: expected object, got integer 10"),
    ("limits-list", runner("      resources: {limits: [1]}\n"), 1, "rt.yaml:20:19: " + _BAD + "runner.resources.limits: expected object, got array"),
    ("limit-value-map", runner("      resources: {limits: {cpu: {a: 1}}}\n"), 1, _BAD + "runner.resources.limits.cpu: expected string or number, got object"),
    ("volumeMounts-5", runner("      volumeMounts: 5\n"), 1, "rt.yaml:20:7: " + _BAD + "runner.volumeMounts: expected array, got integer 5"),
    ("volumeMount-path-list", runner("      volumeMounts: [{name: v, mountPath: [a]}]\n"), 1, _BAD + "runner.volumeMounts[0].mountPath: expected string, got array"),
    ("env-5", runner("      env: 5\n"), 1, _BAD + "runner.env: expected array, got integer 5"),
    ("env-item-string", runner("      env: [x]\n"), 1, _BAD + 'runner.env[0]: expected object, got string "x"'),
    ("env-name-list", runner("      env: [{name: [a], value: b}]\n"), 1, _BAD + "runner.env[0].name: expected string, got array"),
    ("env-name-map", runner("      env: [{name: {a: 1}, value: b}]\n"), 1, _BAD + "runner.env[0].name: expected string, got object"),
    ("env-value-from-string", runner("      env: [{name: a, valueFrom: x}]\n"), 1, _BAD + 'runner.env[0].valueFrom: expected object, got string "x"'),
    ("runner-name-list", {"rt.yaml": OME_RUNTIME.replace("      name: ome-container\n", "      name: [ome]\n")}, 1, "rt.yaml:18:7: " + _BAD + "runner.name: expected string, got array"),
    ("ports-5", runner("      ports: 5\n"), 1, _BAD + "runner.ports: expected array, got integer 5"),
    ("port-item-string", runner("      ports: [x]\n"), 1, _BAD + 'runner.ports[0]: expected object, got string "x"'),
    ("container-port-list", runner("      ports: [{containerPort: [1]}]\n"), 1, _BAD + "runner.ports[0].containerPort: expected integer, got array"),
    ("probe-string", runner("      readinessProbe: x\n"), 1, _BAD + 'runner.readinessProbe: expected object, got string "x"'),
    ("args-map", runner("      args: {a: 1}\n"), 1, _BAD + "runner.args: expected array, got object"),
    ("arg-map", runner("      args: [{a: 1}]\n"), 1, _BAD + "runner.args[0]: expected string, got object"),
    ("volume-name-list", engine_config("    volumes: [{name: [a], emptyDir: {}}]\n"), 1, _BAD + "volumes[0].name: expected string, got array"),
    ("volumes-5", engine_config("    volumes: 5\n"), 1, _BAD + "volumes: expected array, got integer 5"),
    ("toleration-key-list", engine_config("    tolerations: [{key: [a]}]\n"), 1, _BAD + "tolerations[0].key: expected string, got array"),
    ("affinity-terms-5", engine_config("    affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: 5}}\n"), 1, _BAD + "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution: expected object"),
    ("sidecar-resources-10", engine_config("    containers: [{name: side, image: x, resources: 10}]\n"), 1, _BAD + "containers[0].resources: expected object, got integer 10"),
    ("strategy-rolling-5", engine_config("    deploymentStrategy: {rollingUpdate: 5}\n"), 1, _BAD + "deploymentStrategy.rollingUpdate: expected object"),
    ("service-runner-resources-10", service_engine("{minReplicas: 1, maxReplicas: 2, runner: {resources: 10}}"), 1, "isvc.yaml:8:53: error[invalid-field]: spec.engine.runner.resources: expected object, got integer 10"),
    ("service-runner-env-5", service_engine("{minReplicas: 1, maxReplicas: 2, runner: {env: 5}}"), 1, "error[invalid-field]: spec.engine.runner.env: expected array, got integer 5"),
    ("service-volumeMounts-5", service_engine("{minReplicas: 1, maxReplicas: 2, runner: {volumeMounts: 5}}"), 1, "error[invalid-field]: spec.engine.runner.volumeMounts: expected array, got integer 5"),
    ("service-leader-runner-limits", service_engine("{minReplicas: 1, maxReplicas: 2, leader: {runner: {resources: {limits: [1]}}}}"), 1, "error[invalid-field]: spec.engine.leader.runner.resources.limits: expected object, got array"),
    # A null from the service deletes the runtime's value: allowed where Kubernetes allows null.
    ("service-null-deletes", service_engine("{minReplicas: 1, maxReplicas: 2, runner: {resources: {limits: null}}}"), 0, "kind: Deployment"),
]

OUTPUT_REJECTED = [
    ("label-value-newline", metadata('  labels: {a: "b\\n"}\n'), 1, 'error[output-name]: Deployment default/chat-engine: metadata.labels.a: label value "b\\n" is not a valid label value'),
    ("label-key-newline", metadata('  labels: {"a\\n": b}\n'), 1, "error[output-name]"),
    ("namespace-newline", metadata('  namespace: "team-a\\n"\n'), 1, 'isvc.yaml:5:3: error[invalid-name]: metadata.namespace: "team-a\\n" is not valid'),
    ("name-newline", {"isvc.yaml": OME_SERVICE.replace("  name: chat\n", '  name: "chat\\n"\n')}, 1, 'isvc.yaml:4:3: error[invalid-name]: metadata.name: "chat\\n" is not valid'),
    ("runtime-name-newline", {"rt.yaml": OME_RUNTIME.replace("  name: srt-llama\n", '  name: "srt-llama\\n"\n')}, 1, 'rt.yaml:4:3: error[invalid-name]: metadata.name: "srt-llama\\n" is not valid'),
    ("annotation-key-newline", metadata('  annotations: {"a\\n": b}\n'), 1, "error[output-name]"),
    ("min-replicas-past-int32", service_engine("{minReplicas: 2147483648, maxReplicas: 2147483648}"), 1, "isvc.yaml:8:12: error[invalid-field]: spec.engine.minReplicas: expected integer <= 2147483647, got 2147483648"),
    ("max-replicas-past-int32", service_engine("{minReplicas: 1, maxReplicas: 3000000000}"), 1, "error[invalid-field]: spec.engine.maxReplicas: expected integer <= 2147483647, got 3000000000"),
    ("runtime-replicas-past-int32", engine_config("    minReplicas: 99999999999\n"), 1, "rt.yaml:17:5: error[invalid-field]: spec.engineConfig.minReplicas: expected integer <= 2147483647"),
    ("container-port-past-int32", runner("      ports: [{containerPort: 4294967296}]\n"), 1, "error[invalid-field]: spec.engineConfig.runner.ports[0].containerPort: expected integer <= 2147483647"),
    ("annotations-over-256k", metadata("  annotations: {a: " + "x" * 270_000 + "}\n"), 1, "isvc.yaml:5:3: error[annotations-too-large]: metadata.annotations: annotations total 270001 bytes; the API server allows at most 262144"),
    ("runtime-annotations-over-256k", engine_config("    annotations: {a: " + "x" * 270_000 + "}\n"), 1, "rt.yaml:17:5: error[annotations-too-large]: spec.engineConfig.annotations"),
    # Each map is under the limit; together, on the rendered object, they are not.
    ("merged-annotations-over-256k", {**engine_config("    annotations: {a: " + "x" * 140_000 + "}\n"), **service_engine("{minReplicas: 1, maxReplicas: 2, annotations: {b: " + "y" * 140_000 + "}}")}, 1, "error[output-name]: Deployment default/chat-engine: metadata.annotations: annotations total 280"),
    ("object-over-1.5MiB", runner("      env: [{name: BIG, value: " + "x" * 1_600_000 + "}]\n"), 1, "error[output-too-large]: Deployment default/chat-engine: is 16"),
]

CONFIG = [
    ("config-namespace-newline", {"omegen.yaml": omegen_yaml('builtinRuntimes: false\nnamespace: "team-a\\n"\n')}, 1, 'is not valid: namespaces must be DNS-1123 labels'),
    ("config-set", {"omegen.yaml": omegen_yaml("builtinRuntimes: !!set {a}\n")}, 1, "omegen.yaml:7:18: error[yaml-value]: !!set has no JSON equivalent"),
    ("config-bad-bool", {"omegen.yaml": omegen_yaml("builtinRuntimes: !!bool perhaps\n")}, 1, "omegen.yaml:7:18: error[yaml-value]: 'perhaps' is not a valid !!bool"),
    ("config-deep", {"omegen.yaml": omegen_yaml("x: " + _nested(200) + "\n")}, 1, "error[yaml-limit]: value nested more than 100 levels deep"),
]

CASES = YAML_VALUES + YAML_LIMITS + WRONG_TYPES + OUTPUT_REJECTED + CONFIG
