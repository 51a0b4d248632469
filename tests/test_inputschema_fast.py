"""The input schemas' fast check (jsonschema-rs) agrees with the pure-Python jsonschema on every
document it takes: on the built-in catalog, the golden sources, OME's upstream files, and a
hypothesis fuzz that breaks those documents field by field. A document it declines (floats, YAML
dates, too deep) goes to the pure-Python check, which is what decides and words every error."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omegen import api, yamlio
from omegen.load import inputschema
from omegen.resources import data_dir

from conftest import UPSTREAM_OME

CASES = Path(__file__).resolve().parent / "cases"
VERSION = inputschema.DEFAULT_KUBERNETES_VERSION


def ome_documents(paths) -> list[tuple[str, object]]:
    found = []
    for path in sorted(paths):
        try:
            docs = list(yamlio.load_documents(path.read_text(encoding="utf-8"), positions=False))
        except (yamlio.YAMLError, UnicodeDecodeError):
            continue
        for doc in docs:
            data = doc.data
            if isinstance(data, dict) and data.get("kind") in api.KINDS and str(data.get("apiVersion", "")).startswith("ome.io/"):
                found.append((data["kind"], data))
    return found


def verdicts(kind: str, data) -> tuple[bool, bool]:
    """(fast says valid, pure-Python finds no error)."""
    validator = inputschema._validator(kind, VERSION)
    return validator.surely_valid(data), not any(True for _ in validator.iter_errors(data))


def assert_agree(kind: str, data) -> None:
    fast, full = verdicts(kind, data)
    if inputschema._plain_json(data):
        assert fast == full, f"jsonschema-rs says {'valid' if fast else 'invalid'}, jsonschema the opposite: {data!r}"
    else:
        assert not fast, "a document outside plain JSON is never passed by the fast check"


CATALOG = ome_documents(list(data_dir("runtimes").rglob("*.yaml")) + list(data_dir("models").rglob("*.yaml")))
GOLDEN = ome_documents(CASES.glob("*/src/**/*.yaml"))


def test_the_corpora_are_real():
    assert len(CATALOG) > 20 and len(GOLDEN) > 10
    assert {kind for kind, _ in CATALOG} >= {"ClusterServingRuntime", "ClusterBaseModel"}


@pytest.mark.parametrize("kind, data", CATALOG + GOLDEN, ids=lambda x: x if isinstance(x, str) else "")
def test_fast_check_agrees_on_catalog_and_golden_sources(kind, data):
    assert_agree(kind, data)


def test_the_built_in_catalog_takes_the_fast_path():
    assert all(verdicts(kind, data)[0] for kind, data in CATALOG)


def test_fast_check_agrees_on_upstream(upstream):
    docs = ome_documents(UPSTREAM_OME.rglob("*.yaml"))
    assert len(docs) > 50
    for kind, data in docs:
        assert_agree(kind, data)


def test_declined_documents_go_to_the_pure_python_check():
    kind, data = next((k, d) for k, d in CATALOG if k == "ClusterServingRuntime")
    for odd in (1.0, 0.5, datetime.date(2026, 1, 1), 2**60, b"x"):
        broken = copy.deepcopy(data)
        broken["spec"]["odd"] = odd
        assert not inputschema._plain_json(broken)
        assert verdicts(kind, broken) == (False, False)  # an unknown field, found by jsonschema
    deep: dict = {}
    node = deep
    for _ in range(inputschema._MAX_FAST_DEPTH + 1):
        node["a"] = {}
        node = node["a"]
    assert not inputschema._plain_json(deep)


def test_an_integral_float_where_an_integer_belongs_is_an_error_on_either_path():
    # jsonschema-rs takes 1.0 as an integer, omegen does not: such a document never takes the fast path.
    tried = 0
    for kind, data in CATALOG + GOLDEN:
        for path in paths(data):
            parent, last = at(data, path)
            if last is None or type(parent[last]) is not int:
                continue
            broken = copy.deepcopy(data)
            node, key = at(broken, path)
            node[key] = float(node[key])
            fast, full = verdicts(kind, broken)
            assert not fast
            tried += 1
    assert tried > 20


def at(data, path):
    """(the container holding the value at `path`, its key), or (data, None) for the root."""
    if not path:
        return data, None
    for part in path[:-1]:
        data = data[part]
    return data, path[-1]


# ------------------------------------------------------------------------------------------ fuzz

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([0, 1, -1, 65535, 65536, 2**31, "", "x", "1", "true", "null", "8Gi", "nvidia.com/gpu", "-"]),
    st.text(max_size=6),
    st.lists(st.sampled_from([1, "a", None, {}, []]), max_size=3),
    st.dictionaries(st.sampled_from(["name", "image", "value", "x", "limits"]), st.sampled_from([1, "a", None, {}, []]), max_size=2),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.0, 2.0, 8.0]),  # integral floats: where jsonschema-rs and omegen's rule differ
)


def paths(data, prefix=()):
    """Every path into a document."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths(value, prefix + (i,))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CATALOG + GOLDEN),
    st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(["set", "delete", "add"]), VALUES), min_size=1, max_size=3),
)
def test_fuzz_broken_documents(case, edits):
    kind, original = case
    data = copy.deepcopy(original)
    for pick, action, value in edits:
        targets = [p for p in paths(data) if p]
        if not targets:
            break
        path = targets[pick % len(targets)]
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "set":
            parent[last] = value
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[f"extra{pick % 3}"] = value
        else:
            parent.append(value)
    assert_agree(kind, data)
