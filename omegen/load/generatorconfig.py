"""The config kustomize hands a generator plugin must be the kustomization directory's own
`omegen.yaml`: that is the file the build reads, and a generator listed from elsewhere
(`generators: [other/omegen.yaml]`) would otherwise be silently built with another directory's
settings."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from omegen import yamlio
from omegen.errors import Diagnostic, error
from omegen.kube.names import is_tool_annotation
from omegen.load.config import CONFIG_FILE
from omegen.load.discover import read_text


def same_config(given: Path, root: Path) -> Optional[Diagnostic]:
    """None when `given` holds the same object as `root/omegen.yaml` (tool annotations aside)."""
    try:
        ours = _object(root / CONFIG_FILE)
        theirs = _object(given)
    except (OSError, UnicodeDecodeError, yamlio.YAMLError) as exc:
        return error("invalid-config", f"cannot compare the generator config with {CONFIG_FILE}: {exc}", CONFIG_FILE)
    if ours is None:
        return error("invalid-config", f"the kustomization directory has no {CONFIG_FILE}; list its own {CONFIG_FILE} under generators:", CONFIG_FILE)
    if ours != theirs:
        return error(
            "invalid-config",
            f"the generator config is not this kustomization directory's {CONFIG_FILE}: list ./{CONFIG_FILE} under generators: "
            "(to build another directory, give it its own kustomization.yaml and list that under resources:)",
            CONFIG_FILE,
        )
    return None


def _object(path: Path):
    problems: list = []
    text = read_text(path, path.name, problems)  # size-checked before it is read, as every source
    if text is None:
        raise OSError(problems[0].message)
    docs = [d.data for d in yamlio.load_documents(text, positions=False) if d.data is not None]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return docs or None
    obj = dict(docs[0])
    metadata = dict(obj.get("metadata") or {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if not is_tool_annotation(k) or k == "config.kubernetes.io/local-config"}
    metadata["annotations"] = annotations
    obj["metadata"] = metadata
    return obj
