"""Input schemas: check an ome.io source document against its strict JSON Schema.

The schemas (`schemas/ome/<Kind>.json`) accept both dialects (seed and OME) and are strict about
ome.io structure: unknown keys and wrong types are reported here, at the field, before `load`
normalizes anything. Kubernetes-shaped values (containers, volumes, affinity, ...) are only
type-checked; the Kubernetes schemas validate them on the rendered output.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any, Iterator

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from omegen import api
from omegen.errors import Diagnostic, error
from omegen.kube import freeform
from omegen.resources import data_dir
from omegen.yamlio import Document, format_path

UNKNOWN_FIELD = "unknown-field"
INVALID_FIELD = "invalid-field"

DEFAULT_KUBERNETES_VERSION = api.Config().kubernetes_version
_MAX_SHOWN = 40  # characters of a bad string value quoted in a message

# YAML's integer is Python's int; JSON Schema would also accept 1.0 and True would never pass,
# but a float where Kubernetes wants an int32 is a mistake worth naming, so integer means int.
_TYPE_CHECKER = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPE_CHECKER)


def schema_file(kind: str) -> Path:
    """The schema of an ome.io kind, inside the installed package or the checkout."""
    if kind not in api.KINDS:
        raise ValueError(f"no input schema for kind {kind!r}")
    return data_dir("schemas") / "ome" / f"{kind}.json"


@functools.cache
def load_schema(kind: str) -> dict:
    return json.loads(schema_file(kind).read_text(encoding="utf-8"))


@functools.cache
def _validator(kind: str, kubernetes_version: str) -> jsonschema.protocols.Validator:
    # Compiled once per kind: the checks run for every source document. Free-form Kubernetes parts
    # (containers, pod-spec fields) are typed from the Kubernetes definitions (kube/freeform).
    return _Validator(freeform.enrich(load_schema(kind), kubernetes_version))


def check_document(kind: str, doc: Document, file: str, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> list[Diagnostic]:
    """Every schema violation in `doc` as a positioned diagnostic, one per field, sorted."""
    return check_with(_validator(kind, kubernetes_version), doc, file)


def validator_for(schema: dict) -> jsonschema.protocols.Validator:
    """A validator with omegen's type rules (an integer is an int) for another input schema."""
    return _Validator(schema)


def check_with(validator: jsonschema.protocols.Validator, doc: Document, file: str) -> list[Diagnostic]:
    """`check_document` with a validator of the caller's (omegen.yaml's schema, say)."""
    try:
        errors = list(validator.iter_errors(doc.data))  # yamlio built JSON values only
    except RecursionError:
        return [error("yaml-limit", "document is nested too deeply", file, doc.line, doc.column)]

    best: dict[str, tuple[int, Diagnostic]] = {}
    for err in errors:
        for rank, path, code, message in _explain(err):
            field = format_path(path)
            line, column = doc.mark(path)
            found = error(code, message, file, line, column, field)
            # One diagnostic per field: a wrong type also fails the enum, report the type.
            if field not in best or (rank, found.message) < (best[field][0], best[field][1].message):
                best[field] = (rank, found)
    return sorted((d for _, d in best.values()), key=lambda d: (d.line, d.column, d.field, d.message))


def _explain(err: ValidationError) -> Iterator[tuple[int, tuple, str, str]]:
    """(rank, field path, code, message) for one jsonschema error; lower rank is more telling."""
    path = tuple(err.absolute_path)
    where = format_path(path) or "document"
    kind, expected, value = err.validator, err.validator_value, err.instance

    if kind == "additionalProperties" and expected is False and isinstance(value, dict):
        known = list(err.schema.get("properties", {}))
        for key in sorted(set(value) - set(known), key=str):
            full = format_path(path + (key,))
            message = f'unknown field "{key}" at {full}'
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
            if close:
                message += f' (did you mean "{close[0]}"?)'
            yield 0, path + (key,), UNKNOWN_FIELD, message
    elif kind == "required":
        for name in expected:
            if isinstance(value, dict) and name not in value:
                yield 2, path + (name,), INVALID_FIELD, f"{format_path(path + (name,))}: missing required field"
    elif kind == "type":
        types = " or ".join(_non_null(expected))
        yield 0, path, INVALID_FIELD, f"{where}: expected {types}, got {_describe(value)}"
    elif kind == "enum":
        choices = ", ".join(str(choice) for choice in expected)
        yield 1, path, INVALID_FIELD, f"{where}: expected one of {choices}, got {_describe(value)}"
    elif kind == "const":
        yield 1, path, INVALID_FIELD, f"{where}: expected {json.dumps(expected)}, got {_describe(value)}"
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        noun = " or ".join(_as_list(err.schema.get("type", "a value")))
        yield 3, path, INVALID_FIELD, f"{where}: expected {noun} {op} {expected}, got {value}"
    elif kind == "minLength" and expected == 1:
        yield 3, path, INVALID_FIELD, f"{where}: expected a non-empty string"
    elif err.context:
        # anyOf/oneOf: a branch the value has the wrong type for says little; explain the closest
        # of the others, or, when no branch has the right type, list the types.
        wrong_type = {e.relative_schema_path[0] for e in err.context if e.validator == "type" and not e.path}
        others = [e for e in err.context if e.relative_schema_path[0] not in wrong_type]
        if others:
            yield from _explain(best_match(others))
        else:
            types = sorted({t for e in err.context if e.validator == "type" for t in _non_null(e.validator_value)})
            yield 0, path, INVALID_FIELD, f"{where}: expected {' or '.join(types)}, got {_describe(value)}"
    else:
        yield 4, path, INVALID_FIELD, f"{where}: {err.message.splitlines()[0]}"


def _as_list(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value)


def _non_null(types: Any) -> list:
    # Kubernetes types accept null (a patch's null deletes a value); "expected object or null, got
    # integer 10" would suggest null is what to write.
    return [t for t in _as_list(types) if t != "null"] or ["null"]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "..."
        return f"string {json.dumps(shown)}"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__
