"""Emit: ordering, the output tree, --check, atomic and careful writes."""

from __future__ import annotations

from omegen import emit
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
    assert changes.write == ("kustomization.yaml", "ns/a.yaml", "ns/b.yaml") and changes.stale
    emit.write_tree(out, plan, changes)
    assert (out / "kustomization.yaml").read_text() == emit.HEADER + (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ns/a.yaml\n- ns/b.yaml\n"
    )
    assert (out / "ns/b.yaml").read_text().startswith(emit.HEADER + "apiVersion: v1\nkind: Deployment\n")
    assert not emit.diff_tree(out, plan).stale
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
