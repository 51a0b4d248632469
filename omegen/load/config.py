"""`omegen.yaml`: the build's configuration file at the source root. Flags override it."""

from __future__ import annotations

import re
from pathlib import Path

from omegen import yamlio
from omegen.api import Config
from omegen.errors import Diagnostic, error
from omegen.kube.names import DNS1123_LABEL, name_problem
from omegen.kube.schemas import UnsupportedVersion, normalize_version

CONFIG_FILE = "omegen.yaml"

# key → (Config field, expected type, description for messages)
_KEYS = {
    "kubernetesVersion": ("kubernetes_version", str, 'a version string such as "1.33"'),
    "namespace": ("namespace", str, "a namespace name"),
    "builtinRuntimes": ("builtin_runtimes", bool, "true or false"),
    "strict": ("strict", bool, "true or false"),
}
_K8S_VERSION = re.compile(r"^v?1\.\d{1,2}(\.\d+)?$")


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config(), []
    try:
        docs = list(yamlio.load_documents(path.read_text(encoding="utf-8")))
    except yamlio.YAMLError as exc:
        return Config(), [error(exc.code, exc.message, CONFIG_FILE, exc.line, exc.column)]
    except (OSError, UnicodeDecodeError) as exc:
        return Config(), [error("unreadable-file", f"cannot read {CONFIG_FILE}: {exc}", CONFIG_FILE)]
    if len(docs) > 1:  # a second document would otherwise be silently ignored
        return Config(), [error("invalid-config", f"{CONFIG_FILE} must be a single YAML document", CONFIG_FILE, docs[1].line, docs[1].column)]
    doc = docs[0] if docs else None
    if doc is None or doc.data is None:
        return Config(), []
    if not isinstance(doc.data, dict):
        return Config(), [error("invalid-config", f"{CONFIG_FILE} must be a mapping", CONFIG_FILE, doc.line, doc.column)]

    values: dict = {}
    diagnostics: list[Diagnostic] = []
    for key in sorted(doc.data, key=str):
        value = doc.data[key]
        line, column = doc.mark((key,))
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            diagnostics.append(
                error("unknown-field", f"unknown key {key!r} in {CONFIG_FILE} (known keys: {known})", CONFIG_FILE, line, column, str(key))
            )
            continue
        attr, kind, description = _KEYS[key]
        if key == "kubernetesVersion" and isinstance(value, float):
            # Unquoted 1.30 is the number 1.3: refuse to guess which version was meant.
            diagnostics.append(
                error("invalid-field", f'kubernetesVersion: quote the version, e.g. "1.30" (unquoted {value!r} is a number)', CONFIG_FILE, line, column, key)
            )
            continue
        if not isinstance(value, kind):
            diagnostics.append(
                error("invalid-field", f"{key}: expected {description}, got {value!r}", CONFIG_FILE, line, column, key)
            )
            continue
        if key == "kubernetesVersion" and not _K8S_VERSION.match(value):
            diagnostics.append(
                error("invalid-field", f'kubernetesVersion: expected "1.<minor>", got {value!r}', CONFIG_FILE, line, column, key)
            )
            continue
        # Checked here, where it is written, not at every object that would use it.
        problem = None
        if key == "namespace":
            problem = name_problem(value, DNS1123_LABEL, "namespaces")
        elif key == "kubernetesVersion":
            problem = _version_problem(value)
        if problem:
            diagnostics.append(error("invalid-field", f"{key}: {problem}", CONFIG_FILE, line, column, key))
            continue
        values[attr] = value.lstrip("v") if key == "kubernetesVersion" else value
    if "kubernetes_version" in values:
        values["kubernetes_version"] = ".".join(values["kubernetes_version"].split(".")[:2])
    return Config(**values), diagnostics


def _version_problem(value: str):
    try:
        normalize_version(value)
    except UnsupportedVersion as exc:
        return str(exc)
    return None
