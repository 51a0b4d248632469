"""How a JSON Schema finding is worded: the one explainer for input sources, `omegen.yaml` and output
objects.

A finding is (path, keyword, the schema holding the keyword, the instance, the library's message).
`explain` turns it into `SchemaFinding`s: the field path, what is wrong (without the path: each caller
puts the path in front, `engine.replicas: expected integer, got string "2"`, the way its other
messages name a field), a rank for choosing the most telling of several findings at one field, and
whether the field is unknown. `explain_error` reads a pure-Python `jsonschema` error, whose
`anyOf`/`oneOf` branches it can explain one by one; jsonschema-rs errors are read by their caller
(`kube/schemas.py`) into the same five values.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Optional

from omegen.safeget import as_dict
from omegen.yamlio import format_source_path

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# Ranks: lower is more telling. A wrong type also fails the enum of the field: report the type.
UNKNOWN, TYPE, CHOICE, MISSING, BOUND, OTHER = 0, 0, 1, 2, 3, 4

_MAX_SHOWN = 40  # characters of a string value quoted in a message

# Kubernetes Container fields: written on a component instead of its runner, they are a misplaced
# runner field, not a typo of a component field (`resources` is not `resourceClaims`).
CONTAINER_FIELDS = frozenset(
    {
        "args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports",
        "readinessProbe", "resizePolicy", "resources", "securityContext", "startupProbe", "stdin", "stdinOnce",
        "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir",
    }
)

_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}


@dataclass(frozen=True)
class SchemaFinding:
    """One worded schema finding: `message` says what is wrong at `path`, without naming the path."""

    path: tuple
    message: str
    rank: int = OTHER
    unknown: bool = False  # an unknown field (code unknown-field rather than invalid-field)


def explain(path: tuple, keyword: str, schema: Any, instance: Any, fallback: str, branches: Iterable[ValidationError] = ()) -> list[SchemaFinding]:
    """The findings of one schema error. `schema` is the (sub)schema that holds `keyword`;
    `branches` are the errors of an `anyOf`/`oneOf`'s branches when the library gives them."""
    path = tuple(path)
    schema = as_dict(schema)
    expected = schema.get(keyword)
    if keyword == "additionalProperties" and expected is False and isinstance(instance, dict):
        found = [_unknown(path, key, list(as_dict(schema.get("properties")))) for key in sorted(instance, key=str)]
        found = [finding for finding in found if finding]
        if found:
            return found
    elif keyword == "required" and isinstance(instance, dict) and isinstance(expected, list):
        missing = [name for name in expected if name not in instance]
        if missing:
            return [SchemaFinding(path + (name,), "missing required field", MISSING) for name in missing]
    elif keyword == "type":
        return [SchemaFinding(path, expect(" or ".join(_non_null(expected)), instance), TYPE)]
    elif keyword == "enum" and isinstance(expected, list):
        choices = ", ".join(choice if isinstance(choice, str) else show(choice) for choice in expected)
        return [SchemaFinding(path, expect(f"one of {choices}", instance), CHOICE)]
    elif keyword == "const":
        return [SchemaFinding(path, expect(show(expected), instance), CHOICE)]
    elif keyword in _BOUNDS:
        noun = " or ".join(_non_null(schema.get("type", "a value")))
        return [SchemaFinding(path, f"expected {noun} {_BOUNDS[keyword]} {expected}, got {show(instance)}", BOUND)]
    elif keyword == "minLength" and expected == 1:
        return [SchemaFinding(path, "expected a non-empty string", BOUND)]
    elif keyword == "pattern" and isinstance(schema.get("title"), str):
        # A schema's title names what its pattern means (a resource quantity), better than the regex.
        return [SchemaFinding(path, expect(schema["title"], instance), BOUND)]
    elif keyword in ("anyOf", "oneOf"):
        found = _explain_branches(path, expected, instance, list(branches))
        if found:
            return found
    return [SchemaFinding(path, " ".join(str(fallback).split()), OTHER)]


def explain_error(err: ValidationError) -> list[SchemaFinding]:
    """The findings of a pure-Python jsonschema error."""
    return explain(tuple(err.absolute_path), str(err.validator), err.schema, err.instance, err.message, err.context or ())


def expect(expected: str, instance: Any) -> str:
    """`expected <what>, got <the value>`: every "wrong value" message is worded so."""
    return f"expected {expected}, got {describe(instance)}"


def describe(value: Any) -> str:
    """A value as a message names it: its JSON type, then scalars as JSON (`string "x"`,
    `integer 10`, `null`); a mapping or list by its type alone, the line shows where it is."""
    if value is None:
        return "null"
    kind = json_type(value)
    if isinstance(value, (dict, list)) or kind not in ("boolean", "integer", "number", "string"):
        return kind
    if isinstance(value, str) and len(value) > _MAX_SHOWN:
        value = value[: _MAX_SHOWN - 3] + "..."
    return f"{kind} {json.dumps(value)}"


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"), (dict, "object"))


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    for cls, name in _JSON_TYPES:
        if isinstance(value, cls):
            return name
    return type(value).__name__


def show(value: Any, limit: int = 60) -> str:
    """A value as compact JSON on one line, shortened when long."""
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unknown(path: tuple, key: Any, known: list) -> Optional[SchemaFinding]:
    if key in known:
        return None
    message = "unknown field"
    if "runner" in known and key in CONTAINER_FIELDS:
        # A container field one level too high (`engine.resources`): it belongs to the runner.
        message += f' (did you mean "{format_source_path(path + ("runner", key))}"?)'
    else:
        close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.75)
        if close:
            message += f' (did you mean "{close[0]}"?)'
    return SchemaFinding(path + (key,), message, UNKNOWN, unknown=True)


def _explain_branches(path: tuple, branches: Any, instance: Any, errors: list) -> list[SchemaFinding]:
    """anyOf/oneOf: a branch the value has the wrong type for says little. When every branch only
    constrains the type, or every branch failed on the type, list the types; otherwise explain the
    closest branch of the right type (when the library gave the branches' errors)."""
    types = _branch_types(branches)
    if types is not None:
        return [SchemaFinding(path, expect(" or ".join(_non_null(types)), instance), TYPE)]
    if not errors:
        return []
    wrong_type = {e.relative_schema_path[0] for e in errors if e.validator == "type" and not e.path}
    others = [e for e in errors if e.relative_schema_path[0] not in wrong_type]
    if others:
        from jsonschema.exceptions import best_match

        return explain_error(best_match(others))
    types = sorted({t for e in errors if e.validator == "type" for t in _non_null(e.validator_value)})
    return [SchemaFinding(path, expect(" or ".join(types), instance), TYPE)]


def _branch_types(branches: Any) -> Optional[list[str]]:
    """The union of types when every `oneOf`/`anyOf` branch only constrains the type."""
    if not isinstance(branches, list) or not branches:
        return None
    types: list[str] = []
    for branch in branches:
        if not isinstance(branch, dict) or "type" not in branch:
            return None
        if set(branch) - {"type", "description", "x-kubernetes-int-or-string"}:
            return None
        for t in _as_list(branch["type"]):
            if t not in types:
                types.append(t)
    return types


def _as_list(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def _non_null(types: Any) -> list:
    # Kubernetes types accept null (a patch's null deletes a value); "expected object or null, got
    # integer 10" would suggest null is what to write.
    return [t for t in _as_list(types) if t != "null"] or ["null"]
