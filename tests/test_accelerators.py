"""AcceleratorClasses, as OME selects and applies them (read at the commit the README names):

- selection: `GetAcceleratorClass`, `getAcceleratorClassByPolicy` (pkg/acceleratorclassselector/
  selector.go), `meetsRequirements`, `calculateBestFitScore`, `calculateCapabilityScore`
  (policy_helpers.go); the runtime filter `compareAcceleratorClass` (pkg/runtimeselector/matcher.go);
  the format entry `GetSupportedModelFormat` (runtimeselector/selector.go);
- the pods: `UpdateEnvVariables`, `MergeRuntimeArgumentsOverride`, `MergeEngineResources`,
  `UpdatePodSpecNodeSelector`, `UpdateEngineAffinity` (controller/v1beta1/inferenceservice/components/
  base.go), `MergeNodeSelector`, `MergeResource`, `MergeArgs` (…/utils/merging.go), and
  `PARALLELISM_SIZE` only without a class (components/engine.go `reconcilePodSpec`)."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli
from omegen import pipeline, yamlio
from omegen.errors import Severity
from omegen.render.accelerators import merge_args
from omegen.resolve import acceleratorpolicy as policies
from sources import DIALECTS, files, objects

AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "gpu.family", "operator": "In", "values": ["hopper"]}]}]
        }
    }
}
# OME's createRealisticAccelerators (pkg/acceleratorclassselector/selector_test.go), as documents.
CLASSES = {
    "nvidia-h100-80gb": {
        "vendor": "NVIDIA", "family": "Hopper", "model": "H100",
        "capabilities": {
            "memoryGB": "80Gi", "memoryBandwidthGBps": 3000, "computeCapability": "9.0",
            "features": ["cuda", "tensor-cores", "nvlink", "fp8"],
            "performance": {"fp32Tflops": 67, "fp16Tflops": 1979, "int8Tops": 3958, "int4Tops": 7916},
        },
        "cost": {"perHour": 4, "spotPerHour": 2, "perMillionTokens": 100, "tier": "high"},
        "discovery": {"nodeSelector": {"nvidia.com/gpu.product": "H100-SXM5-80GB"}, "affinity": AFFINITY},
        "resources": [{"name": "nvidia.com/gpu", "quantity": 2}],
    },
    "nvidia-a100-40gb": {
        "vendor": "NVIDIA", "family": "Ampere", "model": "A100",
        "capabilities": {
            "memoryGB": "40Gi", "memoryBandwidthGBps": 1555, "computeCapability": "8.0",
            "features": ["cuda", "tensor-cores", "nvlink"],
            "performance": {"fp32Tflops": 19, "fp16Tflops": 312, "int8Tops": 624},
        },
        "cost": {"perHour": 2, "spotPerHour": 1, "perMillionTokens": 50, "tier": "medium"},
        "discovery": {"nodeSelector": {"nvidia.com/gpu.product": "A100-SXM4-40GB"}},
    },
    "nvidia-t4": {
        "vendor": "NVIDIA", "family": "Turing", "model": "T4",
        "capabilities": {
            "memoryGB": "16Gi", "memoryBandwidthGBps": 320, "computeCapability": "7.5",
            "features": ["cuda", "tensor-cores"],
            "performance": {"fp32Tflops": 8, "fp16Tflops": 65, "int8Tops": 130},
        },
        "cost": {"perHour": 1, "spotPerHour": 0, "perMillionTokens": 20, "tier": "low"},
        "discovery": {"nodeSelector": {"nvidia.com/gpu.product": "Tesla-T4"}},
    },
}
ORDER = ["nvidia-h100-80gb", "nvidia-a100-40gb", "nvidia-t4"]  # the runtime's list
H100_CONFIG = {
    "nvidia-h100-80gb": {
        "environmentOverride": {"NCCL_ALGO": "Ring", "CUDA_DEVICE_MAX_CONNECTIONS": "1"},
        "runtimeArgsOverride": ["--mem-fraction-static=0.9", "--enable-torch-compile"],
        "tensorParallelismOverride": {"tensorParallelSize": 2},
    }
}


def class_docs(names=ORDER) -> str:
    return "---\n".join(
        yamlio.dump({"apiVersion": "ome.io/v1beta1", "kind": "AcceleratorClass", "metadata": {"name": n}, "spec": CLASSES[n]}) for n in names
    )


def tree_files(dialect: str, selector=None, annotations=None, classes=ORDER, config=True, engine=None) -> dict:
    out = files(dialect, annotations=annotations, spec={"acceleratorSelector": selector} if selector else {},
                runtime_spec={"acceleratorRequirements": {"acceleratorClasses": list(classes)}} if classes else {})
    (rt,) = yamlio.load_documents(out["rt.yaml"], positions=False)
    entry = rt.data["spec"]["supportedModelFormats"][0]
    if dialect == "seed":  # OME scores only entries with modelFormat (GetSupportedModelFormat)
        entry["modelFormat"] = {"name": entry.pop("name"), "version": entry.pop("version")}
    if config:
        entry["acceleratorConfig"] = H100_CONFIG
    out["rt.yaml"] = yamlio.dump(rt.data)
    if engine is not None:
        (doc,) = yamlio.load_documents(out["isvc.yaml"], positions=False)
        holder = doc.data["spec"]["predictor"] if dialect == "seed" else doc.data["spec"].setdefault("engine", {})
        holder.update(engine)
        out["isvc.yaml"] = yamlio.dump(doc.data)
    out["classes.yaml"] = class_docs()
    return out


def build(tree, spec_files, **kw):
    return pipeline.build(tree(spec_files), **kw)


def engine_pod(result) -> dict:
    workloads = objects(result)
    return next(o for (kind, name), o in workloads.items() if kind == "Deployment" and name.endswith("-engine"))["spec"]["template"]["spec"]


def serving(pod):
    return next(c for c in pod["containers"] if c["name"] == "ome-container")


def chosen(result) -> list[tuple[str, str]]:
    return [(c.component, c.name) for r in result.resolutions for c in r.accelerators]


def codes(result, severity=None):
    return [d.code for d in result.diagnostics if (severity is None or d.severity is severity) and d.code != "plain-config"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_named_class_reaches_the_pods_as_omes_controller_applies_it(tree, dialect):
    result = build(tree, tree_files(dialect, selector={"acceleratorClass": "nvidia-h100-80gb"}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    assert chosen(result) == [("engine", "nvidia-h100-80gb")]
    pod = engine_pod(result)
    container = serving(pod)
    # MergeNodeSelector: the model label, the runtime's, then the class's discovery.nodeSelector
    assert pod["nodeSelector"]["nvidia.com/gpu.product"] == "H100-SXM5-80GB"
    assert any(k.startswith("models.ome.io/") for k in pod["nodeSelector"])
    # UpdateEngineAffinity: the class's affinity, the service setting none
    assert pod["affinity"] == AFFINITY
    # MergeResource: the class's resources overwrite requests and limits
    assert container["resources"]["requests"]["nvidia.com/gpu"] == 2 and container["resources"]["limits"]["nvidia.com/gpu"] == 2
    env = [e["name"] for e in container.get("env", [])]
    # UpdateEnvVariables: environmentOverride upserted; PARALLELISM_SIZE only without a class
    assert {"NCCL_ALGO", "CUDA_DEVICE_MAX_CONNECTIONS"} <= set(env) and "PARALLELISM_SIZE" not in env
    # MergeRuntimeArgumentsOverride: runtimeArgsOverride merged into args
    assert container["args"][-2:] == ["--mem-fraction-static=0.9", "--enable-torch-compile"]
    if dialect == "ome":  # tensorParallelSize rewrites --tp-size where it is (command here)
        command = container["command"]
        assert command[command.index("--tp-size") + 1] == "2"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_without_a_class_nothing_changes(tree, dialect):
    plain = build(tree, files(dialect))
    listed = build(tree, tree_files(dialect))  # the runtime lists classes, the service chooses none
    assert plain.ok and listed.ok
    assert chosen(listed) == []
    assert engine_pod(plain) == engine_pod(listed)
    assert "PARALLELISM_SIZE" in [e["name"] for e in serving(engine_pod(listed))["env"]]


MINE = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"weight": 1, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}}]}}


def test_the_services_own_fields_beat_the_class(tree):
    engine = {"nodeSelector": {"nvidia.com/gpu.product": "mine"}, "affinity": MINE,
              "runner": {"resources": {"limits": {"nvidia.com/gpu": 1}, "requests": {"nvidia.com/gpu": 1}}}}
    result = build(tree, tree_files("ome", selector={"acceleratorClass": "nvidia-h100-80gb"}, engine=engine))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    pod = engine_pod(result)
    assert pod["nodeSelector"]["nvidia.com/gpu.product"] == "mine"  # isvc engine.nodeSelector last
    assert pod["affinity"] == MINE  # UpdateEngineAffinity: only when the service sets none
    assert serving(pod)["resources"]["limits"]["nvidia.com/gpu"] == 1  # MergeEngineResources: runner resources set


def test_a_component_override_beats_the_selector(tree):
    engine = {"acceleratorOverride": {"acceleratorClass": "nvidia-a100-40gb"}}
    result = build(tree, tree_files("ome", selector={"acceleratorClass": "nvidia-h100-80gb"}, engine=engine))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    assert chosen(result) == [("engine", "nvidia-a100-40gb")]
    # acceleratorConfig is per class: the A100 has none, so no args or env overrides
    container = serving(engine_pod(result))
    assert "NCCL_ALGO" not in [e["name"] for e in container["env"]] and "args" not in container


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_runtime_that_does_not_list_the_class_is_refused(tree, dialect):
    # compareAcceleratorClass: every class the service names must be in the runtime's list
    result = build(tree, tree_files(dialect, selector={"acceleratorClass": "nvidia-t4"}, classes=["nvidia-h100-80gb"]))
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert d.code == "runtime-unsupported" and d.field == ("spec.predictor.model.runtime" if dialect == "seed" else "spec.runtime.name")
    assert "accelerator class mismatch: service requires nvidia-t4, runtime supports nvidia-h100-80gb" in d.message


def test_auto_selection_skips_runtimes_without_the_class_and_explain_reports_the_rule(tree, capsys):
    spec = tree_files("ome", annotations={"ome.io/accelerator-class": "nvidia-t4"}, classes=["nvidia-h100-80gb"])
    (doc,) = yamlio.load_documents(spec["isvc.yaml"], positions=False)
    del doc.data["spec"]["runtime"]
    spec["isvc.yaml"] = yamlio.dump(doc.data)
    src = tree(spec)
    result = pipeline.build(src)
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert d.code == "no-runtime" and "1 by accelerator" in d.full_message() and "needs accelerator class nvidia-t4" in d.full_message()
    code, out, _ = run_cli(["explain", "llama-chat", "-n", "team-a", str(src), "--format", "json"], capsys)
    (candidate,) = json.loads(out)["candidates"]
    assert candidate["eligible"] is False and candidate["reasons"][0].startswith("accelerator class mismatch")


def test_the_annotation_only_filters_runtimes(tree):
    # OME's GetAcceleratorClass never reads ome.io/accelerator-class: the pods get no class
    result = build(tree, tree_files("ome", annotations={"ome.io/accelerator-class": "nvidia-h100-80gb"}))
    assert result.ok and chosen(result) == []
    assert codes(result, Severity.WARNING) == ["accelerator-annotation-only"]
    assert "PARALLELISM_SIZE" in [e["name"] for e in serving(engine_pod(result))["env"]]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_missing_class_is_an_error_at_the_field_with_a_suggestion(tree, dialect):
    spec = tree_files(dialect, selector={"acceleratorClass": "nvidia-h100-80g"}, classes=["nvidia-h100-80g"])
    result = build(tree, spec)
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert (d.code, d.file, d.field) == ("accelerator-class-not-found", "isvc.yaml", "spec.acceleratorSelector.acceleratorClass")
    assert "did you mean nvidia-h100-80gb" in d.message


# TestGetAcceleratorClassByPolicy_AllPolicies (selector_test.go): the pick per policy.
@pytest.mark.parametrize(
    "policy, constraints, expected",
    [
        ("BestFit", {"minMemory": 40, "preferredPrecisions": ["fp16"]}, "nvidia-a100-40gb"),
        ("Cheapest", {"minMemory": 16}, "nvidia-t4"),
        ("MostCapable", {"minMemory": 16, "preferredPrecisions": ["fp8"]}, "nvidia-h100-80gb"),
        ("FirstAvailable", {"minMemory": 16}, "nvidia-h100-80gb"),
    ],
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_policies_pick_as_omes_selector(tree, dialect, policy, constraints, expected):
    result = build(tree, tree_files(dialect, selector={"policy": policy, "constraints": constraints}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    assert chosen(result) == [("engine", expected)]
    assert engine_pod(result)["nodeSelector"]["nvidia.com/gpu.product"] == CLASSES[expected]["discovery"]["nodeSelector"]["nvidia.com/gpu.product"]
    warnings = codes(result, Severity.WARNING)
    assert warnings == (["accelerator-availability-unknown"] if policy == "FirstAvailable" else [])


def test_no_class_meeting_the_constraints_is_an_error(tree):
    result = build(tree, tree_files("ome", selector={"policy": "BestFit", "constraints": {"minMemory": 100}}))
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert d.code == "no-accelerator-class" and d.field == "spec.acceleratorSelector.policy"
    assert "nvidia-t4: memory 16GB < required 100GB" in d.message


def test_a_policy_with_a_runtime_that_lists_no_classes_is_reported(tree):
    result = build(tree, tree_files("ome", selector={"policy": "Cheapest"}, classes=()))
    assert result.ok and chosen(result) == []
    assert codes(result, Severity.WARNING) == ["accelerator-ignored"]


def test_acceleratorconfig_of_an_entry_ome_does_not_pick_is_reported(tree):
    spec = tree_files("seed", selector={"acceleratorClass": "nvidia-h100-80gb"})
    (rt,) = yamlio.load_documents(spec["rt.yaml"], positions=False)
    entry = rt.data["spec"]["supportedModelFormats"][0]
    entry["name"] = entry.pop("modelFormat")["name"]  # legacy name only: CalculateFormatScore is 0
    spec["rt.yaml"] = yamlio.dump(rt.data)
    result = build(tree, spec)
    assert result.ok and codes(result, Severity.WARNING) == ["accelerator-config-unused"]
    assert "NCCL_ALGO" not in [e["name"] for e in serving(engine_pod(result)).get("env", [])]


def test_explain_shows_the_class_beside_the_runtime(tree, capsys):
    src = tree(tree_files("ome", selector={"policy": "BestFit", "constraints": {"minMemory": 40, "preferredPrecisions": ["fp16"]}}))
    code, out, _ = run_cli(["explain", "llama-chat", "-n", "team-a", str(src)], capsys)
    assert code == 0
    assert "Selected: srt-llama-3-1-8b-instruct" in out
    assert "Accelerator class (engine): nvidia-a100-40gb (decided by spec.acceleratorSelector.policy BestFit" in out
    assert "nvidia-t4" in out and "memory 16GB < required 40GB" in out
    code, out, _ = run_cli(["explain", "llama-chat", "-n", "team-a", str(src), "--format", "json"], capsys)
    (accelerator,) = json.loads(out)["accelerators"]
    assert accelerator["component"] == "engine" and accelerator["name"] == "nvidia-a100-40gb"
    assert [(c["name"], c["eligible"], c["selected"]) for c in accelerator["candidates"]] == [
        ("nvidia-h100-80gb", True, False), ("nvidia-a100-40gb", True, True), ("nvidia-t4", False, False)
    ]


# The policy arithmetic on OME's own test data (policy_helpers.go; selector_test.go cases).
def _specs(names):
    return [(n, CLASSES[n]) for n in names]


@pytest.mark.parametrize(
    "constraints, names, expected",
    [  # TestSelectBestFit_Integration
        ({"minMemory": 40, "preferredPrecisions": ["fp16"]}, ["nvidia-h100-80gb", "nvidia-a100-40gb"], "nvidia-a100-40gb"),
        ({"minMemory": 80, "preferredPrecisions": ["fp8", "fp16"]}, ["nvidia-h100-80gb", "nvidia-a100-40gb"], "nvidia-h100-80gb"),
        ({"minMemory": 16, "requiredFeatures": ["nvlink"]}, ["nvidia-a100-40gb", "nvidia-t4"], "nvidia-a100-40gb"),
        ({"minMemory": 16, "maxMemory": 20}, ORDER, "nvidia-t4"),
    ],
)
def test_best_fit_on_omes_cases(constraints, names, expected):
    valid = [(n, s) for n, s in _specs(names) if policies.eligible(n, s, constraints) is None]
    scores = [policies.best_fit_score(s, constraints) for _, s in valid]
    assert valid[scores.index(max(scores))][0] == expected


def test_cheapest_and_most_capable_on_omes_cases():
    # TestSelectCheapest_Integration: spot pricing first (T4 $0 spot)
    assert policies.cheapest(_specs(ORDER))[0] == "nvidia-t4"
    assert policies.cheapest(_specs(["nvidia-h100-80gb", "nvidia-a100-40gb"]))[0] == "nvidia-a100-40gb"
    # TestSelectMostCapable_Integration: H100 for fp8 and for fp32
    for precisions in (["fp8", "fp16"], ["fp32"]):
        scores = policies.capability_scores([s for _, s in _specs(ORDER)], precisions)
        assert scores.index(max(scores)) == 0
    # meetsRequirements: memoryGB is a quantity in bytes (80Gi → 80; a bare 80 is 80 bytes → 0)
    assert policies.memory_gib({"capabilities": {"memoryGB": "80Gi"}}) == 80
    assert policies.memory_gib({"capabilities": {"memoryGB": 80}}) == 0
    assert policies.eligible("x", CLASSES["nvidia-t4"], {"minArchitectureVersion": "8.0"}).startswith("compute capability 7.5 < required 8.0")
    assert policies.eligible("x", CLASSES["nvidia-t4"], {"architectureFamilies": ["nvidia-turing"]}) is None
    assert policies.eligible("x", CLASSES["nvidia-t4"], {"architectureFamilies": ["hopper"]}) is not None


@pytest.mark.parametrize(
    "args, overrides, expected",
    [  # MergeArgs (utils/merging.go): by flag key, new flags appended, the multi-line form kept
        (["--tp-size=4", "--port", "8080"], ["--tp-size=8"], ["--tp-size=8", "--port", "8080"]),
        (["--tp-size", "4", "--x"], ["--tp-size", "2", "--y"], ["--tp-size", "2", "--x", "--y"]),
        (["python3 -m server \\\n  --tp 4 \\\n  --port 8080"], ["--port=9000"], ["python3 -m server \\\n--tp 4 \\\n--port=9000"]),
        ([], ["--a"], ["--a"]),
    ],
)
def test_merge_args_as_ome(args, overrides, expected):
    assert merge_args(args, overrides) == expected


def test_accelerator_classes_are_not_written_to_the_output(tree):
    result = build(tree, tree_files("ome", selector={"acceleratorClass": "nvidia-h100-80gb"}))
    assert result.ok and not [r for r in result.objects if r.kind == "AcceleratorClass"]


PD = __import__("pathlib").Path(__file__).resolve().parent / "cases" / "multinode-prefill-decode" / "src"


def test_engine_and_decoder_choose_their_own_class_on_leader_and_worker_pods(tree):
    spec = {p.name: p.read_text() for p in PD.iterdir()}
    (rt,) = yamlio.load_documents(spec["runtime.yaml"], positions=False)
    rt.data["spec"]["acceleratorRequirements"] = {"acceleratorClasses": ORDER}
    spec["runtime.yaml"] = yamlio.dump(rt.data)
    (doc,) = yamlio.load_documents(spec["isvc.yaml"], positions=False)
    doc.data["spec"]["engine"]["acceleratorOverride"] = {"acceleratorClass": "nvidia-h100-80gb"}
    doc.data["spec"]["decoder"]["acceleratorOverride"] = {"acceleratorClass": "nvidia-a100-40gb"}
    spec["isvc.yaml"] = yamlio.dump(doc.data)
    spec["classes.yaml"] = class_docs()
    result = pipeline.build(tree(spec))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    assert chosen(result) == [("engine", "nvidia-h100-80gb"), ("decoder", "nvidia-a100-40gb")]
    sets = {name: o for (kind, name), o in objects(result).items() if kind == "LeaderWorkerSet"}
    for name, product in (("engine", "H100-SXM5-80GB"), ("decoder", "A100-SXM4-40GB")):
        (lws,) = [o for n, o in sets.items() if n.endswith(name)]
        group = lws["spec"]["leaderWorkerTemplate"]
        for template in (group["leaderTemplate"], group["workerTemplate"]):
            pod = template["spec"]
            assert pod["nodeSelector"]["nvidia.com/gpu.product"] == product
            for container in pod["containers"]:
                assert "PARALLELISM_SIZE" not in [e["name"] for e in container.get("env") or []]


def test_a_bare_memory_number_is_bytes_as_ome_reads_it(tree):
    spec = tree_files("ome", selector={"policy": "BestFit", "constraints": {"minMemory": 40}})
    spec["classes.yaml"] = spec["classes.yaml"].replace("memoryGB: 80Gi", "memoryGB: 80")
    result = build(tree, spec)
    (d,) = [d for d in result.diagnostics if d.code == "accelerator-memory-unit"]
    assert (d.file, d.field, d.severity) == ("classes.yaml", "spec.capabilities.memoryGB", Severity.WARNING) and "write 80Gi" in d.message
    # meetsRequirements: 80 bytes is 0 GB < 40, so the H100 no longer qualifies
    assert result.ok and chosen(result) == [("engine", "nvidia-a100-40gb")]
