"""`syncWaves: true`: models and RBAC go in Argo CD's wave -1, everything else is left as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

from omegen import pipeline
from omegen.render.syncwaves import EARLY_KINDS, SYNC_WAVE

CASE = Path(__file__).resolve().parent / "cases" / "ome-engine-router" / "src"


def build(tmp_path: Path, extra: str):
    src = tmp_path / "src"
    shutil.copytree(CASE, src)
    (src / "omegen.yaml").write_text((CASE / "omegen.yaml").read_text() + extra)
    result = pipeline.build(src)
    assert result.ok, result.diagnostics
    return result.objects


def test_models_and_rbac_come_first_and_nothing_else_changes(tmp_path):
    plain = build(tmp_path / "a", "")
    waved = build(tmp_path / "b", "syncWaves: true\n")
    kinds = {r.kind for r in waved}
    assert {"ServiceAccount", "Role", "RoleBinding", "BaseModel"} <= kinds, "the case has a router and a model"
    assert len(plain) == len(waved)
    for before, after in zip(plain, waved):
        annotations = after.obj["metadata"].get("annotations", {})
        if after.kind in EARLY_KINDS:
            assert annotations[SYNC_WAVE] == "-1"
            rest = {k: v for k, v in annotations.items() if k != SYNC_WAVE}
            assert rest == before.obj["metadata"].get("annotations", {}), "only the wave is added"
            assert {k: v for k, v in after.obj.items() if k != "metadata"} == {k: v for k, v in before.obj.items() if k != "metadata"}
        else:
            assert after.obj == before.obj


def test_off_by_default(tmp_path):
    assert not any(SYNC_WAVE in r.obj["metadata"].get("annotations", {}) for r in build(tmp_path, ""))
