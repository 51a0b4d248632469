"""What a build's output depends on, hashed into one key (SHA-256).

Every input, in full, or the build is not cached at all (the key is None):

- omegen itself: its version and the bytes of every file of the package and its data (code,
  templates, schemas, the built-in catalog), so a development install never reuses what older
  code made;
- the request: every `Options` field (SRC, OUT, the slice, `--strict`, the Kubernetes versions,
  `--no-builtin-runtimes`, `--allow-empty`, the skipped directories, `--root`);
- the layers: the boundary, each omegen.yaml's path and bytes (settings, overlays, transforms,
  patches written inline), each part's place, layers and default namespace, and what planning them
  reported;
- the sources: each file discovery finds, by path and bytes, and what discovery reported (links
  out of the tree, unreadable directories); each patch file an omegen.yaml names, by path and bytes.

These are exactly what `load.sources.gather` and `overlay.patches.read_patches` read: the same
planning and discovery functions run here, without parsing anything. A build that runs kubeconform
(an executable outside omegen) or reads in-memory sources (the KRM function) is not cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Optional

import omegen
from omegen.load import layers
from omegen.load.config import CONFIG_FILE
from omegen.load.discover import discover
from omegen.resources import data_dir

FORMAT = "omegen-cache/1"  # bumped when what an entry holds changes
_PACKAGE = Path(omegen.__file__).resolve().parent
NOT_KEYED = ("cache",)  # Options fields that cannot change the output


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """omegen's version and every byte of its code and data (computed once per process)."""
    digest = hashlib.sha256(f"{FORMAT}\0{omegen.__version__}\0".encode())
    roots = [_PACKAGE] + [d for d in (data_dir("runtimes"), data_dir("models"), data_dir("schemas")) if not d.is_relative_to(_PACKAGE)]
    for root in roots:
        for directory, subdirs, files in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = Path(directory) / name
                _feed(digest, "file", path.relative_to(root.parent).as_posix(), path.read_bytes())
    return digest.hexdigest()


def build_key(options, root: Path) -> Optional[str]:
    """The key of a build of `root` (SRC, or the in-memory sources' directory) with `options`;
    None when this build is not cached or an input cannot be read (the build then reports it)."""
    if options.files is not None or options.kubeconform is not None:
        return None
    digest = hashlib.sha256()
    try:
        _feed(digest, "omegen", fingerprint())
        _feed(digest, "options", _canonical({f.name: getattr(options, f.name) for f in fields(options) if f.name not in NOT_KEYED}))
        _feed(digest, "root", str(root))
        _inputs(digest, root, options)
    except (OSError, UnicodeDecodeError, ValueError, TypeError):
        return None
    return digest.hexdigest()


def _inputs(digest, root: Path, options) -> None:
    found, problems = layers.plan(Path(root), options.root)
    _feed(digest, "boundary", str(found.boundary), str(found.root))
    _feed(digest, "settings", _canonical(found.settings))
    for layer in found.layers:
        config = Path(layer.directory) / CONFIG_FILE
        _feed(digest, "layer", layer.file, str(layer.directory), _bytes(config))
        for entry in layer.data.get("patches") or ():
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                patch = (Path(layer.directory) / entry["path"]).resolve()
                _feed(digest, "patch", str(patch), _bytes(patch))
    output = options.out
    skip = tuple(options.skip) + ((output,) if output is not None else ())
    for part in found.parts:
        _feed(digest, "part", str(part.path), part.label, _canonical(part.layers), str(part.default_namespace), _canonical(sorted(map(str, part.excluded))))
        if part.path.is_file():
            paths = [part.path]
        else:
            paths = discover(part.path, skip + ((output,) if output else ()), problems, part.label, output=output)
        for path in paths:
            _feed(digest, "source", str(path), path.read_bytes())
    _feed(digest, "reported", _canonical([d.as_dict() for d in problems]))


def _bytes(path: Path) -> bytes:
    """A file's bytes, or a marker when it is absent (the build reports that itself)."""
    try:
        return b"present\0" + path.read_bytes()
    except FileNotFoundError:
        return b"absent"


def _feed(digest, *parts) -> None:
    # Each part length-prefixed: no two different inputs hash the same stream.
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, default=_plain, ensure_ascii=False, separators=(",", ":"))


def _plain(value):
    if isinstance(value, (set, frozenset)):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return {"__type": type(value).__name__, **{f.name: getattr(value, f.name) for f in fields(value)}}
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot key {type(value).__name__}")
