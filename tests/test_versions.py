"""Version comparison: the seed's dotted-prefix rule and OME's comparison, with the upstream
CompareVersions cases (ome-behaviour.md 2.7)."""

from __future__ import annotations

import pytest

from omegen.resolve.versions import (
    dotted_prefix_match,
    format_version_matches,
    framework_version_matches,
    ome_version_matches,
    parse_ome_version,
)


@pytest.mark.parametrize(
    "required, actual, expected",
    [("1", "1", True), ("1", "1.0", True), ("1", "1.15.4", True), ("1.15", "1.16.0", False), ("1.15", "1.15", True),
     ("1.15", "1.15.4", True), ("1", "10", False), ("1.0.0", "1", True), ("1.0.0", "1.0", True), ("2", "1.9", False),
     ("v2.0.0", "v2.0.0", True), ("4.43", "4.43.0.dev0", True), ("1.0", "1.00", True)],
)
def test_dotted_prefix(required, actual, expected):
    assert dotted_prefix_match(required, actual) is expected


# The upstream CompareVersions / CompareSupportedModelFormats cases (ome-behaviour.md 2.7):
# (runtime version, model version, operator, expected)
OME_VERSION_CASES = [
    ("1.0.0", "1.0.0", "Equal", True),
    ("1.0.0", "1.0.0", "GreaterThan", False),
    ("2.0.0", "1.0.0", "GreaterThan", True),
    ("1.0.0", "2.0.0", "GreaterThan", False),
    ("1.0.0", "1.0.0", "GreaterThanOrEqual", True),
    ("2.0.0", "1.0.0", "GreaterThanOrEqual", True),
    ("1.0.0", "2.0.0", "GreaterThanOrEqual", False),
    ("1.0.0-dev", "1.0.0-dev", "GreaterThan", True),  # unofficial versions force equality
    ("1.8.0-dev", "1.8.0-alpha", "GreaterThan", False),
    ("1.8.0", "1.7.0", "GreaterThan", True),
    ("1.7.0", "1.7.0", "GreaterThan", False),
    ("1", "1", "Equal", True),
    ("1.0", "1.0.0", "GreaterThan", False),  # precision must match
    ("v1.0.0", "1.0.0", "GreaterThan", False),  # prefix must match
    ("v2.0.0", "v2.0.0", None, True),
    ("1.0", "1.0.0", "Equal", True),
    ("v2.0.0", "2.0.0", "Equal", True),
    ("4.43.0.dev0", "4.43.0.dev0", "Equal", True),
    ("4.43.0.dev0", "4.43.0", "Equal", False),
    ("01.0", "1.0", "Equal", False),  # leading zeros do not parse
]


@pytest.mark.parametrize("runtime_v, model_v, op, expected", OME_VERSION_CASES)
def test_ome_version_comparison(runtime_v, model_v, op, expected):
    assert ome_version_matches(runtime_v, model_v, op) is expected


def test_ome_version_parse():
    v = parse_ome_version("4.51.3-SAM-HQ-preview")
    assert (v.major, v.minor, v.patch, v.pre, v.precision) == (4, 51, 3, ("SAM-HQ-preview",), 3)
    assert parse_ome_version("4.43.0.dev0").dev == ("dev0",)
    assert parse_ome_version("4.43.0+build").build == ("build",)
    assert parse_ome_version("v1").prefix == "v"
    assert parse_ome_version("") is None and parse_ome_version("x.1") is None and parse_ome_version("1.0.0+") is None


def test_format_version_uses_prefix_rule_for_equal_and_ome_for_other_operators():
    assert format_version_matches("1", "1.15.4", "Equal")
    assert not format_version_matches("1", "1.15.4", "GreaterThanOrEqual")  # precision differs
    assert format_version_matches("2", "1", "GreaterThan")


def test_framework_version_equal_falls_back_to_text_for_unparseable_versions():
    assert framework_version_matches("2024-rc", "2024-rc")
    assert not framework_version_matches("2024-rc", "2024-rc2")
    assert not framework_version_matches("4", "4.43.1")  # framework versions are equal, not prefixes


@pytest.mark.parametrize(
    "required, actual, expected",
    [("1.²", "1.²", True), ("1.²", "1.2", False), ("١", "1", False), ("v١", "1", False), ("1.1", "1.10", False),
     ("1.10", "1.1", False), ("1", "10.0", False)],
)
def test_dotted_prefix_parts_are_ascii_numbers(required, actual, expected):
    # str.isdigit() accepts "²" (which int() rejects: a crash) and "١" (which int() reads as 1).
    assert dotted_prefix_match(required, actual) is expected
