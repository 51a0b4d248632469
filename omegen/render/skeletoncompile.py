"""The jinja2 skeletons compiled once into data with holes (what render/skeletons.py fills per service).

    python -m omegen.render.skeletoncompile     # rewrite render/templates/skeletons.json

A skeleton may hold only YAML text, `{{ expression | tojson }}` and `{% if %}`/`{% elif %}`/
`{% else %}`; an expression is a name, `.attr`, `[constant]`, a constant, or a list or dict of those.
No calls, no filters but `tojson`, no attribute that starts with `_`: what is left cannot escape,
so nothing of jinja2 runs while a service renders. Anything else is a `TemplateFailure` at its line.

Compiling walks the template's jinja2 syntax tree, writes the text of every combination of
branches with a placeholder string where each value goes, and parses each with `yamlio`: the
constants are exactly what jinja2 + the YAML loader gave, and each placeholder becomes a hole.
`render_with_jinja` is that text path run with real values, the reference the data path is tested
against (tests/test_skeletons.py). jinja2 is imported here only: a build imports this module only
when a template differs from the compiled file (someone edited it).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes as nodes
import jinja2.sandbox

from omegen import yamlio
from omegen.render.skeletons import (
    COMPILED,
    HOLE,
    TEMPLATE_DIRECTORY,
    TemplateFailure,
    fill_and_prune,
    prepare,
    problem_of,
)

MAX_VARIANTS = 64  # combinations of branches a template may have
_MARK = "\x00omegen-hole:"
_TESTS = ("none", "defined", "undefined")
# A placeholder that is not a whole value: still \x00 in a quoted scalar, JSON's \u0000 in a plain one.
_MARKED = re.compile(r"(?:\x00|\\u0000)omegen-hole:(\d+)")


def sandboxed_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """The environment a skeleton is parsed in (and the reference path renders in): sandboxed, strict
    about undefined names, trailing newline kept."""
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["tojson"] = _reference_tojson
    return env


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return sandboxed_environment(jinja2.PackageLoader("omegen.render", "templates"))


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------ compiling


class _Compiler:
    def __init__(self, name: str):
        self.name = name
        self.holes: list[dict] = []  # {"line", "expr"}
        self.ifs = 0

    def fail(self, node: nodes.Node, problem: str):
        raise TemplateFailure(self.name, getattr(node, "lineno", 0) or 0, problem)

    def program(self, body: list) -> list:
        """The template as a program: text, holes and ifs, in document order."""
        items: list = []
        for node in body:
            if isinstance(node, nodes.Output):
                for part in node.nodes:
                    if isinstance(part, nodes.TemplateData):
                        items.append(["text", part.data])
                    else:
                        items.append(["hole", self.hole(part)])
            elif isinstance(node, nodes.If):
                branches = [[self.test(b.test), b.lineno, self.program(b.body)] for b in [node, *node.elif_]]
                items.append(["if", self.ifs, branches, self.program(node.else_)])
                self.ifs += 1
            else:
                self.fail(node, f"{type(node).__name__} is not allowed in a skeleton: only YAML text, {{{{ value | tojson }}}} and {{% if %}}")
        return items

    def hole(self, node: nodes.Node) -> int:
        if not isinstance(node, nodes.Filter) or node.name != "tojson":
            self.fail(node, "every value in a skeleton is written {{ expression | tojson }}")
        if node.kwargs or node.dyn_args or node.dyn_kwargs or any(not isinstance(a, nodes.Const) for a in node.args):
            self.fail(node, "tojson takes no arguments here but a constant indent")
        self.holes.append({"line": node.lineno, "expr": self.expression(node.node)})
        return len(self.holes) - 1

    def expression(self, node: nodes.Node) -> list:
        if isinstance(node, nodes.Name):
            return ["name", node.name]
        if isinstance(node, nodes.Getattr):
            if node.attr.startswith("_") or hasattr(dict, node.attr):
                self.fail(node, f"attribute {node.attr!r} is not allowed in a skeleton (write [{node.attr!r}] for a key of that name)")
            return ["item", self.expression(node.node), node.attr]
        if isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, nodes.Const) or (isinstance(node.arg.value, str) and node.arg.value.startswith("_")):
                self.fail(node, "a subscript in a skeleton is a constant that does not start with '_'")
            return ["item", self.expression(node.node), node.arg.value]
        if isinstance(node, nodes.Const):
            try:
                json.dumps(node.value)
            except (TypeError, ValueError):
                self.fail(node, f"constant {node.value!r} is not JSON")
            return ["const", node.value]
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return ["list", [self.expression(item) for item in node.items]]
        if isinstance(node, nodes.Dict):
            return ["dict", [[self.expression(p.key), self.expression(p.value)] for p in node.items]]
        self.fail(node, f"{type(node).__name__} is not allowed in a skeleton expression: names, .attr, [constant], constants, lists and dicts only")

    def test(self, node: nodes.Node) -> list:
        if isinstance(node, nodes.Not):
            return ["not", self.test(node.node)]
        if isinstance(node, nodes.Test):
            if node.name not in _TESTS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
                self.fail(node, f"test {node.name!r} is not allowed in a skeleton: only {', '.join(_TESTS)}")
            return ["is", node.name, self.expression(node.node)]
        return ["truthy", self.expression(node)]


def _paths(items: list) -> list[tuple[tuple, list]]:
    """Every (choices, pieces) the program can produce: choices are (if id, branch) pairs in the
    order a render meets them, branch len(branches) meaning none was taken."""
    results: list[tuple[tuple, list]] = [((), [])]
    for item in items:
        if item[0] == "text":
            results = [(c, p + [item[1]]) for c, p in results]
        elif item[0] == "hole":
            results = [(c, p + [json.dumps(f"{_MARK}{item[1]}")]) for c, p in results]
        else:
            _, ident, branches, otherwise = item
            options = [(index, body) for index, (_, _, body) in enumerate(branches)] + [(len(branches), otherwise)]
            results = [
                (c + ((ident, index),) + sub_c, p + sub_p)
                for c, p in results
                for index, body in options
                for sub_c, sub_p in _paths(body)
            ]
        if len(results) > MAX_VARIANTS:
            raise ValueError("too many combinations")
    return results


def _holes_in(value: Any, compiler: _Compiler, holes: set) -> Any:
    """The parsed skeleton with each placeholder string turned into a hole."""
    if isinstance(value, str):
        if value.startswith(_MARK) and value[len(_MARK):].isdigit():
            holes.add(int(value[len(_MARK):]))
            return {HOLE: int(value[len(_MARK):])}
        if _MARKED.search(value):
            line = compiler.holes[int(_MARKED.search(value).group(1))]["line"]
            raise TemplateFailure(compiler.name, line, "a value in a skeleton must be a whole YAML value, not part of a string or a key")
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and _MARKED.search(k):
                raise TemplateFailure(compiler.name, compiler.holes[int(_MARKED.search(k).group(1))]["line"], "a value in a skeleton must be a whole YAML value, not part of a string or a key")
            out[k] = _holes_in(v, compiler, holes)
        return out
    if isinstance(value, list):
        return [_holes_in(v, compiler, holes) for v in value]
    return value


def compile_template(name: str, text: str) -> dict:
    """One template as the data skeletons.py fills. Raises TemplateFailure, at the template's line."""
    compiler = _Compiler(name)
    try:
        tree = environment().parse(text, name, name)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateFailure(name, exc.lineno, problem_of(exc)) from exc
    program = compiler.program(tree.body)
    try:
        paths = _paths(program)
    except ValueError:
        raise TemplateFailure(name, 0, f"more than {MAX_VARIANTS} combinations of branches") from None
    variants = {}
    for choices, pieces in paths:
        try:
            docs = [d.data for d in yamlio.load_documents("".join(pieces), positions=False)]
        except yamlio.YAMLError as exc:
            raise TemplateFailure(name, exc.line, f"its output is not YAML: {exc.message}") from exc
        holes: set = set()
        variants[_key(choices)] = [_holes_in(d, compiler, holes) for d in docs if d is not None]
    return {"sha256": source_hash(text), "program": _strip_text(program), "holes": compiler.holes, "variants": variants}


def _key(choices: tuple) -> str:
    return ",".join(f"{ident}={branch}" for ident, branch in choices)


def _strip_text(items: list) -> list:
    """The program without its text (the variants hold it): what a render walks."""
    out = []
    for item in items:
        if item[0] == "hole":
            out.append(item)
        elif item[0] == "if":
            _, ident, branches, otherwise = item
            out.append(["if", ident, [[test, line, _strip_text(body)] for test, line, body in branches], _strip_text(otherwise)])
    return out


def compile_all(directory: Path = TEMPLATE_DIRECTORY) -> dict:
    return {p.name: compile_template(p.name, p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yaml.j2"))}


def compiled_text(directory: Path = TEMPLATE_DIRECTORY) -> str:
    # Keys in template order, not sorted: it is the order of the rendered objects' keys.
    return json.dumps(compile_all(directory), indent=1, ensure_ascii=True) + "\n"


# ------------------------------------------------------------------------ the reference text path


_reference_values: list = []


@jinja2.pass_context  # a context filter is never run on constants at compile time
def _reference_tojson(_context: Any, value: Any, indent: Any = None) -> str:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    _reference_values.append(json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False)))
    return json.dumps(f"{_MARK}{len(_reference_values) - 1}")


def render_with_jinja(template: str, text: str, /, **values: Any) -> list[dict]:
    """The text path: jinja2 renders the template (values as placeholders), yamlio parses the text,
    the values are put back, then pruned. What the skeletons were, before they were data."""
    _reference_values.clear()
    try:
        rendered = environment().from_string(text).render(**values)
    except Exception as exc:  # noqa: BLE001 - the reference reports whatever the template raises
        raise TemplateFailure(template, 0, problem_of(exc)) from exc
    inserted = list(_reference_values)
    docs = [d.data for d in yamlio.load_documents(rendered, positions=False)]
    return [fill_and_prune(prepare(_as_holes(d)), inserted) for d in docs if d is not None]


def _as_holes(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_MARK):
        return {HOLE: int(value[len(_MARK):])}
    if isinstance(value, dict):
        return {k: _as_holes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_holes(v) for v in value]
    return value


def main() -> int:
    COMPILED.write_text(compiled_text(), encoding="utf-8")
    print(f"wrote {COMPILED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
