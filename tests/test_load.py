"""Loading: discovery, both dialects, identity rules, and every load-time diagnostic."""

from __future__ import annotations

import os
import random
from decimal import Decimal

import pytest

from omegen.api import OME, SEED
from omegen.errors import Severity
from omegen.load.sources import load_sources
from seed_example import SEED_RUNTIME, SEED_SERVICE

MODEL = """
apiVersion: ome.io/v1beta1
kind: ClusterBaseModel
metadata:
  name: llama-3-1-70b
spec:
  modelFormat: {name: safetensors, version: "1.0.0"}
  modelFramework: {name: transformers, version: "4.43.0"}
  modelArchitecture: LlamaForCausalLM
  modelType: transformer
  modelParameterSize: 70.6B
  storage:
    storageUri: hf://meta-llama/Llama-3.1-70B-Instruct
    path: /raid/models/meta/llama-3-1-70b-instruct
"""

OME_RUNTIME = """
apiVersion: ome.io/v1beta1
kind: ClusterServingRuntime
metadata:
  name: srt-llama
spec:
  nodeSelector: {pool: gpu}
  supportedModelFormats:
    - modelFormat: {name: safetensors, version: "1.0.0", operator: GreaterThanOrEqual}
      modelFramework: {name: transformers, version: "4.43.0"}
      modelArchitecture: LlamaForCausalLM
      quantization: fp8
      autoSelect: true
      priority: 2
  protocolVersions: [openAI]
  modelSizeRange: {min: 1B}
  engineConfig:
    runner:
      name: ome-container
      image: docker.io/lmsysorg/sglang:v0.5.5
  routerConfig:
    runner: {name: router, image: smg:1}
"""

OME_SERVICE = """
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata:
  name: chat
spec:
  model: {name: llama-3-1-70b}
  runtime: {name: srt-llama}
  engine: {minReplicas: 1, maxReplicas: 2}
  router: {minReplicas: 1, maxReplicas: 1}
"""


def load(root, **kwargs):
    kwargs.setdefault("builtin", False)
    return load_sources(root, **kwargs)


def texts(diagnostics, severity=None):
    return [d.as_text() for d in diagnostics if severity is None or d.severity is severity]


def test_seed_dialect_normalizes_to_engine_runner(tree):
    root = tree({"rt.yaml": SEED_RUNTIME, "isvc.yaml": SEED_SERVICE, "model.yaml": MODEL})
    sources, diagnostics = load(root)
    assert texts(diagnostics) == []
    runtime = sources.runtime("ClusterServingRuntime", "vllm-text-generation")
    assert runtime.dialect == SEED
    assert runtime.engine["runner"]["image"] == "official-vllm-openai:0.5.3"
    (entry,) = runtime.formats
    assert (entry.name, entry.version, entry.model_type, entry.architecture) == ("safetensors", "1", "transformer", "LlamaForCausalLM")
    assert entry.auto_select is True and entry.priority == 1
    assert runtime.size_range.min.value == Decimal(60) * 10**9
    assert runtime.size_range.max.text == "128B"
    service = sources.services[("llama-3-1-70b", "llama-3-1-70b")]
    assert service.dialect == SEED
    assert (service.model_name, service.runtime_name, service.protocol_version) == ("llama-3-1-70b", "vllm-text-generation", "openAI")
    assert service.engine == {"minReplicas": 1, "maxReplicas": 1}
    # A normalized path points back at the seed field the user wrote.
    where = service.where("spec.runtime.name")
    assert (where.file, where.line, where.column, where.field) == ("isvc.yaml", 11, 7, "spec.predictor.model.runtime")
    where = runtime.where("engine.runner.image")
    assert (where.file, where.line, where.column, where.field) == ("rt.yaml", 20, 7, "spec.containers[0].image")


def test_ome_dialect_normalizes(tree):
    root = tree({"rt.yaml": OME_RUNTIME, "isvc.yaml": OME_SERVICE, "model.yaml": MODEL})
    sources, diagnostics = load(root)
    assert texts(diagnostics) == []
    runtime = sources.runtime("ClusterServingRuntime", "srt-llama")
    assert runtime.dialect == OME
    (entry,) = runtime.formats
    assert (entry.name, entry.version, entry.operator) == ("safetensors", "1.0.0", "GreaterThanOrEqual")
    assert (entry.framework, entry.framework_version, entry.quantization, entry.priority) == ("transformers", "4.43.0", "fp8", 2)
    assert runtime.size_range.max is None
    # OME merges the runtime's top-level nodeSelector into the engine pod.
    assert runtime.engine["nodeSelector"] == {"pool": "gpu"}
    assert runtime.router["runner"]["name"] == "router"
    service = sources.services[("default", "chat")]
    assert (service.model_name, service.runtime_name) == ("llama-3-1-70b", "srt-llama")
    assert service.router == {"minReplicas": 1, "maxReplicas": 1}
    model = sources.model_for(service)
    assert model.size.value == Decimal("70600000000")
    assert model.storage_path == "/raid/models/meta/llama-3-1-70b-instruct"


def test_seed_predictor_inline_container_becomes_runner(tree):
    root = tree(
        {
            "isvc.yaml": """
            apiVersion: ome.io/v1beta1
            kind: InferenceService
            metadata: {name: s, namespace: ns}
            spec:
              predictor:
                model:
                  baseModel: m
                  env: [{name: A, value: "1"}]
                tolerations: [{key: gpu, operator: Exists}]
                workerSpec: {size: 2}
            """
        }
    )
    sources, diagnostics = load(root)
    assert texts(diagnostics) == []
    service = sources.services[("ns", "s")]
    assert service.engine == {
        "tolerations": [{"key": "gpu", "operator": "Exists"}],
        "runner": {"name": "ome-container", "env": [{"name": "A", "value": "1"}]},
        "worker": {"size": 2},
    }


def test_seed_multinode_runtime_uses_one_container_for_leader_and_workers(tree):
    root = tree(
        {
            "rt.yaml": """
            apiVersion: ome.io/v1beta1
            kind: ClusterServingRuntime
            metadata: {name: ray}
            spec:
              supportedModelFormats: [{name: safetensors}]
              workers: {size: 2}
              containers:
                - {name: ome-container, image: vllm:1}
            """
        }
    )
    sources, diagnostics = load(root)
    assert texts(diagnostics) == []
    engine = sources.runtime("ClusterServingRuntime", "ray").engine
    assert engine["leader"]["runner"] == engine["worker"]["runner"] == {"name": "ome-container", "image": "vllm:1"}
    assert engine["worker"]["size"] == 2


def test_seed_multinode_with_several_containers_is_an_error(tree):
    root = tree(
        {
            "rt.yaml": """
            apiVersion: ome.io/v1beta1
            kind: ClusterServingRuntime
            metadata: {name: ray}
            spec:
              workers: {size: 2}
              containers:
                - {name: ome-container, image: vllm:1}
                - {name: sidecar, image: x:1}
            """
        }
    )
    sources, diagnostics = load(root)
    assert "rt.yaml:6:3: error[multinode-containers]: a multi-node runtime (spec.workers) must have exactly one container: leader and workers run the same one" in texts(diagnostics)
    assert sources.runtimes == {}


def test_other_containers_are_ignored_with_a_warning(tree):
    root = tree(
        {
            "rt.yaml": """
            apiVersion: ome.io/v1beta1
            kind: ClusterServingRuntime
            metadata: {name: rt}
            spec:
              containers:
                - {name: log-shipper, image: fluentbit:1}
                - {name: ome-container, image: vllm:1}
            """
        }
    )
    sources, diagnostics = load(root)
    assert texts(diagnostics) == [
        "rt.yaml:6:8: warning[ignored-container]: container 'log-shipper' is ignored: only the container named 'ome-container' serves the model"
    ]
    assert sources.runtime("ClusterServingRuntime", "rt").engine["runner"]["image"] == "vllm:1"


def test_malformed_yaml_is_an_error_at_its_position(tree):
    root = tree({"bad.yaml": "apiVersion: ome.io/v1beta1\nkind: [ClusterBaseModel\nmetadata: {}\n", "ok.yaml": MODEL})
    sources, diagnostics = load(root)
    assert texts(diagnostics) == [
        # Where the unclosed [ opened, not the key after it (issue 10).
        "bad.yaml:2:7: error[yaml-syntax]: did not find expected ',' or ']' (while parsing a flow sequence)"
    ]
    assert list(sources.models) == [("ClusterBaseModel", None, "llama-3-1-70b")]


def test_duplicate_key_is_an_error(tree):
    root = tree({"m.yaml": MODEL.replace("  modelArchitecture: LlamaForCausalLM\n", "  modelArchitecture: LlamaForCausalLM\n  modelArchitecture: X\n")})
    sources, diagnostics = load(root)
    assert texts(diagnostics) == ["m.yaml:9:3: error[duplicate-key]: duplicate key 'modelArchitecture' (first defined at line 8)"]
    assert sources.models == {}


def test_unknown_kind_is_an_error_with_a_suggestion(tree):
    root = tree({"x.yaml": "apiVersion: ome.io/v1beta1\nkind: InferenceSevice\nmetadata: {name: x}\n"})
    _, diagnostics = load(root)
    assert texts(diagnostics) == [
        "x.yaml:2:1: error[unknown-kind]: unknown kind 'InferenceSevice' for ome.io/v1beta1 (did you mean InferenceService?)"
    ]


def test_other_documents_are_ignored_with_info_and_other_ome_kinds_are_warned_about(tree):
    root = tree(
        {
            "k.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\nnot: kubernetes\n---\napiVersion: ome.io/v1beta1\nkind: BenchmarkJob\nmetadata: {name: b}\n"
        }
    )
    _, diagnostics = load(root)
    assert texts(diagnostics) == [
        "k.yaml:1:1: info[ignored-document]: ConfigMap v1 is not an ome.io/v1beta1 source; ignored",
        "k.yaml:5:1: info[ignored-document]: not a Kubernetes object (no apiVersion/kind); ignored",
        # An OME object omegen does not compile is not silently dropped (issue 10).
        "k.yaml:8:1: warning[unrendered-kind]: BenchmarkJob is not compiled by omegen: benchmark jobs are not rendered; run them with OME",
    ]


def test_unknown_field_is_an_error_naming_the_field(tree):
    root = tree({"rt.yaml": SEED_RUNTIME.replace("      priority: 1", "      priorty: 1")})
    sources, diagnostics = load(root)
    (diagnostic,) = diagnostics
    assert diagnostic.severity is Severity.ERROR
    assert (diagnostic.code, diagnostic.file, diagnostic.line, diagnostic.column) == ("unknown-field", "rt.yaml", 12, 7)
    assert diagnostic.field == "spec.supportedModelFormats[0].priorty"
    assert "priorty" in diagnostic.message
    assert sources.runtimes == {}


@pytest.mark.parametrize(
    "size, expected",
    [
        ("7X", "spec.modelSizeRange.min: invalid size '7X'"),
        ("200B", "modelSizeRange min 200B is greater than max 128B"),
    ],
)
def test_bad_size_range_is_an_error_at_the_bound(tree, size, expected):
    root = tree({"rt.yaml": SEED_RUNTIME.replace("min: 60B", f"min: {size}")})
    sources, diagnostics = load(root)
    (diagnostic,) = diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.field) == ("invalid-size", 17, "spec.modelSizeRange.min")
    assert expected in diagnostic.message
    assert sources.runtimes == {}


def test_same_identity_in_two_files_is_an_error_naming_both(tree):
    root = tree({"a.yaml": MODEL, "b/c.yaml": MODEL})
    _, diagnostics = load(root)
    assert texts(diagnostics) == ["b/c.yaml:4:3: error[duplicate-object]: ClusterBaseModel llama-3-1-70b is also defined in a.yaml:4"]


def test_source_object_replaces_builtin_one(tree):
    builtin_sources, _ = load(tree({}), builtin=True)
    names = sorted(key[2] for key in builtin_sources.runtimes)
    if not names:
        pytest.skip("the built-in catalog is empty")
    name = names[0]
    root = tree({"mine.yaml": SEED_RUNTIME.replace("name: vllm-text-generation", f"name: {name}")})
    sources, diagnostics = load(root, builtin=True)
    assert sources.runtime("ClusterServingRuntime", name).origin.file == "mine.yaml"
    replaced = [d for d in diagnostics if d.code == "builtin-replaced"]
    assert len(replaced) == 1 and replaced[0].file == "mine.yaml"
    assert replaced[0].message.startswith(f"ClusterServingRuntime {name} replaces the built-in one from <builtin>/runtimes/")


def test_discovery_skips_hidden_overlays_output_and_symlinks_out(tree, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(MODEL.replace("llama-3-1-70b", "outside"))
    root = tree(
        {
            "models/m.yaml": MODEL,
            ".git/x.yaml": MODEL.replace("llama-3-1-70b", "hidden"),
            "overlays/prod/x.yaml": MODEL.replace("llama-3-1-70b", "overlay"),
            "out/x.yaml": MODEL.replace("llama-3-1-70b", "output"),
            "notes.txt": "apiVersion: ome.io/v1beta1",
        }
    )
    os.symlink(outside, root / "link.yaml")
    os.symlink(tmp_path, root / "linked-dir")
    sources, diagnostics = load(root, skip=[root / "out"])
    # Not followed, and said so: a runtime that silently vanished would be a puzzle.
    assert sorted(texts(diagnostics)) == [
        f"link.yaml: warning[symlink-outside]: symlink to {outside} leaves the source tree; not followed",
        f"linked-dir: warning[symlink-outside]: symlink to {tmp_path} leaves the source tree; not followed",
    ]
    assert sorted(sources.models) == [("ClusterBaseModel", None, "llama-3-1-70b")]


def test_result_does_not_depend_on_file_order(tree, tmp_path):
    files = {"a.yaml": SEED_RUNTIME, "b.yaml": SEED_SERVICE, "c.yaml": MODEL, "d.yaml": OME_RUNTIME, "e.yaml": OME_SERVICE}
    first, _ = load(tree(files))
    names = list(files)
    random.Random(7).shuffle(names)
    # Same documents, different file names and so a different discovery order.
    shuffled = {f"{i}-{name}": files[name] for i, name in enumerate(names)}
    from conftest import write_tree

    second, _ = load(write_tree(tmp_path / "other", shuffled))
    assert sorted(first.runtimes) == sorted(second.runtimes)
    assert sorted(first.services) == sorted(second.services)
    assert [r.formats for r in first.runtimes.values()] == [second.runtimes[k].formats for k in first.runtimes]


def test_seed_predictor_containers_are_kept_as_pod_containers(tree):
    root = tree(
        {
            "isvc.yaml": """
            apiVersion: ome.io/v1beta1
            kind: InferenceService
            metadata: {name: s, namespace: ns}
            spec:
              predictor:
                model: {baseModel: m}
                containers:
                  - {name: ome-container, env: [{name: A, value: "1"}]}
                  - {name: log-shipper, image: fluentbit:1}
            """
        }
    )
    sources, diagnostics = load(root)
    assert texts(diagnostics) == []
    assert [c["name"] for c in sources.services[("ns", "s")].engine["containers"]] == ["ome-container", "log-shipper"]


@pytest.mark.parametrize(
    "document, expected",
    [
        (
            "apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: Bad_Name}\nspec: {model: {name: m}}\n",
            "x.yaml:3:12: error[invalid-name]: metadata.name: \"Bad_Name\" is not valid: InferenceService names must be "
            "DNS-1035 labels (lowercase letters, digits and '-', starting with a letter, ending with a letter or digit)",
        ),
        (
            "apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: ok, namespace: Team_A}\nspec: {model: {name: m}}\n",
            "x.yaml:3:22: error[invalid-name]: metadata.namespace: \"Team_A\" is not valid: namespaces must be "
            "DNS-1123 labels (lowercase letters, digits and '-', starting and ending with a letter or digit)",
        ),
        (
            "apiVersion: ome.io/v1beta1\nkind: ClusterBaseModel\nmetadata: {name: Llama-3}\nspec: {}\n",
            "x.yaml:3:12: error[invalid-name]: metadata.name: \"Llama-3\" is not valid: ClusterBaseModel names must be "
            "DNS-1123 subdomains (lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit)",
        ),
    ],
)
def test_invalid_names_are_errors(tree, document, expected):
    sources, diagnostics = load(tree({"x.yaml": document}))
    assert texts(diagnostics) == [expected]
    assert not sources.services and not sources.models


# --- hostile trees and documents ------------------------------------------------------------------


def test_a_symlink_to_a_source_inside_the_tree_is_read_once(tree):
    root = tree({"models/m.yaml": MODEL})
    os.symlink("models/m.yaml", root / "alias.yaml")
    os.symlink("models", root / "models-alias")
    os.symlink(".", root / "loop")
    sources, diagnostics = load(root)
    assert texts(diagnostics) == []
    assert list(sources.models) == [("ClusterBaseModel", None, "llama-3-1-70b")]
    assert sources.models[("ClusterBaseModel", None, "llama-3-1-70b")].origin.file == "models/m.yaml"


def test_symlink_loops_are_errors_not_crashes(tree):
    root = tree({"m.yaml": MODEL})
    os.symlink("self.yaml", root / "self.yaml")
    os.symlink("b.yaml", root / "a.yaml")
    os.symlink("a.yaml", root / "b.yaml")
    sources, diagnostics = load(root, skip=[root / "self.yaml"])
    assert texts(diagnostics) == [
        "a.yaml: error[unreadable-file]: symlink loop",
        "b.yaml: error[unreadable-file]: symlink loop",
        "self.yaml: error[unreadable-file]: symlink loop",
    ]
    assert len(sources.models) == 1


def test_only_regular_files_are_read(tree):
    root = tree({"m.yaml": MODEL})
    os.mkfifo(root / "pipe.yaml")  # reading it would block forever
    (root / "dir.yaml").mkdir()
    os.symlink("renamed.yaml", root / "broken.yaml")
    sources, diagnostics = load(root)
    assert texts(diagnostics) == ["broken.yaml: error[unreadable-file]: broken symlink to renamed.yaml"]
    assert len(sources.models) == 1


@pytest.mark.parametrize(
    "document, expected",
    [
        (
            "apiVersion: ome.io/v1beta1\nkind: [InferenceService]\nmetadata: {name: x}\n",
            "x.yaml:2:1: error[invalid-field]: kind: expected a string, got array",
        ),
        (
            "apiVersion: ome.io/v1beta1\nmetadata: {name: x}\n",
            "x.yaml:1:1: error[missing-field]: kind is required in an ome.io/v1beta1 document",
        ),
        (
            "apiVersion: ome.io/v1beta1\nkind:\nmetadata: {name: x}\n",
            "x.yaml:2:1: error[missing-field]: kind is required in an ome.io/v1beta1 document",
        ),
    ],
)
def test_an_ome_document_without_a_usable_kind_is_an_error(tree, document, expected):
    _, diagnostics = load(tree({"x.yaml": document}))
    assert texts(diagnostics) == [expected]


def test_undecodable_bytes_are_an_error_at_their_line(tree):
    root = tree({"empty.yaml": ""})
    (root / "bad.yaml").write_bytes(b"a: 1\nb: caf\xe9\n")
    (root / "ctrl.yaml").write_bytes("a: é\nb: 2\nc: \x07\n".encode())
    _, diagnostics = load(root)
    assert texts(diagnostics) == [
        "bad.yaml:2:7: error[unreadable-file]: file is not UTF-8 text (byte 0xe9)",
        "ctrl.yaml:3:4: error[yaml-syntax]: unacceptable character #x0007: control characters are not allowed",
    ]


def test_a_file_too_large_is_refused_before_it_is_read(tree, monkeypatch):
    from omegen import yamlio

    root = tree({"m.yaml": MODEL})
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 100)
    monkeypatch.setattr(type(root), "read_text", lambda *a, **k: pytest.fail("read a file over the limit"))
    _, diagnostics = load(root)
    assert texts(diagnostics) == ["m.yaml:1:1: error[yaml-limit]: file is larger than 100 bytes"]


def test_yaml_11_boolean_and_null_keys_are_located_and_not_confused_with_integers(tree):
    # `yes:` is the key "true" to Kubernetes; it is not the integer key 1.
    root = tree({"m.yaml": MODEL.replace("  modelType: transformer\n", "  modelType: transformer\n  yes: 1\n  1: 2\n  ~: 3\n")})
    _, diagnostics = load(root)
    assert texts(diagnostics) == [
        'm.yaml:10:3: error[unknown-field]: spec.true: unknown field',
        'm.yaml:11:3: error[unknown-field]: spec.1: unknown field',
        'm.yaml:12:3: error[unknown-field]: spec.null: unknown field',
    ]


def test_label_keys_are_strings_as_kubernetes_reads_them(tree):
    service = OME_SERVICE.replace("  name: chat\n", "  name: chat\n  namespace: ns\n  labels: {on: x, 8: y}\n")
    sources, diagnostics = load(tree({"isvc.yaml": service}))
    assert texts(diagnostics) == []
    assert sources.services[("ns", "chat")].labels == {"true": "x", "8": "y"}


def test_a_name_of_the_wrong_type_is_reported_once(tree):
    _, diagnostics = load(tree({"x.yaml": "apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: 123}\nspec: {}\n"}))
    assert texts(diagnostics) == ["x.yaml:3:12: error[invalid-field]: metadata.name: expected string, got integer 123"]


def test_bom_and_crlf_files_load_like_any_other(tree):
    root = tree({"plain/m.yaml": MODEL})
    (root / "windows").mkdir()
    text = MODEL.lstrip().replace("name: llama-3-1-70b", "name: windows")
    (root / "windows/m.yaml").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    sources, diagnostics = load(root)
    assert texts(diagnostics) == []
    plain, windows = (sources.models[("ClusterBaseModel", None, name)] for name in ("llama-3-1-70b", "windows"))
    assert windows.origin == plain.origin.__class__("windows/m.yaml", 1, 1)
    assert (windows.size, windows.storage_path) == (plain.size, plain.storage_path)
    assert windows.where("spec.modelParameterSize").line == plain.where("spec.modelParameterSize").line == 10


def test_ome_runtime_top_level_pod_fields_other_than_node_selector_are_ignored_with_a_warning(tree):
    runtime = OME_RUNTIME.replace("  nodeSelector: {pool: gpu}\n", "  nodeSelector: {pool: gpu}\n  tolerations: [{key: gpu, operator: Exists}]\n")
    sources, diagnostics = load(tree({"rt.yaml": runtime}))
    assert texts(diagnostics) == [
        "rt.yaml:7:3: warning[ignored-field]: spec.tolerations is ignored: with spec.engineConfig only "
        "spec.nodeSelector reaches the pods (as in OME); move it into spec.engineConfig"
    ]
    assert "tolerations" not in sources.runtime("ClusterServingRuntime", "srt-llama").engine
