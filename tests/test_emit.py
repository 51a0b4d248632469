"""Emit: ordering, the output tree, --check, atomic and careful writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from omegen.emit import tree as emit
from omegen.api import Rendered


def obj(kind, name, namespace="ns", **extra):
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}, **extra}


OBJECTS = [
    Rendered(obj("Deployment", "b-engine"), ("ns", "b")),
    Rendered(obj("Service", "a"), ("ns", "a")),
    Rendered(obj("Deployment", "a-engine"), ("ns", "a")),
    Rendered(obj("Service", "a-engine"), ("ns", "a")),
    Rendered(obj("ServiceAccount", "a-router"), ("ns", "a")),
]


def test_order_groups_by_service_then_kind_then_name():
    assert [(r.service[1], r.kind, r.name) for r in emit.order(OBJECTS)] == [
        ("a", "ServiceAccount", "a-router"),
        ("a", "Service", "a"),
        ("a", "Service", "a-engine"),
        ("a", "Deployment", "a-engine"),
        ("b", "Deployment", "b-engine"),
    ]
    assert emit.stream(OBJECTS) == emit.stream(list(reversed(OBJECTS)))


def test_tree_layout_and_header(tmp_path):
    out = tmp_path / "out"
    plan = emit.plan_tree(OBJECTS)
    assert sorted(plan.files) == ["kustomization.yaml", "ns/a.yaml", "ns/b.yaml"]
    changes = emit.diff_tree(out, plan)
    assert changes.write == ("kustomization.yaml", "ns/a.yaml", "ns/b.yaml")
    emit.write_tree(out, plan, changes)
    assert (out / "kustomization.yaml").read_text() == emit.HEADER + (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ns/a.yaml\n- ns/b.yaml\n"
    )
    assert (out / "ns/b.yaml").read_text().startswith(emit.HEADER + "apiVersion: v1\nkind: Deployment\n")
    again = emit.diff_tree(out, plan)
    assert (again.write, again.remove) == ((), ())
    assert not list(out.rglob("*.tmp"))


def test_stale_files_are_removed_and_foreign_files_are_left_alone(tmp_path):
    out = tmp_path / "out"
    emit.write_tree(out, emit.plan_tree(OBJECTS), emit.diff_tree(out, emit.plan_tree(OBJECTS)))
    (out / "README.yaml").write_text("mine: true\n")
    only_a = [r for r in OBJECTS if r.service == ("ns", "a")]
    plan = emit.plan_tree(only_a)
    changes = emit.diff_tree(out, plan)
    assert changes.remove == ("ns/b.yaml",)
    assert changes.write == ("kustomization.yaml",)
    emit.write_tree(out, plan, changes)
    assert not (out / "ns/b.yaml").exists()
    assert (out / "README.yaml").read_text() == "mine: true\n"


def test_a_foreign_file_in_the_way_is_reported(tmp_path):
    out = tmp_path / "out"
    (out / "ns").mkdir(parents=True)
    (out / "ns/a.yaml").write_text("handwritten: true\n")
    changes = emit.diff_tree(out, emit.plan_tree(OBJECTS))
    assert changes.foreign == ("ns/a.yaml",)


def snapshot(root):
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def write(out, objects):
    plan = emit.plan_tree(objects)
    emit.write_tree(out, plan, emit.diff_tree(out, plan))


# The second build changes ns/a.yaml and kustomization.yaml, adds other/c.yaml and removes ns/b.yaml.
SECOND = [r for r in OBJECTS if r.service != ("ns", "b")] + [Rendered(obj("Deployment", "c-engine", "other"), ("other", "c"))]
SECOND[1] = Rendered(obj("Service", "a", spec={"ports": [{"port": 80}]}), ("ns", "a"))


def test_written_files_get_the_usual_permissions(tmp_path):
    # Temporary files are private (0600); the files they become must not be.
    old = os.umask(0o022)
    try:
        write(tmp_path / "out", OBJECTS)
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").rglob("*.yaml")}
    assert modes == {0o644}


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_an_interrupted_write_leaves_the_previous_tree_intact(tmp_path, monkeypatch, fail_at):
    out = tmp_path / "out"
    write(out, OBJECTS)
    before = snapshot(out)
    plan = emit.plan_tree(SECOND)
    changes = emit.diff_tree(out, plan)
    assert changes.write == ("kustomization.yaml", "ns/a.yaml", "other/c.yaml") and changes.remove == ("ns/b.yaml",)
    real_replace, calls = os.replace, []

    def replace(src, dst):  # Ctrl-C after `fail_at - 1` renames (the 4th step is the stale file's removal)
        calls.append(dst)
        if len(calls) == fail_at < 4:
            raise KeyboardInterrupt
        real_replace(src, dst)

    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self.name == "b.yaml" and fail_at == 4:
            raise KeyboardInterrupt
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(KeyboardInterrupt):
        emit.write_tree(out, plan, changes)
    monkeypatch.undo()
    assert snapshot(out) == before  # no half-updated tree, no temporary files, no new directories


def test_a_failure_while_staging_leaves_nothing_behind(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write(out, OBJECTS)
    before = snapshot(out)
    plan = emit.plan_tree(SECOND)
    real_write, calls = os.write, []

    def write_fails(fd, data):  # the disk fills up on the second file
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write_fails)
    with pytest.raises(OSError):
        emit.write_tree(out, plan, emit.diff_tree(out, plan))
    monkeypatch.undo()
    assert snapshot(out) == before


def test_only_files_of_the_layout_are_ever_removed(tmp_path):
    # OUT/<namespace>/<isvc>.yaml is the layout: an omegen file deeper down (another tree nested in
    # OUT, or one a user keeps) is not a stale service file.
    out = tmp_path / "out"
    write(out, OBJECTS)
    nested = out / "prod" / "ns" / "x.yaml"
    nested.parent.mkdir(parents=True)
    nested.write_text(emit.HEADER + "a: 1\n")
    changes = emit.diff_tree(out, emit.plan_tree(OBJECTS[:1]))
    assert changes.remove == ("ns/a.yaml",)


def test_check_compares_bytes(tmp_path):
    out = tmp_path / "out"
    write(out, OBJECTS)
    path = out / "ns/a.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert emit.diff_tree(out, emit.plan_tree(OBJECTS)).write == ("ns/a.yaml",)


def test_things_in_the_way_of_the_layout_are_foreign(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "ns").write_text("not a directory\n")
    (out / "kustomization.yaml").mkdir()
    assert emit.diff_tree(out, emit.plan_tree(OBJECTS)).foreign == ("kustomization.yaml", "ns")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing")
    assert emit.diff_tree(dangling, emit.plan_tree(OBJECTS)).foreign == (".",)


def test_stale_files_are_never_removed_through_a_symlinked_directory(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text(emit.HEADER + "a: 1\n")
    out = tmp_path / "out"
    write(out, OBJECTS)
    (out / "linked").symlink_to(elsewhere)
    changes = emit.diff_tree(out, emit.plan_tree(OBJECTS))
    assert changes.remove == ()


def test_nothing_is_written_through_a_symlinked_namespace_directory(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "ns").symlink_to(elsewhere)
    assert emit.diff_tree(out, emit.plan_tree(OBJECTS)).foreign == ("ns",)
    # OUT itself may be a symlink: the user chose it.
    link = tmp_path / "link"
    link.symlink_to(elsewhere)
    assert emit.diff_tree(link, emit.plan_tree(OBJECTS)).foreign == ()


def _many(count):
    return [Rendered(obj("Service", f"s{i}", namespace=f"ns{i % 2}"), (f"ns{i % 2}", f"s{i}")) for i in range(count)]


def test_staged_files_are_made_durable_together_not_one_fsync_each(tmp_path, monkeypatch):
    # 40 files: with syncfs, the fsyncs left are the directories' and the journal's, not one per file.
    from omegen.emit import transaction

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    filesystems = []
    real_syncfs = transaction._syncfs
    monkeypatch.setattr(transaction, "_syncfs", lambda out, paths: (filesystems.append(len(paths)), real_syncfs(out, paths))[1])
    plan = emit.plan_tree(_many(40))
    out = tmp_path / "out"
    emit.write_tree(out, plan, emit.diff_tree(out, plan))
    assert filesystems == [41]  # every staged file (40 and the kustomization) in one call
    if real_syncfs(out, [out / "kustomization.yaml"]):
        assert len(synced) < 10, len(synced)
    assert emit.diff_tree(out, plan).write == ()


def test_without_syncfs_each_staged_file_is_fsynced(tmp_path, monkeypatch):
    from omegen.emit import transaction

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    monkeypatch.setattr(transaction, "_syncfs", lambda out, paths: False)
    plan = emit.plan_tree(_many(40))
    out = tmp_path / "out"
    emit.write_tree(out, plan, emit.diff_tree(out, plan))
    assert len(synced) >= 41
    assert emit.diff_tree(out, plan).write == ()


def test_a_file_edited_by_hand_is_found_whatever_its_size_and_time(tmp_path):
    # No record of what was written is trusted: the bytes are compared, so an edit that keeps the
    # size and the modification time is still stale output.
    plan = emit.plan_tree(_many(6))
    out = tmp_path / "out"
    emit.write_tree(out, plan, emit.diff_tree(out, plan))
    path = out / "ns1" / "s3.yaml"
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"name: s3", b"name: s9"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    changes = emit.diff_tree(out, plan)
    assert changes.write == ("ns1/s3.yaml",)
    assert "ns1/s3.yaml" in changes.existing  # still omegen's: rewritten, not in the way
