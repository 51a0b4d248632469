"""Input schemas: check an ome.io source document against its strict JSON Schema.

The schemas (`schemas/ome/<Kind>.json`) accept both dialects (seed and OME) and are strict about
ome.io structure: unknown keys and wrong types are reported here, at the field, before `load`
normalizes anything. Kubernetes-shaped values (containers, volumes, affinity, ...) are only
type-checked; the Kubernetes schemas validate them on the rendered output.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

try:  # answers "valid?" in microseconds; the pure-Python jsonschema finds and words the errors
    import jsonschema_rs as _rs
except ImportError:  # pragma: no cover - the wheel is a dependency, the fallback is jsonschema alone
    _rs = None

from omegen import api
from omegen.errors import Diagnostic, error
from omegen.kube import freeform
from omegen.kube.schemafindings import explain_error
from omegen.resources import data_dir
from omegen.yamlio import Document, format_source_path

UNKNOWN_FIELD = "unknown-field"
INVALID_FIELD = "invalid-field"

DEFAULT_KUBERNETES_VERSION = api.Config().kubernetes_version

# Documents the fast check takes: plain JSON without floats (below), nested at most this deep (the
# pure-Python check of a deeper one may hit the recursion limit, which is reported).
_MAX_FAST_DEPTH = 40
_MAX_FAST_INT = 2**53


@functools.cache
def _python_validator_class():
    """jsonschema's 2020-12 validator where integer means int. YAML's integer is Python's int; JSON
    Schema would also accept 1.0, but a float where Kubernetes wants an int32 is a mistake worth
    naming. Imported on first use: a build whose sources are all valid never needs it."""
    import jsonschema

    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)


def __getattr__(name: str):
    if name == "_Validator":  # the pure-Python validator class, for tests that call it directly
        return _python_validator_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class InputValidator:
    """One input schema. `surely_valid` asks jsonschema-rs, and only about plain JSON without floats
    (the one place its rules differ from ours: it takes 1.0 as an integer) and without non-JSON YAML
    values (dates, binary); `iter_errors` is the pure-Python jsonschema, which decides everything
    else and words every error. tests/test_inputschema.py checks that the two agree."""

    def __init__(self, schema: dict):
        self.schema = schema
        self._fast: Any = None  # compiled on first use; False when jsonschema-rs cannot take it
        self._full: Any = None

    def surely_valid(self, data: Any) -> bool:
        if _rs is None or self._fast is False or not _plain_json(data):
            return False
        if self._fast is None:
            try:
                self._fast = _rs.validator_for(self.schema)
            except Exception:  # noqa: BLE001 - any refusal just means the slow path
                self._fast = False
                return False
        try:
            return bool(self._fast.is_valid(data))
        except (ValueError, TypeError, OverflowError):
            return False

    def iter_errors(self, data: Any):
        if self._full is None:
            self._full = _python_validator_class()(self.schema)
        return self._full.iter_errors(data)


def _plain_json(data: Any) -> bool:
    """dicts with str keys, lists, str, bool, None and ints jsonschema-rs holds exactly, not too deep."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        kind = type(value)
        if kind is dict:
            if depth >= _MAX_FAST_DEPTH:
                return False
            for key, item in value.items():
                if type(key) is not str:
                    return False
                stack.append((item, depth + 1))
        elif kind is list:
            if depth >= _MAX_FAST_DEPTH:
                return False
            stack.extend((item, depth + 1) for item in value)
        elif kind is int:
            if not -_MAX_FAST_INT <= value <= _MAX_FAST_INT:
                return False
        elif not (kind is str or kind is bool or value is None):
            return False  # float, date, bytes, a subclass: the pure-Python check decides
    return True


def schema_file(kind: str) -> Path:
    """The schema of an ome.io kind, inside the installed package or the checkout."""
    if kind not in api.KINDS:
        raise ValueError(f"no input schema for kind {kind!r}")
    return data_dir("schemas") / "ome" / f"{kind}.json"


@functools.cache
def load_schema(kind: str) -> dict:
    return json.loads(schema_file(kind).read_text(encoding="utf-8"))


@functools.cache
def _validator(kind: str, kubernetes_version: str) -> InputValidator:
    # Compiled once per kind: the checks run for every source document. Free-form Kubernetes parts
    # (containers, pod-spec fields) are typed from the Kubernetes definitions (kube/freeform).
    return InputValidator(freeform.enrich(load_schema(kind), kubernetes_version))


def check_document(kind: str, doc: Document, file: str, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> list[Diagnostic]:
    """Every schema violation in `doc` as a positioned diagnostic, one per field, sorted."""
    return check_with(_validator(kind, kubernetes_version), doc, file)


def validator_for(schema: dict) -> InputValidator:
    """A validator with omegen's type rules (an integer is an int) for another input schema."""
    return InputValidator(schema)


def check_with(validator: InputValidator, doc: Document, file: str) -> list[Diagnostic]:
    """`check_document` with a validator of the caller's (omegen.yaml's schema, say)."""
    if validator.surely_valid(doc.data):
        return []
    try:
        errors = list(validator.iter_errors(doc.data))  # yamlio built JSON values only
    except RecursionError:
        return [error("yaml-limit", "document is nested too deeply", file, doc.line, doc.column)]

    best: dict[str, tuple[int, Diagnostic]] = {}
    for err in errors:
        for finding in explain_error(err):
            field = format_source_path(finding.path)
            line, column = doc.mark(finding.path)
            message = f"{field or 'document'}: {finding.message}"
            found = error(UNKNOWN_FIELD if finding.unknown else INVALID_FIELD, message, file, line, column, field)
            # One diagnostic per field: the most telling finding (kube/schemafindings ranks them).
            if field not in best or (finding.rank, found.message) < (best[field][0], best[field][1].message):
                best[field] = (finding.rank, found)
    return sorted((d for _, d in best.values()), key=lambda d: (d.line, d.column, d.field, d.message))
