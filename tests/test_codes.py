"""The diagnostic code registry (omegen/codes.py) against the package and docs/diagnostics.md.

The package is scanned, not run: every call of a function, method or class that takes a `code`
parameter (`errors.error`, `errors.at`, `RenderContext.error`, `object_diagnostic`, `YAMLError`, ...)
has its code argument resolved to a string: a literal, a module constant (its own or imported by
name) or either branch of a conditional. A code passed on unchanged from a parameter is found at the caller; anything else is an
error of this test, so a code cannot slip past it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from omegen import codes

PACKAGE = Path(codes.__file__).resolve().parent
DOCS = PACKAGE.parent / "docs" / "diagnostics.md"


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}


def _positional(args: ast.arguments) -> list[ast.arg]:
    params = list(args.posonlyargs) + list(args.args)
    return params[1:] if params and params[0].arg in ("self", "cls") else params


def _code_takers(trees) -> tuple[dict[str, set[int]], list[tuple[str, str]]]:
    """Callable name → positions of its `code` parameter; plus the string defaults of such parameters."""
    takers: dict[str, set[int]] = {}
    defaults: list[tuple[str, str]] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                params = _positional(node.args)
                names = [p.arg for p in params]
                if "code" in names:
                    takers.setdefault(node.name, set()).add(names.index("code"))
                all_args = list(node.args.posonlyargs) + list(node.args.args)
                for arg, default in zip(all_args[len(all_args) - len(node.args.defaults) :], node.args.defaults):
                    if arg.arg == "code" and isinstance(default, ast.Constant) and isinstance(default.value, str):
                        defaults.append((default.value, f"{path}:{default.lineno}"))
            elif isinstance(node, ast.ClassDef):
                fields = [s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
                init = next((s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
                names = [p.arg for p in _positional(init.args)] if init else fields  # a dataclass's fields
                if "code" in names:
                    takers.setdefault(node.name, set()).add(names.index("code"))
    return takers, defaults


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _string_constants(tree: ast.Module) -> dict[str, str]:
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: Path, tree: ast.Module, takers: dict[str, set[int]], constants: dict[str, dict[str, str]]):
        self.path, self.takers = path, takers
        self.constants = dict(constants[_module_name(path)])
        for node in tree.body:  # constants imported by name from another module of the package
            if isinstance(node, ast.ImportFrom) and node.module in constants:
                for alias in node.names:
                    if alias.name in constants[node.module]:
                        self.constants[alias.asname or alias.name] = constants[node.module][alias.name]
        self.parameters: list[set[str]] = []
        self.used: list[tuple[str, str]] = []
        self.unresolved: list[str] = []

    def visit_FunctionDef(self, node):
        a = node.args
        self.parameters.append({p.arg for p in a.posonlyargs + a.args + a.kwonlyargs})
        self.generic_visit(node)
        self.parameters.pop()

    def visit_Call(self, node):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name in self.takers:
            args = [kw.value for kw in node.keywords if kw.arg == "code"]
            args += [node.args[i] for i in self.takers[name] if i < len(node.args)]
            for arg in args:
                self._resolve(arg, name)
        self.generic_visit(node)

    def _resolve(self, arg, callee):
        where = f"{self.path.relative_to(PACKAGE.parent)}:{arg.lineno}"
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            self.used.append((arg.value, where))
        elif isinstance(arg, ast.Name) and arg.id in self.constants:
            self.used.append((self.constants[arg.id], where))
        elif isinstance(arg, ast.IfExp):
            self._resolve(arg.body, callee)
            self._resolve(arg.orelse, callee)
        elif isinstance(arg, ast.Name) and any(arg.id in params for params in self.parameters):
            pass  # passed on from the caller, whose argument is scanned there
        elif isinstance(arg, ast.Attribute) and arg.attr == "code":
            pass  # re-reporting an exception's code (YAMLError), whose raise is scanned
        else:
            self.unresolved.append(f"{where}: {ast.unparse(arg)} passed to {callee}()")


def used_codes() -> tuple[dict[str, list[str]], list[str]]:
    trees = _trees()
    takers, defaults = _code_takers(trees)
    constants = {_module_name(path): _string_constants(tree) for path, tree in trees.items()}
    used: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for code, where in defaults:
        used.setdefault(code, []).append(where)
    for path, tree in trees.items():
        scanner = _Scanner(path, tree, takers, constants)
        scanner.visit(tree)
        for code, where in scanner.used:
            used.setdefault(code, []).append(where)
        unresolved += scanner.unresolved
    return used, unresolved


def test_every_code_argument_is_a_known_string():
    _, unresolved = used_codes()
    assert unresolved == []


def test_the_scan_finds_the_codes_of_every_stage():
    # The scanner itself must not go blind: one code of each stage, reached through each kind of call.
    used, _ = used_codes()
    for code in ("yaml-syntax", "duplicate-key", "unknown-field", "no-runtime", "priority-clash", "multinode", "output-schema", "output-selector", "stale-output"):
        assert code in used, code


def test_every_code_used_is_registered_and_every_registered_code_is_used():
    used, _ = used_codes()
    missing = {code: places[0] for code, places in used.items() if code not in codes.CODES}
    assert missing == {}, "add these codes to omegen/codes.py"
    assert sorted(set(codes.CODES) - set(used)) == [], "registered but never reported"


def test_a_code_is_registered_once():
    seen = [code for stage in codes.STAGES.values() for code in stage]
    assert len(seen) == len(set(seen))


def test_docs_are_generated_from_the_registry():
    assert DOCS.read_text(encoding="utf-8") == codes.markdown(), "run: python -m omegen.codes > docs/diagnostics.md"
    for code in codes.CODES:
        assert f"| `{code}` |" in DOCS.read_text(encoding="utf-8")
