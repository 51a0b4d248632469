"""Every input omegen accepts and does not render is reported by name, from one table (issue 10):
each row of load/unrendered.TABLE, set in a valid source, gives its diagnostic at its field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from conftest import omegen_yaml
from omegen import pipeline, yamlio
from omegen.errors import Severity
from omegen.load import unrendered
from omegen.load.unrendered import TABLE, UNRENDERED_KINDS

CASE = Path(__file__).resolve().parent / "cases" / "ome-engine-router" / "src"
BASE = {
    kind: yamlio.load_documents((CASE / name).read_text()).__next__().data
    for kind, name in (("InferenceService", "isvc.yaml"), ("ClusterServingRuntime", "runtime.yaml"), ("BaseModel", "model.yaml"))
}
SEED_SERVICE = {
    "apiVersion": "ome.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "llama-chat", "namespace": "team-a"},
    "spec": {"predictor": {"model": {"baseModel": "llama-3-1-8b-instruct", "runtime": "srt-llama-3-1-8b-instruct"}}},
}
# A value the input schema accepts for each field the table names.
VALUES = {
    "fineTunedWeights": ["my-adapter"],
    "acceleratorSelector": {"acceleratorClass": "nvidia-h100"},
    "acceleratorOverride": {"acceleratorClass": "nvidia-h100"},
    "kedaConfig": {"enableKeda": True},
    "containerConcurrency": 4,
    "timeoutSeconds": 30,
    "canaryTrafficPercent": 10,
    "storageUri": "hf://meta-llama/Llama-3.1-8B-Instruct",
    "minMemory": 80,
    "minComputePerformanceTFLOPS": 900,
    "minArchitectureVersion": "9.0",
    "requiredFeatures": ["nvlink"],
    "preferredPrecisions": ["fp8"],
    "minMemoryPerBillionParams": 2,
    "dataParallelSize": 2,
    "constraints": {"minMemory": 80},
    "weight": 10,
}
ANNOTATIONS = {"ome.io/ingress-disable-creation": "false"}


def document_for(row: unrendered.Unrendered) -> tuple[dict, tuple]:
    """A valid source document of the row's first kind that sets what the row names, and the path."""
    kind = row.kinds[0]
    if row.annotation:
        doc = copy.deepcopy(BASE["InferenceService"])
        doc["metadata"].setdefault("annotations", {})[row.annotation] = ANNOTATIONS.get(row.annotation, "x")
        return doc, ("metadata", "annotations", row.annotation)
    seed = row.path[:2] == ("spec", "predictor")
    doc = copy.deepcopy(SEED_SERVICE if seed else BASE[kind if kind in BASE else "ClusterServingRuntime"])
    node, path = doc, []
    for key in row.path[:-1]:
        if key == "*" and isinstance(node, dict):  # a map's key: an accelerator class name
            node, key = node.setdefault("nvidia-h100", {}), "nvidia-h100"
        elif key == "*":
            node, key = node[0], 0
        else:
            node = node.setdefault(key, {})
        path.append(key)
    node[row.path[-1]] = VALUES[row.path[-1]]
    return doc, tuple(path) + (row.path[-1],)


def row_id(row) -> str:
    return f"{row.kinds[0]}:{row.annotation or '.'.join(row.path)}"


@pytest.mark.parametrize("row", TABLE, ids=row_id)
def test_every_row_is_reported_at_its_field(row, tree):
    doc, path = document_for(row)
    src = tree({"doc.yaml": yamlio.dump(doc), "omegen.yaml": omegen_yaml("builtinRuntimes: false\n")})
    _, diagnostics = pipeline.load(src, builtin=False)
    found = [d for d in diagnostics if d.code == "unrendered-field"]
    field = yamlio.format_source_path(path)
    assert [(d.severity, d.field) for d in found] == [(row.severity, field)], [d.as_text() for d in diagnostics]
    (d,) = found
    assert d.line > 1 and field in d.message and row.why in d.message
    assert 40 < len(d.as_text()) <= 300
    # Nothing else: the field is valid input, only not rendered.
    assert [x for x in diagnostics if x.severity is not Severity.INFO and x is not d] == []


def test_the_table_has_what_the_issue_names():
    errors = {(r.annotation or ".".join(r.path)) for r in TABLE if r.severity is Severity.ERROR}
    warnings = {(r.annotation or ".".join(r.path)) for r in TABLE if r.severity is Severity.WARNING}
    # fineTunedWeights (tests/test_finetuned.py) and accelerator classes (tests/test_accelerators.py)
    # are rendered now: no input changes what is served without being rendered.
    assert errors == set()
    assert {"spec.kedaConfig", "ome.io/ingress-disable-creation", "spec.acceleratorRequirements.minMemory"} <= warnings
    assert not {"AcceleratorClass", "FineTunedWeight"} & set(UNRENDERED_KINDS)


def test_weights_of_one_and_ingress_disabled_are_what_omegen_renders(tree):
    doc = copy.deepcopy(BASE["ClusterServingRuntime"])
    doc["spec"]["supportedModelFormats"][0]["modelFormat"]["weight"] = 1
    service = copy.deepcopy(BASE["InferenceService"])
    service["metadata"]["annotations"]["ome.io/ingress-disable-creation"] = "true"
    src = tree({"rt.yaml": yamlio.dump(doc), "isvc.yaml": yamlio.dump(service)})
    assert [d for d in pipeline.load(src, builtin=False)[1] if d.code == "unrendered-field"] == []


@pytest.mark.parametrize("kind", sorted(UNRENDERED_KINDS))
def test_other_ome_documents_are_warnings(kind, tree):
    src = tree({"x.yaml": f"apiVersion: ome.io/v1beta1\nkind: {kind}\nmetadata: {{name: x}}\n"})
    (d,) = [d for d in pipeline.load(src, builtin=False)[1] if d.severity is not Severity.INFO]
    assert (d.code, d.severity, d.line, d.field) == ("unrendered-kind", Severity.WARNING, 2, "kind")
    assert d.message.startswith(f"{kind} is not compiled by omegen: ")


def test_fine_tuned_weights_fail_the_build_and_leave_out_untouched(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for f in CASE.iterdir():
        (src / f.name).write_text(f.read_text())
    out = tmp_path / "out"
    assert pipeline.run(pipeline.Options(src=src, out=out)).ok
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    service = (src / "isvc.yaml").read_text().replace("    kind: BaseModel\n", "    kind: BaseModel\n    fineTunedWeights: [my-adapter]\n")
    (src / "isvc.yaml").write_text(service)
    build = pipeline.run(pipeline.Options(src=src, out=out))
    assert not build.ok
    # Fine-tuned weights are rendered now (tests/test_finetuned.py); a weight that does not exist
    # still fails the build and leaves OUT as it was.
    assert [d.as_text() for d in build.diagnostics] == ["isvc.yaml:15:24: error[fine-tuned-weight-not-found]: FineTunedWeight my-adapter not found"]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_warning_row_escalates_under_strict(tree):
    service = copy.deepcopy(BASE["InferenceService"])
    service["spec"]["engine"]["containerConcurrency"] = 4
    files = {f.name: f.read_text() for f in CASE.iterdir()} | {"isvc.yaml": yamlio.dump(service)}
    src = tree(files)
    relaxed = pipeline.build(src)
    assert relaxed.ok and [d.code for d in relaxed.diagnostics if d.severity is Severity.WARNING] == ["unrendered-field"]
    assert not pipeline.build(src, strict=True).ok
