"""The pipeline end to end on small trees: stage order, diagnostics that reach the user, determinism."""

from __future__ import annotations

from omegen import emit, pipeline
from test_load import MODEL, SEED_RUNTIME, SEED_SERVICE


def texts(result):
    return [d.as_text() for d in result.diagnostics]


def test_missing_model_is_an_error_at_the_reference(tree):
    result = pipeline.build(tree({"rt.yaml": SEED_RUNTIME, "isvc.yaml": SEED_SERVICE}), builtin=False)
    assert texts(result) == [
        "isvc.yaml:9:7: error[model-not-found]: model llama-3-1-70b not found: "
        "no BaseModel llama-3-1-70b in namespace llama-3-1-70b and no ClusterBaseModel llama-3-1-70b"
    ]
    assert result.objects == () and not result.ok


def test_one_broken_service_does_not_hide_the_others(tree):
    other = SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace", "name: second\n  namespace")
    broken = other.replace("name: second", "name: third").replace("runtime: vllm-text-generation", "runtime: nope")
    result = pipeline.build(
        tree({"rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE, "b.yaml": other, "c.yaml": broken}),
        builtin=False,
    )
    assert [d.code for d in result.diagnostics] == ["runtime-not-found"]
    assert sorted({r.service[1] for r in result.objects}) == ["llama-3-1-70b", "second"]


def test_strict_turns_warnings_into_errors(tree):
    runtime = SEED_RUNTIME.replace("      autoSelect: true\n", "")  # priority without autoSelect: a warning
    root = tree({"rt.yaml": runtime, "m.yaml": MODEL, "a.yaml": SEED_SERVICE})
    relaxed = pipeline.build(root, builtin=False)
    assert relaxed.ok and [d.severity.label for d in relaxed.diagnostics if d.code == "priority-ignored"] == ["warning"]
    strict = pipeline.build(root, builtin=False, strict=True)
    assert not strict.ok and [d.severity.label for d in strict.diagnostics if d.code == "priority-ignored"] == ["error"]


def test_same_sources_give_byte_identical_output(tree, tmp_path):
    files = {"rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE}
    first = emit.stream(pipeline.build(tree(files), builtin=False).objects)
    from conftest import write_tree

    renamed = write_tree(tmp_path / "elsewhere", {f"z/{name}": text for name, text in reversed(list(files.items()))})
    assert emit.stream(pipeline.build(renamed, builtin=False).objects) == first
