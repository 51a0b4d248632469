"""Kubernetes resource quantities (`500m`, `1.5Gi`, `8`) read as exact decimals: shared by
rendering (GPU counts, requests and limits) and accelerator-class selection (memory, cost)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

# A Kubernetes resource quantity: a decimal number with a binary (Ki…Ei), decimal (n…E) or
# exponent (e3) suffix. The exponent alternative comes first: `E` alone is exa.
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE])?")
_SUFFIXES = {
    **{s: Decimal(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{s: Decimal(10) ** e for s, e in (("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18))},
}


def quantity(value) -> Optional[Decimal]:
    """The amount a resource quantity (`500m`, `1.5Gi`, `8`, `0.5`) stands for, or None when it is
    not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        amount = Decimal(repr(value))
        return amount if amount.is_finite() else None
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    number, suffix = match.groups()
    if suffix and len(suffix) > 1 and suffix[0] in "eE":
        return Decimal(number).scaleb(int(suffix[1:]))
    return Decimal(number) * _SUFFIXES.get(suffix or "", Decimal(1))
