"""Kubernetes versions: which minor versions have bundled schemas, and reading a version as written.

The strict Kubernetes JSON Schemas come from the PyPI package `kubernetes-validate`, one directory
per patch release (`v1.33.0-local-strict/`); omegen works in minor versions and uses the newest
patch bundled for each. kube/schemas.py loads and compiles the schemas of the version chosen here.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from importlib import resources
from pathlib import Path
from typing import Optional

_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local-strict$")
_VERSION_TEXT = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")


class UnsupportedVersion(ValueError):
    """A Kubernetes version whose schemas are not bundled."""


@functools.lru_cache(maxsize=None)
def bundle_root():
    # Found without importing kubernetes_validate: its __init__ imports jsonschema and more, which a
    # build whose sources are valid never needs (resources.files would run it).
    spec = importlib.util.find_spec("kubernetes_validate")
    for location in (spec.submodule_search_locations or []) if spec else []:
        root = Path(location) / "kubernetes-json-schema"
        if root.is_dir():
            return root
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")


@functools.lru_cache(maxsize=None)
def _bundled_dirs() -> dict[str, str]:
    """`{"1.33": "v1.33.0-local-strict", ...}`: the newest patch directory of every bundled minor."""
    found: dict[str, tuple] = {}
    for entry in bundle_root().iterdir():
        match = _VERSION_DIR.fullmatch(entry.name)
        if not match:
            continue
        major, minor, patch = (int(x) for x in match.groups())
        key = f"{major}.{minor}"
        if key not in found or patch > found[key][0]:
            found[key] = (patch, entry.name)
    return {key: found[key][1] for key in found}


def bundled_dir(version: str) -> str:
    """The bundle's directory name for a normalized minor version (`"1.33"` → `"v1.33.0-local-strict"`)."""
    return _bundled_dirs()[version]


def supported_versions() -> tuple[str, ...]:
    """The Kubernetes minor versions whose schemas are available, oldest first (`("1.25", ..., "1.37")`)."""
    return tuple(sorted(_bundled_dirs(), key=lambda v: tuple(int(x) for x in v.split("."))))


@functools.lru_cache(maxsize=64)  # called for every object checked; the answer never changes
def normalize_version(text: str) -> str:
    """`"1.33"`, `"v1.33"`, `"1.33.2"` → `"1.33"`; raises `UnsupportedVersion` for anything not bundled."""
    match = _VERSION_TEXT.fullmatch(str(text).strip())
    versions = supported_versions()
    span = f"{versions[0]}–{versions[-1]}" if versions else "none"
    if not match:
        raise UnsupportedVersion(f"Kubernetes version {text!r} is not a version like 1.33 (supported: {span})")
    version = f"{int(match.group(1))}.{int(match.group(2))}"
    if version not in _bundled_dirs():
        raise UnsupportedVersion(
            f"Kubernetes version {version} is not supported: schemas are bundled for {span} "
            "(a newer kubernetes-validate release adds newer versions)"
        )
    return version


def nearest_version(text: str) -> tuple[Optional[str], bool]:
    """The bundled minor version closest to `text` ("1.40.2" → "1.37" when 1.37 is the newest) and
    whether it is exact; (None, False) when `text` is not a version at all."""
    match = _VERSION_TEXT.fullmatch(str(text).strip())
    versions = supported_versions()
    if not match or not versions:
        return None, False
    wanted = (int(match.group(1)), int(match.group(2)))
    numeric = {tuple(int(x) for x in v.split(".")): v for v in versions}
    if wanted in numeric:
        return numeric[wanted], True
    closest = min(numeric, key=lambda v: (abs((v[0] - wanted[0]) * 1000 + v[1] - wanted[1]), v))
    return numeric[closest], False
