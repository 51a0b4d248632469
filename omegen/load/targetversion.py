"""Which Kubernetes version the output is validated for: the one rule, in one place.

In order: an explicit choice (a flag, an Argo CD `kubernetesVersion` parameter) must be a bundled
version; else `omegen.yaml`'s `kubernetesVersion`; else the cluster's version when the front end
knows it (Argo CD's `KUBE_VERSION`), mapped to the nearest bundled version with a warning when
omegen has no schemas for it; else the default.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from omegen.api import Config
from omegen.errors import Diagnostic, error, warning
from omegen.kube.versions import UnsupportedVersion, nearest_version, normalize_version


def choose(config: Config, configured: bool, explicit: Optional[str], cluster: Optional[str]) -> tuple[Config, list[Diagnostic]]:
    """`configured`: omegen.yaml sets kubernetesVersion."""
    if explicit:
        try:
            return replace(config, kubernetes_version=normalize_version(explicit)), []
        except UnsupportedVersion as exc:
            return config, [error("invalid-kubernetes-version", f"kubernetesVersion: {exc}")]
    if configured or not cluster:
        return config, []
    version, exact = nearest_version(cluster)
    if version is None:
        return config, [
            warning("unknown-kubernetes-version", f"cluster version {cluster!r} is not a version; validating for {config.kubernetes_version}")
        ]
    if exact:
        return replace(config, kubernetes_version=version), []
    return replace(config, kubernetes_version=version), [
        warning(
            "nearest-kubernetes-version",
            f"no schemas are bundled for the cluster's Kubernetes {cluster}; validating for the nearest, {version} "
            '(set kubernetesVersion in omegen.yaml to choose)',
        )
    ]
