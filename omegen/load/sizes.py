"""Model parameter sizes (`7B`, `1.5b`, `500M`, `1T`, `135K`, `1000`), parsed exactly.

Decimal arithmetic, never floats: `7.1B` is exactly 7_100_000_000, so bounds compare exactly.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

from omegen.api import Size, SizeRange

_MULTIPLIERS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([KMBTkmbt]?)\s*$")  # ASCII digits only


class SizeError(ValueError):
    pass


def parse_size(value) -> Size:
    """Parse a size written as a string (or a bare YAML number). Raises SizeError with a reason."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SizeError(f"expected a size such as \"7B\", got {type(value).__name__}")
    text = value if isinstance(value, str) else str(value)
    match = _SIZE.match(text)
    if not match:
        raise SizeError(f"invalid size {text!r}: expected a number with an optional suffix K, M, B or T (e.g. \"7B\", \"1.5B\", \"500M\")")
    number, suffix = match.groups()
    return Size(Decimal(number) * _MULTIPLIERS[suffix.upper()], text.strip())


def parse_range(min_value, max_value) -> SizeRange:
    """Either bound may be None; `min > max` is a SizeError."""
    lo: Optional[Size] = parse_size(min_value) if min_value is not None else None
    hi: Optional[Size] = parse_size(max_value) if max_value is not None else None
    if lo is not None and hi is not None and lo.value > hi.value:
        raise SizeError(f"modelSizeRange min {lo.text} is greater than max {hi.text}")
    return SizeRange(lo, hi)
