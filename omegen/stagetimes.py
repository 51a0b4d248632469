"""How long each stage of a build took, for bench/bench.py: `OMEGEN_STAGE_TIMES=FILE` appends one
JSON line per build (stage → seconds) to FILE. Unset (always, but in the benchmark), nothing is
measured or written: omegen's output never depends on time."""

from __future__ import annotations

import json
import os
import time

VARIABLE = "OMEGEN_STAGE_TIMES"


class StageTimes:
    def __init__(self):
        self.path = os.environ.get(VARIABLE)
        self.times: dict[str, float] = {}
        self._last = time.perf_counter() if self.path else 0.0

    def lap(self, stage: str) -> None:
        """The time since the last lap goes to `stage` (a stage met per service adds up)."""
        if self.path:
            now = time.perf_counter()
            self.times[stage] = self.times.get(stage, 0.0) + now - self._last
            self._last = now

    def save(self) -> None:
        if self.path:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(self.times) + "\n")


_clock: "StageTimes | None" = None


def start() -> None:
    """A build begins (pipeline.run): laps from here on go to a new clock."""
    global _clock
    _clock = StageTimes()


def lap(stage: str) -> None:
    if _clock is not None:
        _clock.lap(stage)


def save() -> None:
    global _clock
    if _clock is not None:
        _clock.save()
        _clock = None
