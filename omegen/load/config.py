"""`omegen.yaml`: one directory's build settings, sources (`resources`) and transforms.

The file is a KRM object, as `kustomization.yaml` is (schemas/omegen/Omegen.json):

    apiVersion: omegen.io/v1alpha1
    kind: Omegen
    metadata:
      name: quickstart
      annotations:
        config.kubernetes.io/local-config: "true"
    kubernetesVersion: "1.33"
    defaultNamespace: team-a

Its build settings (SETTINGS) become `api.Config` fields; the transforms (TRANSFORMS, Kustomize's
names and meanings) are the overlay stage's to apply, read from the `Layer`. The plain form of
omegen 0.1 (no header, settings only, `namespace` meaning the default namespace) is still read with
its old meaning, and a warning shows the header to add. Flags override the file.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from omegen import yamlio
from omegen.load.discover import leaves_tree, read_text
from omegen.api import Layer
from omegen.errors import Diagnostic, Severity, error, warning
from omegen.kube.names import DNS1123_LABEL, name_problem
from omegen.kube.schemafindings import expect, show
from omegen.kube.versions import UnsupportedVersion, normalize_version
from omegen.load import inputschema
from omegen.resources import data_dir

CONFIG_FILE = "omegen.yaml"
CONFIG_API_VERSION = "omegen.io/v1alpha1"
CONFIG_KIND = "Omegen"
LOCAL_CONFIG = "config.kubernetes.io/local-config"

# Build settings: omegen.yaml key → api.Config field. A new setting is a property in the schema, a
# field on api.Config and a row here (plus a check in _CHECKS when the schema cannot say it all).
SETTINGS = {
    "kubernetesVersion": "kubernetes_version",
    "defaultNamespace": "default_namespace",
    "builtinRuntimes": "builtin_runtimes",
    "strict": "strict",
    "emitModels": "emit_models",
    "webhooks": "webhooks",
    "webhookConfig": "webhook_config",
    "syncWaves": "sync_waves",
    "silence": "silence",
}
# Keys that name this file's sources, and the Kustomize transforms (the overlay stage's).
SOURCE_KEYS = ("resources", "components")
TRANSFORMS = (
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
)
# The plain form's keys: the settings, with `namespace` in its old meaning (defaultNamespace).
_PLAIN_RENAMES = {"namespace": "defaultNamespace"}

_K8S_VERSION = re.compile(r"^v?1\.\d{1,2}(\.\d+)?$")


@dataclass(frozen=True)
class ConfigFile:
    """One directory's omegen.yaml, read and checked. `settings` holds only what the file sets
    (Config field → value); `layer` is None when there is no file (or it could not be read)."""

    settings: dict
    layer: Optional[Layer] = None
    plain: bool = False  # the plain form of omegen 0.1

    @property
    def resources(self) -> Optional[list]:
        """The file's `resources`, or None when it has none (discover its directory)."""
        if self.layer is None or "resources" not in self.layer.data:
            return None
        return self.layer.data["resources"]


def read_config(directory: Path, label: str = CONFIG_FILE) -> tuple[ConfigFile, list[Diagnostic]]:
    """The omegen.yaml in `directory` (named `label` in diagnostics). A file with errors yields no
    settings and no layer: a half-read configuration would build something else than was asked."""
    path = Path(directory) / CONFIG_FILE
    problems: list[Diagnostic] = []
    # The same rules as every source: a symlink out of the tree is not followed (nor echoed), the
    # size is checked before reading.
    if path.is_symlink() and leaves_tree(path, Path(directory), problems):
        return ConfigFile({}), problems
    if not path.is_file():
        return ConfigFile({}), []
    text = read_text(path, label, problems)
    if text is None:
        return ConfigFile({}), problems
    try:
        docs = list(yamlio.load_documents(text))
    except yamlio.YAMLError as exc:
        return ConfigFile({}), [error(exc.code, exc.message, label, exc.line, exc.column)]
    if len(docs) > 1:  # a second document would otherwise be silently ignored
        return ConfigFile({}), [error("invalid-config", f"{CONFIG_FILE} must be a single YAML document", label, docs[1].line, docs[1].column)]
    doc = docs[0] if docs else None
    if doc is None or doc.data is None:
        return ConfigFile({}), []
    if not isinstance(doc.data, dict):
        return ConfigFile({}), [error("invalid-config", f"{CONFIG_FILE} must be a mapping", label, doc.line, doc.column)]

    plain = "apiVersion" not in doc.data and "kind" not in doc.data
    if plain:
        diagnostics = _check(_plain_validator(), doc, label)
        diagnostics.append(_plain_form_warning(doc, label))
    else:
        diagnostics = _check(_validator(), doc, label)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return ConfigFile({}, plain=plain), diagnostics
    settings = {}
    for key, value in doc.data.items():
        key = _PLAIN_RENAMES.get(key, key) if plain else key
        if key in SETTINGS:
            settings[SETTINGS[key]] = value
    if "kubernetes_version" in settings:
        settings["kubernetes_version"] = ".".join(settings["kubernetes_version"].lstrip("v").split(".")[:2])
    return ConfigFile(settings, Layer(label, Path(directory), doc), plain), diagnostics


def _check(validator, doc: yamlio.Document, label: str) -> list[Diagnostic]:
    """The schema's findings, then the checks it cannot express, at the field they are about."""
    problems = inputschema.check_with(validator, doc, label)
    flagged = {d.field for d in problems}
    for key, value in doc.data.items():
        if not isinstance(key, str) or key in flagged and not isinstance(value, float):
            continue
        line, column = doc.mark((key,))
        problem = _CHECKS.get(key, lambda _v: None)(value)
        if problem:
            problems = [d for d in problems if d.field != key]
            problems.append(error("invalid-field", f"{key}: {problem}", label, line, column, key))
    return sorted(problems, key=lambda d: (d.line, d.column, d.field, d.message))


def _check_version(value) -> Optional[str]:
    if isinstance(value, float):
        # Unquoted 1.30 is the number 1.3: refuse to guess which version was meant.
        return f'quote the version, e.g. "1.30" (unquoted {show(value)} is a number)'
    if not isinstance(value, str):
        return None  # the schema said so
    if not _K8S_VERSION.fullmatch(value):
        return expect('"1.<minor>"', value)
    try:
        normalize_version(value)
    except UnsupportedVersion as exc:
        return str(exc)
    return None


def _check_namespace(value) -> Optional[str]:
    return name_problem(value, DNS1123_LABEL, "namespaces") if isinstance(value, str) else None


# Checked where they are written, not at every object that would use them.
_CHECKS = {
    "kubernetesVersion": _check_version,
    "defaultNamespace": _check_namespace,
    "namespace": _check_namespace,
}


def _plain_form_warning(doc: yamlio.Document, label: str) -> Diagnostic:
    header = (
        f'apiVersion: {CONFIG_API_VERSION}, kind: {CONFIG_KIND}, '
        f'metadata: {{name: NAME, annotations: {{{LOCAL_CONFIG}: "true"}}}}'
    )
    renames = [f"{old} → {new}" for old, new in _PLAIN_RENAMES.items() if old in doc.data]
    rename = f", and rename {', '.join(renames)} (in the KRM form `namespace` moves every object, as in Kustomize)" if renames else ""
    return warning(
        "plain-config",
        f"{CONFIG_FILE} has no apiVersion/kind: read as the plain form of omegen 0.1; add the header {header}{rename}",
        label,
        doc.line,
        doc.column,
    )


@functools.cache
def schema() -> dict:
    return json.loads((data_dir("schemas") / "omegen" / "Omegen.json").read_text(encoding="utf-8"))


@functools.cache
def _validator():
    return inputschema.validator_for(schema())


@functools.cache
def _plain_validator():
    full = schema()
    properties = {key: full["properties"][key] for key in SETTINGS}
    for old, new in _PLAIN_RENAMES.items():
        properties[old] = full["properties"][new]
    return inputschema.validator_for(
        {"$schema": full["$schema"], "type": "object", "properties": properties, "additionalProperties": False, "$defs": full["$defs"]}
    )
