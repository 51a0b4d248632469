"""Finding source documents: which files under a source root are read, and which of their documents
are ome.io sources (design.md section 2).

Every `*.yaml`/`*.yml` under the root, sorted, not following symlinks out of it, skipping hidden
directories, `overlays/`, any other overlay (a directory whose omegen.yaml names `resources`) and the
output directory. A document with `apiVersion: ome.io/v1beta1` and a
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
from omegen.errors import Diagnostic, ObjectRef, first_few, error, info, warning
from omegen.kube.schemafindings import expect
from omegen.load.unrendered import UNRENDERED_KIND, UNRENDERED_KINDS

SKIPPED_DIRECTORIES = {"overlays"}
# ome.io kinds OME defines that omegen does not compile: reported (unrendered.UNRENDERED_KINDS), not rejected.
OTHER_OME_KINDS = set(UNRENDERED_KINDS)


@dataclass(frozen=True)
class SourceDocument:
    """One ome.io document found on disk, with what is needed to report on it."""

    file: str
    doc: yamlio.Document
    builtin: bool
    layers: tuple = ()  # the omegen.yaml layers over it (indices into Sources.layers), innermost first
    default_namespace: Optional[str] = None  # its tree's defaultNamespace, when an omegen.yaml sets one
    patched: tuple = ()  # (field path, overlay patch label) for every field a source patch set

    @property
    def kind(self) -> str:
        return self.doc.data.get("kind")

    def where(self, path: tuple) -> tuple[int, int]:
        return self.doc.mark(path)

    def origin(self) -> Origin:
        return Origin(self.file, self.doc.line, self.doc.column)

    def error(self, code: str, message: str, path: tuple = ()) -> Diagnostic:
        line, column = self.where(path)
        return error(code, message, self.file, line, column, yamlio.format_source_path(path))

    def warning(self, code: str, message: str, path: tuple = ()) -> Diagnostic:
        line, column = self.where(path)
        return warning(code, message, self.file, line, column, yamlio.format_source_path(path))

    def field_marks(self) -> dict:
        return {yamlio.format_source_path(path): mark for path, mark in self.doc.marks.items() if path}


def discover(
    root: Path, skip: Iterable[Path], diagnostics: Optional[list[Diagnostic]] = None, label: str = "", output: Optional[Path] = None
) -> list[Path]:
    """Every YAML file under `root`, sorted, each read once, never leaving the tree through a symlink.

    A symlink that leaves the tree is reported (a warning into `diagnostics`): a runtime that silently
    vanished would be a puzzle. Symlinked directories inside the tree are not walked (their files are
    found through their real path), so a link loop cannot trap the walk. A directory that cannot be
    listed is an error (`unreadable-directory`). `output` (one of `skip`: the `-o` directory) inside
    the tree is noted, and an error when it holds files omegen did not write (`_output_inside`).
    """
    if not root.is_dir():
        return []
    real_root = root.resolve()
    skipped = {_resolve(Path(s)) for s in skip} - {None}
    notes = diagnostics if diagnostics is not None else []
    if output is not None and _resolve(Path(output)) == real_root:
        # Its sources and its output would share directories; a file of each could collide.
        notes.append(error("output-in-sources", "the output directory is the source tree itself; write the output to a directory of its own", "."))
        return []
    found: dict[Path, Path] = {}  # real path → the path it is read as
    def unreadable(exc: OSError) -> None:
        # os.walk drops a directory it cannot list unless told: its sources would vanish in silence
        # (and, with -o, their services' files be deleted).
        where = Path(exc.filename or root)
        label = where.relative_to(root).as_posix() if where.is_relative_to(root) else str(where)
        notes.append(error("unreadable-directory", f"cannot read directory: {exc.strerror or exc}; its sources would be lost", label or "."))

    for directory, subdirs, files in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(directory)
        kept = []
        for d in sorted(subdirs):
            path = here / d
            if d.startswith(".") or d in SKIPPED_DIRECTORIES or _is_overlay(path):
                continue
            if _resolve(path) in skipped:
                if output is not None and _resolve(path) == _resolve(Path(output)):
                    notes.extend(_output_inside(path, root))
                continue
            if path.is_symlink():
                _note_outside(path, root, real_root, notes, label)
                continue
            kept.append(d)
        subdirs[:] = kept
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")) or name.startswith("."):
                continue
            path = here / name
            real = _resolve(path)
            if real is None:
                notes.append(error("unreadable-file", "symlink loop", _label(label, path.relative_to(root).as_posix())))
                continue
            if path.is_symlink() and _note_outside(path, root, real_root, notes, label):
                continue
            if not path.is_file():  # a FIFO or a device: reading it could block forever
                if path.is_symlink():
                    shown = _label(label, path.relative_to(root).as_posix())
                    notes.append(error("unreadable-file", f"broken symlink to {os.readlink(path)}", shown))
                continue
            # A file and a symlink to it are one source, read as the file (or the first link).
            if real not in found or (found[real].is_symlink() and not path.is_symlink()):
                found[real] = path
    return sorted(found.values(), key=lambda p: p.relative_to(root).as_posix())


def _is_overlay(directory: Path) -> bool:
    """A directory whose omegen.yaml names `resources` is another build (an overlay, wherever it
    sits): its files are never this tree's sources. A file that cannot be read is not one."""
    config = directory / "omegen.yaml"
    try:
        if not config.is_file() or config.is_symlink():
            return False
    except OSError:  # an unreadable directory: os.walk reports it (unreadable-directory)
        return False
    try:
        text = read_text(config, "omegen.yaml", [])  # size-checked, as every source
        docs = list(yamlio.load_documents(text)) if text is not None else []
    except yamlio.YAMLError:
        return False
    return len(docs) == 1 and isinstance(docs[0].data, dict) and "resources" in docs[0].data


def _output_inside(out: Path, root: Path) -> list[Diagnostic]:
    """The output directory (`-o`) inside the source tree is not read; it may hold only what omegen
    wrote there. A source file in it would be skipped with it, its service dropped in silence, so
    that is an error: choose an output directory of its own."""
    label = out.relative_to(root).as_posix()
    sources = []
    for directory, _, files in os.walk(out, followlinks=False):
        for name in sorted(files):
            path = Path(directory) / name
            if name.endswith((".yaml", ".yml")) and not name.startswith(".") and path.is_file() and not path.is_symlink() and not _generated(path):
                sources.append(path.relative_to(root).as_posix())
    if not sources:
        return [info("output-in-sources", "the output directory is inside the source tree; it is not read as sources", label)]
    shown = first_few(sorted(sources))
    return [
        error(
            "output-in-sources",
            f"the output directory is inside the source tree and holds source files ({shown}), which would not be read; "
            "write the output to a directory of its own",
            label,
        )
    ]


def _generated(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(GENERATED_HEADER.encode("utf-8"))) == GENERATED_HEADER.encode("utf-8")
    except OSError:
        return False


def _resolve(path: Path) -> Optional[Path]:
    """The real path, or None for a symlink loop (which `resolve` reports as a RuntimeError)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return None


def _label(prefix: str, rel: str) -> str:
    # Files of a base are named from the directory being built (`../../base/x.yaml`).
    return f"{prefix}/{rel}" if prefix else rel


def leaves_tree(link: Path, root: Path, diagnostics: list[Diagnostic]) -> bool:
    """True (and a warning) when the symlink `link` points outside the tree at `root`."""
    return _note_outside(link, root, root.resolve(), diagnostics)


def _note_outside(link: Path, root: Path, real_root: Path, diagnostics: list[Diagnostic], prefix: str = "") -> bool:
    """True (and a warning) when the symlink `link` points outside the tree."""
    target = _resolve(link)
    if target is None or target == real_root or target.is_relative_to(real_root):
        return False
    label = _label(prefix, link.relative_to(root).as_posix())
    shown = os.readlink(link)
    diagnostics.append(warning("symlink-outside", f"symlink to {shown} leaves the source tree; not followed", label))
    return True


def read_text(path: Path, label: str, diagnostics: list[Diagnostic]) -> Optional[str]:
    """A source file's text (UTF-8, newlines as LF), or None with an error in `diagnostics`.

    The size is checked before reading (a 1 GiB sparse file is refused from its stat), and the
    read itself stops one byte past the limit, for a file that grows or lies about its size."""
    try:
        if path.stat().st_size > yamlio.MAX_FILE_BYTES:
            raise yamlio.too_large()  # refused before it is read into memory
        with path.open("rb") as handle:
            raw = handle.read(yamlio.MAX_FILE_BYTES + 1)
        if len(raw) > yamlio.MAX_FILE_BYTES:
            raise yamlio.too_large()
    except yamlio.YAMLError as exc:
        diagnostics.append(error(exc.code, exc.message, label, exc.line, exc.column))
        return None
    except OSError as exc:
        diagnostics.append(error("unreadable-file", f"cannot read file: {exc.strerror or exc}", label))
        return None
    try:
        # Newlines as text mode reads them (CRLF → LF), so positions and values match either way.
        return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start]
        diagnostics.append(error("unreadable-file", f"file is not UTF-8 text (byte 0x{byte:02x})", label, line, column))
        return None


def read_documents(path: Path, label: str, builtin: bool, diagnostics: list[Diagnostic]) -> list[SourceDocument]:
    text = read_text(path, label, diagnostics)
    if text is None:
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


OME_GROUP = API_VERSION.split("/")[0]


def _misfiled_api_version(doc: yamlio.Document, label: str) -> Optional[Diagnostic]:
    """The error for a document that looks meant for OME but would be ignored: an ome.io group
    with a version OME does not serve, or an OME kind under another group. Ignoring either would
    drop a service (and, with -o, delete its rendered file) with exit 0."""
    api_version, kind = doc.data.get("apiVersion"), doc.data.get("kind")
    text = str(api_version)
    group = text.split("/")[0] if "/" in text else ""
    line, column = doc.mark(("apiVersion",))
    if group == OME_GROUP and text != API_VERSION:
        message = f"apiVersion {text!r}: OME serves {kind} only as {API_VERSION} (did you mean {API_VERSION}?)"
        return error("unknown-api-version", message, label, line, column, "apiVersion", ObjectRef.of(doc.data))
    if group != OME_GROUP and isinstance(kind, str) and (kind in KINDS or kind in OTHER_OME_KINDS):
        message = (
            f"apiVersion {text!r}: {kind} is an OME kind, and OME's group is {OME_GROUP} (did you mean {API_VERSION}?); "
            f"a {kind} of another API does not belong in an omegen source tree"
        )
        return error("wrong-api-group", message, label, line, column, "apiVersion", ObjectRef.of(doc.data))
    return None


def _classify(doc: yamlio.Document, label: str, builtin: bool, diagnostics: list[Diagnostic]) -> Optional[SourceDocument]:
    data = doc.data
    if data is None:
        return None
    if isinstance(data, dict) and data.get("apiVersion") == API_VERSION and not isinstance(data.get("kind"), str):
        # It says it is an ome.io object, so it is a malformed one, not "another document".
        line, column = doc.mark(("kind",))
        if data.get("kind") is None:
            diagnostics.append(error("missing-field", f"kind is required in an {API_VERSION} document", label, line, column, "kind"))
        else:
            diagnostics.append(error("invalid-field", f"kind: {expect('a string', data['kind'])}", label, line, column, "kind"))
        return None
    if not isinstance(data, dict) or "apiVersion" not in data or "kind" not in data:
        diagnostics.append(info("ignored-document", "not a Kubernetes object (no apiVersion/kind); ignored", label, doc.line, doc.column))
        return None
    api_version, kind = data.get("apiVersion"), data.get("kind")
    misfiled = _misfiled_api_version(doc, label)
    if misfiled:
        diagnostics.append(misfiled)
        return None
    if api_version != API_VERSION:
        diagnostics.append(
            info("ignored-document", f"{kind} {api_version} is not an {API_VERSION} source; ignored", label, doc.line, doc.column, "", ObjectRef.of(data))
        )
        return None
    if kind in KINDS:
        return SourceDocument(label, doc, builtin)
    line, column = doc.mark(("kind",))
    if kind in OTHER_OME_KINDS:
        why = UNRENDERED_KINDS[kind]
        diagnostics.append(warning(UNRENDERED_KIND, f"{kind} is not compiled by omegen: {why}", label, line, column, "kind", ObjectRef.of(data)))
        return None
    hint = difflib.get_close_matches(str(kind), KINDS, n=1)
    suggestion = f" (did you mean {hint[0]}?)" if hint else f" (known kinds: {', '.join(KINDS)})"
    diagnostics.append(error("unknown-kind", f"unknown kind {kind!r} for {API_VERSION}{suggestion}", label, line, column, "kind", ObjectRef.of(data)))
    return None
