"""Input schemas (schemas/ome/*.json) and omegen.load.inputschema.check_document."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest

from omegen import api
from omegen.errors import Severity
from omegen.load.inputschema import check_document, load_schema, schema_file
from omegen.yamlio import load_documents
from seed_example import SEED_RUNTIME, SEED_SERVICE


def _doc(text: str):
    (doc,) = list(load_documents(text))
    return doc


def _check(text: str):
    doc = _doc(text)
    return check_document(doc.data["kind"], doc, "src.yaml")


def _summary(diags):
    return [(d.code, d.line, d.column, d.field, d.message) for d in diags]


# --- the seed document's examples (seed/serving-runtime.md) -------------------------------------

SEED_EXAMPLES = {
    "runtime": SEED_RUNTIME,
    "runtime-2": SEED_RUNTIME.replace("name: vllm-text-generation", "name: vllm-text-generation-2"),
    "isvc-explicit": SEED_SERVICE,
    "isvc-auto": SEED_SERVICE.replace("      runtime: vllm-text-generation\n", ""),
    # The rest of the seed's surface: every runtime attribute it lists, legacy workers, and an
    # inline container plus pod-spec fields in the predictor.
    "runtime-full": """\
        apiVersion: ome.io/v1beta1
        kind: ServingRuntime
        metadata:
          name: vllm-multi
          namespace: team-a
          creationTimestamp: 2024-05-01T10:00:00Z
          labels: {team: a}
        spec:
          disabled: false
          supportedModelFormats:
            - {name: safetensors, modelType: Transformer, version: "1", autoSelect: false}
          nodeSelector: {node.kubernetes.io/instance-type: BM.GPU.H100.8}
          affinity: {nodeAffinity: {}}
          tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
          volumes: [{name: dshm, emptyDir: {medium: Memory}}]
          containers:
            - name: ome-container
              image: vllm:0.5.3
              command: [python3, -m, vllm.entrypoints.openai.api_server]
              args: ["--model", "{{.Name}}"]
              env: [{name: A, value: "1"}]
              imagePullPolicy: IfNotPresent
              workingDir: /
              livenessProbe: {httpGet: {path: /health, port: 8080}}
              readinessProbe: {httpGet: {path: /health, port: 8080}}
          workers:
            size: 1
            containers: [{name: worker, image: vllm:0.5.3}]
        """,
    "isvc-full": """\
        apiVersion: ome.io/v1beta1
        kind: InferenceService
        metadata: {name: svc, namespace: ns}
        spec:
          predictor:
            model:
              baseModel: llama
              protocolVersion: openAI
              runtime: vllm-multi
              env: [{name: B, value: "2"}]
              resources: {limits: {nvidia.com/gpu: 8}}
            minReplicas: 1
            maxReplicas: 3
            nodeSelector: {pool: gpu}
            tolerations: []
            workerSpec:
              size: 2
              containers: [{name: worker}]
        """,
}


SEED_EXAMPLES = {name: textwrap.dedent(text) for name, text in SEED_EXAMPLES.items()}


@pytest.mark.parametrize("name", sorted(SEED_EXAMPLES))
def test_seed_examples_validate(name):
    assert _check(SEED_EXAMPLES[name]) == []


# --- OME dialect --------------------------------------------------------------------------------

OME_EXAMPLES = {
    "runtime-pd-multinode": """\
        apiVersion: ome.io/v1beta1
        kind: ClusterServingRuntime
        metadata:
          name: srt-deepseek-rdma-pd
          annotations: {ome.io/note: x}
        spec:
          disabled: false
          modelSizeRange: {min: 650B, max: 700B}
          supportedModelFormats:
            - modelFormat: {name: safetensors, version: "1.0.0", operator: GreaterThanOrEqual, weight: 1}
              version: "1.0.0"
              modelFramework: {name: transformers, version: "4.33.1", operator: GreaterThanOrEqual}
              modelArchitecture: DeepseekV3ForCausalLM
              quantization: fp8
              autoSelect: false
              priority: 1
              acceleratorConfig:
                h100:
                  minMemoryPerBillionParams: 2
                  tensorParallelismOverride: {tensorParallelSize: 8}
                  runtimeArgsOverride: [--foo]
                  environmentOverride: {A: "1"}
            - modelFormat: {name: diffusers}
              modelFramework: {name: diffusers, version: 0.34.0.dev0}
              diffusionPipeline:
                className: QwenImagePipeline
                vae: {library: diffusers, type: AutoencoderKL}
                additionalComponents: {extra: {library: x, type: y}}
          protocolVersions: [openAI]
          acceleratorRequirements: {acceleratorClasses: [h100], minMemory: 80}
          engineConfig:
            minReplicas: 1
            maxReplicas: 2
            scaleMetric: cpu
            maxUnavailable: 25%
            annotations: {a: b}
            labels: {c: d}
            kedaConfig: {enableKeda: true, authenticationRef: {name: keda-auth}}
            leader:
              hostNetwork: true
              dnsPolicy: ClusterFirstWithHostNet
              enableServiceLinks: false
              runner: {name: ome-container, image: sglang:0.5}
            worker:
              size: 1
              tolerations: [{key: nvidia.com/gpu, operator: Exists}]
              runner: {name: ome-container, image: sglang:0.5}
          decoderConfig:
            runner: {name: ome-container, image: sglang:0.5}
          routerConfig:
            runner: {name: router, image: router:1}
            config: {policy: round_robin}
        """,
    "cluster-base-model": """\
        apiVersion: ome.io/v1beta1
        kind: ClusterBaseModel
        metadata: {name: llama-3-1-8b-instruct}
        spec:
          vendor: meta
          disabled: false
          version: "1.0.0"
          displayName: meta.llama-3.1-8b-instruct
          modelFormat: {name: safetensors, version: "1.0.0"}
          modelFramework: {name: transformers, version: "4.42.3"}
          modelArchitecture: LlamaForCausalLM
          modelType: llama
          quantization: fp8
          modelParameterSize: 8.03B
          modelCapabilities: [TEXT_TO_TEXT]
          maxTokens: 131072
          modelConfiguration: {anything: {goes: [1, 2]}}
          storage:
            storageUri: hf://meta-llama/Llama-3.1-8B-Instruct
            path: /raid/models/meta/llama-3-1-8b-instruct
            key: hf-token
            downloadPolicy: ReuseIfExists
            nodeSelector: {pool: gpu}
        status: {state: Ready}
        """,
    "base-model": """\
        apiVersion: ome.io/v1beta1
        kind: BaseModel
        metadata: {name: tiny, namespace: team-a}
        spec:
          modelFormat: {name: safetensors}
          modelParameterSize: 135M
          storage: {storageUri: "pvc://models/tiny", path: /models/tiny}
        """,
    "isvc": """\
        apiVersion: ome.io/v1beta1
        kind: InferenceService
        metadata: {name: llama, namespace: llama}
        spec:
          model: {name: llama-3-1-8b-instruct, kind: ClusterBaseModel}
          runtime: {name: srt-llama-3-1-8b-instruct, kind: ClusterServingRuntime, apiGroup: ome.io}
          engine:
            minReplicas: 1
            maxReplicas: 1
            runner: {name: ome-container, env: [{name: X, value: "1"}]}
            acceleratorOverride: {policy: BestFit}
          decoder: {minReplicas: 1, maxReplicas: 1}
          router: {minReplicas: 1, maxReplicas: 1}
          kedaConfig: {enableKeda: false, scalingThreshold: "10"}
          acceleratorSelector: {acceleratorClass: h100, constraints: {minMemory: 80}, policy: Cheapest}
        """,
}


OME_EXAMPLES = {name: textwrap.dedent(text) for name, text in OME_EXAMPLES.items()}


@pytest.mark.parametrize("name", sorted(OME_EXAMPLES))
def test_ome_dialect_examples_validate(name):
    assert _check(OME_EXAMPLES[name]) == []


# --- exact diagnostics --------------------------------------------------------------------------

def test_unknown_field_is_pointed_at_its_key():
    diags = _check(SEED_RUNTIME.replace("      priority: 1", "      priorty: 1"))
    assert _summary(diags) == [
        (
            "unknown-field",
            12,
            7,
            "spec.supportedModelFormats[0].priorty",
            'spec.supportedModelFormats[0].priorty: unknown field (did you mean "priority"?)',
        )
    ]
    assert diags[0].severity is Severity.ERROR
    assert diags[0].file == "src.yaml"


def test_unknown_field_without_a_close_match_has_no_hint():
    diags = _check(SEED_RUNTIME.replace("  protocolVersions:", "  replicas: 3\n  protocolVersions:"))
    assert _summary(diags) == [("unknown-field", 13, 3, "spec.replicas", 'spec.replicas: unknown field')]


def test_mistyped_field():
    diags = _check(SEED_RUNTIME.replace("priority: 1", "priority: high"))
    assert _summary(diags) == [
        (
            "invalid-field",
            12,
            7,
            "spec.supportedModelFormats[0].priority",
            'spec.supportedModelFormats[0].priority: expected integer, got string "high"',
        )
    ]


def test_bad_enum():
    text = OME_EXAMPLES["runtime-pd-multinode"].replace(
        "version: \"1.0.0\", operator: GreaterThanOrEqual", 'version: "1.0.0", operator: Equals'
    )
    assert _summary(_check(text)) == [
        (
            "invalid-field",
            10,
            58,
            "spec.supportedModelFormats[0].modelFormat.operator",
            "spec.supportedModelFormats[0].modelFormat.operator: expected one of Equal, GreaterThan,"
            ' GreaterThanOrEqual, got string "Equals"',
        )
    ]


def test_wrong_type_is_reported_once_not_also_as_enum():
    text = OME_EXAMPLES["runtime-pd-multinode"].replace("operator: GreaterThanOrEqual, weight", "operator: 5, weight")
    assert [d.message for d in _check(text)] == [
        "spec.supportedModelFormats[0].modelFormat.operator: expected string, got integer 5"
    ]


def test_priority_must_be_positive():
    diags = _check(SEED_RUNTIME.replace("priority: 1", "priority: 0"))
    assert [d.message for d in diags] == ["spec.supportedModelFormats[0].priority: expected integer >= 1, got 0"]


def test_integer_fields_reject_floats_and_booleans():
    text = SEED_EXAMPLES["isvc-explicit"].replace("minReplicas: 1", "minReplicas: 1.0").replace(
        "maxReplicas: 1", "maxReplicas: true"
    )
    assert [d.message for d in _check(text)] == [
        "spec.predictor.minReplicas: expected integer, got number 1.0",
        "spec.predictor.maxReplicas: expected integer, got boolean true",
    ]


def test_replicas_must_not_be_negative():
    text = OME_EXAMPLES["isvc"].replace("decoder: {minReplicas: 1", "decoder: {minReplicas: -1")
    assert [d.message for d in _check(text)] == ["spec.decoder.minReplicas: expected integer >= 0, got -1"]


def test_sizes_are_strings():
    diags = _check(SEED_RUNTIME.replace("max: 128B", "max: 128"))
    assert [(d.field, d.message) for d in diags] == [
        ("spec.modelSizeRange.max", "spec.modelSizeRange.max: expected string, got integer 128")
    ]


def test_autoselect_is_boolean():
    diags = _check(SEED_RUNTIME.replace("autoSelect: true", 'autoSelect: "true"'))
    assert [d.message for d in diags] == ['spec.supportedModelFormats[0].autoSelect: expected boolean, got string "true"']


def test_missing_required_field_points_at_the_parent():
    text = OME_EXAMPLES["isvc"].replace("model: {name: llama-3-1-8b-instruct, kind: ClusterBaseModel}", "model: {}")
    assert _summary(_check(text)) == [
        ("invalid-field", 5, 3, "spec.model.name", "spec.model.name: missing required field")
    ]


def test_model_kind_enum():
    text = OME_EXAMPLES["isvc"].replace("kind: ClusterBaseModel", "kind: Model")
    assert [d.message for d in _check(text)] == [
        'spec.model.kind: expected one of ClusterBaseModel, BaseModel, got string "Model"'
    ]


def test_label_values_must_be_strings():
    text = SEED_EXAMPLES["runtime-full"].replace("labels: {team: a}", "labels: {team: a, tier: 1}")
    assert [d.message for d in _check(text)] == ["metadata.labels.tier: expected string, got integer 1"]


def test_metadata_is_checked_by_name():
    text = OME_EXAMPLES["base-model"].replace("namespace: team-a", "namepsace: team-a")
    assert [d.message for d in _check(text)] == [
        'metadata.namepsace: unknown field (did you mean "namespace"?)'
    ]


def test_creation_timestamp_may_be_a_yaml_timestamp():
    # An unquoted timestamp is a string, as Kubernetes sees it (yamlio builds JSON values only).
    doc = _doc(SEED_RUNTIME.replace("  name: vllm-text-generation", "  name: r\n  creationTimestamp: 2024-05-01 10:00:00"))
    assert doc.data["metadata"]["creationTimestamp"] == "2024-05-01 10:00:00"
    assert check_document(api.CLUSTER_SERVING_RUNTIME, doc, "src.yaml") == []


def test_pod_spec_fields_are_checked_by_name_only():
    text = OME_EXAMPLES["isvc"].replace(
        "acceleratorOverride: {policy: BestFit}",
        "acceleratorOverride: {policy: BestFit}\n    volumes: [{name: v, whatever: {deep: true}}]\n    hostNetwrk: true",
    )
    assert [d.message for d in _check(text)] == [
        'spec.engine.hostNetwrk: unknown field (did you mean "hostNetwork"?)'
    ]


def test_several_problems_are_sorted_by_position():
    text = (
        OME_EXAMPLES["isvc"]
        .replace("decoder: {minReplicas: 1", "decoder: {minReplicas: x")
        .replace("model: {name", "model: {nmae: x, name")
        .replace("kedaConfig: {enableKeda: false", "kedaConfig: {enableKeda: no-thanks")
    )
    diags = _check(text)
    assert [(d.line, d.field) for d in diags] == [
        (5, "spec.model.nmae"),
        (12, "spec.decoder.minReplicas"),
        (14, "spec.kedaConfig.enableKeda"),
    ]
    assert diags == sorted(diags, key=lambda d: (d.line, d.column))
    assert _check(text) == diags  # deterministic


def test_kind_mismatch_and_wrong_api_version():
    doc = _doc(SEED_RUNTIME.replace("apiVersion: ome.io/v1beta1", "apiVersion: ome.io/v1"))
    assert [d.message for d in check_document(api.SERVING_RUNTIME, doc, "f")] == [
        'apiVersion: expected "ome.io/v1beta1", got string "ome.io/v1"',
        'kind: expected "ServingRuntime", got string "ClusterServingRuntime"',
    ]


def test_document_that_is_not_a_mapping():
    (doc,) = list(load_documents("- a\n- b\n"))
    assert [d.message for d in check_document(api.INFERENCE_SERVICE, doc, "f")] == [
        "document: expected object, got array"
    ]


def test_status_is_ignored():
    assert _check(SEED_RUNTIME + "status:\n  anything: [1, {x: y}]\n") == []


def test_long_values_are_shortened():
    diags = _check(SEED_RUNTIME.replace("priority: 1", "priority: " + "x" * 100))
    assert diags[0].message.endswith('got string "' + "x" * 37 + '..."')


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        check_document("Deployment", _doc(SEED_RUNTIME), "f")


# --- the schema files ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", api.KINDS)
def test_schemas_are_valid_draft_2020_12(kind):
    schema = load_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["kind"] == {"const": kind}
    assert json.loads(schema_file(kind).read_text()) == schema


def test_shared_definitions_do_not_drift():
    # Each schema file is self-contained (kubeconform reads one file per kind), so shared $defs are
    # copied; they must stay identical.
    schemas = {kind: load_schema(kind) for kind in api.KINDS}
    seen: dict = {}
    for kind, schema in schemas.items():
        for name, definition in schema["$defs"].items():
            assert seen.setdefault(name, (kind, definition))[1] == definition, f"$defs/{name}: {kind} vs {seen[name][0]}"
    for a, b in ((api.CLUSTER_SERVING_RUNTIME, api.SERVING_RUNTIME), (api.CLUSTER_BASE_MODEL, api.BASE_MODEL)):
        strip = lambda s: {k: v for k, v in s.items() if k not in ("title", "description", "properties")}
        assert strip(schemas[a]) == strip(schemas[b])


# --- OME's own files ----------------------------------------------------------------------------

# The two upstream samples that are not valid InferenceServices (OME's CRD would prune their unknown
# fields and reject them for lacking spec.model.name): an older draft of the API.
UPSTREAM_INVALID = {
    "samples/isvc/LGAI-EXAONE/exaone-3-5-7-8b-instruct-isvc.yaml": [
        "spec.model.name: missing required field",
        'spec.model.modelName: unknown field',
        'spec.model.runtime: unknown field',
        'spec.deployment: unknown field',
    ],
    "samples/isvc/zai-org/glm-4-5v.yaml": [
        'spec.modelRef: unknown field (did you mean "model"?)',
        'spec.minReplicas: unknown field',
        'spec.maxReplicas: unknown field',
        'spec.scaleTarget: unknown field',
    ],
}


def test_upstream_ome_documents(upstream):
    # `upstream` (conftest.py) is ../shared/upstream/ome/config beside the checkout; skipped when absent.
    counts = {kind: [0, 0] for kind in api.KINDS}  # kind → [documents, valid]
    failures: dict[str, list[str]] = {}
    for path in sorted(upstream.rglob("*.y*ml")):
        rel = path.relative_to(upstream).as_posix()
        if rel.startswith("crd/"):
            continue
        for doc in load_documents(path.read_text(encoding="utf-8")):
            data = doc.data
            if not (isinstance(data, dict) and data.get("apiVersion") == api.API_VERSION and data.get("kind") in api.KINDS):
                continue
            diags = check_document(data["kind"], doc, rel)
            counts[data["kind"]][0] += 1
            counts[data["kind"]][1] += not diags
            if diags:
                failures.setdefault(rel, []).extend(d.message for d in diags)
    total, valid = sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())
    print(f"\nupstream ome.io documents: {valid}/{total} valid; per kind (documents, valid): {counts}")
    assert counts[api.CLUSTER_SERVING_RUNTIME] == [207, 207]
    assert counts[api.CLUSTER_BASE_MODEL] == [207, 207]
    assert counts[api.INFERENCE_SERVICE] == [148, 146]
    assert failures == UPSTREAM_INVALID


def test_any_of_explains_the_branch_of_the_right_type():
    # No shipped schema uses anyOf/oneOf today; a future one must still give one clear message.
    from omegen.kube.schemafindings import explain_error
    from omegen.load.inputschema import _Validator

    validator = _Validator({"properties": {"a": {"anyOf": [{"type": "integer", "minimum": 3}, {"type": "string", "enum": ["x"]}]}}})
    messages = lambda instance: [f"{'.'.join(f.path)}: {f.message}" for e in validator.iter_errors(instance) for f in explain_error(e)]
    assert messages({"a": 1}) == ["a: expected integer >= 3, got 1"]
    assert messages({"a": "y"}) == ['a: expected one of x, got string "y"']
    assert messages({"a": [1]}) == ["a: expected integer or string, got array"]
