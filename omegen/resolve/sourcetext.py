"""How messages about source objects name them, for runtime resolution and runtime validation.

A runtime reads `ClusterServingRuntime vllm` or `ServingRuntime team-a/vllm`, a model
`ClusterBaseModel llama` or `BaseModel team-a/llama`, a format entry `supportedModelFormats[1]`
(its path without `spec.`), a source position `runtimes/vllm.yaml:12`. (A Diagnostic located at a
source field is made by `errors.at`.)
"""

from __future__ import annotations

from omegen.api import FieldOrigin, Model, Runtime


def runtime_label(runtime: Runtime) -> str:
    if runtime.is_cluster:
        return f"{runtime.kind} {runtime.name}"
    return f"{runtime.kind} {runtime.namespace}/{runtime.name}"


def model_label(model: Model) -> str:
    name = model.name if model.namespace is None else f"{model.namespace}/{model.name}"
    return f"{model.kind} {name}"


def position(origin: FieldOrigin) -> str:
    return f"{origin.file}:{origin.line}" if origin.line else origin.file


def short_path(path: str) -> str:
    return path[len("spec."):] if path.startswith("spec.") else path
