"""`omegen models` beside `omegen runtimes`, and tables that fit the terminal (issue 10): COLUMNS is
honoured, stdout that is not a terminal gets the whole table, `--wide` shows everything, and
`explain --eligible` shows only the runtimes that could serve the service."""

from __future__ import annotations

import json

import pytest

from conftest import REPO, omegen_yaml, run_cli as run
from omegen.commands import tables
from test_load import MODEL

QUICKSTART = str(REPO / "examples" / "quickstart")
NAMESPACED = MODEL.replace("kind: ClusterBaseModel", "kind: BaseModel").replace("  name: llama-3-1-70b\n", "  name: mine\n  namespace: team-b\n", 1)


def test_models_lists_the_catalog_and_the_sources_with_where_each_is_defined(tree, capsys):
    src = tree({"omegen.yaml": omegen_yaml(), "models/mine.yaml": NAMESPACED, "models/off.yaml": MODEL.replace("name: llama-3-1-70b", "name: unused") + "  disabled: true\n"})
    code, out, err = run(["models", str(src)], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SCOPE", "SOURCE", "FORMAT", "ARCHITECTURE", "QUANTIZATION", "SIZE", "STATE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["mine"] == ["mine", "ns/team-b", "models/mine.yaml", "safetensors@1.0.0", "LlamaForCausalLM", "-", "70.6B", "enabled"]
    assert rows["unused"][-1] == "disabled" and rows["unused"][1:3] == ["cluster", "models/off.yaml"]
    assert rows["deepseek-v3"] == ["deepseek-v3", "cluster", "builtin", "safetensors@1.0.0", "DeepseekV3ForCausalLM", "fp8", "671B", "enabled"]
    assert list(rows)[-1] == "mine"  # cluster-scoped first, then by namespace and name
    code, out, _ = run(["models", str(src), "--no-builtin-runtimes"], capsys)
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["unused", "mine"]


def test_models_and_runtimes_json_is_the_table_as_objects_in_the_same_order(tree, capsys):
    src = tree({"omegen.yaml": omegen_yaml(), "models/mine.yaml": NAMESPACED})
    code, out, _ = run(["models", str(src), "--format", "json"], capsys)
    models = json.loads(out)
    assert code == 0 and list(models[0]) == ["name", "scope", "source", "format", "architecture", "quantization", "size", "state"]
    assert models[-1] == {
        "name": "mine", "scope": "ns/team-b", "source": "models/mine.yaml", "format": "safetensors@1.0.0",
        "architecture": "LlamaForCausalLM", "quantization": "-", "size": "70.6B", "state": "enabled",
    }
    _, table, _ = run(["models", str(src)], capsys)
    assert [m["name"] for m in models] == [line.split()[0] for line in table.splitlines()[1:]]
    _, again, _ = run(["models", str(src), "--format", "json"], capsys)
    assert again == out  # stable
    code, out, _ = run(["runtimes", "--format", "json"], capsys)
    assert code == 0 and list(json.loads(out)[0]) == ["name", "scope", "source", "formats_architectures", "size", "protocols", "selection", "shape"]


def test_a_broken_model_is_reported_and_exits_1(tree, capsys):
    src = tree({"models/bad.yaml": MODEL + "  bogus: 1\n"})
    code, out, err = run(["models", str(src), "--no-builtin-runtimes"], capsys)
    assert code == 1 and "error[unknown-field]" in err and "llama-3-1-70b" not in out


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("argv", [["runtimes"], ["models"], ["explain", "chat-assistant", QUICKSTART, "-n", "team-a"]])
def test_tables_fit_columns_and_wide_or_a_pipe_shows_everything(argv, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    _, full, _ = run(argv, capsys)  # stdout is not a terminal here: no limit
    assert widest(full) > 120
    _, wide, _ = run(argv + ["--wide"], capsys)
    monkeypatch.setenv("COLUMNS", "120")
    code, fitted, _ = run(argv, capsys)
    assert code == 0 and widest(fitted) <= 120
    _, wide_anyway, _ = run(argv + ["--wide"], capsys)
    assert wide == wide_anyway == full
    # Wrapped, not lost: every row's first cell still starts a line, and no word of a wrapped cell is cut.
    names = [line.split()[0] for line in full.splitlines() if line and not line.startswith(" ")]
    assert names == [line.split()[0] for line in fitted.splitlines() if line and not line.startswith(" ")]


def test_explain_wraps_reasons_under_their_column(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    _, out, _ = run(["explain", "chat-assistant", QUICKSTART, "-n", "team-a"], capsys)
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("1 "))
    column = lines[first - 1].index("REASON")
    assert lines[first][column:] == "matches supportedModelFormats[0];"
    assert lines[first + 1] == " " * column + "scope cluster; priority 2; size"
    assert lines[first + 2].strip() == "70.6B within [60B, 75B]"


def test_explain_eligible_shows_only_the_eligible_runtimes(capsys):
    code, out, _ = run(["explain", "chat-assistant", QUICKSTART, "-n", "team-a", "--eligible"], capsys)
    rows = [line.split()[:4] for line in out.splitlines() if line[:1].isdigit()]
    assert code == 0 and rows == [
        ["1", "vllm-llama-3-3-70b-instruct", "ClusterServingRuntime", "selected"],
        ["2", "vllm-llama-3-1-70b-instruct", "ClusterServingRuntime", "eligible"],
    ]
    assert "ineligible" not in out and "Selected: vllm-llama-3-3-70b-instruct" in out
    _, out, _ = run(["explain", "chat-assistant", QUICKSTART, "-n", "team-a", "--eligible", "--format", "json"], capsys)
    assert [c["name"] for c in json.loads(out)["candidates"]] == ["vllm-llama-3-3-70b-instruct", "vllm-llama-3-1-70b-instruct"]


def test_explain_eligible_says_so_when_none_is(tree, capsys):
    from test_brief import NO_BUILTIN
    from seed_example import SEED_RUNTIME, SEED_SERVICE

    model = MODEL.replace("LlamaForCausalLM", "UnheardOfForCausalLM")
    src = tree({"omegen.yaml": NO_BUILTIN, "rt.yaml": SEED_RUNTIME, "m.yaml": model, "a.yaml": SEED_SERVICE.replace("      runtime: vllm-text-generation\n", "")})
    code, out, _ = run(["explain", "llama-3-1-70b", str(src), "--eligible"], capsys)
    assert code == 1
    assert "No runtime is eligible (1 considered; without --eligible every verdict is shown)." in out.splitlines()


def test_the_width_is_columns_else_the_terminal_else_no_limit(monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setenv("COLUMNS", "77")
    assert tables.width() == 77 and tables.width(wide=True) is None
    monkeypatch.delenv("COLUMNS")
    assert tables.width(stream=Terminal()) >= 1
    import io

    assert tables.width(stream=io.StringIO()) is None


def test_fit_elides_and_wraps_only_the_flexible_columns():
    rows = [("NAME", "PATH", "LIST"), ("a-long-name", "dir/sub/file.yaml", "one, two, three, four")]
    assert tables.fit(rows, None) == ["NAME         PATH               LIST", "a-long-name  dir/sub/file.yaml  one, two, three, four"]
    assert tables.fit(rows, 38, wrap=(2,), elide=(1,)) == [
        "NAME         PATH        LIST",
        "a-long-name  dir/sub/f…  one, two,",
        "                         three, four",
    ]
    # A table that cannot fit is as narrow as it goes; the name is never cut.
    assert tables.fit(rows, 5, wrap=(2,), elide=(1,))[1].startswith("a-long-name  dir/sub/f…  one, two,")
