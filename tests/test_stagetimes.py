"""OMEGEN_STAGE_TIMES (bench/bench.py): one JSON line of stage times per build, the output unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from omegen import pipeline

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


def test_stage_times_are_written_only_when_asked_and_change_nothing(tmp_path, monkeypatch):
    plain = pipeline.run(pipeline.Options(src=QUICKSTART))
    times = tmp_path / "times.jsonl"
    monkeypatch.setenv("OMEGEN_STAGE_TIMES", str(times))
    timed = pipeline.run(pipeline.Options(src=QUICKSTART))
    pipeline.run(pipeline.Options(src=QUICKSTART, out=tmp_path / "out"))
    assert timed.stream == plain.stream and timed.diagnostics == plain.diagnostics
    first, second = (json.loads(line) for line in times.read_text().splitlines())
    assert list(first) == ["load", "resolve", "render", "overlay+order", "validate", "emit"]
    assert list(second) == list(first) and all(t >= 0 for t in second.values())
    monkeypatch.delenv("OMEGEN_STAGE_TIMES")
    pipeline.run(pipeline.Options(src=QUICKSTART))
    assert len(times.read_text().splitlines()) == 2
