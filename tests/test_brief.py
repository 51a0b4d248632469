"""Messages a person reads in seconds (issue 10): causes before consequences, a consequence left out
when its cause is the whole story, a short no-runtime, repeated warnings collapsed, no line over 500
characters, -q for errors only; -v and --format json keep everything."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli as run, UPSTREAM_OME, omegen_yaml
from omegen import pipeline
from omegen.commands import brief
from seed_example import SEED_RUNTIME, SEED_SERVICE
from test_load import MODEL

NO_BUILTIN = omegen_yaml("builtinRuntimes: false\n")


def generated_runtime(i: int) -> str:
    arch = ["MistralForCausalLM", "Qwen2ForCausalLM", "GemmaForCausalLM", "PhiForCausalLM"][i % 4]
    return f"""\
apiVersion: ome.io/v1beta1
kind: ClusterServingRuntime
metadata:
  name: generated-{i:03d}
spec:
  supportedModelFormats:
    - modelFormat: {{name: safetensors}}
      modelArchitecture: {arch}
      autoSelect: true
      priority: {1 + i % 3}
  modelSizeRange: {{min: {1 + i % 50}B, max: {60 + i % 50}B}}
  engineConfig:
    runner:
      name: ome-container
      image: vllm/vllm-openai:v0.9.0
"""


@pytest.fixture(params=["upstream", "generated"])
def catalog(request, tree):
    """OME's own catalog (skipped when ../shared/upstream is absent) and, always, 200 generated
    runtimes; plus a Llama model no runtime serves and a service of it."""
    model = MODEL.replace("LlamaForCausalLM", "UnheardOfForCausalLM")
    files = {"omegen.yaml": NO_BUILTIN, "m.yaml": model, "isvc.yaml": SEED_SERVICE.replace("      runtime: vllm-text-generation\n", "")}
    if request.param == "upstream":
        if not UPSTREAM_OME.is_dir():
            pytest.skip("../shared/upstream is not present")
        import shutil

        root = tree(files)
        shutil.copytree(UPSTREAM_OME / "runtimes", root / "upstream")  # in the tree: a symlink out of it is refused
        return root, 150
    files |= {f"runtimes/r{i:03d}.yaml": generated_runtime(i) for i in range(200)}
    return tree(files), 200


def test_no_runtime_over_a_large_catalog_is_a_few_short_lines(catalog, capsys):
    src, at_least = catalog
    code, _, err = run(["build", str(src)], capsys)
    assert code == 1
    lines = err.splitlines()
    first = next(i for i, l in enumerate(lines) if "error[no-runtime]" in l)
    notes = []
    for line in lines[first + 1 :]:
        if not line.startswith("  "):
            break
        notes.append(line[2:])
    # A headline and at most six short lines: the counts per rule, the closest three, the pointer.
    assert lines[first] == "isvc.yaml:9:7: error[no-runtime]: no runtime can be auto-selected for ClusterBaseModel llama-3-1-70b"
    assert 3 <= len(notes) <= 5 and all(len(note) <= 160 for note in notes), notes
    excluded = int(notes[0].split(" runtimes excluded (")[0])
    assert excluded >= at_least and notes[0].endswith(")") and " by architecture" in notes[0]
    closest = [n for n in notes if n.startswith("closest: ")]
    assert 1 <= len(closest) <= 3 and all("(needs " in n for n in closest)
    assert notes[-1] == "omegen explain llama-3-1-70b -n llama-3-1-70b lists every runtime"
    assert sum(len(l) for l in lines[first : first + 1 + len(notes)]) <= 600
    assert all(len(l) <= brief.MAX_LINE for l in lines)
    # JSON keeps the same words: a headline and its notes.
    code, _, err = run(["build", str(src), "--format", "json"], capsys)
    (d,) = [d for d in json.loads(err) if d["code"] == "no-runtime"]
    assert d["message"] == lines[first].split("error[no-runtime]: ")[1] and d["notes"] == notes


BROKEN_RUNTIME = SEED_RUNTIME.replace("  supportedModelFormats:", "  resource:\n    cpu: 1\n  supportedModelFormats:")


def test_the_cause_alone_when_it_is_the_whole_story_and_everything_with_verbose(tree, capsys):
    other = SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace", "name: auto\n  namespace").replace("      runtime: vllm-text-generation\n", "")
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": BROKEN_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE, "b.yaml": other})
    code, _, err = run(["build", str(src)], capsys)
    assert code == 1
    assert err.splitlines() == ['rt.yaml:6:3: error[unknown-field]: spec.resource: unknown field'], err
    code, _, err = run(["build", str(src), "-v"], capsys)
    lines = [l for l in err.splitlines() if "info[" not in l and not l.startswith("  ")]
    assert lines[0].startswith("rt.yaml:6:3: error[unknown-field]")
    assert [l.split(": ")[1] for l in lines[1:]] == ["error[runtime-not-found]", "error[no-runtime]"]
    assert "no runtimes are defined" not in err and "\n  1 runtime could not be loaded (rt.yaml:1; errors reported there)\n" in err
    code, _, err = run(["build", str(src), "--format", "json"], capsys)
    assert [d["code"] for d in json.loads(err) if d["severity"] == "error"] == ["unknown-field", "runtime-not-found", "no-runtime"]


def priority_without_autoselect(i: int) -> str:
    return generated_runtime(i).replace("autoSelect: true", "autoSelect: false")


def test_repeated_warnings_collapse_into_one_line(tree, capsys):
    files = {"omegen.yaml": NO_BUILTIN, "m.yaml": MODEL, "rt.yaml": SEED_RUNTIME, "a.yaml": SEED_SERVICE}
    files |= {f"extra/r{i:03d}.yaml": priority_without_autoselect(i) for i in range(40)}
    src = tree(files)
    code, _, err = run(["build", str(src)], capsys)
    assert code == 0
    (line,) = [l for l in err.splitlines() if "priority-ignored" in l]
    assert line.startswith("extra/r000.yaml:")
    assert line.endswith(
        "[and 39 more warnings like it: extra/r001.yaml:10, extra/r002.yaml:10, extra/r003.yaml:10, …; -v lists them all]"
    )
    assert len(line) <= brief.MAX_LINE
    code, _, err = run(["build", str(src), "-v"], capsys)
    assert sum("priority-ignored" in l for l in err.splitlines()) == 40
    code, _, err = run(["build", str(src), "-q"], capsys)
    assert (code, err) == (0, "")


def test_quiet_keeps_errors(tree, capsys):
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": BROKEN_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE})
    code, _, err = run(["build", str(src), "-q"], capsys)
    assert code == 1 and err.splitlines() == ['rt.yaml:6:3: error[unknown-field]: spec.resource: unknown field']


def test_no_line_is_longer_than_500_characters():
    from omegen.errors import error

    long = error("x", "y" * 2000, "a.yaml", 1, 1)
    (line,) = brief.text_lines([long])
    assert len(line) == brief.MAX_LINE and line.endswith("…")
    assert brief.text_lines([long], verbose=True) == [long.as_text()]


def test_omegen_yaml_silences_named_codes_for_named_runtimes(tree, capsys):
    config = omegen_yaml("builtinRuntimes: false\nsilence:\n  - codes: [priority-ignored]\n    runtimes: [generated-00*]\n")
    files = {"omegen.yaml": config, "m.yaml": MODEL, "rt.yaml": SEED_RUNTIME, "a.yaml": SEED_SERVICE}
    files |= {f"extra/r{i:03d}.yaml": priority_without_autoselect(i) for i in (1, 2, 12)}
    src = tree(files)
    code, _, err = run(["build", str(src), "--strict"], capsys)
    # generated-001 and -002 are silenced (and do not escalate); generated-012 is not.
    assert code == 1
    assert [l.split(": ")[0] for l in err.splitlines()] == ["extra/r012.yaml:10:7"]
    code, _, err = run(["build", str(src), "-v"], capsys)
    silenced = [l for l in err.splitlines() if "(silenced in omegen.yaml)" in l]
    assert [l.split(": ")[:2] for l in silenced] == [["extra/r001.yaml:10:7", "info[priority-ignored]"], ["extra/r002.yaml:10:7", "info[priority-ignored]"]]
    code, _, err = run(["explain", "llama-3-1-70b", str(src)], capsys)
    assert sum("(silenced in omegen.yaml)" in l for l in err.splitlines()) == 2


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag, capsys):
    from omegen import __version__

    code, out, _ = run([flag], capsys)
    assert (code, out) == (0, f"omegen, version {__version__}\n")


def test_a_container_type_error_in_a_runtime_is_one_error_at_the_runtime(tree, capsys):
    runtime = SEED_RUNTIME.replace(
        "      image: official-vllm-openai:0.5.3\n", '      image: official-vllm-openai:0.5.3\n      ports: [{containerPort: "8080"}]\n'
    )
    second = SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace", "name: second\n  namespace")
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": runtime, "m.yaml": MODEL, "a.yaml": SEED_SERVICE, "b.yaml": second})
    code, _, err = run(["build", str(src)], capsys)
    assert code == 1
    assert err.splitlines() == ['rt.yaml:21:16: error[invalid-field]: spec.containers[0].ports[0].containerPort: expected integer, got string "8080"']


def test_suggestions_for_runtime_model_namespace_and_misplaced_runner_fields(tree):
    from omegen.errors import Severity

    def errors(files):
        result = pipeline.build(tree({"omegen.yaml": NO_BUILTIN, **files}))
        return [d.message for d in result.diagnostics if d.severity is Severity.ERROR]

    typo = SEED_SERVICE.replace("runtime: vllm-text-generation", "runtime: vllm-text-generaton")
    (message,) = errors({"rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": typo})
    assert message.endswith("(did you mean vllm-text-generation?)") and len(message) < 250
    model_typo = SEED_SERVICE.replace("baseModel: llama-3-1-70b", "baseModel: llama-3-1-70")
    (message,) = errors({"rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": model_typo})
    assert message.endswith("(did you mean llama-3-1-70b?)")
    namespaced = MODEL.replace("kind: ClusterBaseModel", "kind: BaseModel").replace("  name: llama-3-1-70b\n", "  name: llama-3-1-70b\n  namespace: team-b\n", 1)
    (message,) = errors({"rt.yaml": SEED_RUNTIME, "m.yaml": namespaced, "a.yaml": SEED_SERVICE})
    assert message.endswith("(a BaseModel llama-3-1-70b exists in namespace team-b: did you mean namespace team-b?)")


def test_resources_under_engine_suggests_the_runner(tree):
    service = """\
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata: {name: chat, namespace: team}
spec:
  model: {name: llama-3-1-70b}
  engine:
    resources:
      limits: {nvidia.com/gpu: 1}
"""
    diagnostics = pipeline.load(tree({"omegen.yaml": NO_BUILTIN, "a.yaml": service}))[1]
    assert [d.as_text() for d in diagnostics if d.code == "unknown-field"] == [
        'a.yaml:7:5: error[unknown-field]: spec.engine.resources: unknown field (did you mean "spec.engine.runner.resources"?)'
    ]


def test_build_o_validate_and_check_are_never_silent_and_check_shows_a_bounded_diff(tree, tmp_path, capsys):
    from omegen.commands import summary

    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE})
    out = tmp_path / "out"
    code, _, err = run(["build", str(src), "-o", str(out)], capsys)
    assert (code, err) == (0, f"omegen: 1 service → 4 objects (2 Service, 1 ClusterBaseModel, 1 Deployment) in {out}/ (3 changed); 0 errors, 0 warnings\n")
    code, _, err = run(["build", str(src), "-o", str(out), "--check"], capsys)
    assert code == 0 and err.endswith(f"checked in {out}/ (up to date); 0 errors, 0 warnings\n")
    code, _, err = run(["validate", str(src)], capsys)
    assert code == 0 and err == "omegen: 1 service → 4 objects (2 Service, 1 ClusterBaseModel, 1 Deployment) validated; 0 errors, 0 warnings\n"
    (src / "a.yaml").write_text(SEED_SERVICE.replace("maxReplicas: 1", "maxReplicas: 3"))
    code, _, err = run(["build", str(src), "-o", str(out), "--check"], capsys)
    assert code == 1
    assert "error[stale-output]" in err
    assert "--- a/llama-3-1-70b/llama-3-1-70b.yaml\n+++ b/llama-3-1-70b/llama-3-1-70b.yaml\n" in err
    assert "+kind: HorizontalPodAutoscaler\n" in err
    # Bounded: a large change is cut at MAX_DIFF_LINES with a count.
    many = {f"s{i}.yaml": SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace", f"name: s{i}\n  namespace") for i in range(12)}
    big = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE, **many})
    code, _, err = run(["build", str(big), "-o", str(out), "--check"], capsys)
    diff = [l for l in err.splitlines() if not l.startswith(("<omegen>", "/"))]
    assert code == 1 and len(diff) <= summary.MAX_DIFF_LINES + 1 and diff[-1].startswith("… ") and diff[-1].endswith(f"more diff lines; run omegen build -o {out} to update")


def test_explain_takes_format_and_keeps_o_json_hidden_and_runtimes_has_json(capsys):
    from conftest import REPO

    src = str(REPO / "examples" / "quickstart")
    code, by_format, _ = run(["explain", "chat-assistant", src, "-n", "team-a", "--format", "json"], capsys)
    code_legacy, by_o, _ = run(["explain", "chat-assistant", src, "-n", "team-a", "-o", "json"], capsys)
    assert (code, code_legacy) == (0, 0) and by_format == by_o and json.loads(by_format)["inferenceService"]["name"] == "chat-assistant"
    code, out, _ = run(["explain", "--help"], capsys)
    assert "--format" in out and "--output" not in out  # the alias is hidden
    code, out, _ = run(["runtimes", "--format", "json"], capsys)
    rows = json.loads(out)
    assert code == 0 and {"name", "scope", "source", "formats_architectures", "size", "protocols", "selection", "shape"} == set(rows[0])
    code, table, _ = run(["runtimes"], capsys)
    assert [r["name"] for r in rows] == [line.split()[0] for line in table.splitlines()[1:]]


def test_explain_suggests_the_service_meant(tree, capsys):
    other = SEED_SERVICE.replace("name: llama-3-1-70b\n  namespace: llama-3-1-70b", "name: llama-3-1-8b\n  namespace: small")
    src = str(tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME, "m.yaml": MODEL, "a.yaml": SEED_SERVICE, "b.yaml": other}))
    code, out, err = run(["explain", "llama-3-1-7b", src], capsys)
    assert (code, out) == (1, "")
    assert err == (
        f"<omegen>: error[service-not-found]: no InferenceService named 'llama-3-1-7b' under {src}"
        " (did you mean llama-3-1-70b -n llama-3-1-70b or llama-3-1-8b -n small?)\n"
    )
    code, _, err = run(["explain", "llama-3-1-70b", src, "-n", "small"], capsys)  # the right name in the wrong namespace
    assert code == 1 and err.endswith("in namespace 'small' under " + src + " (did you mean llama-3-1-70b -n llama-3-1-70b?)\n")
    code, _, err = run(["explain", "llama-3-1-8", src, "-n", "small"], capsys)  # -n given: its names first, named without -n
    assert code == 1 and err.endswith("(did you mean llama-3-1-8b?)\n")
    code, _, err = run(["explain", "something-else", src], capsys)
    assert code == 1 and err.endswith(f"no InferenceService named 'something-else' under {src}\n") and len(err) < 500
