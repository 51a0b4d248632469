"""The model objects a build's pods wait for, written into the output (`emitModels`).

A rendered engine or decoder pod selects nodes labelled `models.ome.io/clusterbasemodel.<name>:
Ready` (or the BaseModel's label). Only OME's model agent sets that label, and only for a
ClusterBaseModel/BaseModel that exists in the cluster: without the model object the pods stay
Pending. So each model a rendered service uses is written once per build, as its source document
says (built-in ones from the catalog's `models/`), minus what only the API server writes; so is the
FineTunedWeight a service serves (OME's adapter webhook reads it from the cluster).
"""

from __future__ import annotations

import copy
from typing import Iterable, Union

from omegen.api import BASE_MODEL, CLUSTER_BASE_MODEL, FINE_TUNED_WEIGHT, FineTunedWeight, Model, Rendered

MODEL_KINDS = (CLUSTER_BASE_MODEL, BASE_MODEL, FINE_TUNED_WEIGHT)
# The Rendered.service of a model: it belongs to no one service (several may share it).
NO_SERVICE = ()
# Metadata the API server owns: writing it back would be refused or fight the cluster.
SERVER_METADATA = (
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "generation",
    "managedFields",
    "resourceVersion",
    "selfLink",
    "uid",
)


def model_objects(models: Iterable[Union[Model, FineTunedWeight]]) -> list[Rendered]:
    """One object per distinct model or fine-tuned weight (by kind, namespace and name), in a
    stable order."""
    unique = {(m.kind, m.namespace or "", m.name): m for m in models if m is not None and m.document is not None}
    return [_model_object(unique[key]) for key in sorted(unique)]


def _model_object(model: Union[Model, FineTunedWeight]) -> Rendered:
    obj = copy.deepcopy(model.document)
    obj.pop("status", None)
    metadata = obj.setdefault("metadata", {})
    for key in SERVER_METADATA:
        metadata.pop(key, None)
    if model.kind == BASE_MODEL:
        metadata["namespace"] = model.namespace  # a source may leave it to defaultNamespace
    return Rendered(obj, NO_SERVICE, (model.where(),))
