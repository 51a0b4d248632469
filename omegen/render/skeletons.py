"""omegen's jinja2 skeletons as data: one service's objects are the compiled skeleton with its holes filled.

    objects = render_template("service.yaml.j2", name=..., namespace=..., ...)

`render/templates/*.yaml.j2` stay the one place that says what a workload looks like;
`render/skeletoncompile.py` compiles each once (with jinja2 and the YAML loader) into
`render/templates/skeletons.json`: the template's `{% if %}` tests and `{{ x | tojson }}` holes in
document order, and for each combination of branches the parsed YAML with a hole where each value
goes. A render walks the tests and holes as jinja2 would (so an undefined name fails at the same
line), copies the values as JSON gives them, fills the chosen variant and prunes it: no template
engine and no YAML parser per service. A template whose text differs from the compiled file (an
edit not yet compiled) is compiled when first used, so the output is always the template's.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATE_DIRECTORY = Path(__file__).resolve().parent / "templates"
COMPILED = TEMPLATE_DIRECTORY / "skeletons.json"
TEMPLATES = "omegen/render/templates"  # how a diagnostic names a template
HOLE = "\x00hole"  # in skeletons.json, {HOLE: n} is the n-th hole
# Empty maps that mean something and must survive pruning (`emptyDir: {}`, "all pods" selectors).
MEANINGFUL_EMPTY = frozenset({"emptyDir", "labelSelector", "namespaceSelector", "podSelector", "selector"})

# Where templates are looked up, first match wins (tests put a directory of their own first).
template_directories: list[Path] = [TEMPLATE_DIRECTORY]


class TemplateFailure(Exception):
    """One of omegen's templates failed: a bug in omegen, reported at the template and the service."""

    def __init__(self, template: str, line: int, problem: str):
        super().__init__(f"{template}:{line}: {problem}" if line else f"{template}: {problem}")
        self.template, self.line, self.problem = template, line, problem

    @property
    def where(self) -> str:
        return f"{TEMPLATES}/{self.template}" + (f":{self.line}" if self.line else "")


def problem_of(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class _Hole:
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


class _Undefined:
    """A name or key that is not there: fine for `is defined`, an error once used (StrictUndefined)."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


class _UndefinedError(Exception):
    pass


class _HoleFailure(Exception):
    def __init__(self, index: int):
        self.index = index


_UNSET = object()


class _Skeleton:
    __slots__ = ("name", "program", "holes", "variants")

    def __init__(self, name: str, compiled: dict):
        self.name = name
        self.program = compiled["program"]
        self.holes = [(h["line"], h["expr"]) for h in compiled["holes"]]
        self.variants = {key: ([prepare(doc) for doc in docs], _holes_of(docs)) for key, docs in compiled["variants"].items()}


def _holes_of(value: Any) -> frozenset:
    """The holes a variant writes somewhere."""
    if isinstance(value, dict):
        if len(value) == 1 and HOLE in value:
            return frozenset((value[HOLE],))
        return frozenset().union(*(_holes_of(v) for v in value.values()))
    if isinstance(value, list):
        return frozenset().union(*(_holes_of(v) for v in value))
    return frozenset()


def prepare(value: Any) -> Any:
    """A skeleton from JSON: each {HOLE: n} becomes a hole."""
    if isinstance(value, dict):
        if len(value) == 1 and HOLE in value:
            return _Hole(value[HOLE])
        return {k: prepare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [prepare(v) for v in value]
    return value


@lru_cache(maxsize=1)
def _shipped() -> dict:
    try:
        return json.loads(COMPILED.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


@lru_cache(maxsize=None)
def skeleton(name: str) -> _Skeleton:
    for directory in template_directories:
        path = directory / name
        if path.is_file():
            break
    else:
        raise TemplateFailure(name, 0, f"TemplateNotFound: {name}")
    text = path.read_text(encoding="utf-8")
    compiled = _shipped().get(name) if directory == TEMPLATE_DIRECTORY else None
    if compiled is None or compiled["sha256"] != hashlib.sha256(text.encode("utf-8")).hexdigest():
        from omegen.render import skeletoncompile  # an edited template: compile it now (imports jinja2)

        compiled = skeletoncompile.compile_template(name, text)
    return _Skeleton(name, compiled)


def render_template(template: str, /, **values: Any) -> list[dict]:
    """The objects a template produces (a template may hold several documents), pruned."""
    s = skeleton(template)
    chosen, used, found = _choose(s, values)
    docs, placed = s.variants[chosen]
    filled: list[Any] = [_UNSET] * len(s.holes)
    for index, value in zip(used, found):
        if index in placed:
            filled[index] = value
        else:  # evaluated but written nowhere (a comment): still a value JSON must take, as under jinja2
            _as_json(s, index, value)
    try:
        return [_fill_and_prune(doc, filled, "") for doc in docs]
    except _HoleFailure as failure:
        _as_json(s, failure.index, filled[failure.index])  # JSON's own error, at the hole's line
        raise TemplateFailure(template, s.holes[failure.index][0], problem_of(failure.__cause__)) from failure.__cause__


def _as_json(s: _Skeleton, index: int, value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise TemplateFailure(s.name, s.holes[index][0], problem_of(exc)) from exc


def variant(template: str, /, **values: Any) -> str:
    """Which combination of branches a render takes (tests check that each one is exercised)."""
    return _choose(skeleton(template), values)[0]


def _choose(s: _Skeleton, values: dict) -> tuple[str, list, list]:
    chosen: list[str] = []
    used: list[int] = []
    found: list[Any] = []
    _walk(s, s.program, values, chosen, used, found)
    return ",".join(chosen), used, found


def _walk(s: _Skeleton, program: list, values: dict, chosen: list, used: list, found: list) -> None:
    """Evaluate the tests and holes in document order, as jinja2 renders: the branches taken and
    each hole's value."""
    for item in program:
        if item[0] == "hole":
            line, expr = s.holes[item[1]]
            try:
                value = _evaluate(expr, values)
                if isinstance(value, _Undefined):
                    raise _UndefinedError(value.message)
            except _UndefinedError as exc:
                raise TemplateFailure(s.name, line, f"UndefinedError: {exc}") from None
            used.append(item[1])
            found.append(value)
            continue
        _, ident, branches, otherwise = item
        for index, (test, line, body) in enumerate(branches):
            try:
                taken = _test(test, values)
            except _UndefinedError as exc:
                raise TemplateFailure(s.name, line, f"UndefinedError: {exc}") from None
            if taken:
                chosen.append(f"{ident}={index}")
                _walk(s, body, values, chosen, used, found)
                break
        else:
            chosen.append(f"{ident}={len(branches)}")
            _walk(s, otherwise, values, chosen, used, found)


def _evaluate(expr: list, values: dict) -> Any:
    kind = expr[0]
    if kind == "name":
        if expr[1] in values:
            return values[expr[1]]
        return _Undefined(f"{expr[1]!r} is undefined")
    if kind == "item":
        base = _evaluate(expr[1], values)
        if isinstance(base, _Undefined):
            raise _UndefinedError(base.message)
        key = expr[2]
        try:
            if isinstance(base, dict) or (isinstance(base, (list, tuple)) and isinstance(key, int)):
                return base[key]
        except (LookupError, TypeError):
            pass
        if isinstance(key, str):
            return _Undefined(f"{_type_repr(base)!r} has no attribute {key!r}")
        return _Undefined(f"{_type_repr(base)} has no element {key!r}")
    if kind == "const":
        return expr[1]
    if kind == "list":
        return [_defined(_evaluate(e, values)) for e in expr[1]]
    return {_defined(_evaluate(k, values)): _defined(_evaluate(v, values)) for k, v in expr[1]}


def _defined(value: Any) -> Any:
    if isinstance(value, _Undefined):
        raise _UndefinedError(value.message)
    return value


def _test(test: list, values: dict) -> bool:
    kind = test[0]
    if kind == "not":
        return not _test(test[1], values)
    if kind == "is":
        value = _evaluate(test[2], values)
        if test[1] == "none":
            return value is None
        return isinstance(value, _Undefined) == (test[1] == "undefined")
    return bool(_defined(_evaluate(test[1], values)))


def _type_repr(obj: Any) -> str:
    # jinja2's object_type_repr, so a missing key reads as it did.
    if obj is None:
        return "None"
    cls = type(obj)
    return f"{cls.__name__} object" if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__} object"


def fill_and_prune(node: Any, values: list) -> Any:
    """A skeleton with its holes filled (each value as JSON gives it), pruned."""
    try:
        return _fill_and_prune(node, values, "")
    except _HoleFailure as failure:
        raise failure.__cause__ from None


def _fill_and_prune(node: Any, values: list, key: str) -> Any:
    kind = type(node)
    if kind is _Hole:
        try:
            return _json_pruned(values[node.index], key)
        except (TypeError, ValueError, RecursionError) as exc:
            raise _HoleFailure(node.index) from exc
    if kind is dict:
        out = {}
        for k, v in node.items():
            v = _fill_and_prune(v, values, k)
            if v is None or (type(v) is list and not v) or (type(v) is dict and not v and k not in MEANINGFUL_EMPTY):
                continue
            out[k] = v
        return out
    if kind is list:
        return [_fill_and_prune(v, values, key) for v in node if v is not None]
    return node


_SCALARS = (str, int, float, bool, type(None))


def _json_pruned(value: Any, key: str) -> Any:
    """prune(json.loads(json.dumps(value, sort_keys=True))) in one pass, keeping the value's own
    strings: the rendered objects share them with the sources instead of each holding copies
    (a third of a large build's memory). Anything but plain str-keyed dicts, lists, tuples and
    scalars takes the JSON round trip itself, so its result (or its error) is exactly JSON's."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        if not all(type(k) is str for k in value):
            return prune(json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False)), key)
        out = {}
        for k in sorted(value):
            v = _json_pruned(value[k], k)
            if v is None or (type(v) is list and not v) or (type(v) is dict and not v and k not in MEANINGFUL_EMPTY):
                continue
            out[k] = v
        return out
    if kind is list or kind is tuple:
        return [_json_pruned(v, key) for v in value if v is not None]
    return prune(json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False)), key)


def prune(value: Any, key: str = "") -> Any:
    """Drop None, empty lists and empty maps (except the meaningful ones), recursively."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = prune(v, k)
            if v is None or (isinstance(v, list) and not v) or (isinstance(v, dict) and not v and k not in MEANINGFUL_EMPTY):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [prune(v, key) for v in value if v is not None]
    return value
