"""Structural tests over the files omegen ships: `runtimes/`, `models/` and `examples/quickstart/`.

The structural tests read the files with `omegen.yamlio`. The selection tests at the end check the
intended outcome tables of `runtimes/README.md` and `examples/quickstart/README.md` against omegen's
own loader and resolver: every model gets exactly the intended winner, and no pick is left to a
timestamp or a name.
"""

from __future__ import annotations

import functools
import re
import tempfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Optional

import pytest

from omegen.api import CLUSTER_BASE_MODEL, CLUSTER_SERVING_RUNTIME, OME, InferenceService, Model, Origin, Runtime, Sources
from omegen.errors import Severity, promote_warnings
from omegen.load.sources import load_sources
from omegen.resolve.runtime_checks import check_runtimes
from omegen.resolve.select import AMBIGUOUS_RULES, resolve
from omegen.load.sizes import parse_size
from omegen.resolve.support import runtime_supports
from omegen.yamlio import load_documents

REPO = Path(__file__).resolve().parents[1]
RUNTIMES = REPO / "runtimes"
MODELS = REPO / "models"
QUICKSTART = REPO / "examples" / "quickstart"

API_VERSION = "ome.io/v1beta1"
CATALOG = frozenset(
    {
        "vllm-mistral-7b-instruct",
        "vllm-e5-mistral-7b-instruct",
        "vllm-llama-3-1-70b-instruct",
        "vllm-llama-3-1-405b-instruct-fp8",
        "vllm-llama-3-2-1b",
        "vllm-llama-3-2-3b",
        "vllm-llama-3-2-11b",
        "vllm-llama-3-2-90b-vision-fp8",
        "vllm-llama-3-3-70b-instruct",
        "vllm-deepseek-v3",
        "vllm-deepseek-v3-rdma",
        "vllm-multi-node-llama-3-1-405b",
        "vllm-multi-node-llama-3-1-405b-rdma",
        "command-r-plus",
        "sglang-small",
        "sglang-xsmall",
    }
)
MULTI_NODE = frozenset(
    {"vllm-multi-node-llama-3-1-405b", "vllm-multi-node-llama-3-1-405b-rdma", "vllm-deepseek-v3-rdma"}
)
RDMA = frozenset(name for name in CATALOG if name.endswith("-rdma"))
# Set by omegen (MODEL_PATH, from the model's storage.path) or by the LeaderWorkerSet controller.
INJECTED_ENV = frozenset({"MODEL_PATH", "LWS_LEADER_ADDRESS", "LWS_GROUP_SIZE", "LWS_WORKER_INDEX"})
RDMA_ENV = ("NCCL_IB_HCA", "NCCL_IB_GID_INDEX", "NCCL_SOCKET_IFNAME", "NCCL_NET_PLUGIN", "UCX_TLS", "UCX_NET_DEVICES", "GLOO_SOCKET_IFNAME")
RESOURCE_KEYS = ("cpu", "memory", "nvidia.com/gpu")
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


# ------------------------------------------------------------------------------------------ loading


def _documents(path: Path) -> list:
    return [doc.data for doc in load_documents(path.read_text(encoding="utf-8")) if doc.data is not None]


def _single(path: Path) -> dict:
    docs = _documents(path)
    assert len(docs) == 1, f"{path.name}: expected exactly one YAML document, found {len(docs)}"
    return docs[0]


@functools.cache
def runtimes() -> dict:
    return {path.stem: _single(path) for path in sorted(RUNTIMES.glob("*.yaml"))}


@functools.cache
def models() -> dict:
    return {path.stem: _single(path) for path in sorted(MODELS.glob("*.yaml"))}


def pods(runtime: dict) -> list[tuple[str, dict, dict]]:
    """(label, pod spec, runner) for every pod a runtime's engine makes."""
    engine = runtime["spec"]["engineConfig"]
    if "leader" in engine or "worker" in engine:
        return [(role, engine[role], engine[role]["runner"]) for role in ("leader", "worker")]
    return [("engine", engine, engine["runner"])]


def _container_text(runner: dict) -> str:
    return "\n".join(str(part) for part in (runner.get("command") or []) + (runner.get("args") or []))


def size(text) -> Decimal:
    return parse_size(text).value


# ----------------------------------------------------------------------------------- the catalog


def test_runtime_files_are_exactly_the_catalog():
    names = {path.stem for path in RUNTIMES.glob("*.y*ml")}
    assert names == CATALOG
    assert not list(RUNTIMES.glob("*.yml")), "use the .yaml extension"
    for name, runtime in runtimes().items():
        assert runtime["apiVersion"] == API_VERSION, name
        assert runtime["kind"] == "ClusterServingRuntime", name
        assert runtime["metadata"]["name"] == name, f"{name}.yaml defines {runtime['metadata']['name']}"


def test_every_runtime_file_opens_with_its_intent():
    for path in sorted(RUNTIMES.glob("*.yaml")):
        head = path.read_text(encoding="utf-8").split("apiVersion:", 1)[0]
        assert head.startswith(f"# {path.stem}\n"), f"{path.name}: the header comment names the runtime"
        for heading in ("Serves:", "Hardware:", "Selection:"):
            assert heading in head, f"{path.name}: header comment lacks {heading!r}"


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_format_entries(name):
    spec = runtimes()[name]["spec"]
    assert spec["protocolVersions"] == ["openAI"]
    assert spec.get("disabled") is False
    entries = spec["supportedModelFormats"]
    assert entries
    for entry in entries:
        assert entry["modelFormat"]["name"] and entry["modelFormat"]["version"], entry
        assert entry["modelFramework"]["name"], entry  # OME's CRD requires modelFramework
        assert entry["modelArchitecture"], entry
        # Decision (runtimes/README.md): models carry HF's model_type, runtimes leave modelType unset.
        assert "modelType" not in entry and "name" not in entry and "version" not in entry, entry
        assert isinstance(entry["autoSelect"], bool), entry
        if entry["autoSelect"]:
            assert isinstance(entry["priority"], int) and entry["priority"] >= 1, entry
        else:
            assert "priority" not in entry, f"{name}: priority is ignored on entries without autoSelect"
        if "quantization" in entry:
            assert entry["quantization"] == "fp8"
    bounds = spec["modelSizeRange"]
    assert size(bounds["min"]) <= size(bounds["max"])


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_shape(name):
    engine = runtimes()[name]["spec"]["engineConfig"]
    if name in MULTI_NODE:
        assert "runner" not in engine, "a multi-node runtime's runners are in leader and worker"
        assert isinstance(engine["worker"]["size"], int) and engine["worker"]["size"] >= 1
        assert engine["leader"]["runner"] and engine["worker"]["runner"]
    else:
        assert "leader" not in engine and "worker" not in engine
        assert engine["runner"]


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_runners(name):
    for role, pod, runner in pods(runtimes()[name]):
        where = f"{name} {role}"
        assert runner["name"] == "ome-container", where
        image = runner["image"]
        assert re.match(r"^[a-z0-9.-]+(/[a-z0-9._-]+)+:[A-Za-z0-9._-]+$", image), f"{where}: image {image!r} is not pinned by tag"
        assert not image.endswith(":latest"), where
        resources = runner["resources"]
        assert resources["requests"] == resources["limits"], f"{where}: requests must equal limits"
        assert set(resources["limits"]) == set(RESOURCE_KEYS), where
        assert int(resources["limits"]["nvidia.com/gpu"]) >= 1, where
        for probe in PROBES:
            assert runner.get(probe), f"{where}: no {probe}"
        ports = runner.get("ports") or []
        port_refs = {p["containerPort"] for p in ports} | {p.get("name") for p in ports}
        for probe in PROBES:
            for kind in ("httpGet", "tcpSocket"):
                if kind in runner[probe]:
                    assert runner[probe][kind]["port"] in port_refs, f"{where}: {probe} port is not a declared port"
        mounts = {m["mountPath"]: m["name"] for m in runner["volumeMounts"]}
        assert mounts.get("/dev/shm") == "dshm", f"{where}: /dev/shm must mount the dshm volume"
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert set(mounts.values()) <= set(volumes), f"{where}: a mount names a volume the pod does not declare"
        dshm = volumes["dshm"]["emptyDir"]
        assert dshm["medium"] == "Memory" and dshm.get("sizeLimit"), f"{where}: dshm is a sized memory emptyDir"
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"], where


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_container_variables_are_defined(name):
    runtime = runtimes()[name]
    serving = pods(runtime)[0][2]  # the engine, or the leader of a multi-node runtime
    assert "$(MODEL_PATH)" in _container_text(serving), f"{name}: the serving runner must load $(MODEL_PATH)"
    for role, _pod, runner in pods(runtime):
        defined = {env["name"] for env in runner.get("env") or []} | INJECTED_ENV
        used = set(re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", _container_text(runner)))
        assert used <= defined, f"{name} {role}: undefined {sorted(used - defined)}"
        if name in MULTI_NODE:
            text = _container_text(runner)
            assert ("$(LWS_GROUP_SIZE)" if role == "leader" else "$(LWS_LEADER_ADDRESS)") in text, f"{name} {role}"


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_rdma_settings_are_declared_in_the_runtime(name):
    runtime = runtimes()[name]
    for role, pod, runner in pods(runtime):
        where = f"{name} {role}"
        security = runner.get("securityContext") or {}
        if name not in RDMA:
            assert not security.get("privileged") and not pod.get("hostNetwork"), f"{where}: only -rdma runtimes are privileged"
            continue
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["devinf"]["hostPath"]["path"] == "/dev/infiniband", where
        assert {"name": "devinf", "mountPath": "/dev/infiniband"} in runner["volumeMounts"], where
        assert security["privileged"] is True, where
        assert {"IPC_LOCK", "SYS_ADMIN"} <= set(security["capabilities"]["add"]), where
        assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet", where
        env = {e["name"] for e in runner["env"]}
        assert set(RDMA_ENV) <= env, f"{where}: missing {sorted(set(RDMA_ENV) - env)}"
    if name in RDMA:
        assert not any(e["autoSelect"] for e in runtime["spec"]["supportedModelFormats"]), f"{name} is opt-in only"


def test_no_template_braces_anywhere():
    # `{{` is omegen's template-variable syntax; the shipped files must not depend on it.
    for root in (RUNTIMES, MODELS, QUICKSTART):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            assert "{{" not in path.read_text(encoding="utf-8"), path.relative_to(REPO)


# --------------------------------------------------------------------------------------- models


def test_model_files():
    assert len(models()) >= 16
    assert not list(MODELS.glob("*.yml")), "use the .yaml extension"
    for name, model in models().items():
        assert model["apiVersion"] == API_VERSION and model["kind"] == "ClusterBaseModel", name
        assert model["metadata"]["name"] == name, name
        spec = model["spec"]
        assert spec["vendor"] and spec["displayName"], name
        assert spec["modelFormat"]["name"] and spec["modelFormat"]["version"] == "1.0.0", name
        assert spec["modelFramework"]["name"] and spec["modelFramework"]["version"], name
        assert spec["modelArchitecture"] and spec["modelType"], name
        assert spec["modelType"] == spec["modelType"].lower(), f"{name}: modelType is HF's model_type"
        assert spec.get("quantization") in (None, "fp8"), name
        size(spec["modelParameterSize"])
        storage = spec["storage"]
        assert re.match(r"^(hf|oci)://\S+$", storage["storageUri"]), name
        assert storage["path"].startswith("/raid/models/") and storage["path"].endswith(name), name


def test_seed_example_model_exists():
    # The seed document's example InferenceService names baseModel llama-3-1-70b.
    assert "llama-3-1-70b" in models()


def test_every_model_architecture_is_served():
    served = {
        entry["modelArchitecture"]
        for runtime in runtimes().values()
        for entry in runtime["spec"]["supportedModelFormats"]
    }
    for name, model in models().items():
        assert model["spec"]["modelArchitecture"] in served, name


# ---------------------------------------------------------------- selection, by omegen's resolver


@functools.cache
def catalog() -> Sources:
    """The built-in runtimes and models alone (an empty source tree)."""
    sources, diagnostics = load_sources(Path(tempfile.mkdtemp(prefix="omegen-catalog-")))
    assert [d.as_text() for d in diagnostics if d.severity is not Severity.INFO] == []
    return sources


def auto_select(model: Model, sources: Optional[Sources] = None, namespace: str = "test"):
    """The resolution of a service naming `model` and no runtime, with `model` in the sources."""
    sources = sources or catalog()
    key = (model.kind, model.namespace, model.name)
    sources = replace(sources, models={**sources.models, key: model})
    service = InferenceService("svc", namespace, Origin("svc.yaml", 1, 1), OME, model_name=model.name, protocol_version="openAI")
    return resolve(service, sources)


def _model(name: str) -> Model:
    return catalog().models[(CLUSTER_BASE_MODEL, None, name)]


def _runtime(name: str) -> Runtime:
    return catalog().runtimes[(CLUSTER_SERVING_RUNTIME, None, name)]


def winner(resolution) -> tuple[str, str]:
    """(kind, name) of the runtime picked by rules 1-3 alone; fails on an ambiguous pick."""
    assert resolution.runtime is not None, [d.message for d in resolution.diagnostics]
    assert resolution.decided_by not in AMBIGUOUS_RULES, [d.message for d in resolution.diagnostics]
    return resolution.runtime.kind, resolution.runtime.name


# The intended outcome: runtimes/README.md, "The models catalog".
EXPECTED_WINNERS = {
    "smollm2-135m-instruct": "sglang-xsmall",
    "smollm2-360m-instruct": "sglang-xsmall",
    "llama-3-2-1b-instruct": "vllm-llama-3-2-1b",
    "smollm2-1-7b-instruct": "vllm-llama-3-2-1b",
    "llama-3-2-3b-instruct": "vllm-llama-3-2-3b",
    "llama-3-1-8b-instruct": "vllm-llama-3-2-11b",
    "llama-3-2-11b-vision-instruct": "vllm-llama-3-2-11b",
    "llama-3-1-70b": "vllm-llama-3-3-70b-instruct",
    "llama-3-1-70b-instruct": "vllm-llama-3-3-70b-instruct",
    "llama-3-3-70b-instruct": "vllm-llama-3-3-70b-instruct",
    "llama-3-2-90b-vision-instruct-fp8": "vllm-llama-3-2-90b-vision-fp8",
    "llama-3-1-405b-instruct-fp8": "vllm-llama-3-1-405b-instruct-fp8",
    "llama-3-1-405b-instruct": "vllm-multi-node-llama-3-1-405b",
    "deepseek-v3": "vllm-deepseek-v3",
    "mistral-7b-instruct": "vllm-mistral-7b-instruct",
    "e5-mistral-7b-instruct": "vllm-e5-mistral-7b-instruct",
    "command-r-plus": "command-r-plus",
}


def test_expected_winners_cover_the_models_catalog():
    assert set(EXPECTED_WINNERS) == set(models())


@pytest.mark.parametrize("model_name", sorted(EXPECTED_WINNERS))
def test_auto_selection_intent(model_name):
    assert winner(auto_select(_model(model_name))) == ("ClusterServingRuntime", EXPECTED_WINNERS[model_name])


# runtimes/README.md, "Boundaries and bands": (size, quantization) of a Llama text model → winner.
LLAMA_BANDS = [
    ("9M", None, None),
    ("10M", None, "sglang-xsmall"),
    ("499M", None, "sglang-xsmall"),
    ("500M", None, "sglang-xsmall"),
    ("501M", None, "vllm-llama-3-2-1b"),
    ("2B", None, "vllm-llama-3-2-1b"),
    ("2.01B", None, "vllm-llama-3-2-3b"),
    ("4B", None, "vllm-llama-3-2-3b"),
    ("4.01B", None, "vllm-llama-3-2-11b"),
    ("12B", None, "vllm-llama-3-2-11b"),
    ("12.01B", None, None),
    ("59.9B", None, None),
    ("60B", None, "vllm-llama-3-3-70b-instruct"),
    ("75B", "fp8", "vllm-llama-3-3-70b-instruct"),
    ("75.1B", None, None),
    ("399B", "fp8", None),
    ("400B", None, "vllm-multi-node-llama-3-1-405b"),
    ("400B", "fp8", "vllm-llama-3-1-405b-instruct-fp8"),
    ("410B", None, "vllm-multi-node-llama-3-1-405b"),
    ("410B", "fp8", "vllm-llama-3-1-405b-instruct-fp8"),
    ("410.1B", "fp8", None),
]


@pytest.mark.parametrize("model_size,quantization,expected", LLAMA_BANDS)
def test_llama_size_bands(model_size, quantization, expected):
    model = replace(_model("llama-3-2-1b-instruct"), size=parse_size(model_size), quantization=quantization)
    resolution = auto_select(model)
    if expected is None:
        assert resolution.runtime is None and [d.code for d in resolution.diagnostics] == ["no-runtime"]
    else:
        assert winner(resolution) == ("ClusterServingRuntime", expected)


def test_opt_in_runtimes_still_support_their_models():
    # Named explicitly, an autoSelect: false runtime must accept the models it exists for.
    for runtime, model in (
        ("sglang-small", "smollm2-1-7b-instruct"),
        ("sglang-small", "llama-3-2-3b-instruct"),
        ("vllm-multi-node-llama-3-1-405b-rdma", "llama-3-1-405b-instruct"),
        ("vllm-multi-node-llama-3-1-405b-rdma", "llama-3-1-405b-instruct-fp8"),
        ("vllm-deepseek-v3-rdma", "deepseek-v3"),
        ("vllm-llama-3-1-70b-instruct", "llama-3-1-70b-instruct"),
    ):
        assert runtime_supports(_runtime(runtime), _model(model), "openAI") is None, (runtime, model)
    assert runtime_supports(_runtime("vllm-llama-3-1-405b-instruct-fp8"), _model("llama-3-1-405b-instruct"), "openAI") is not None


def test_no_priority_clash():
    # Two auto-select runtimes that agree on every constraint design.md section 3 lists must not share
    # a priority: omegen's runtime checks find no clash in the catalog, even under --strict.
    assert [d.message for d in promote_warnings(check_runtimes(catalog())) if d.code == "priority-clash"] == []


# ------------------------------------------------------------------------------------ quickstart

# examples/quickstart/README.md: (namespace, service) → (runtime kind, runtime name)
EXPECTED_QUICKSTART = {
    ("team-a", "chat-assistant"): ("ClusterServingRuntime", "vllm-llama-3-3-70b-instruct"),
    ("team-a", "embeddings"): ("ClusterServingRuntime", "vllm-e5-mistral-7b-instruct"),
    ("team-a", "llama-405b"): ("ClusterServingRuntime", "vllm-multi-node-llama-3-1-405b"),
    ("team-a", "smollm-playground"): ("ClusterServingRuntime", "sglang-small"),
    ("team-b", "faq-bot"): ("ServingRuntime", "vllm-llama-3-2-1b"),
    ("team-b", "autocomplete"): ("ClusterServingRuntime", "vllm-llama-3-2-3b"),
    ("team-b", "deepseek"): ("ClusterServingRuntime", "vllm-deepseek-v3-rdma"),
}


@functools.cache
def quickstart() -> dict:
    config = _single(QUICKSTART / "omegen.yaml")
    services: dict = {}
    for path in sorted(QUICKSTART.rglob("*.yaml")):
        if path.name == "omegen.yaml":
            continue
        for doc in _documents(path):
            assert doc["apiVersion"] == API_VERSION, path
            if doc["kind"] == "InferenceService":
                services[(doc["metadata"].get("namespace") or config["defaultNamespace"], doc["metadata"]["name"])] = doc
    return {"config": config, "InferenceService": services}


def test_quickstart_config():
    assert quickstart()["config"] == {
        "apiVersion": "omegen.io/v1alpha1",
        "kind": "Omegen",
        "metadata": {"name": "quickstart", "annotations": {"config.kubernetes.io/local-config": "true"}},
        "kubernetesVersion": "1.33",
        "defaultNamespace": "team-a",
    }


def test_quickstart_shows_both_dialects_and_a_multi_node_service():
    services = quickstart()["InferenceService"]
    assert {ns for ns, _ in services} == {"team-a", "team-b"}
    assert any("predictor" in s["spec"] for s in services.values())
    assert any("model" in s["spec"] for s in services.values())


@pytest.mark.parametrize("key", sorted(EXPECTED_QUICKSTART))
def test_quickstart_resolution(key):
    sources, _ = load_sources(QUICKSTART)
    assert set(sources.services) == set(EXPECTED_QUICKSTART)
    resolution = resolve(sources.services[key], sources)
    assert winner(resolution) == EXPECTED_QUICKSTART[key]
