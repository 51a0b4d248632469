"""The model-side kinds normalized: ClusterBaseModel/BaseModel (sizes parsed exactly), FineTunedWeight
and AcceleratorClass, read from their checked documents as OME reads them."""

from __future__ import annotations

import copy

from omegen.api import AcceleratorClass, Config, FineTunedWeight, Model
from omegen.kube.quantity import quantity
from omegen.load.discover import SourceDocument
from omegen.load.objectmeta import metadata, text
from omegen.load.sizes import SizeError, parse_size


def model(found: SourceDocument, config: Config):
    spec = found.doc.data.get("spec") or {}
    name, namespace, _labels, annotations, _created = metadata(found, config)
    model_format = spec.get("modelFormat") or {}
    framework = spec.get("modelFramework") or {}
    storage = spec.get("storage") or {}
    size = None
    if spec.get("modelParameterSize") is not None:
        try:
            size = parse_size(spec["modelParameterSize"])
        except SizeError as exc:
            return None, [found.error("invalid-size", f"spec.modelParameterSize: {exc}", ("spec", "modelParameterSize"))]
    found_model = Model(
        kind=found.kind,
        name=name,
        namespace=namespace,
        origin=found.origin(),
        format_name=text(model_format.get("name")),
        format_version=text(model_format.get("version")),
        framework=text(framework.get("name")),
        framework_version=text(framework.get("version")),
        architecture=text(spec.get("modelArchitecture")),
        model_type=text(spec.get("modelType")),
        quantization=text(spec.get("quantization")),
        size=size,
        storage_path=text(storage.get("path")),
        vendor=text(spec.get("vendor")),
        disabled=bool(spec.get("disabled")),
        builtin=found.builtin,
        annotations=annotations,
        document=found.doc.data,
        field_marks=found.field_marks(),
    )
    return found_model, []


def fine_tuned_weight(found: SourceDocument, config: Config):
    spec = found.doc.data.get("spec") or {}
    name, _namespace, _labels, _annotations, _created = metadata(found, config)
    configuration = spec.get("configuration") if isinstance(spec.get("configuration"), dict) else {}
    hyper = spec.get("hyperParameters") if isinstance(spec.get("hyperParameters"), dict) else {}
    strategy = hyper.get("strategy")
    weight = FineTunedWeight(
        kind=found.kind,
        name=name,
        namespace=None,
        origin=found.origin(),
        base_model=text((spec.get("baseModelRef") or {}).get("name")),
        merged=configuration.get("merged_weights") is True,
        strategy=strategy if isinstance(strategy, str) else None,
        builtin=found.builtin,
        document=found.doc.data,
        field_marks=found.field_marks(),
    )
    return weight, []


def accelerator_class(found: SourceDocument, config: Config):
    name = metadata(found, config)[0]
    spec = copy.deepcopy(found.doc.data.get("spec") or {})
    problems = []
    memory = (spec.get("capabilities") or {}).get("memoryGB")
    amount = quantity(memory) if memory is not None else None
    if amount is not None and 0 < amount < 1024**3:
        # OME divides the quantity's bytes by 1Gi (acceleratorclassselector meetsRequirements).
        problems.append(found.warning(
            "accelerator-memory-unit",
            f"spec.capabilities.memoryGB {memory} is {amount} bytes as OME reads it (a quantity; 0 GB against minMemory/maxMemory): write {memory}Gi",
            ("spec", "capabilities", "memoryGB"),
        ))
    return AcceleratorClass(found.kind, name, None, found.origin(), spec, found.builtin, found.field_marks()), problems
