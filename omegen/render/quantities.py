"""Kubernetes resource quantities, and the requests and limits the API server refuses, as plain
functions over container resource maps (used by `pods` for GPUs, PARALLELISM_SIZE and its
`resources` errors)."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from omegen.kube.quantity import quantity


def gpu_count(container: dict) -> int:
    """`nvidia.com/gpu` from limits, else requests; 0 when absent or not a whole number (an
    error of `check_resources`). `2`, `"2"`, `2.0` and `"2.0"` are all two GPUs."""
    resources = container.get("resources") or {}
    for section in ("limits", "requests"):
        value = (resources.get(section) or {}).get("nvidia.com/gpu")
        if value is None:
            continue
        amount = quantity(value)
        if amount is None or amount < 0 or amount != amount.to_integral_value():
            return 0
        return int(amount)
    return 0


def _extended(name: str) -> bool:
    """Not a native resource (those have no domain, or a kubernetes.io one): `nvidia.com/gpu`."""
    return "/" in name and "kubernetes.io/" not in name


def _overcommittable(name: str) -> bool:
    """Kubernetes' IsOvercommitAllowed: native resources except huge pages. The others need a
    limit equal to their request."""
    return not _extended(name) and not name.startswith("hugepages-")


def quantity_problems(requests: dict, limits: dict) -> list[str]:
    problems = []
    for section, values in (("requests", requests), ("limits", limits)):
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                continue  # a value of the wrong type is the output schema's error
            amount = quantity(value)
            if amount is None:
                problems.append(f"{section}.{name} {value!r} is not a Kubernetes quantity (e.g. 500m, 16Gi, 8)")
            elif amount < 0:
                problems.append(f"{section}.{name} {value!r} is negative")
            elif _extended(name) and amount != amount.to_integral_value():
                problems.append(f"{section}.{name} {value!r} must be a whole number")
    return problems


def missing_limits(requests: dict, limits: dict) -> list[str]:
    return [
        f"it requests {name} without a limit: Kubernetes needs limits.{name} equal to the request "
        "(or the limit alone, which it copies into the request)"
        for name in requests
        if not _overcommittable(name) and name not in limits
    ]


def request_limit_conflicts(requests: dict, limits: dict) -> list[str]:
    conflicts = []
    for name, value in requests.items():
        request, limit = quantity(value), quantity(limits.get(name))
        if request is None or limit is None:
            continue
        if _overcommittable(name) and request > limit:
            conflicts.append(f"requests.{name} ({value}) exceeds its limit ({limits[name]})")
        elif not _overcommittable(name) and request != limit:
            conflicts.append(f"requests.{name} ({value}) must equal limits.{name} ({limits[name]})")
    return conflicts
