"""Finding source documents: which files under a source root are read, and which of their documents
are ome.io sources (design.md section 2).

Every `*.yaml`/`*.yml` under the root, sorted, not following symlinks out of it, skipping hidden
directories, `overlays/` and the output directory. A document with `apiVersion: ome.io/v1beta1` and a
known kind is a source; other documents are noted (info); a malformed file is an error and contributes
nothing.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from omegen import yamlio
from omegen.api import API_VERSION, GENERATED_HEADER, KINDS, Origin
from omegen.errors import Diagnostic, error, info, warning

SKIPPED_DIRECTORIES = {"overlays"}
# ome.io kinds OME defines that omegen does not compile: noted, not rejected.
OTHER_OME_KINDS = {"FineTunedWeight", "AcceleratorClass", "BenchmarkJob"}


@dataclass(frozen=True)
class SourceDocument:
    """One ome.io document found on disk, with what is needed to report on it."""

    file: str
    doc: yamlio.Document
    builtin: bool

    @property
    def kind(self) -> str:
        return self.doc.data.get("kind")

    def where(self, path: tuple) -> tuple[int, int]:
        return self.doc.mark(path)

    def origin(self) -> Origin:
        return Origin(self.file, self.doc.line, self.doc.column)

    def error(self, code: str, message: str, path: tuple = ()) -> Diagnostic:
        line, column = self.where(path)
        return error(code, message, self.file, line, column, yamlio.format_path(path))

    def warning(self, code: str, message: str, path: tuple = ()) -> Diagnostic:
        line, column = self.where(path)
        return warning(code, message, self.file, line, column, yamlio.format_path(path))

    def field_marks(self) -> dict:
        return {yamlio.format_path(path): mark for path, mark in self.doc.marks.items() if path}


def discover(root: Path, skip: Iterable[Path]) -> list[Path]:
    """Every YAML file under `root`, sorted, never leaving the tree through a symlink."""
    if not root.is_dir():
        return []
    real_root = root.resolve()
    skipped = {Path(s).resolve() for s in skip}
    found: list[Path] = []
    for directory, subdirs, files in os.walk(root, followlinks=False):
        here = Path(directory)
        subdirs[:] = sorted(
            d
            for d in subdirs
            if not d.startswith(".")
            and d not in SKIPPED_DIRECTORIES
            and (here / d).resolve() not in skipped
            and not (here / d).is_symlink()
        )
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")) or name.startswith("."):
                continue
            path = here / name
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read_documents(path: Path, label: str, builtin: bool, diagnostics: list[Diagnostic]) -> list[SourceDocument]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        diagnostics.append(error("unreadable-file", "file is not UTF-8 text", label))
        return []
    except OSError as exc:
        diagnostics.append(error("unreadable-file", f"cannot read file: {exc.strerror}", label))
        return []
    if text.startswith(GENERATED_HEADER):
        return []  # omegen's own output (an OUT tree inside SRC) is never a source
    found: list[SourceDocument] = []
    try:
        for doc in yamlio.load_documents(text):
            found_doc = _classify(doc, label, builtin, diagnostics)
            if found_doc:
                found.append(found_doc)
    except yamlio.YAMLError as exc:
        diagnostics.append(error(exc.code, exc.message, label, exc.line, exc.column))
        return []  # a malformed file contributes nothing, so no half-read objects
    return found


def _classify(doc: yamlio.Document, label: str, builtin: bool, diagnostics: list[Diagnostic]) -> Optional[SourceDocument]:
    data = doc.data
    if data is None:
        return None
    if not isinstance(data, dict) or "apiVersion" not in data or "kind" not in data:
        diagnostics.append(info("ignored-document", "not a Kubernetes object (no apiVersion/kind); ignored", label, doc.line, doc.column))
        return None
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if api_version != API_VERSION:
        diagnostics.append(
            info("ignored-document", f"{kind} {api_version} is not an {API_VERSION} source; ignored", label, doc.line, doc.column)
        )
        return None
    if kind in KINDS:
        return SourceDocument(label, doc, builtin)
    line, column = doc.mark(("kind",))
    if kind in OTHER_OME_KINDS:
        diagnostics.append(info("ignored-document", f"{kind} is not compiled by omegen; ignored", label, line, column, "kind"))
        return None
    hint = difflib.get_close_matches(str(kind), KINDS, n=1)
    suggestion = f" (did you mean {hint[0]}?)" if hint else f" (known kinds: {', '.join(KINDS)})"
    diagnostics.append(error("unknown-kind", f"unknown kind {kind!r} for {API_VERSION}{suggestion}", label, line, column, "kind"))
    return None
