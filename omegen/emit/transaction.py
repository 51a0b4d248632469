"""Updating an output tree so that it is always the old tree or the new one.

1. `locked(out)` holds an exclusive `flock` on OUT itself for the whole build (no lock file in or
   beside it); a second build of the same OUT fails at once with `output-locked`.
2. `recover(out)` completes the update of a build that was killed (SIGKILL, power loss) after it
   had written its journal, and removes the temporary files of one killed before: so once the next
   run has started, OUT is the old tree or the new one.
3. `write_tree` stages every changed file under a temporary name beside its target (made durable
   together: one syncfs of OUT's file system on Linux, else an fsync each), then
   writes the journal, `OUT/.omegen-journal.json` (renames, `kustomization.yaml` last, then
   deletions; written to a temporary name, fsync'd and renamed into place), then applies it and
   removes it. SIGINT and SIGTERM are held back while the journal is applied (a few renames), so
   an interrupt either comes before it (everything staged is removed: OUT is the old tree) or after
   it (OUT is the new tree); an error while applying puts back what was already replaced.

A journal is only ever trusted for what omegen itself could have written: renames of its own
temporary names onto layout paths in the same directory, deletions of files carrying its header.

`OMEGEN_TEST_PAUSE=<stage|rename>:<n>:<path>` (tests only) pauses after the n-th staged file or the
n-th rename, says so on stderr, and waits until `<path>` exists: the kill tests use it to signal a
build at a known instant.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

from omegen.api import GENERATED_HEADER
from omegen.errors import Diagnostic, first_few, error, warning

JOURNAL = ".omegen-journal.json"
LOCKED = "output-locked"
_TEMPORARY = re.compile(r"\.(?P<name>[^/]+)\.[0-9a-f]{8}\.tmp")
_HEADER = GENERATED_HEADER.encode("utf-8")
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Locked(Exception):
    """Another build holds OUT."""


@contextlib.contextmanager
def locked(out: Path, *, shared: bool = False) -> Iterator[None]:
    """An exclusive (or, for --check, shared) flock on the directory OUT, released on exit."""
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise Locked() from None
            raise
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def locked_error(out: Path) -> Diagnostic:
    return error(LOCKED, f"another omegen build is writing {out}; nothing was done: run it again when that one has finished", str(out))


# --- what a killed build left behind ---------------------------------------------------------------


def leftovers(out: Path) -> tuple[bool, list[str]]:
    """(a journal is there, the temporary files omegen left in OUT and its namespace directories)."""
    found = []
    for directory in [out, *(d for d in _subdirectories(out))]:
        for entry in sorted(os.listdir(directory)):
            path = directory / entry
            if _TEMPORARY.fullmatch(entry) and path.is_file() and not path.is_symlink() and _staged_by_us(path):
                found.append(path.relative_to(out).as_posix())
    return (out / JOURNAL).is_file(), found


def recover(out: Path) -> list[Diagnostic]:
    """Complete an interrupted update (its journal), then remove stale temporary files; say so."""
    notes = []
    journal = out / JOURNAL
    if journal.is_file() and not journal.is_symlink():
        renames, removes = _read_journal(out)
        _apply(out, renames, removes)
        journal.unlink()
        _fsync_directory(out)
        notes.append(warning("output-recovered", f"completed the update of {out} that an interrupted build had begun", str(out)))
    _, temporary = leftovers(out)
    for rel in temporary:
        (out / rel).unlink(missing_ok=True)
    if temporary:
        shown = first_few(temporary)
        notes.append(warning("output-recovered", f"removed {len(temporary)} temporary file(s) an interrupted build left in {out}: {shown}", str(out)))
    return notes


def _read_journal(out: Path) -> tuple[list[tuple[Path, Path]], list[Path]]:
    try:
        data = json.loads((out / JOURNAL).read_text(encoding="utf-8"))
        renames = [(_inside(out, tmp), _inside(out, target)) for tmp, target in data["rename"]]
        removes = [_inside(out, rel) for rel in data["remove"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OSError(f"unreadable journal {out / JOURNAL} ({exc}); move it away") from None
    for tmp, target in renames:
        match = _TEMPORARY.fullmatch(tmp.name)
        if tmp.parent != target.parent or not match or match.group("name") != target.name:
            raise OSError(f"journal {out / JOURNAL} renames {tmp} onto {target}, which omegen never does; move it away")
    return renames, removes


def _inside(out: Path, rel) -> Path:
    path = Path(str(rel))
    if path.is_absolute() or ".." in path.parts or len(path.parts) > 2 or not path.parts:
        raise ValueError(f"{rel!r} is not a path in the output layout")
    return out / path


# --- writing ---------------------------------------------------------------------------------------


def write_tree(out: Path, files: dict, write: tuple, remove: tuple) -> None:
    """Write `write` (relative paths, contents in `files`) and remove `remove`, all or nothing."""
    made: list[Path] = []  # directories this run created, parents first
    staged: list[tuple[Path, Path]] = []  # (temporary file, target)
    ready: set[Path] = set()  # directories known to exist
    try:
        for rel in write:
            target = out / rel
            if target.parent not in ready:
                made.extend(make_dirs(target.parent))
                ready.add(target.parent)
            staged.append((_stage(target, files[rel].encode("utf-8"), sync=False), target))
            _test_pause("stage", len(staged))
        whole = _sync_files(out, [tmp for tmp, _ in staged])  # every staged byte on disk before the journal
        staged.sort(key=lambda pair: pair[1] == out / "kustomization.yaml")  # the pointer moves last
        journal = {"rename": [[tmp.relative_to(out).as_posix(), t.relative_to(out).as_posix()] for tmp, t in staged], "remove": list(remove)}
        if not whole:  # a syncfs wrote the directories' new entries too
            for directory in {t.parent for _, t in staged}:
                _fsync_directory(directory)
        with _signals_held():
            _write_journal(out, journal)
            _apply(out, staged, [out / rel for rel in remove], undo=True)
            (out / JOURNAL).unlink()
            _fsync_directory(out)
    except BaseException:
        _quietly((out / JOURNAL).unlink, missing_ok=True)
        for tmp, _ in staged:
            _quietly(tmp.unlink, missing_ok=True)
        for directory in reversed(made):
            _quietly(directory.rmdir)
        raise


def _apply(out: Path, renames: list, removes: list, undo: bool = False) -> None:
    """The journal's steps, in order; each is skipped when already done (a rerun after a kill).
    With `undo`, a failure puts back what was already replaced and removes the journal."""
    done: list[tuple[Path, Optional[bytes]]] = []
    try:
        for count, (tmp, target) in enumerate(renames, 1):
            if tmp.exists():
                done.append((target, target.read_bytes() if target.exists() else None))
                os.replace(tmp, target)
                _test_pause("rename", count)
        for directory in {t.parent for _, t in renames}:
            _fsync_directory(directory)
        for target in removes:
            if target.is_file() and not target.is_symlink() and _is_ours(target):
                done.append((target, target.read_bytes()))
                target.unlink()
                _prune_empty(out, target.parent)
    except BaseException:
        if undo:
            for target, previous in reversed(done):
                _restore(target, previous)
            for tmp, _ in renames:
                _quietly(tmp.unlink, missing_ok=True)
            _quietly((out / JOURNAL).unlink, missing_ok=True)
        raise


def _write_journal(out: Path, journal: dict) -> None:
    tmp = _stage(out / JOURNAL, json.dumps(journal, indent=1, sort_keys=True).encode("utf-8"))
    try:
        os.replace(tmp, out / JOURNAL)
    except BaseException:
        _quietly(tmp.unlink, missing_ok=True)
        raise
    _fsync_directory(out)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    # Between the journal's first rename and its removal, SIGINT/SIGTERM wait: the handler runs (and
    # the build stops with 130/143) once OUT is the new tree.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def make_dirs(directory: Path) -> list[Path]:
    """Create `directory` and its missing parents; the ones created, parents first."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def _sync_files(out: Path, paths: list[Path]) -> bool:
    """Make the staged files durable. One syncfs(2) of OUT's file system when every file is on it
    (Linux): a thousand fsyncs cost seconds on a busy disk, one syncfs a fraction of one. Else, or
    where syncfs is missing, one fsync per file. True when one syncfs did it (directories included)."""
    if not paths:
        return False
    if _syncfs(out, paths):
        return True
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return False


def _syncfs(out: Path, paths: list[Path]) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    device = os.stat(out).st_dev
    if any(os.stat(d).st_dev != device for d in {p.parent for p in paths}):
        return False  # a namespace directory that is a mount point of its own
    try:
        import ctypes  # only a build that writes needs it

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError, ImportError):
        return False
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if syncfs(fd) != 0:
            return False  # the fsyncs then report the error, with its file
    finally:
        os.close(fd)
    return True


def _stage(target: Path, data: bytes, *, sync: bool = True) -> Path:
    # Created with 0666 minus the umask, as any new file: a mkstemp file would stay private (0600).
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return tmp


def _restore(target: Path, previous: Optional[bytes]) -> None:
    if previous is None:
        _quietly(target.unlink, missing_ok=True)
        return
    try:
        if target.is_file() and target.read_bytes() == previous:
            return  # the step never happened
        tmp = _stage(target, previous)
    except OSError:
        return
    try:
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the renames are still atomic
    finally:
        os.close(fd)


def _is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(_HEADER)) == _HEADER
    except OSError:
        return False


def _staged_by_us(path: Path) -> bool:
    """A temporary file omegen staged: its header (or the start of it, when the write was cut
    short), or a journal's temporary name. A user's file of a similar name is left alone."""
    if path.name.startswith(f".{JOURNAL}."):
        return True
    try:
        with path.open("rb") as handle:
            return _HEADER.startswith(handle.read(len(_HEADER)))  # the whole header, or its start
    except OSError:
        return False


def _subdirectories(out: Path) -> list[Path]:
    try:
        return [out / d for d in sorted(os.listdir(out)) if (out / d).is_dir() and not (out / d).is_symlink()]
    except OSError:
        return []


def _prune_empty(out: Path, directory: Path) -> None:
    while directory != out and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _quietly(action, *args, **kwargs) -> None:
    # Clean-up after a failure: do what can be done; the original exception is what gets reported.
    try:
        action(*args, **kwargs)
    except OSError:
        pass


def _test_pause(phase: str, count: int) -> None:
    wanted = os.environ.get("OMEGEN_TEST_PAUSE")
    if not wanted:
        return
    want_phase, _, rest = wanted.partition(":")
    want_count, _, release = rest.partition(":")
    if want_phase != phase or want_count != str(count):
        return
    sys.stderr.write(f"omegen-test: paused after {phase} {count}\n")
    sys.stderr.flush()
    while not os.path.exists(release):
        time.sleep(0.01)
