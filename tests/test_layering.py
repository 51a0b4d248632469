"""The import rules of ARCHITECTURE.md, read from the source with `ast` (module-level imports and
those inside functions alike):

- the stages run load < resolve < render < overlay < validate < emit, then impact (`omegen diff`'s
  comparison of two finished builds), and a stage imports only earlier stages, itself and the shared
  modules;
- the shared modules (api, sourcepositions, errors, codes, yamlio, yamlsyntax, yamlemit, merge, resources, safeget, stagetimes, kube/, the package's
  own __init__) may be imported by every module and import no stage, no pipeline, no front end;
- pipeline may import the stages, never a front end; the front ends (commands/, __main__) anything;
- only omegen/commands/ imports click; only omegen/yamlio.py imports yaml.

A module that fits none of these is itself a failure: a new file must be given its place here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "omegen"
STAGES = ("load", "resolve", "render", "overlay", "validate", "emit", "impact")
SHARED = frozenset({"api", "sourcepositions", "errors", "codes", "yamlio", "yamlsyntax", "yamlemit", "merge", "resources", "safeget", "stagetimes", "kube", "__init__"})
PIPELINE = frozenset({"pipeline", "cache"})  # the build cache is the pipeline's (it keys and stores whole builds)
FRONT_ENDS = frozenset({"commands", "__main__"})
ONLY_IMPORTED_BY = {"click": "commands/", "yaml": "yamlio.py"}  # third-party package → where it may be imported


@dataclass(frozen=True)
class Import:
    importer: str  # the importing file, relative to the package: "render/service.py"
    line: int
    target: str  # the dotted module imported: "omegen.render.workloads", "yaml"


def layer(module: str) -> str:
    """The layer of `omegen.x.y`: a stage name, "shared", "pipeline" or "front end"."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    if top in STAGES:
        return top
    if top in SHARED:
        return "shared"
    if top in PIPELINE:
        return "pipeline"
    if top in FRONT_ENDS:
        return "front end"
    raise LookupError(f"omegen.{top} has no place in the layering: add it to tests/test_layering.py (and ARCHITECTURE.md)")


def module_name(relative: str) -> str:
    """"render/service.py" → "omegen.render.service"; "kube/__init__.py" → "omegen.kube"."""
    parts = ["omegen", *Path(relative).with_suffix("").parts]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports(relative: str, source: str, package_root: Path = PACKAGE) -> list[Import]:
    """Every import in one file, anywhere in it, as absolute module names. `from omegen import x`
    names the submodule `omegen.x` when there is one, so it is checked as that module."""
    tree = ast.parse(source, filename=relative)
    here = module_name(relative)
    package = here if relative.endswith("__init__.py") else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(relative, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..render import y
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(Import(relative, node.lineno, candidate if _is_module(candidate, package_root) else base))
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            found.append(Import(relative, node.lineno, node.args[0].value))
    return found


def _dynamic_import(node: ast.Call) -> bool:
    """`importlib.import_module("omegen.x")` and `__import__("omegen.x")` count as imports too."""
    func = node.func
    named = (isinstance(func, ast.Attribute) and func.attr == "import_module") or (isinstance(func, ast.Name) and func.id in ("import_module", "__import__"))
    return named and bool(node.args) and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)


def _is_module(dotted: str, package_root: Path) -> bool:
    parts = dotted.split(".")
    if parts[0] != "omegen":
        return False
    path = package_root.joinpath(*parts[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violation(found: Import) -> str | None:
    """Why this import breaks the rules, or None."""
    importer = module_name(found.importer)
    top_package = found.target.split(".")[0]
    for package, allowed in ONLY_IMPORTED_BY.items():
        if top_package == package and not (found.importer.startswith(allowed) if allowed.endswith("/") else found.importer == allowed):
            return f"only omegen/{allowed} may import {package}"
    if top_package != "omegen":
        return None
    mine, theirs = layer(importer), layer(found.target)
    if mine == "front end":
        return None
    if theirs == "front end":
        return f"{mine} imports the front end {found.target}"
    if mine == "pipeline":
        return None
    if theirs == "pipeline":
        return f"{mine} imports the pipeline (only front ends do)"
    if mine == "shared":
        return None if theirs == "shared" else f"a shared module imports the stage {theirs} ({found.target})"
    if theirs == "shared" or theirs == mine:
        return None
    if STAGES.index(theirs) > STAGES.index(mine):
        return f"the {mine} stage imports the later stage {theirs} ({found.target})"
    return None


def violations(package_root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(package_root.rglob("*.py")):
        relative = path.relative_to(package_root).as_posix()
        # `from omegen.errors import a, b` is one import of omegen.errors
        for found in dict.fromkeys(imports(relative, path.read_text(encoding="utf-8"), package_root)):
            try:
                why = violation(found)
            except LookupError as exc:
                why = str(exc)
            if why:
                problems.append(f"omegen/{found.importer}:{found.line}: imports {found.target}: {why}")
    return problems


def test_every_module_keeps_to_its_layer():
    assert violations() == []


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        layer(module_name(path.relative_to(PACKAGE).as_posix()))  # raises for a module with no place


# ------------------------------------------------------------------------ the checker itself can fail


@pytest.fixture
def package(tmp_path):
    """A synthetic omegen package: files (relative path → source) with every __init__.py they need."""

    def make(files: dict) -> Path:
        root = tmp_path / "omegen"
        for relative, source in {"__init__.py": "", **files}.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            for parent in path.relative_to(root).parents:
                (root / parent / "__init__.py").touch()
            path.write_text(source)
        return root

    return make


@pytest.mark.parametrize(
    "files, expected",
    [
        # a stage imports a later stage: at module level, inside a function, relatively, through `from omegen import`
        ({"render/a.py": "from omegen.validate import objects\n", "validate/objects.py": ""},
         "omegen/render/a.py:1: imports omegen.validate.objects: the render stage imports the later stage validate (omegen.validate.objects)"),
        ({"load/a.py": "def f():\n    import omegen.emit.tree\n", "emit/tree.py": ""},
         "omegen/load/a.py:2: imports omegen.emit.tree: the load stage imports the later stage emit (omegen.emit.tree)"),
        ({"resolve/a.py": "from ..render import service\n", "render/service.py": ""},
         "omegen/resolve/a.py:1: imports omegen.render.service: the resolve stage imports the later stage render (omegen.render.service)"),
        ({"render/a.py": "from omegen import overlay\n", "overlay/__init__.py": ""},
         "omegen/render/a.py:1: imports omegen.overlay: the render stage imports the later stage overlay (omegen.overlay)"),
        ({"validate/a.py": "import importlib\nimportlib.import_module('omegen.emit')\n", "emit/__init__.py": ""},
         "omegen/validate/a.py:2: imports omegen.emit: the validate stage imports the later stage emit (omegen.emit)"),
        # shared modules import no stage; stages import no pipeline and no front end
        ({"api.py": "from omegen.load import sources\n", "load/sources.py": ""},
         "omegen/api.py:1: imports omegen.load.sources: a shared module imports the stage load (omegen.load.sources)"),
        ({"kube/names.py": "from omegen.render.context import X\n", "render/context.py": ""},
         "omegen/kube/names.py:1: imports omegen.render.context: a shared module imports the stage render (omegen.render.context)"),
        ({"emit/tree.py": "from omegen import pipeline\n", "pipeline.py": ""},
         "omegen/emit/tree.py:1: imports omegen.pipeline: emit imports the pipeline (only front ends do)"),
        ({"pipeline.py": "from omegen.commands import main\n", "commands/main.py": ""},
         "omegen/pipeline.py:1: imports omegen.commands.main: pipeline imports the front end omegen.commands.main"),
        # click outside commands/, yaml outside yamlio.py
        ({"render/a.py": "def f():\n    import click\n"}, "omegen/render/a.py:2: imports click: only omegen/commands/ may import click"),
        ({"pipeline.py": "from click import echo\n"}, "omegen/pipeline.py:1: imports click: only omegen/commands/ may import click"),
        ({"yamlemit.py": "import yaml\n"}, "omegen/yamlemit.py:1: imports yaml: only omegen/yamlio.py may import yaml"),
        ({"commands/build.py": "from yaml import safe_load\n"}, "omegen/commands/build.py:1: imports yaml: only omegen/yamlio.py may import yaml"),
        # a module with no place
        ({"plugins.py": "", "load/a.py": "from omegen import plugins\n"},
         "omegen/load/a.py:1: imports omegen.plugins: omegen.plugins has no place in the layering: add it to tests/test_layering.py (and ARCHITECTURE.md)"),
    ],
    ids=["later-stage", "in-a-function", "relative", "from-package", "import_module", "shared-imports-stage",
         "kube-imports-stage", "stage-imports-pipeline", "pipeline-imports-front-end", "click-in-render",
         "click-in-pipeline", "yaml-in-yamlemit", "yaml-in-commands", "unplaced-module"],
)
def test_the_checker_finds_a_bad_import(package, files, expected):
    assert violations(package(files)) == [expected]


def test_the_checker_allows_what_the_rules_allow(package):
    root = package(
        {
            "api.py": "import json\nfrom omegen import errors\n",
            "errors.py": "",
            "yamlio.py": "import yaml\n",
            "kube/names.py": "from omegen.api import X\n",
            "load/sources.py": "from omegen.kube import names\nfrom . import discover\n",
            "load/discover.py": "",
            "render/service.py": "from omegen.load import sources\nfrom omegen.render import pods\n",
            "render/pods.py": "",
            "emit/tree.py": "from omegen.validate import objects\nfrom omegen.render.service import X\n",
            "validate/objects.py": "def f():\n    from omegen.overlay import apply\n",
            "overlay/apply.py": "",
            "pipeline.py": "from omegen.emit import tree\nfrom omegen.load import sources\n",
            "commands/build.py": "import click\nfrom omegen import pipeline\nfrom omegen.render import service\n",
            "__main__.py": "from omegen.commands.build import main\n",
        }
    )
    assert violations(root) == []
