"""Every message kind issue 10 names, through the CLI's text report, with its length bound: a person
reads it in seconds. Beside these, commands/brief.py caps every line at 500 characters."""

from __future__ import annotations

import pytest

from conftest import omegen_yaml, run_cli as run
from omegen.commands import brief
from seed_example import SEED_RUNTIME, SEED_SERVICE
from test_brief import BROKEN_RUNTIME, generated_runtime, priority_without_autoselect
from test_load import MODEL
from test_replaced_and_ambiguous import SERVICE as OME_SERVICE, model as sized_model, runtime as sized_runtime

NO_BUILTIN = omegen_yaml("builtinRuntimes: false\n")
SEED = {"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE}
AUTO = SEED_SERVICE.replace("      runtime: vllm-text-generation\n", "")
UNSERVED = MODEL.replace("LlamaForCausalLM", "UnheardOfForCausalLM")

# name → (files, extra argv, exit code, the code whose line is measured, its bound in characters)
CASES = {
    "wrong apiVersion": ({**SEED, "a.yaml": SEED_SERVICE.replace("ome.io/v1beta1", "ome.io/v1")}, [], 1, "unknown-api-version", 200),
    "empty tree": ({"omegen.yaml": NO_BUILTIN}, [], 1, "no-services", 250),
    "runner args": (
        {"omegen.yaml": NO_BUILTIN, "rt.yaml": sized_runtime("vllm-8b"), "m.yaml": sized_model("  modelParameterSize: 8B\n"), "isvc.yaml": OME_SERVICE},
        [], 0, "runner-args-replaced", 250,
    ),
    "model without a size": (
        {"omegen.yaml": NO_BUILTIN, "s.yaml": sized_runtime("vllm-8b"), "l.yaml": sized_runtime("vllm-70b", "min: 60B\n    max: 80B"),
         "m.yaml": sized_model(), "isvc.yaml": OME_SERVICE.replace("  engine:\n    runner:\n      args: [--max-model-len=32768]\n", "")},
        [], 0, "ambiguous-runtime", 400,
    ),
    "consequence after its cause": ({**SEED, "rt.yaml": BROKEN_RUNTIME}, [], 1, "unknown-field", 150),
    "type error in a runtime": (
        {**SEED, "rt.yaml": SEED_RUNTIME.replace("      image: official-vllm-openai:0.5.3\n", '      image: official-vllm-openai:0.5.3\n      ports: [{containerPort: "8080"}]\n')},
        [], 1, "invalid-field", 200,
    ),
    "borrowed catalog's warnings": ({**SEED, **{f"x/r{i:03d}.yaml": priority_without_autoselect(i) for i in range(120)}}, [], 0, "priority-ignored", brief.MAX_LINE),
    "runtime one letter off": ({**SEED, "a.yaml": SEED_SERVICE.replace("runtime: vllm-text-generation", "runtime: vllm-text-generaton")}, [], 1, "runtime-not-found", 250),
    "resources under engine": (
        {**SEED, "a.yaml": SEED_SERVICE + "  engine:\n    resources:\n      limits: {nvidia.com/gpu: 1}\n"}, [], 1, "unknown-field", 200,
    ),
    "yaml syntax": ({**SEED, "a.yaml": "apiVersion: ome.io/v1beta1\nkind: [InferenceService\nmetadata: {}\n"}, [], 1, "yaml-syntax", 200),
    "no runtime over 200 runtimes": (
        {"omegen.yaml": NO_BUILTIN, "m.yaml": UNSERVED, "a.yaml": AUTO, **{f"r/r{i:03d}.yaml": generated_runtime(i) for i in range(200)}},
        [], 1, "no-runtime", 120,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_message_is_short(name, tree, capsys):
    files, argv, expected, code, bound = CASES[name]
    src = tree(files)
    status, _, err = run(["build", str(src), *argv], capsys)
    assert status == expected, err
    lines = err.replace(str(src), "SRC").splitlines()  # a message naming SRC is as long as its path, and no longer
    (line,) = [l for l in lines if f"[{code}]: " in l]
    assert len(line) <= bound, (len(line), line)
    assert all(len(l) <= brief.MAX_LINE for l in lines)
    if expected == 0:  # never silent: the summary line ends the report, short too
        assert lines[-1].startswith("omegen: ") and len(lines[-1]) <= 200


def test_no_runtime_notes_are_a_few_short_lines(tree, capsys):
    files, *_ = CASES["no runtime over 200 runtimes"]
    _, _, err = run(["build", str(tree(files))], capsys)
    lines = err.splitlines()
    first = next(i for i, l in enumerate(lines) if "[no-runtime]" in l)
    notes = [l for l in lines[first + 1 :] if l.startswith("  ")]
    assert 3 <= len(notes) <= 6 and all(len(n) <= 160 for n in notes)


def test_explain_a_service_that_does_not_exist(tree, capsys):
    status, _, err = run(["explain", "llama-3-1-7b", str(tree(SEED))], capsys)
    (line,) = err.splitlines()
    assert status == 1 and "did you mean llama-3-1-70b -n llama-3-1-70b?" in line and len(line) <= 300


def test_prune_needed(tree, tmp_path, capsys):
    src = tree(SEED)
    out = tmp_path / "out"
    assert run(["build", str(src), "-o", str(out)], capsys)[0] == 0
    (src / "a.yaml").unlink()
    (src / "b.yaml").write_text(SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace", "name: other\n  namespace"))
    status, _, err = run(["build", str(src), "-o", str(out)], capsys)
    (line,) = [l for l in err.splitlines() if "[prune-needed]" in l]
    assert status == 1 and len(line) <= 300
