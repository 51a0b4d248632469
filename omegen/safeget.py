"""Reading a value whose shape is not trusted (a user's spec, an output object beside its schema check).

Each accessor returns the value when it has the expected type and an empty stand-in (`{}`, `[]`,
None) otherwise, so the caller skips a malformed field instead of raising on it; the input and
output schema checks report the malformed field itself.
"""

from __future__ import annotations

from typing import Any, Optional


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def as_int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def get_in(obj: Any, path: tuple) -> Any:
    """The value at `path` (a tuple of mapping keys), or None when some step is not a mapping."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj
