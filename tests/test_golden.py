"""Golden cases: tests/cases/<name>/src → expected.yaml (the exact stream) or errors.txt (diagnostics).

Each case is a directory with `src/`, a one-line `README` saying what the case pins, and exactly one
of `expected.yaml` and `errors.txt`. Each is checked twice: through `pipeline.build` against the
stream, and through the real command line (`python -m omegen build src -o OUT`, run twice, in two
processes with different hash seeds): the two trees are byte-identical and hold the stream's objects.

After a change that is meant to change the output, regenerate and read the diff line by line:

    python -m pytest tests/test_golden.py --update && git diff tests/cases

To add a case, write src/ and README, run with --update, and read what it wrote (expected.yaml or
errors.txt, and warnings.txt when a case that builds shows warnings on purpose).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from omegen import pipeline, yamlio
from omegen.emit import tree as emit
from omegen.errors import Severity, format_diagnostics

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir()) if CASES.is_dir() else []
EXPECTED, ERRORS, README, WARNINGS = "expected.yaml", "errors.txt", "README", "warnings.txt"


def layout_problems(case: Path, *, updating: bool = False) -> list[str]:
    """What is wrong with a case directory's shape (before anything is built)."""
    problems = []
    if not (case / "src").is_dir():
        problems.append("has no src/ directory")
    if (case / EXPECTED).exists() and (case / ERRORS).exists():
        problems.append(f"has both {EXPECTED} and {ERRORS}: a case either builds or fails")
    if not updating and not (case / EXPECTED).exists() and not (case / ERRORS).exists():
        problems.append(f"has neither {EXPECTED} nor {ERRORS} (run with --update to write one, then read it)")
    readme = case / README
    if not readme.is_file():
        problems.append(f"has no {README} (one line: what the case pins)")
    elif len(readme.read_text(encoding="utf-8").strip().splitlines()) != 1:
        problems.append(f"{README} must be one line")
    return problems


def outcome(case: Path, *, updating: bool = False) -> tuple[str, str]:
    """(file name, text) the case's sources produce: the stream, or the diagnostics when it fails."""
    result = pipeline.build(case / "src")
    reported = format_diagnostics([d for d in result.diagnostics if d.severity is not Severity.INFO], "text")
    if result.ok:
        if updating:  # the warnings a building case shows are pinned too, and read in the same diff
            if reported:
                (case / WARNINGS).write_text(reported, encoding="utf-8")
            elif (case / WARNINGS).exists():
                (case / WARNINGS).unlink()
        # A case that builds must build cleanly, unless warnings.txt pins the warnings it shows on purpose.
        meant = (case / WARNINGS).read_text(encoding="utf-8") if (case / WARNINGS).exists() else ""
        assert reported == meant, f"a case that builds must build cleanly (no warnings but {WARNINGS}'s):\n{reported}"
        return EXPECTED, emit.stream(result.objects)
    return ERRORS, reported


def update(case: Path, name: str, text: str) -> None:
    """--update: write what the sources produce; a case whose outcome flipped loses its other file."""
    (case / name).write_text(text, encoding="utf-8")
    other = case / (ERRORS if name == EXPECTED else EXPECTED)
    if other.exists():
        other.unlink()


@pytest.mark.parametrize("name", NAMES)
def test_golden_case(name, request):
    case = CASES / name
    updating = request.config.getoption("update")
    problems = layout_problems(case, updating=updating)
    assert not problems, f"tests/cases/{name} " + "; ".join(problems)
    produced, text = outcome(case, updating=updating)
    if updating:
        update(case, produced, text)
    assert (case / produced).exists(), f"the sources now {'build' if produced == EXPECTED else 'fail'}; the case says otherwise"
    assert text == (case / produced).read_text(encoding="utf-8")


def _omegen_builds(src: Path, outs: list[Path]) -> list[subprocess.CompletedProcess]:
    """`omegen build SRC -o OUT` once per OUT, side by side, each its own process with its own hash
    seed, and this checkout's omegen whatever the venv has installed."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    runs = []
    for seed, out in enumerate(outs, 1):
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": path}
        argv = [sys.executable, "-m", "omegen", "build", str(src), "-o", str(out)]
        runs.append((argv, subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    done = []
    for argv, process in runs:
        stdout, stderr = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(argv, process.returncode, stdout, stderr))
    return done


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _tree_objects(out: Path) -> list[dict]:
    """The objects of an output tree, in the order its kustomization.yaml lists the files."""
    (kustomization,) = yamlio.load_documents((out / "kustomization.yaml").read_text(encoding="utf-8"), positions=False)
    objects = []
    for resource in kustomization.data["resources"]:
        objects += [doc.data for doc in yamlio.load_documents((out / resource).read_text(encoding="utf-8"), positions=False)]
    return objects


@pytest.mark.parametrize("name", NAMES)
def test_golden_case_through_the_command_line(name, tmp_path):
    case = CASES / name
    if layout_problems(case):
        pytest.skip("the case's layout is reported by test_golden_case")
    first, second = _omegen_builds(case / "src", [tmp_path / "a", tmp_path / "b"])
    if (case / ERRORS).exists():
        assert (first.returncode, first.stdout) == (1, b"")
        assert first.stderr.decode("utf-8") == (case / ERRORS).read_text(encoding="utf-8")
        assert (second.returncode, second.stderr) == (first.returncode, first.stderr)
        assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists(), "a failed build writes nothing"
        return
    meant = (case / WARNINGS).read_bytes() if (case / WARNINGS).exists() else b""
    # The warnings the case pins, then the summary line every successful build ends with.
    for run in (first, second):
        assert (run.returncode, run.stdout) == (0, b""), run.stderr.decode("utf-8", "replace")
        *warned, last = run.stderr.decode("utf-8").splitlines(keepends=True)
        assert "".join(warned).encode("utf-8") == meant
        assert last.startswith("omegen: ") and f" in {tmp_path}/" in last and last.endswith(" warning\n" if meant.count(b"\n") == 1 else " warnings\n")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b"), "two runs, byte-identical trees"
    expected = [doc.data for doc in yamlio.load_documents((case / EXPECTED).read_text(encoding="utf-8"), positions=False)]
    assert _tree_objects(tmp_path / "a") == expected, "the tree holds the stream's objects, in the stream's order"


# ------------------------------------------------------------------- the layout check itself can fail


@pytest.mark.parametrize(
    "files, problems",
    [
        ({"src/a.yaml": "", "README": "pins a\n", EXPECTED: ""}, []),
        ({"src/a.yaml": "", "README": "pins a\n", ERRORS: ""}, []),
        ({"README": "pins a\n", EXPECTED: ""}, ["has no src/ directory"]),
        ({"src/a.yaml": "", "README": "pins a\n", EXPECTED: "", ERRORS: ""}, [f"has both {EXPECTED} and {ERRORS}: a case either builds or fails"]),
        ({"src/a.yaml": "", "README": "pins a\n"}, [f"has neither {EXPECTED} nor {ERRORS} (run with --update to write one, then read it)"]),
        ({"src/a.yaml": "", EXPECTED: ""}, [f"has no {README} (one line: what the case pins)"]),
        ({"src/a.yaml": "", "README": "pins a\nand b\n", EXPECTED: ""}, [f"{README} must be one line"]),
    ],
    ids=["builds", "fails", "no-src", "both", "neither", "no-readme", "long-readme"],
)
def test_a_malformed_case_is_reported(tmp_path, files, problems):
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    assert layout_problems(tmp_path) == problems


def test_update_writes_the_outcome_and_drops_the_other_file(tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    (case / ERRORS).write_text("stale\n")
    update(case, EXPECTED, "kind: X\n")
    assert sorted(p.name for p in case.iterdir()) == [EXPECTED] and (case / EXPECTED).read_text() == "kind: X\n"


def test_there_are_cases():
    assert len(NAMES) >= 12
