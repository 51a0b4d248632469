"""Template variables in serving containers: `{{.Name}}`, `{{.Labels.app}}`, `{{index .Annotations "k"}}`.

OME runs the container's JSON through Go's `html/template` with the InferenceService's ObjectMeta
as data. omegen substitutes the same placeholders, but only those, and only where they are:

- `{{.Name}}`, `{{.Namespace}}`, `{{.Labels.key}}`, `{{.Annotations.key}}`,
  `{{index .Labels "key"}}` / ``{{index .Labels `key`}}`` (and the same for `.Annotations`), with
  optional spaces and Go's `{{-`/`-}}` whitespace trimming;
- an action that starts with `.` or `index .` but is not one of these (`{{.UID}}`, `{{.Name | x}}`)
  or names a missing key is an error at that field;
- any other `{{ ... }}` (a Jinja chat template's `{{ system_message }}`, `{% if %}`) is left as it
  is: OME would fail to parse it (ome-behaviour 3), omegen passes it through;
- substituted values are not HTML-escaped (OME's `html/template` turns `&` into `&amp;`).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from omegen.api import InferenceService

_TRIM_SPACE = " \t\r\n"  # Go's trim markers are `{{- ` and ` -}}`: the dash and one of these
_FIELD = re.compile(r"^\.([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")
_INDEX = re.compile(r"^index\s+\.([A-Za-z_][A-Za-z0-9_]*)\s+(?:\"((?:[^\"\\]|\\.)*)\"|`([^`]*)`)$")
_GO_LIKE = re.compile(r"^(?:\.|index\s+\.)")


class TemplateVarError(ValueError):
    pass


def metadata_of(service: InferenceService) -> dict:
    """The data placeholders read: the InferenceService's own metadata."""
    return {
        "Name": service.name,
        "Namespace": service.namespace,
        "Labels": dict(service.labels or {}),
        "Annotations": dict(service.annotations or {}),
    }


def substitute_text(text: str, meta: Mapping) -> str:
    """Replace the placeholders in one string. Raises TemplateVarError naming the bad placeholder."""
    if "{{" not in text:
        return text
    out: list[str] = []
    pos = 0
    trim_next = False
    for start, end, left_trim, body, right_trim in _actions(text):
        if not _GO_LIKE.match(body):
            continue  # not ours: a chat template or other text with braces
        chunk = text[pos:start]
        if trim_next:
            chunk = chunk.lstrip()
        if left_trim:
            chunk = chunk.rstrip()
        out.append(chunk)
        out.append(_evaluate(body, meta, text[start:end]))
        pos = end
        trim_next = right_trim
    rest = text[pos:]
    out.append(rest.lstrip() if trim_next else rest)
    return "".join(out)


def _actions(text: str):
    """Every `{{ ... }}` action, left to right: (start, end, left trim, body, right trim).

    Each ends at the first `}}` after its `{{`, found with `str.find`: linear in the text, where a
    regular expression with lazy `.*?` between two `\\s*` was cubic on a long run of spaces
    after a `{{` that never closes."""
    at = text.find("{{")
    while at != -1:
        end = text.find("}}", at + 2)
        if end == -1:
            return
        inner = text[at + 2 : end]
        left_trim = len(inner) >= 2 and inner[0] == "-" and inner[1] in _TRIM_SPACE
        if left_trim:
            inner = inner[2:]
        inner = inner.lstrip()  # the space before ` -}}` cannot also be the space after `{{`
        right_trim = len(inner) >= 2 and inner[-1] == "-" and inner[-2] in _TRIM_SPACE
        if right_trim:
            inner = inner[:-2]
        yield at, end + 2, left_trim, inner.strip(), right_trim
        at = text.find("{{", end + 2)


def substitute(value: Any, meta: Mapping, on_error: Callable[[str, str], None], path: str = "") -> Any:
    """Substitute in every string of `value` (dict/list tree); returns a new tree.

    `on_error(path, message)` is called for each bad string, whose text is then kept unchanged.
    `path` is the field path of `value` (`engine.runner`), extended as `engine.runner.args[3]`.
    """
    if isinstance(value, str):
        try:
            return substitute_text(value, meta)
        except TemplateVarError as exc:
            on_error(path, str(exc))
            return value
    if isinstance(value, dict):
        return {k: substitute(v, meta, on_error, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, meta, on_error, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _evaluate(body: str, meta: Mapping, written: str) -> str:
    match = _FIELD.fullmatch(body)
    if match:
        field, key = match.groups()
        if field in ("Name", "Namespace") and key is None:
            return str(meta[field])
        if field in ("Labels", "Annotations") and key is not None:
            return _lookup(meta, field, key, written)
        raise TemplateVarError(_unknown(written))
    match = _INDEX.fullmatch(body)
    if match:
        field, double_quoted, back_quoted = match.groups()
        if field not in ("Labels", "Annotations"):
            raise TemplateVarError(_unknown(written))
        key = back_quoted if back_quoted is not None else _unescape(double_quoted)
        return _lookup(meta, field, key, written)
    raise TemplateVarError(
        f"unsupported template expression {written}: omegen substitutes plain placeholders only "
        f"({_SUPPORTED}); pipelines and functions are not evaluated"
    )


def _lookup(meta: Mapping, field: str, key: str, written: str) -> str:
    values = meta.get(field) or {}
    if key not in values:
        what = "label" if field == "Labels" else "annotation"
        raise TemplateVarError(
            f"template variable {written} refers to {what} {key!r}, which InferenceService "
            f"{meta['Namespace']}/{meta['Name']} does not have"
        )
    return str(values[key])


_SUPPORTED = '{{.Name}}, {{.Namespace}}, {{.Labels.key}}, {{.Annotations.key}}, {{index .Labels "key"}}'


def _unknown(written: str) -> str:
    return f"unknown template variable {written}: the InferenceService's metadata offers {_SUPPORTED}"


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)
