"""What every source kind's metadata and plain values become when normalized: the name, the
namespace (the configured default for a namespaced kind without one), labels and annotations with
keys as Kubernetes reads them, and optional text fields (empty is unset)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from omegen.api import CLUSTER_SCOPED, Config
from omegen.kube.names import is_tool_annotation
from omegen.load.discover import SourceDocument
from omegen.yamlio import json_key


def metadata(found: SourceDocument, config: Config) -> tuple[str, Optional[str], dict, dict, Optional[str]]:
    """(name, namespace, labels, annotations, creationTimestamp as ISO text) of a checked document."""
    meta = found.doc.data["metadata"]
    namespace = None if found.kind in CLUSTER_SCOPED else (meta.get("namespace") or config.default_namespace)
    created = meta.get("creationTimestamp")
    if isinstance(created, datetime):
        created = created.astimezone(timezone.utc).isoformat() if created.tzinfo else created.isoformat()
    elif isinstance(created, date):
        created = created.isoformat()
    # Keys as Kubernetes reads them: a YAML 1.1 `on:` label is "true", not Python's "True".
    labels = {json_key(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    annotations = {json_key(k): str(v) for k, v in (meta.get("annotations") or {}).items() if not is_tool_annotation(json_key(k))}
    return str(meta["name"]), namespace, labels, annotations, created


def names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def text(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    return str(value)
