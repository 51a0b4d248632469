"""Accelerator-class policies over the classes' static facts, as OME's
`pkg/acceleratorclassselector/policy_helpers.go` and `selector.go` compute them (read at the
commit the README names; no code copied).

`eligible` is `meetsRequirements` (the constraints as hard filters); `pick` is the policy:
BestFit (`selectBestFit`: 70% memory fit, 30% compute), Cheapest (`selectCheapest`: hourly cost,
then per-million-tokens, then tier), MostCapable (`selectMostCapable`: 50% memory, 30% bandwidth,
20% TFLOPS, each against the best candidate), FirstAvailable (the first candidate in the
runtime's list). Scores are float64 arithmetic in OME's order of operations, so ties fall as in
OME; where OME's sort is unstable (`sort.Slice`) the runtime's order breaks a tie here.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Optional

from omegen.kube.quantity import quantity

BEST_FIT, CHEAPEST, MOST_CAPABLE, FIRST_AVAILABLE = "BestFit", "Cheapest", "MostCapable", "FirstAvailable"
_GIB = 1024 * 1024 * 1024
_TIERS = {"low": 1, "medium": 2, "high": 3}  # tierToNumeric; anything else counts as medium


def _value(raw) -> Optional[int]:
    """resource.Quantity.Value(): the amount rounded up to an integer; None when unset or unreadable."""
    amount = quantity(raw) if raw is not None else None
    return None if amount is None else int(math.ceil(amount))


def _capabilities(spec: dict) -> dict:
    return spec.get("capabilities") if isinstance(spec.get("capabilities"), dict) else {}


def memory_gib(spec: dict) -> Optional[int]:
    """`capabilities.memoryGB` as OME reads it: a quantity in bytes, divided by 1Gi (so `80Gi` is
    80 and a bare `80` is 0: 80 bytes)."""
    value = _value(_capabilities(spec).get("memoryGB"))
    if value is None:
        return None
    return value // _GIB if value >= 0 else -(-value // _GIB)  # Go's integer division truncates


def _memory_float(spec: dict) -> float:
    value = _value(_capabilities(spec).get("memoryGB"))
    return float(value) / _GIB if value is not None else 0.0


def eligible(name: str, spec: dict, constraints: dict) -> Optional[str]:
    """None when the class meets the constraints (`meetsRequirements`), else why not."""
    if name in (constraints.get("excludedClasses") or []):
        return "explicitly excluded (constraints.excludedClasses)"
    families = constraints.get("architectureFamilies") or []
    if families:
        family = str(spec.get("family") or "").lower()
        vendor_family = f"{str(spec.get('vendor') or '').lower()}-{family}"
        if not any(str(f).lower() == (vendor_family if "-" in str(f) else family) for f in families):
            return f"architecture family {family or '(none)'} not in constraints.architectureFamilies"
    low, high = constraints.get("minMemory"), constraints.get("maxMemory")
    if low is not None or high is not None:
        memory = memory_gib(spec)
        if memory is None:
            return "no capabilities.memoryGB for the memory constraints"
        if low is not None and memory < low:
            return f"memory {memory}GB < required {low}GB (constraints.minMemory)"
        if high is not None and memory > high:
            return f"memory {memory}GB > max allowed {high}GB (constraints.maxMemory)"
    features = {str(f).lower() for f in _capabilities(spec).get("features") or []}
    for required in constraints.get("requiredFeatures") or []:
        if str(required).lower() not in features:
            return f"missing required feature {required} (constraints.requiredFeatures)"
    minimum = constraints.get("minArchitectureVersion")
    if minimum is not None:
        have = _capabilities(spec).get("computeCapability")
        if not have:
            return "no capabilities.computeCapability for constraints.minArchitectureVersion"
        if str(have) < str(minimum):  # OME compares the strings, as "7.5" < "8.0"
            return f"compute capability {have} < required {minimum} (constraints.minArchitectureVersion)"
    return None


def _tflops(spec: dict, precision: str) -> int:
    perf = _capabilities(spec).get("performance")
    if not isinstance(perf, dict):
        return 0
    key = {"fp32": "fp32Tflops", "fp16": "fp16Tflops", "int8": "int8Tops", "fp8": "int8Tops", "int4": "int4Tops"}.get(precision.lower())
    value = perf.get(key) if key else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _max_tflops(spec: dict) -> int:
    return max([0] + [_tflops(spec, p) for p in ("fp32", "fp16", "int8", "int4")])


def _tflops_score(tflops: int, required: int) -> float:
    if tflops == 0:
        return 0.0
    if required == 0:
        return 1.0
    ratio = float(tflops) / float(required)
    return 1.0 if ratio >= 1.0 else ratio


def _compute_score(spec: dict, constraints: dict) -> float:
    """calculateComputePerformanceTFLOPSScore: preferred precisions in order, halving for each miss,
    fp16 as the last fallback."""
    if not isinstance(_capabilities(spec).get("performance"), dict):
        return 0.0
    required = constraints.get("minComputePerformanceTFLOPS") or 0
    precisions = [str(p) for p in constraints.get("preferredPrecisions") or []]
    if not precisions:
        return _tflops_score(_max_tflops(spec), required)
    penalty = 1.0
    for precision in precisions:
        tflops = _tflops(spec, precision)
        if tflops > 0:
            return _tflops_score(tflops, required) * penalty
        penalty *= 0.5
    if "fp16" not in [p.lower() for p in precisions]:
        tflops = _tflops(spec, "fp16")
        if tflops > 0:
            return _tflops_score(tflops, required) * penalty
    return 0.0


def _memory_fit(spec: dict, constraints: dict) -> float:
    required = constraints.get("minMemory")
    if required is None:
        return 1.0
    if _value(_capabilities(spec).get("memoryGB")) is None:
        return 0.0
    have, want = _memory_float(spec), float(required)
    if have < want:
        return 0.0
    return 1.0 if have == want else 1.0 / (have / want)


def best_fit_score(spec: dict, constraints: dict) -> float:
    return 0.70 * _memory_fit(spec, constraints) + 0.30 * _compute_score(spec, constraints)


def _raw(spec: dict, precisions: list[str]) -> tuple[float, float, float]:
    tflops = float(_tflops(spec, precisions[0] if precisions else "fp16"))
    if tflops == 0.0:
        tflops = next((float(t) for p in precisions[1:] if (t := _tflops(spec, p)) > 0), tflops)
    bandwidth = _value(_capabilities(spec).get("memoryBandwidthGBps"))
    return tflops, _memory_float(spec), float(bandwidth) if bandwidth is not None else 0.0


def capability_scores(specs: list[dict], precisions: list[str]) -> list[float]:
    """calculateCapabilityScore of each candidate, against the candidates' maxima."""
    raws = [_raw(spec, precisions) for spec in specs]
    tops = [max([0.0] + [r[i] for r in raws]) for i in range(3)]
    scores = []
    for tflops, memory, bandwidth in raws:
        norm = [value / top if top > 0 else 0.0 for value, top in zip((tflops, memory, bandwidth), tops)]
        scores.append(0.5 * norm[1] + 0.3 * norm[2] + 0.2 * norm[0])
    return scores


def _cost(spec: dict, *keys: str) -> Optional[Decimal]:
    cost = spec.get("cost") if isinstance(spec.get("cost"), dict) else {}
    for key in keys:
        if cost.get(key) is not None:
            return quantity(cost[key])
    return None


def cheapest(candidates: list[tuple[str, dict]]) -> tuple[Optional[str], dict]:
    """selectCheapest: (the pick, each candidate's cost as shown) from the first group any candidate
    has: hourly (spotPerHour, else perHour), per million tokens, tier."""
    groups = (
        ("per hour", lambda s: _cost(s, "spotPerHour", "perHour")),
        ("per million tokens", lambda s: _cost(s, "perMillionTokens")),
        ("tier", lambda s: _TIERS.get(str((s.get("cost") or {}).get("tier") or "").lower(), 2) if (s.get("cost") or {}).get("tier") else None),
    )
    for label, cost in groups:
        priced = [(name, cost(spec)) for name, spec in candidates if isinstance(spec.get("cost"), dict) and cost(spec) is not None]
        if priced:
            best = priced[0]
            for item in priced[1:]:
                if item[1] < best[1]:
                    best = item
            return best[0], {name: f"{label} {value}" for name, value in priced}
    return None, {}
