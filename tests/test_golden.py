"""Golden cases: tests/cases/<name>/src → expected.yaml (the exact stream) or errors.txt (diagnostics).

To review a case, read its expected.yaml next to its sources. To add one, write src/ and run
`omegen build tests/cases/<name>/src`, then read the output line by line before saving it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from omegen import pipeline
from omegen.emit import tree as emit
from omegen.errors import Severity, format_diagnostics

CASES = Path(__file__).resolve().parent / "cases"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "src").is_dir()) if CASES.is_dir() else []


@pytest.mark.parametrize("name", NAMES)
def test_golden_case(name):
    case = CASES / name
    result = pipeline.build(case / "src")
    reported = [d for d in result.diagnostics if d.severity is not Severity.INFO]
    if (case / "errors.txt").exists():
        assert format_diagnostics(reported, "text") == (case / "errors.txt").read_text()
        assert not result.ok
    else:
        assert format_diagnostics(reported, "text") == "", "a golden case must build cleanly"
        assert emit.stream(result.objects) == (case / "expected.yaml").read_text()


def test_every_case_has_an_expectation():
    for name in NAMES:
        case = CASES / name
        assert (case / "expected.yaml").exists() or (case / "errors.txt").exists(), name
