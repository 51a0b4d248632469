"""The Argo CD Config Management Plugin's parameters, read from the environment the repo server gives
the `generate` command (gitops-contracts.md §3.2 and §9).

Each parameter (`overlay`, `strict`, `kubernetesVersion`, and the slice: `onlyNamespace`,
`onlySelector`) may arrive three ways; the first that sets it wins:

1. `ARGOCD_APP_PARAMETERS`: the JSON list of the Application's `spec.source.plugin.parameters`
   (`[{"name": "strict", "string": "true"}]`); only parameters the Application sets are in it;
2. `PARAM_<NAME>`: the same parameters, upper-cased with non-alphanumerics as `_`
   (`PARAM_KUBERNETESVERSION`), for when the JSON is absent;
3. `ARGOCD_ENV_OMEGEN_<NAME>`: the Application's `spec.source.plugin.env` entry `OMEGEN_<NAME>`
   (`OMEGEN_OVERLAY`, `OMEGEN_STRICT`, `OMEGEN_KUBERNETES_VERSION`).

The slice parameters take a string or an array: `onlyNamespace` one namespace or several,
comma-separated; `onlySelector` a label selector as `--only-selector` takes it (an array's entries
must all hold). `PARAM_ONLYNAMESPACE_0`, `_1`, … carry an array when the JSON is absent.

Anything not set comes from `omegen.yaml`. `KUBE_VERSION` (the destination cluster's version) is
used only when neither a parameter nor `omegen.yaml` names a Kubernetes version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from omegen.errors import Diagnostic, error
from omegen.load.slices import Slice, SliceError, make_slice

# parameter name → the suffix of its ARGOCD_ENV_OMEGEN_* variable
PARAMETERS = {
    "overlay": "OVERLAY",
    "strict": "STRICT",
    "kubernetesVersion": "KUBERNETES_VERSION",
    "onlyNamespace": "ONLY_NAMESPACE",
    "onlySelector": "ONLY_SELECTOR",
}
_ARRAYS = ("onlyNamespace", "onlySelector")  # parameters that may be an array
_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off", ""}
_OVERLAY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Settings:
    overlay: Optional[str] = None
    strict: Optional[bool] = None
    kubernetes_version: Optional[str] = None
    cluster_version: Optional[str] = None
    source_path: Optional[str] = None  # ARGOCD_APP_SOURCE_PATH: where the app directory sits in the repository
    slice: Slice = Slice()  # onlyNamespace, onlySelector


def param_variable(name: str) -> str:
    """Argo CD's `PARAM_` name for a parameter: upper-cased, anything but [A-Z0-9_] becomes `_`."""
    return "PARAM_" + re.sub(r"[^A-Z0-9_]", "_", name.upper())


def read(env: Mapping[str, str]) -> tuple[Settings, list[Diagnostic]]:
    raw, problems = _raw_values(env)
    values: dict = {}
    slice_values: dict = {"onlyNamespace": [], "onlySelector": []}
    for name, (value, origin) in raw.items():
        if name in _ARRAYS:
            entries = value if isinstance(value, list) else [value]
            if name == "onlyNamespace":  # a string may list several, as a selector's commas do
                entries = [part.strip() for entry in entries for part in entry.split(",")]
            slice_values[name] = [(entry, origin) for entry in entries if entry.strip()]
        elif name == "strict":
            lowered = value.strip().lower()
            if lowered not in _TRUE | _FALSE:
                problems.append(error("invalid-parameter", f"{origin}: strict must be true or false, got {value!r}"))
                continue
            values["strict"] = lowered in _TRUE
        elif name == "overlay":
            if value and not _OVERLAY_NAME.fullmatch(value):
                # A name, not a path: the plugin must never read outside the app's directory.
                problems.append(error("invalid-parameter", f"{origin}: overlay must be the name of a directory under overlays/, got {value!r}"))
                continue
            values["overlay"] = value or None
        else:
            values["kubernetes_version"] = value.strip() or None
    try:
        values["slice"] = make_slice([v for v, _ in slice_values["onlyNamespace"]], [v for v, _ in slice_values["onlySelector"]])
    except SliceError as exc:
        origins = sorted({origin for entries in slice_values.values() for _, origin in entries})
        message = str(exc).replace("--only-namespace", "onlyNamespace").replace("--only-selector", "onlySelector")
        problems.append(error("invalid-parameter", f"{', '.join(origins)}: {message}"))
    cluster = env.get("KUBE_VERSION", "").strip() or None
    source_path = env.get("ARGOCD_APP_SOURCE_PATH", "").strip().strip("/") or None
    return Settings(cluster_version=cluster, source_path=source_path, **values), problems


def repository_root(app: Path, source_path: Optional[str]) -> Path:
    """The checked-out repository: the app directory minus ARGOCD_APP_SOURCE_PATH. The repo server
    ships no .git, so this is how an overlay's `../../base` is known to stay inside it."""
    app = app.resolve()
    parts = [p for p in (source_path or "").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or tuple(app.parts[-len(parts):]) != tuple(parts):
        return app
    return app.parents[len(parts) - 1]


def _raw_values(env: Mapping[str, str]) -> tuple[dict, list[Diagnostic]]:
    """name → (value, where it came from), by the precedence above."""
    found: dict = {}
    problems: list[Diagnostic] = []
    text = env.get("ARGOCD_APP_PARAMETERS", "").strip()
    if text:
        try:
            entries = json.loads(text)
        except ValueError as exc:
            entries = None
            problems.append(error("invalid-parameter", f"ARGOCD_APP_PARAMETERS is not JSON: {exc}"))
        if entries is not None and not isinstance(entries, list):
            problems.append(error("invalid-parameter", "ARGOCD_APP_PARAMETERS must be a JSON list of parameters"))
            entries = []
        for entry in entries or []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if name not in PARAMETERS:
                known = ", ".join(PARAMETERS)
                problems.append(error("unknown-parameter", f"ARGOCD_APP_PARAMETERS: unknown parameter {name!r} (known: {known})"))
                continue
            array = entry.get("array")
            if name in _ARRAYS and isinstance(array, list) and all(isinstance(v, str) for v in array):
                found.setdefault(name, (list(array), f"parameter {name}"))
                continue
            if not isinstance(entry.get("string"), str):
                takes = "a string or an array of strings" if name in _ARRAYS else "a string, not an array or map"
                problems.append(error("invalid-parameter", f"ARGOCD_APP_PARAMETERS: parameter {name!r} takes {takes}"))
                continue
            found.setdefault(name, (entry["string"], f"parameter {name}"))
    for name, suffix in PARAMETERS.items():
        if name not in found and param_variable(name) in env:
            found[name] = (env[param_variable(name)], param_variable(name))
        if name not in found and name in _ARRAYS and f"{param_variable(name)}_0" in env:
            items, i = [], 0
            while f"{param_variable(name)}_{i}" in env:
                items.append(env[f"{param_variable(name)}_{i}"])
                i += 1
            found[name] = (items, f"{param_variable(name)}_0")
        variable = f"ARGOCD_ENV_OMEGEN_{suffix}"
        if name not in found and variable in env:
            found[name] = (env[variable], variable)
    return found, problems


def bad_overlay(message: str) -> Diagnostic:
    return error("invalid-parameter", f"overlay parameter: {message.removeprefix('--overlay ')}")
