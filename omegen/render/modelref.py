"""The model's traces on a pod: the node label OME's model agent sets once a model is on a node, and
the name of the model's volume."""

from __future__ import annotations

import hashlib
import re

from omegen.api import BASE_MODEL, Model
from omegen.kube.names import is_dns1123_label

_LABEL_NAME_MAX = 49  # OME: 63 minus "models.ome.io" and the slash
_HASH_PREFIX = 8


def truncate_with_hash(text: str, max_length: int) -> str:
    """OME's `truncateWithHash`: `text` when it fits, else the first 8 hex digits of its sha256, a
    dash and the tail of `text` that fills `max_length`."""
    if len(text) <= max_length:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_PREFIX]
    keep = max_length - _HASH_PREFIX - 1
    if keep <= 0:
        return digest[:max_length]
    return f"{digest}-{text[len(text) - keep:]}"


def model_label_key(model: Model) -> str:
    """The node label OME's model agent sets once the model is on a node (`GetClusterBaseModelLabel`,
    `GetBaseModelLabel` in OME's constants.go), e.g. `models.ome.io/clusterbasemodel.llama-3-8b`."""
    if model.kind != BASE_MODEL:
        return f"models.ome.io/clusterbasemodel.{truncate_with_hash(model.name, _LABEL_NAME_MAX - len('clusterbasemodel') - 1)}"
    namespace = model.namespace or ""
    available = _LABEL_NAME_MAX - len("basemodel.") - 1
    if len(namespace) + len(model.name) <= available:
        return f"models.ome.io/{namespace}.basemodel.{model.name}"
    minimum = 8
    if available < minimum * 2:
        namespace_max = available // 2
    elif len(namespace) <= minimum:
        namespace_max = len(namespace)
    else:
        namespace_max = minimum
    name_max = available - namespace_max
    return f"models.ome.io/{truncate_with_hash(namespace, namespace_max)}.basemodel.{truncate_with_hash(model.name, name_max)}"


def model_volume_name(name: str) -> str:
    """The model's volume is named after the model, as in OME; a name that is not a valid volume
    name (a DNS label: dots, upper case, > 63 characters) is made into one."""
    if is_dns1123_label(name):
        return name
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "model"
    if cleaned != name or len(cleaned) > 63:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH_PREFIX]
        cleaned = f"{cleaned[: 63 - _HASH_PREFIX - 1].rstrip('-')}-{digest}"
    return cleaned

