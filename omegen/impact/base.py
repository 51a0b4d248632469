"""BASE of `omegen diff`: a directory, or a git revision of the repository holding SRC, checked out
into a temporary directory (with `git archive`: the user's repository and work tree are never
touched)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Iterator, Optional


class BaseError(Exception):
    """BASE is neither a directory nor a revision git can give."""


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise BaseError("git is not installed, so BASE must be a directory") from None
    except subprocess.TimeoutExpired:
        raise BaseError(f"git {' '.join(args)} took longer than 120 s") from None


@contextlib.contextmanager
def checkout(base: str, src: Path) -> Iterator[tuple[Path, str, Optional[Path]]]:
    """The directory to build as BASE, how to name it in the report, and the repository boundary
    for its overlays (the checkout's root: it has no .git to find it by; None for a directory)."""
    if Path(base).is_dir():
        yield Path(base), base, None
        return
    src = Path(src).resolve()
    top = _git(["rev-parse", "--show-toplevel"], src)
    if top.returncode != 0:
        raise BaseError(f"{base!r} is not a directory, and {src} is not in a git repository to find it as a revision")
    root = Path(top.stdout.decode().strip())
    commit = _git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], root)
    if commit.returncode != 0:
        raise BaseError(f"{base!r} is neither a directory nor a git revision of {root}")
    sha = commit.stdout.decode().strip()
    prefix = src.relative_to(root).as_posix()
    # The whole tree: an overlay's bases (`resources: [../../base]`) lie outside SRC.
    archive = _git(["archive", "--format=tar", sha], root)
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip().splitlines()
        raise BaseError(f"cannot read {base} from git: {message[-1] if message else 'git archive failed'}")
    with tempfile.TemporaryDirectory(prefix="omegen-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")  # refuses links and paths out of tmp
        where = Path(tmp) / prefix
        if not where.is_dir():
            raise BaseError(f"{prefix} does not exist at {base}")
        yield where, f"{base} ({sha[:12]})", Path(tmp)
