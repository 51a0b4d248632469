"""Version comparison for `supportedModelFormats`: the seed's dotted-prefix rule and OME's own.

`format_version_matches` and `framework_version_matches` decide whether a runtime's required version
accepts a model's version; the support rules (`omegen.resolve.support`) call them. Choices the design leaves
open, made here (tests pin each one):
- Format version with operator `Equal` (the default) is the dotted-prefix rule; a model version
  with fewer parts is read as if padded with `.0` (`"1.0.0"` accepts a model at `1`, as OME's
  `1.0 == 1.0.0`). `GreaterThan`/`GreaterThanOrEqual` use OME's comparison exactly (same
  precision and `v` prefix required; pre/build/dev parts force equality), runtime version
  against the model's.
- Framework version: OME's comparison for every operator; `Equal` falls back to string
  equality when either side is not a version OME can parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

EQUAL = "Equal"
GREATER_THAN = "GreaterThan"
GREATER_THAN_OR_EQUAL = "GreaterThanOrEqual"


def dotted_prefix_match(required: str, actual: str) -> bool:
    """The seed's rule: `"1"` matches `1`, `1.0`, `1.15.4`; `"1.15"` does not match `1.16.0`.

    Parts compare numerically when both are ASCII digits, else as text; a leading `v` is ignored on
    both sides. A model version with fewer parts is read as padded with zeros, so `"1.0.0"`
    matches `1` (as OME's Equal does).
    """
    want = _strip_v(required).split(".")
    have = _strip_v(actual).split(".")
    for i, part in enumerate(want):
        other = have[i] if i < len(have) else "0"
        if _is_number(part) and _is_number(other):
            if int(part) != int(other):
                return False
        elif part != other:
            return False
    return True


def _is_number(part: str) -> bool:
    # Not str.isdigit(): it accepts "²", which int() rejects, and "١", which int() reads as 1.
    return part.isascii() and part.isdigit()


def _strip_v(text: str) -> str:
    text = text.strip()
    return text[1:] if len(text) > 1 and text[0] in "vV" and _is_number(text[1]) else text


@dataclass(frozen=True)
class OmeVersion:
    """OME's `pkg/modelver` version: `v1`, `1.12`, `4.43.0.dev0`, `4.51.3-SAM-HQ-preview`, `4.43.0+build`."""

    major: int
    minor: int
    patch: int
    prefix: str
    precision: int
    pre: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    dev: tuple[str, ...] = ()

    @property
    def unofficial(self) -> bool:
        return bool(self.pre or self.build or self.dev)


_NUMERIC = re.compile(r"0|[1-9][0-9]*")


def parse_ome_version(text: str) -> Optional[OmeVersion]:
    """Parse as OME does; None where OME's parser returns an error."""
    if not text:
        return None
    parts = text.split(".", 2)
    precision = len(parts)
    major_text = parts[0]
    prefix = ""
    if major_text.startswith("v"):
        prefix, major_text = "v", major_text[1:]
    minor_text = parts[1] if precision > 1 else "0"
    patch_text = parts[2] if precision > 2 else "0"
    build: list[str] = []
    pre: list[str] = []
    dev: list[str] = []
    if "+" in patch_text:
        patch_text, rest = patch_text.split("+", 1)
        build = rest.split(".")
    if "-" in patch_text:
        patch_text, rest = patch_text.split("-", 1)
        pre = rest.split(".")
    if "." in patch_text:
        patch_text, rest = patch_text.split(".", 1)
        dev = rest.split(".")
    if not all(_NUMERIC.fullmatch(n) for n in (major_text, minor_text, patch_text)):
        return None
    if any(part == "" for part in build + pre + dev):
        return None
    return OmeVersion(int(major_text), int(minor_text), int(patch_text), prefix, precision, tuple(pre), tuple(build), tuple(dev))


def _compare_ome(a: OmeVersion, b: OmeVersion) -> int:
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if x != y:
            return 1 if x > y else -1
    for xs, ys in ((a.pre, b.pre), (a.build, b.build), (a.dev, b.dev)):
        for x, y in zip(xs, ys):
            if x != y:
                return 1 if x > y else -1
        if len(xs) != len(ys):
            return 1 if len(xs) > len(ys) else -1
    return 0


def ome_version_matches(runtime_version: str, model_version: str, operator: Optional[str]) -> bool:
    """OME's `compareModelFormatVersions`: the runtime's version against the model's."""
    model_v = parse_ome_version(model_version)
    runtime_v = parse_ome_version(runtime_version)
    if model_v is None or runtime_v is None:
        return False
    op = operator or EQUAL
    if model_v.unofficial or runtime_v.unofficial or op == EQUAL:
        return _compare_ome(runtime_v, model_v) == 0
    if model_v.precision != runtime_v.precision or model_v.prefix != runtime_v.prefix:
        return False
    cmp = _compare_ome(runtime_v, model_v)
    if op == GREATER_THAN:
        return cmp > 0
    if op == GREATER_THAN_OR_EQUAL:
        return cmp >= 0
    return cmp == 0  # unknown operators behave as Equal, as in OME


def format_version_matches(runtime_version: str, model_version: str, operator: Optional[str] = EQUAL) -> bool:
    if operator in (None, "", EQUAL):
        return dotted_prefix_match(runtime_version, model_version)
    return ome_version_matches(runtime_version, model_version, operator)


def framework_version_matches(runtime_version: str, model_version: str, operator: Optional[str] = EQUAL) -> bool:
    if ome_version_matches(runtime_version, model_version, operator):
        return True
    if operator in (None, "", EQUAL) and (parse_ome_version(runtime_version) is None or parse_ome_version(model_version) is None):
        return runtime_version.strip() == model_version.strip()
    return False
