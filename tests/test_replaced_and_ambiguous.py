"""Runner args replaced by a service are a warning listing what was dropped; a model without a size
whose pick only its size could decide is ambiguous (issue 10)."""

from __future__ import annotations

from conftest import omegen_yaml
from omegen import pipeline
from omegen.errors import Severity

NO_BUILTIN = omegen_yaml("builtinRuntimes: false\n")


def runtime(name: str, size: str = "min: 7B\n    max: 9B", priority: int = 1) -> str:
    return f"""\
apiVersion: ome.io/v1beta1
kind: ClusterServingRuntime
metadata:
  name: {name}
spec:
  supportedModelFormats:
    - modelFormat: {{name: safetensors}}
      modelArchitecture: LlamaForCausalLM
      autoSelect: true
      priority: {priority}
  modelSizeRange:
    {size}
  engineConfig:
    runner:
      name: ome-container
      image: vllm/vllm-openai:v0.9.0
      args: [--port=8080, --model, /mnt/models, --tensor-parallel-size=1]
      ports: [{{containerPort: 8080}}]
      resources:
        limits: {{nvidia.com/gpu: 1}}
"""


def model(size: str = "") -> str:
    return f"""\
apiVersion: ome.io/v1beta1
kind: ClusterBaseModel
metadata:
  name: llama-8b
spec:
  modelFormat: {{name: safetensors}}
  modelArchitecture: LlamaForCausalLM
{size}  storage:
    storageUri: hf://meta-llama/Llama-3.1-8B-Instruct
    path: /raid/models/llama-8b
"""


SERVICE = """\
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata:
  name: chat
  namespace: team
spec:
  model: {name: llama-8b}
  engine:
    runner:
      args: [--max-model-len=32768]
"""


def warnings(build):
    return [d.as_text() for d in build.diagnostics if d.severity is not Severity.INFO]


def test_runner_args_replaced_by_the_service_list_what_was_dropped(tree):
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": runtime("vllm-8b"), "m.yaml": model("  modelParameterSize: 8B\n"), "isvc.yaml": SERVICE})
    build = pipeline.build(src)
    assert build.ok
    assert warnings(build) == [
        "isvc.yaml:10:7: warning[runner-args-replaced]: engine.runner.args replaces the runtime's args, dropping "
        "--port=8080, --model /mnt/models, --tensor-parallel-size=1; repeat what is still needed in the service's args"
    ]
    assert not pipeline.build(src, strict=True).ok


def test_args_that_keep_every_flag_are_not_reported(tree):
    service = SERVICE.replace("[--max-model-len=32768]", "[--port=9000, --model, /models, --tensor-parallel-size=2, --max-model-len=32768]")
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": runtime("vllm-8b"), "m.yaml": model("  modelParameterSize: 8B\n"), "isvc.yaml": service})
    assert warnings(pipeline.build(src)) == []


def test_many_dropped_flags_stay_one_short_line(tree):
    many = runtime("vllm-8b").replace(
        "args: [--port=8080, --model, /mnt/models, --tensor-parallel-size=1]",
        "args: [" + ", ".join(f"--flag-{i}={i}" for i in range(40)) + "]",
    )
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": many, "m.yaml": model("  modelParameterSize: 8B\n"), "isvc.yaml": SERVICE})
    (text,) = warnings(pipeline.build(src))
    assert "--flag-0=0, --flag-1=1, --flag-2=2, --flag-3=3 and 36 more;" in text and len(text) < 250


def test_a_model_without_a_size_between_runtimes_told_apart_by_size_is_ambiguous(tree):
    files = {
        "omegen.yaml": NO_BUILTIN,
        "small.yaml": runtime("vllm-8b"),
        "large.yaml": runtime("vllm-70b", "min: 60B\n    max: 80B"),
        "m.yaml": model(),
        "isvc.yaml": SERVICE.replace("  engine:\n    runner:\n      args: [--max-model-len=32768]\n", ""),
    }
    src = tree(files)
    build = pipeline.build(src)
    assert build.ok
    assert warnings(build) == [
        "isvc.yaml:7:11: warning[ambiguous-runtime]: ambiguous runtime selection for ClusterBaseModel llama-8b: it has no "
        "spec.modelParameterSize, and vllm-70b [60B, 80B], vllm-8b [7B, 9B] tie on scope and priority with different size "
        "ranges; vllm-70b was picked by name (ascending); add spec.modelParameterSize to the model or name the runtime in "
        "spec.runtime.name"
    ]
    strict = pipeline.build(src, strict=True)
    assert not strict.ok and [d.code for d in strict.diagnostics if d.severity is Severity.ERROR] == ["ambiguous-runtime"]
    # With the size, nothing is arbitrary: the range containing it wins, in silence.
    sized = tree(files | {"m.yaml": model("  modelParameterSize: 8B\n")})
    assert warnings(pipeline.build(sized)) == []


def test_a_model_without_a_size_whose_pick_is_not_arbitrary_stays_accepted(tree):
    files = {
        "omegen.yaml": NO_BUILTIN,
        "small.yaml": runtime("vllm-8b", priority=2),  # priority decides: the size would not change the pick
        "large.yaml": runtime("vllm-70b", "min: 60B\n    max: 80B"),
        "m.yaml": model(),
        "isvc.yaml": SERVICE.replace("  engine:\n    runner:\n      args: [--max-model-len=32768]\n", ""),
    }
    build = pipeline.build(tree(files), strict=True)
    assert build.ok and warnings(build) == []
