"""Shared test helpers. Tests that read ../shared skip cleanly when it is absent."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout; OMEGEN_SHARED points a worktree elsewhere at it.
SHARED = Path(os.environ.get("OMEGEN_SHARED", REPO.parent / "shared"))
UPSTREAM_OME = SHARED / "upstream" / "ome" / "config"


def pytest_addoption(parser):
    # Helm's -update: regenerate the golden files from the current output, then read `git diff`.
    parser.addoption(
        "--update", action="store_true", default=False, help="rewrite tests/cases/*/expected.yaml and errors.txt from the current output"
    )


def omegen_yaml(body: str = "", name: str = "test") -> str:
    """An omegen.yaml in the KRM form with `body` (top-level YAML) after the header."""
    header = (
        "apiVersion: omegen.io/v1alpha1\nkind: Omegen\n"
        f"metadata:\n  name: {name}\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"
    )
    return header + textwrap.dedent(body).lstrip("\n")


def write_tree(root: Path, files: dict) -> Path:
    """Create `files` (relative path → text, dedented) under `root`; returns root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path):
    def make(files: dict) -> Path:
        return write_tree(tmp_path / "src", files)

    return make


@pytest.fixture(scope="session")
def upstream():
    if not UPSTREAM_OME.is_dir():
        pytest.skip("../shared/upstream is not present")
    return UPSTREAM_OME


@pytest.fixture(scope="session")
def upstream_load(upstream):
    """OME's shipped runtimes, models and samples, loaded once for every test that needs them:
    (Sources, diagnostics), without omegen's built-in catalog."""
    from omegen.load.sources import load_sources

    return load_sources(upstream, builtin=False)


def run_cli(argv, capsys):
    """The `omegen` command in-process: (exit code, stdout, stderr)."""
    from omegen.commands import main as cli

    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err
