"""The emit stage: put rendered objects on stdout or into an output tree, deterministically and atomically.

Layout of an output tree: `OUT/kustomization.yaml` listing `OUT/<namespace>/<isvc>.yaml`, the
models the services use in `OUT/<namespace>/<model>.basemodel.yaml` and (cluster-scoped)
`OUT/_cluster/<model>.clusterbasemodel.yaml`, every file starting with HEADER. Neither name can be
a service's: service names have no dots, namespaces no underscores. Files without the header, and symlinks inside OUT, are never touched or
written through; omegen files whose service is gone are removed; an update is all or nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from omegen import yamlio
from omegen.api import GENERATED_HEADER, Rendered
from omegen.emit import transaction
from omegen.errors import Diagnostic, first_few, error, has_errors, warning
from omegen.render.models import NO_SERVICE

# Where cluster-scoped objects (ClusterBaseModels) go: not a valid namespace name.
CLUSTER_DIRECTORY = "_cluster"

HEADER = GENERATED_HEADER

# Objects a workload depends on come first, so a plain `kubectl apply -f` works in order.
_KIND_ORDER = {
    kind: i
    for i, kind in enumerate(
        (
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Service",
            "Deployment",
            "LeaderWorkerSet",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
        )
    )
}


def order(objects: Iterable[Rendered]) -> list[Rendered]:
    """Grouped by service (the models, which belong to none, first), then by kind (dependencies
    first), then by name."""
    return sorted(
        objects,
        key=lambda r: (r.service, _KIND_ORDER.get(r.kind, len(_KIND_ORDER)), r.kind, r.namespace or "", r.name),
    )


def stream(objects: Iterable[Rendered]) -> str:
    """One YAML stream (Argo CD plugin mode): documents separated by `---`."""
    return yamlio.dump_all([r.obj for r in order(objects)])


@dataclass(frozen=True)
class Plan:
    """What an output tree should contain: relative path → file text."""

    files: dict


def output_file(rendered: Rendered) -> str:
    """The file of OUT an object goes in: its service's, or its own for a model."""
    if rendered.service == NO_SERVICE:
        directory = rendered.namespace or CLUSTER_DIRECTORY
        return f"{directory}/{rendered.name}.{rendered.kind.lower()}.yaml"
    namespace, name = rendered.service
    return f"{namespace}/{name}.yaml"


def file_texts(objects: Iterable[Rendered]) -> dict:
    """Each output file's text (kustomization.yaml aside): relative path → text."""
    by_file: dict = {}
    for r in order(objects):
        by_file.setdefault(output_file(r), []).append(r)
    return {rel: HEADER + yamlio.dump_all([r.obj for r in rendered]) for rel, rendered in sorted(by_file.items())}


def plan_tree(objects: Iterable[Rendered], kept: Iterable[str] = (), texts: Optional[dict] = None) -> Plan:
    """The files of `objects` (`texts`: already made by `file_texts`), and the kustomization
    listing them and the files `kept` (a slice's build keeps the other slices' files, and lists them)."""
    files = dict(file_texts(objects) if texts is None else texts)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(set(files) | set(kept)),
    }
    files["kustomization.yaml"] = HEADER + yamlio.dump(kustomization)
    return Plan(files)


def _is_ours(path: Path) -> bool:
    try:
        with path.open("r", encoding="utf-8") as handle:
            return handle.readline() == HEADER.splitlines(keepends=True)[0]
    except (OSError, UnicodeDecodeError):
        return False


def _layout_files(out: Path) -> list[str]:
    return _Scan(out).layout_files()


@dataclass(frozen=True)
class Changes:
    write: tuple[str, ...]  # new or different
    remove: tuple[str, ...]  # omegen files whose service is gone
    foreign: tuple[str, ...]  # paths in the way that omegen did not write ("." is OUT itself)
    planned: tuple[str, ...] = ()  # every file the tree should hold (a slice: every file it writes)
    texts: dict = field(default_factory=dict, compare=False, repr=False)  # planned path → its text
    existing: frozenset = field(default=frozenset(), compare=False, repr=False)  # omegen's files in OUT/<namespace>/


# A slice's build asks, of each omegen file in OUT, whether it is the slice's to rewrite or remove:
# True, False (another slice's: kept and listed), None (cannot tell: kept, listed and reported).
Owner = Callable[[str], Optional[bool]]


def update_tree(
    out: Path, objects: Iterable[Rendered], *, check: bool, prune: bool = False, owner: Optional[Owner] = None, texts: Optional[dict] = None
) -> tuple[Changes, list[Diagnostic]]:
    """Bring OUT up to date (or, with `check`, only compare): the changes and what stood in the way.
    Nothing is written when anything is in the way; a failed or interrupted write leaves OUT as it
    was (emit/transaction). Removing more than half of OUT's services is in the way too, unless
    `prune` says it is meant. The whole update holds a lock on OUT. With `owner` (a slice), only
    the files it owns are written or removed, and the kustomization lists the others too."""
    objects = list(objects)
    texts = file_texts(objects) if texts is None else texts
    plan = plan_tree(objects, texts=texts)
    changes = Changes((), (), (), tuple(sorted(plan.files)), plan.files)
    made: list[Path] = []
    problems: list[Diagnostic] = []
    try:
        if not check and not out.exists() and not out.is_symlink():
            made = transaction.make_dirs(out)  # a directory to lock
        if not out.is_dir():
            changes = diff_tree(out, plan)
            return changes, _output_problems(out, changes, check)
        with transaction.locked(out, shared=check):
            if check:
                problems += _interrupted(out)
            else:
                problems += transaction.recover(out)
            if owner is not None:
                kept, unknown = _not_owned(out, owner, plan)
                plan = plan_tree(objects, kept, texts)
                problems += _unknown_owner(out, unknown)
            changes = diff_tree(out, plan, owner)
            problems += _output_problems(out, changes, check)
            if not check and not prune:
                problems += _mass_removal(out, changes, owner)
            if not check and not has_errors(problems):
                transaction.write_tree(out, plan.files, changes.write, changes.remove)
    except transaction.Locked:
        problems = [transaction.locked_error(out)]
    except OSError as exc:  # an unreadable, read-only or full OUT is not a bug; write_tree undid its work
        where = exc.filename or out
        problems = [error("output-error", f"cannot write {where}: {exc.strerror or exc}; nothing was changed", str(out))]
    finally:
        if has_errors(problems):
            for directory in reversed(made):
                _quietly(directory.rmdir)
    return changes, problems


def _interrupted(out: Path) -> list[Diagnostic]:
    """--check: what a killed build left (a journal, temporary files) is stale output."""
    journal, temporary = transaction.leftovers(out)
    problems = []
    if journal:
        problems.append(error("stale-output", f"{out} is half-updated by an interrupted build; run omegen build -o {out} to complete it", str(out / transaction.JOURNAL)))
    for rel in temporary:
        problems.append(error("stale-output", f"{out / rel} is a temporary file an interrupted build left; run omegen build -o {out}", str(out / rel)))
    return problems


def _output_problems(out: Path, changes: Changes, check: bool) -> list[Diagnostic]:
    problems = []
    for rel in changes.foreign:
        path = out / rel
        what = "is a symlink to a missing directory" if path.is_symlink() and not path.exists() else "exists and was not written by omegen"
        problems.append(error("output-conflict", f"{path} {what}; move it away or choose another -o", str(path)))
    if check:
        for rel in changes.write:
            problems.append(error("stale-output", f"{out / rel} is not up to date; run omegen build -o {out}", str(out / rel)))
        for rel in changes.remove:
            problems.append(error("stale-output", f"{out / rel} belongs to no service any more; run omegen build -o {out}", str(out / rel)))
    return problems


# A build may remove at most this share of the services already in OUT without --prune: a rename or
# two is routine, losing most of a tree is a wrong SRC, a bad merge or a broken filter.
PRUNE_THRESHOLD = 0.5


def _is_service_file(rel: str) -> bool:
    # `<namespace>/<isvc>.yaml`; a model's file has the kind in its name (`x.basemodel.yaml`).
    return "." not in rel.removesuffix(".yaml").rpartition("/")[2]


def slice_owner(owns_service: Callable[[str, str], Optional[bool]]) -> Owner:
    """A slice's `Owner` from its answer for a service file `<namespace>/<name>.yaml`. Model files
    are never a slice's: every slice may use a model, so only the build of the whole estate (or
    `emitModels: only`) writes and removes them."""

    def owner(rel: str) -> Optional[bool]:
        if not _is_service_file(rel):
            return False
        namespace, _, name = rel.removesuffix(".yaml").partition("/")
        return owns_service(namespace, name)

    return owner


def _not_owned(out: Path, owner: Owner, plan: Plan) -> tuple[list[str], list[str]]:
    """The omegen files in OUT a slice leaves alone: (all of them, those whose owner is unknown)."""
    kept, unknown = [], []
    for rel in _layout_files(out):
        if rel in plan.files or not _is_ours(out / rel):
            continue
        owned = owner(rel)
        if owned is not True:
            kept.append(rel)
        if owned is None:
            unknown.append(rel)
    return kept, unknown


def _unknown_owner(out: Path, unknown: list[str]) -> list[Diagnostic]:
    if not unknown:
        return []
    shown = first_few(unknown)
    return [
        warning(
            "slice-stale-file",
            f"{len(unknown)} file(s) in {out} belong to InferenceServices no source defines any more ({shown}); a slice by "
            "--only-selector cannot tell which slice they were in, so they were left in place: a build without --only-selector removes them",
            str(out),
        )
    ]


def _mass_removal(out: Path, changes: Changes, owner: Optional[Owner] = None) -> list[Diagnostic]:
    # A slice counts only its own services: the others are not its to remove.
    present = [rel for rel in sorted(changes.existing) if _is_service_file(rel) and (owner is None or owner(rel) is True)]
    removed = tuple(rel for rel in changes.remove if _is_service_file(rel))
    if not removed or len(removed) <= PRUNE_THRESHOLD * len(present):
        return []
    services = [rel.removesuffix(".yaml") for rel in removed]
    shown = first_few(services)
    return [
        error(
            "prune-needed",
            f"this build would remove {len(removed)} of the {len(present)} services in {out} ({shown}), more than half; "
            "nothing was written. If that is meant, run it again with --prune",
            str(out),
        )
    ]


def diff_tree(out: Path, plan: Plan, owner: Optional[Owner] = None) -> Changes:
    """What writing `plan` changes in OUT, reading OUT once: each directory listed once (no stat per
    file), each planned file read once and compared; only one that differs is opened again (header)."""
    write, foreign, ours = [], set(), set()
    scan = _Scan(out)
    for rel, text in sorted(plan.files.items()):
        state = scan.state(rel, text)
        if state in (_FOREIGN_DIRECTORY, _FOREIGN):
            foreign.add(scan.blocked(rel) if state == _FOREIGN_DIRECTORY else rel)
        elif state == _DIFFERENT or state == _MISSING:
            write.append(rel)
        if state in (_SAME, _DIFFERENT) and rel.count("/") == 1:
            ours.add(rel)
    remove = []
    for rel in scan.layout_files():
        if rel not in plan.files and _is_ours(out / rel):
            ours.add(rel)
            if owner is None or owner(rel) is True:
                remove.append(rel)
    return Changes(tuple(write), tuple(remove), tuple(sorted(foreign)), tuple(sorted(plan.files)), plan.files, frozenset(ours))


_SAME, _DIFFERENT, _MISSING, _FOREIGN, _FOREIGN_DIRECTORY = "same", "different", "missing", "foreign", "foreign-directory"


class _Scan:
    """OUT as one pass sees it: each directory listed at most once with os.scandir."""

    def __init__(self, out: Path):
        self.out = out
        self.listings: dict = {}
        self.out_blocked = _not_a_directory(out)
        self.out_missing = not self.out_blocked and not out.exists()

    def listing(self, rel_dir: str) -> Optional[dict]:
        """name → DirEntry of OUT/rel_dir ("" is OUT), or None when it cannot be listed."""
        if rel_dir not in self.listings:
            try:
                with os.scandir(self.out / rel_dir if rel_dir else self.out) as entries:
                    self.listings[rel_dir] = {e.name: e for e in entries}
            except OSError:
                self.listings[rel_dir] = None
        return self.listings[rel_dir]

    def blocked(self, rel: str) -> str:
        """The first directory on the way to `rel` that is not one ("." is OUT itself)."""
        if self.out_blocked:
            return "."
        parts = rel.split("/")[:-1]
        for i in range(len(parts)):
            d = self.out.joinpath(*parts[: i + 1])
            if _not_a_directory(d) or d.is_symlink():
                return "/".join(parts[: i + 1])
        return "."

    def state(self, rel: str, text: str) -> str:
        if self.out_blocked:
            return _FOREIGN_DIRECTORY
        if self.out_missing:
            return _MISSING
        parts = rel.split("/")
        parent = ""
        for name in parts[:-1]:
            listing = self.listing(parent)
            if listing is None:
                return _state_by_path(self.out, rel, text)
            entry = listing.get(name)
            if entry is None:
                return _MISSING  # nothing below it exists either
            # Every directory on the way must be one: a user's file named like a namespace, or (below
            # OUT) any symlink, is in the way.
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                return _FOREIGN_DIRECTORY
            parent = f"{parent}/{name}" if parent else name
        listing = self.listing(parent)
        if listing is None:
            return _state_by_path(self.out, rel, text)
        entry = listing.get(parts[-1])
        if entry is None:
            return _MISSING
        if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
            return _FOREIGN  # omegen never writes symlinks, so a symlink here is someone else's
        try:
            with open(entry.path, "rb") as handle:
                if handle.read() == text.encode("utf-8"):
                    return _SAME  # its bytes are the new ones, header included
        except OSError:
            return _FOREIGN
        return _DIFFERENT if _is_ours(self.out / rel) else _FOREIGN

    def layout_files(self) -> list[str]:
        # Only where the layout puts files (OUT/<namespace>/<isvc>.yaml): an omegen file elsewhere, such
        # as another tree nested in OUT, is not a stale service file. Never through a symlink: what it
        # points at is not OUT's to delete.
        top = self.listing("") if not self.out_blocked else None
        files = []
        for name, entry in sorted((top or {}).items()):
            if not entry.is_dir(follow_symlinks=False):
                continue
            for file, e in sorted((self.listing(name) or {}).items()):
                if file.endswith(".yaml") and e.is_file(follow_symlinks=False):
                    files.append(f"{name}/{file}")
        return files


def _state_by_path(out: Path, rel: str, text: str) -> str:
    """`_Scan.state` for a directory that cannot be listed (searchable, not readable): path by path."""
    path = out / rel
    parts = Path(rel).parts[:-1]
    if any(_not_a_directory(d) or d.is_symlink() for d in (out.joinpath(*parts[: i + 1]) for i in range(len(parts)))):
        return _FOREIGN_DIRECTORY
    if path.is_symlink() or (path.exists() and not _is_ours(path)):
        return _FOREIGN
    if not path.exists():
        return _MISSING
    return _SAME if path.read_bytes() == text.encode("utf-8") else _DIFFERENT


def write_tree(out: Path, plan: Plan, changes: Changes) -> None:
    """Apply `changes` (from `diff_tree`) to OUT, all or nothing, without the lock `update_tree` takes."""
    transaction.write_tree(out, plan.files, changes.write, changes.remove)


def _not_a_directory(path: Path) -> bool:
    return (path.is_symlink() and not path.exists()) or (path.exists() and not path.is_dir())


def _quietly(action, *args, **kwargs) -> None:
    # Clean-up after a failure: do what can be done; the original exception is what gets reported.
    try:
        action(*args, **kwargs)
    except OSError:
        pass
