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
from typing import TYPE_CHECKING, Any, Iterator

try:  # answers "valid?" in microseconds; the pure-Python jsonschema finds and words the errors
    import jsonschema_rs as _rs
except ImportError:  # pragma: no cover - the wheel is a dependency, the fallback is jsonschema alone
    _rs = None

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

from omegen import api
from omegen.errors import Diagnostic, error
from omegen.kube import freeform
from omegen.resources import data_dir
from omegen.yamlio import Document, format_source_path

UNKNOWN_FIELD = "unknown-field"
INVALID_FIELD = "invalid-field"

DEFAULT_KUBERNETES_VERSION = api.Config().kubernetes_version
_MAX_SHOWN = 40  # characters of a bad string value quoted in a message

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
        for rank, path, unknown, message in _explain(err):
            field = format_source_path(path)
            line, column = doc.mark(path)
            found = error(UNKNOWN_FIELD if unknown else INVALID_FIELD, message, file, line, column, field)
            # One diagnostic per field: a wrong type also fails the enum, report the type.
            if field not in best or (rank, found.message) < (best[field][0], best[field][1].message):
                best[field] = (rank, found)
    return sorted((d for _, d in best.values()), key=lambda d: (d.line, d.column, d.field, d.message))


# Kubernetes Container fields: written on a component instead of its runner, they are a misplaced
# runner field, not a typo of a component field (`resources` is not `resourceClaims`).
CONTAINER_FIELDS = frozenset(
    {
        "args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports",
        "readinessProbe", "resizePolicy", "resources", "securityContext", "startupProbe", "stdin", "stdinOnce",
        "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir",
    }
)


def _explain(err: ValidationError) -> Iterator[tuple[int, tuple, bool, str]]:
    """(rank, field path, whether the field is unknown, message) for one jsonschema error; lower rank
    is more telling."""
    path = tuple(err.absolute_path)
    where = format_source_path(path) or "document"
    kind, expected, value = err.validator, err.validator_value, err.instance

    if kind == "additionalProperties" and expected is False and isinstance(value, dict):
        known = list(err.schema.get("properties", {}))
        for key in sorted(set(value) - set(known), key=str):
            full = format_source_path(path + (key,))
            message = f'unknown field "{key}" at {full}'
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
            if "runner" in known and key in CONTAINER_FIELDS:
                # A container field one level too high (`engine.resources`): it belongs to the runner.
                message += f' (did you mean "{format_source_path(path + ("runner", key))}"?)'
            elif close:
                message += f' (did you mean "{close[0]}"?)'
            yield 0, path + (key,), True, message
    elif kind == "required":
        for name in expected:
            if isinstance(value, dict) and name not in value:
                yield 2, path + (name,), False, f"{format_source_path(path + (name,))}: missing required field"
    elif kind == "type":
        types = " or ".join(_non_null(expected))
        yield 0, path, False, f"{where}: expected {types}, got {_describe(value)}"
    elif kind == "enum":
        choices = ", ".join(str(choice) for choice in expected)
        yield 1, path, False, f"{where}: expected one of {choices}, got {_describe(value)}"
    elif kind == "const":
        yield 1, path, False, f"{where}: expected {json.dumps(expected)}, got {_describe(value)}"
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        noun = " or ".join(_as_list(err.schema.get("type", "a value")))
        yield 3, path, False, f"{where}: expected {noun} {op} {expected}, got {value}"
    elif kind == "minLength" and expected == 1:
        yield 3, path, False, f"{where}: expected a non-empty string"
    elif err.context:
        # anyOf/oneOf: a branch the value has the wrong type for says little; explain the closest
        # of the others, or, when no branch has the right type, list the types.
        wrong_type = {e.relative_schema_path[0] for e in err.context if e.validator == "type" and not e.path}
        others = [e for e in err.context if e.relative_schema_path[0] not in wrong_type]
        if others:
            from jsonschema.exceptions import best_match

            yield from _explain(best_match(others))
        else:
            types = sorted({t for e in err.context if e.validator == "type" for t in _non_null(e.validator_value)})
            yield 0, path, False, f"{where}: expected {' or '.join(types)}, got {_describe(value)}"
    else:
        yield 4, path, False, f"{where}: {err.message.splitlines()[0]}"


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
