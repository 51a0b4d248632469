"""Slices (`--only-namespace`, `--only-selector`): which services a build renders, and which files
of OUT it may write or remove. Real trees over the built-in catalog, real builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import omegen_yaml, run_cli, write_tree
from omegen import pipeline
from omegen.load import inputschema
from omegen.load.slices import Requirement, Slice, SliceError, make_slice, parse_selector
from omegen.render import service as render_service

MODEL = "llama-3-1-8b-instruct"  # a catalog model with one auto-selectable runtime


def service(name: str, namespace: str | None = None, labels: dict | None = None, model: str = MODEL) -> str:
    lines = ["apiVersion: ome.io/v1beta1", "kind: InferenceService", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    if labels:
        lines.append("  labels:")
        lines.extend(f"    {k}: {v}" for k, v in labels.items())
    lines += ["spec:", "  model:", f"    name: {model}", "  engine:", "    minReplicas: 1", "    maxReplicas: 1", ""]
    return "\n".join(lines)


ESTATE = {
    "omegen.yaml": omegen_yaml("defaultNamespace: team-d\n"),
    "team-a/chat.yaml": service("chat", "team-a", {"tier": "gold"}),
    "team-a/code.yaml": service("code", "team-a"),
    "team-a/docs.yaml": service("docs", "team-a", {"tier": "bronze"}),
    "team-b/search.yaml": service("search", "team-b", {"tier": "gold", "team": "search"}),
    "team-b/rank.yaml": service("rank", "team-b", {"team": "search"}),
    "defaulted/plain.yaml": service("plain"),  # no namespace: the defaultNamespace, team-d
}


def names(build) -> list:
    return sorted({r.service for r in build.objects})


def sliced(src: Path, namespaces=(), selectors=(), **options):
    return pipeline.run(pipeline.Options(src=src, write=False, slice=make_slice(namespaces, selectors), **options))


# --- the matching rule -----------------------------------------------------------------------------


def test_selector_requirements_as_kubectl_writes_them():
    assert parse_selector("tier=gold,team!=search, gpu ,!spot,a==b") == [
        Requirement("tier", "=", "gold"),
        Requirement("team", "!=", "search"),
        Requirement("gpu", "exists"),
        Requirement("spot", "!exists"),
        Requirement("a", "=", "b"),
    ]
    chosen = make_slice(["team-a"], ["tier=gold", "!spot"])
    assert chosen.matches("team-a", {"tier": "gold"})
    assert not chosen.matches("team-b", {"tier": "gold"}), "the namespace and the selector must both hold"
    assert not chosen.matches("team-a", {"tier": "gold", "spot": "yes"}), "every flag's requirements hold (AND)"
    assert make_slice([], ["team!=x"]).matches("n", {}), "an absent label is not equal to any value"
    assert not Slice() and make_slice(["a"]) and make_slice([], ["k"])


@pytest.mark.parametrize("namespaces, selectors", [(["Team_A"], []), (["a/b"], []), ([], [""]), ([], ["a=b=c"]), ([], ["tier=not a value"]), ([], ["!"])])
def test_a_bad_namespace_or_selector_is_refused(namespaces, selectors):
    with pytest.raises(SliceError):
        make_slice(namespaces, selectors)


def test_a_slice_renders_only_its_services(tmp_path):
    src = write_tree(tmp_path / "src", ESTATE)
    assert names(sliced(src, ["team-a"])) == [("team-a", "chat"), ("team-a", "code"), ("team-a", "docs")]
    assert names(sliced(src, ["team-a", "team-b"], ["tier=gold"])) == [("team-a", "chat"), ("team-b", "search")]
    assert names(sliced(src, [], ["team=search", "tier!=gold"])) == [("team-b", "rank")]
    assert names(sliced(src, [], ["!tier"])) == [("team-a", "code"), ("team-b", "rank"), ("team-d", "plain")]
    # a service written without a namespace is in the defaultNamespace
    assert names(sliced(src, ["team-d"])) == [("team-d", "plain")]


def test_a_slice_emits_no_models_and_renders_what_the_full_build_does(tmp_path):
    src = write_tree(tmp_path / "src", ESTATE)
    full = pipeline.build(src)
    part = sliced(src, ["team-b"])
    assert part.ok and any(r.kind == "ClusterBaseModel" for r in full.objects)
    assert not any(r.kind == "ClusterBaseModel" for r in part.objects), "models belong to every slice: none emits them"
    assert [r.obj for r in part.objects] == [r.obj for r in full.objects if r.service[:1] == ("team-b",)]


def test_a_slice_matches_the_service_as_written_before_overlays(tmp_path):
    files = {f"base/{k}": v for k, v in ESTATE.items()}
    files["prod/omegen.yaml"] = omegen_yaml(
        """
        resources: [../base]
        namespace: prod
        patches:
          - target: {kind: InferenceService, name: code}
            patch: |
              - op: add
                path: /metadata/labels
                value: {tier: gold}
        """
    )
    write_tree(tmp_path / "src", files)
    build = sliced(tmp_path / "src" / "prod", ["team-a"], ["tier=gold"], root=tmp_path / "src")
    assert build.ok, build.diagnostics
    # `code` got tier=gold from the overlay's patch: not as written, so not in the slice; every
    # object moved to namespace prod, yet the slice is by the namespace as written.
    assert names(build) == [("team-a", "chat")]
    assert {r.namespace for r in build.objects} == {"prod"}


def test_an_empty_slice_is_an_error(tmp_path, capsys):
    src = write_tree(tmp_path / "src", ESTATE)
    code, out, err = run_cli(["build", str(src), "--only-namespace", "team-z"], capsys)
    assert code == 1 and out == ""
    assert "error[empty-slice]: no InferenceService matches --only-namespace team-z (the sources define 6)" in err
    code, _, err = run_cli(["validate", str(src), "--only-selector", "tier=platinum"], capsys)
    assert code == 1 and "error[empty-slice]" in err
    code, _, err = run_cli(["build", str(src), "--only-selector", "tier=not valid"], capsys)
    assert code == 2 and "--only-selector 'tier=not valid'" in err


def test_errors_of_services_outside_the_slice_are_not_the_slices(tmp_path):
    files = dict(ESTATE)
    files["team-b/broken.yaml"] = service("broken", "team-b").replace("minReplicas: 1", "minReplicas: many")
    src = write_tree(tmp_path / "src", files)
    assert not pipeline.build(src).ok
    assert sliced(src, ["team-a"]).ok
    assert not sliced(src, ["team-b"]).ok


def test_a_duplicate_across_the_slice_boundary_is_still_reported(tmp_path):
    files = dict(ESTATE)
    files["elsewhere/chat.yaml"] = service("chat", "team-a", {"tier": "bronze"})  # the same identity as team-a/chat
    src = write_tree(tmp_path / "src", files)
    build = sliced(src, [], ["tier=gold"])
    assert [d.code for d in build.diagnostics if d.severity.label == "error"] == ["duplicate-object"]


def test_emit_models_only_cannot_be_sliced(tmp_path):
    files = dict(ESTATE)
    files["omegen.yaml"] = omegen_yaml("emitModels: only\n")
    src = write_tree(tmp_path / "src", files)
    assert pipeline.build(src).ok
    assert [d.code for d in sliced(src, ["team-a"]).diagnostics] == ["slice-models"]


def test_only_the_slice_is_checked_resolved_rendered(tmp_path, monkeypatch):
    src = write_tree(tmp_path / "src", ESTATE)
    rendered, checked = [], []
    real_render, real_check = render_service.render_service, inputschema.check_document
    monkeypatch.setattr(render_service, "render_service", lambda resolution, **kw: (rendered.append(resolution.service.name), real_render(resolution, **kw))[1])
    monkeypatch.setattr(inputschema, "check_document", lambda kind, doc, file, version: (checked.append((kind, file)), real_check(kind, doc, file, version))[1])
    assert sliced(src, ["team-b"]).ok
    assert sorted(rendered) == ["rank", "search"]
    assert sorted(f for kind, f in checked if kind == "InferenceService") == ["team-b/rank.yaml", "team-b/search.yaml"]


# --- OUT: a slice writes and removes only its own files -------------------------------------------


def build_out(capsys, src: Path, out: Path, *flags) -> tuple:
    return run_cli(["build", str(src), "-o", str(out), *flags], capsys)


def snapshot(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_slice_updates_only_its_files_and_lists_every_file(tmp_path, capsys):
    src = write_tree(tmp_path / "src", ESTATE)
    out = tmp_path / "out"
    assert build_out(capsys, src, out)[0] == 0
    full = snapshot(out)
    assert build_out(capsys, src, out, "--only-namespace", "team-a")[0] == 0
    assert snapshot(out) == full, "a slice over an up-to-date tree changes nothing (the kustomization lists every file)"

    # Change a service in each slice, remove one in team-a; build team-a only.
    (src / "team-a/chat.yaml").write_text(service("chat", "team-a", {"tier": "gold", "new": "v2"}))
    (src / "team-b/search.yaml").write_text(service("search", "team-b", {"tier": "gold", "team": "search", "new": "v2"}))
    (src / "team-a/docs.yaml").unlink()
    code, _, err = build_out(capsys, src, out, "--only-namespace", "team-a")
    assert code == 0, err
    now = snapshot(out)
    assert now["team-a/chat.yaml"] != full["team-a/chat.yaml"]
    assert "team-a/docs.yaml" not in now
    assert now["team-b/search.yaml"] == full["team-b/search.yaml"], "another slice's file is left alone, even stale"
    models = [rel for rel in full if rel.endswith("basemodel.yaml")]
    assert models and all(now[rel] == full[rel] for rel in models), "models are the estate's, not a slice's"
    assert "team-a/docs.yaml" not in now["kustomization.yaml"] and "team-b/search.yaml" in now["kustomization.yaml"]

    # --check of the other slice sees its own stale file only.
    code, _, err = build_out(capsys, src, out, "--check", "--only-namespace", "team-b")
    stale = [line for line in err.splitlines() if "error[stale-output]" in line]
    assert code == 1 and len(stale) == 1 and "team-b/search.yaml is not up to date" in stale[0], err
    # The full build afterwards is what a full build from scratch makes.
    assert build_out(capsys, src, out)[0] == 0
    fresh = tmp_path / "fresh"
    assert build_out(capsys, src, fresh)[0] == 0
    assert snapshot(out) == snapshot(fresh)


def test_a_service_gone_from_the_sources(tmp_path, capsys):
    src = write_tree(tmp_path / "src", ESTATE)
    out = tmp_path / "out"
    assert build_out(capsys, src, out)[0] == 0
    (src / "team-b/rank.yaml").unlink()
    # A selector slice cannot tell which slice the gone service was in: it keeps the file, and says so.
    code, _, err = build_out(capsys, src, out, "--only-selector", "tier=gold")
    assert code == 0 and "warning[slice-stale-file]" in err and "team-b/rank.yaml" in err
    assert (out / "team-b/rank.yaml").is_file()
    # Another namespace's slice leaves it; its own namespace's removes it.
    assert build_out(capsys, src, out, "--only-namespace", "team-a")[0] == 0 and (out / "team-b/rank.yaml").is_file()
    assert build_out(capsys, src, out, "--only-namespace", "team-b")[0] == 0
    assert not (out / "team-b/rank.yaml").exists()
    assert "team-b/rank.yaml" not in (out / "kustomization.yaml").read_text()


def test_the_prune_threshold_counts_only_the_slice(tmp_path, capsys):
    files = dict(ESTATE)
    files.update({f"team-b/extra-{i}.yaml": service(f"extra-{i}", "team-b") for i in range(6)})
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "out"
    assert build_out(capsys, src, out)[0] == 0
    before = snapshot(out)
    (src / "team-a/chat.yaml").unlink()
    (src / "team-a/docs.yaml").unlink()  # 2 of team-a's 3: more than half of the slice, 2 of 12 overall
    code, _, err = build_out(capsys, src, out, "--only-namespace", "team-a")
    assert code == 1 and "error[prune-needed]: this build would remove 2 of the 3 services" in err
    assert snapshot(out) == before
    assert build_out(capsys, src, out, "--only-namespace", "team-a", "--prune")[0] == 0
    assert not (out / "team-a/chat.yaml").exists() and (out / "team-b/extra-0.yaml").exists()
