"""Cache entries: one JSON file per key, `DIR/<key[:2]>/<key>.json`.

An entry holds what a build made before its output was written: the rendered objects (each with
its service), the diagnostics (`--strict` applied), and the YAML it emits (the stream, or the
output tree's files but `kustomization.yaml`, which lists what OUT holds). The first line is a
header naming the format, the key and the SHA-256 of the rest: an entry that is truncated,
corrupt, from another format or filed under the wrong key is ignored (a miss), never trusted.
Entries are written to a temporary name and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from omegen.api import Rendered
from omegen.cache.key import FORMAT
from omegen.codes import CODES
from omegen.errors import Diagnostic, ObjectRef, Severity


@dataclass(frozen=True)
class Entry:
    objects: tuple[Rendered, ...]
    diagnostics: tuple[Diagnostic, ...]
    stream: Optional[str] = None  # the YAML stream (no -o)
    texts: Optional[dict] = None  # the output tree's files but kustomization.yaml (-o)
    inside: frozenset = frozenset()  # a slice: (namespace, name) of its services
    outside: frozenset = frozenset()  # and of the sources' other services
    config: Optional[dict] = None  # the build's api.Config fields


def path_of(directory: Path, key: str) -> Path:
    return Path(directory) / key[:2] / f"{key}.json"


def read(directory: Path, key: str) -> Optional[Entry]:
    """The entry for `key`, or None when there is none or it cannot be trusted to be whole."""
    try:
        raw = path_of(directory, key).read_bytes()
        header, _, body = raw.partition(b"\n")
        head = json.loads(header)
        if head != {"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}:
            return None
        return _decode(json.loads(body))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def write(directory: Path, key: str, entry: Entry) -> bool:
    """Store `entry` under `key` atomically; False (and nothing left behind) when the directory
    cannot take it: a cache that cannot be written never fails a build."""
    body = json.dumps(_encode(entry), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = json.dumps({"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}).encode()
    target = path_of(directory, key)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "xb") as handle:
            handle.write(header + b"\n" + body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        return True
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False


def _encode(entry: Entry) -> dict:
    return {
        "objects": [[list(r.service), r.obj] for r in entry.objects],
        "diagnostics": [_diagnostic(d) for d in entry.diagnostics],
        "stream": entry.stream,
        "texts": entry.texts,
        "inside": sorted(map(list, entry.inside)),
        "outside": sorted(map(list, entry.outside)),
        "config": entry.config,
    }


def _decode(data: dict) -> Entry:
    objects = tuple(Rendered(obj, tuple(service)) for service, obj in data["objects"])
    if not all(isinstance(r.obj, dict) for r in objects):
        raise ValueError("an object that is not a mapping")
    stream, texts = data["stream"], data["texts"]
    if not (stream is None or isinstance(stream, str)) or not (texts is None or (isinstance(texts, dict) and all(isinstance(v, str) for v in texts.values()))):
        raise ValueError("output of the wrong shape")
    return Entry(
        objects,
        tuple(_undiagnostic(d) for d in data["diagnostics"]),
        stream,
        texts,
        frozenset(tuple(k) for k in data["inside"]),
        frozenset(tuple(k) for k in data["outside"]),
        data["config"],
    )


def _diagnostic(d: Diagnostic) -> list:
    subject = None if d.subject is None else [d.subject.kind, d.subject.name, d.subject.namespace, d.subject.api_version]
    return [d.code, int(d.severity), d.message, d.file, d.line, d.column, d.field, subject, d.cause]


def _undiagnostic(item: list) -> Diagnostic:
    code, severity, message, file, line, column, field, subject, cause = item
    ref = None if subject is None else ObjectRef(*map(str, subject))
    if not all(isinstance(v, str) for v in (code, message, file, field, cause)) or not all(isinstance(v, int) for v in (line, column)):
        raise ValueError("a diagnostic of the wrong shape")
    if code not in CODES:
        raise ValueError(f"an unknown diagnostic code {code!r}")
    # As stored: every code was checked against the registry (omegen.codes) when it was first reported.
    stored = dict(code=code, severity=Severity(severity), message=message, file=file, line=line, column=column, field=field, subject=ref, cause=cause)
    return Diagnostic(**stored)
