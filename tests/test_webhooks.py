"""`webhooks: emulate | cluster`: what OME's pod webhooks (pkg/webhook/admission/pod/) would do to a
rendered pod. RDMA from `RDMAInjector.InjectRDMA`/`injectRDMAConfig`/`injectContainerConfig`
(rdma_injector.go); model-init from `ModelInitInjector.injectModelInit` (model_init_injector.go),
the order of `Mutator.mutate` (mutator.go) and the controller's `IsOriginalModelVolumeMountNecessary`/
`IsEmptyModelDirVolumeRequired` (utils/annotations.go) and `ProcessBaseAnnotations` (components/base.go)."""

from __future__ import annotations

import pytest

from omegen import pipeline, yamlio
from omegen.api import CLUSTER_SERVING_RUNTIME, WEBHOOKS_CLUSTER, Resolution
from omegen.errors import Severity
from omegen.render.service import render_service
from omegen.render.webhooks import RDMA_PROFILES, inject_rdma
from omegen.validate.objects import validate_objects
from sources import DIALECTS, MODEL_INIT_SETTINGS, config, files, objects

RDMA = {"rdma.ome.io/auto-inject": "true"}
PROFILE = RDMA_PROFILES["oci-roce"]


def _config(extra: str = "") -> str:
    return (
        "apiVersion: omegen.io/v1alpha1\nkind: Omegen\nmetadata:\n  name: t\n  annotations:\n"
        '    config.kubernetes.io/local-config: "true"\nbuiltinRuntimes: false\n' + extra
    )


def _engine(result) -> dict:
    objs = objects(result)
    return next(o for (kind, name), o in objs.items() if kind == "Deployment" and name.endswith("-engine"))


def _serving(pod: dict) -> dict:
    return next(c for c in pod["containers"] if c["name"] == "ome-container")


def test_the_injection_as_omes_code():
    pod = {
        "containers": [
            {"name": "side", "image": "s"},
            {
                "name": "ome-container",
                "image": "x",
                "env": [{"name": "NCCL_DEBUG", "value": "WARN"}, {"name": "A", "value": "1"}],
                "volumeMounts": [{"name": "dshm", "mountPath": "/shm"}],
                "securityContext": {"capabilities": {"add": ["IPC_LOCK"], "drop": ["NET_RAW"]}, "privileged": False},
            },
        ],
        "volumes": [{"name": "dshm", "emptyDir": {}}],
    }
    out = inject_rdma(pod, RDMA)
    container = out["containers"][1]
    assert out["containers"][0] == pod["containers"][0], "only the target container"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {"A": "1", **PROFILE["env"]}  # the profile's value wins, as Kubernetes resolves OME's duplicate
    names = [e["name"] for e in container["env"]]
    assert names[:2] == ["NCCL_DEBUG", "A"] and names[2:] == sorted(set(PROFILE["env"]) - {"NCCL_DEBUG"})
    # mounts and volumes are added only under names not already taken
    assert container["volumeMounts"] == [{"name": "dshm", "mountPath": "/shm"}, {"name": "devinf", "mountPath": "/dev/infiniband"}]
    assert out["volumes"] == [{"name": "dshm", "emptyDir": {}}, {"name": "devinf", "hostPath": {"path": "/dev/infiniband"}}]
    # capabilities are added; an explicit `privileged: false` stays
    assert container["securityContext"] == {"capabilities": {"add": ["IPC_LOCK", "CAP_SYS_ADMIN"], "drop": ["NET_RAW"]}, "privileged": False}
    assert pod["containers"][1]["env"] == [{"name": "NCCL_DEBUG", "value": "WARN"}, {"name": "A", "value": "1"}], "input untouched"
    assert inject_rdma({"containers": [{"name": "other"}]}, RDMA) is None  # OME skips the pod
    target = inject_rdma({"containers": [{"name": "other"}]}, {**RDMA, "rdma.ome.io/container-name": "other"})
    assert target["containers"][0]["securityContext"] == {"capabilities": {"add": ["IPC_LOCK", "CAP_SYS_ADMIN"]}, "privileged": True}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_emulated_rdma_is_in_the_pod_and_its_trigger_is_gone(tree, dialect):
    result = pipeline.build(tree(files(dialect, RDMA)))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    deployment = _engine(result)
    template = deployment["spec"]["template"]
    pod = template["spec"]
    container = _serving(pod)
    assert {e["name"] for e in container["env"]} >= set(PROFILE["env"])
    assert {"name": "devinf", "mountPath": "/dev/infiniband"} in container["volumeMounts"]
    assert {"name": "devinf", "hostPath": {"path": "/dev/infiniband"}} in pod["volumes"]
    assert container["securityContext"]["privileged"] is True
    assert "rdma.ome.io/auto-inject" not in template["metadata"]["annotations"], "nothing is injected twice"
    assert "rdma.ome.io/auto-inject" not in deployment["metadata"]["annotations"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_cluster_mode_keeps_the_annotation_and_leaves_the_pod_alone(tree, dialect):
    plain = _engine(pipeline.build(tree({**files(dialect), "omegen.yaml": _config("webhooks: cluster\n")})))
    result = pipeline.build(tree({**files(dialect, RDMA), "omegen.yaml": _config("webhooks: cluster\n")}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    template = _engine(result)["spec"]["template"]
    assert template["metadata"]["annotations"]["rdma.ome.io/auto-inject"] == "true"
    assert template["spec"] == plain["spec"]["template"]["spec"]


def test_an_unknown_profile_is_refused_as_omes_webhook_refuses_the_pod(tree):
    result = pipeline.build(tree(files("ome", {**RDMA, "rdma.ome.io/profile": "ib-hdr"})))
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR][:1]
    assert d.code == "webhook-emulation" and "unknown RDMA profile 'ib-hdr'" in d.message and d.file == "isvc.yaml"


def test_a_pod_without_the_target_container_is_skipped_with_a_warning(tree):
    result = pipeline.build(tree(files("ome", {**RDMA, "rdma.ome.io/container-name": "nope"})))
    assert result.ok
    warnings = [d for d in result.diagnostics if d.code == "webhook-emulation" and d.severity is Severity.WARNING]
    assert warnings and "no container 'nope'" in warnings[0].message
    assert "securityContext" not in _serving(_engine(result)["spec"]["template"]["spec"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_model_init(tree, dialect):
    annotations = {"ome.io/inject-model-init": "true"}
    emulated = pipeline.build(tree(files(dialect, annotations)))
    assert not emulated.ok and "webhook-emulation" in {d.code for d in emulated.diagnostics}
    result = pipeline.build(tree({**files(dialect, annotations), "omegen.yaml": _config("webhooks: cluster\n")}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    template = _engine(result)["spec"]["template"]
    pod, container = template["spec"], _serving(template["spec"])
    assert template["metadata"]["annotations"]["ome.io/inject-model-init"] == "true"
    # The controller's side: no original model mount and no MODEL_PATH; the model's hostPath volume
    # (the init container mounts it by name) and the in-memory emptyDir it fills.
    assert "MODEL_PATH" not in {e["name"] for e in container.get("env", [])}
    model_volumes = [v for v in pod["volumes"] if "hostPath" in v]
    assert model_volumes and not any(m["name"] == model_volumes[0]["name"] for m in container.get("volumeMounts", []))
    assert {"name": "model-empty-dir", "emptyDir": {"medium": "Memory"}} in pod["volumes"]


def test_upstream_rdma_runtime_renders_when_emulated_and_not_in_cluster_mode(upstream_load):
    """srt-deepseek-rdma's leader mounts volumes only OME's RDMA webhook adds."""
    sources, _ = upstream_load
    runtime = sources.runtime(CLUSTER_SERVING_RUNTIME, "srt-deepseek-rdma")
    service = next(s for s in sources.services.values() if s.runtime_name == "srt-deepseek-rdma")
    resolution = Resolution(service, sources.model_for(service), runtime)
    objs, diagnostics = render_service(resolution)
    assert not [d for d in diagnostics if d.severity is Severity.ERROR], [d.as_text() for d in diagnostics]
    (lws,) = [r.obj for r in objs if r.kind == "LeaderWorkerSet"]
    for part in ("leaderTemplate", "workerTemplate"):
        pod = lws["spec"]["leaderWorkerTemplate"][part]["spec"]
        assert any(v["name"] == "devinf" for v in pod["volumes"]), part
    _, diagnostics = render_service(resolution, webhooks=WEBHOOKS_CLUSTER)
    assert "missing-volume" in {d.code for d in diagnostics}


@pytest.mark.parametrize("key", ["ome.io/inject-serving-sidecar", "ome.io/enable-metric-aggregation"])
def test_injectors_not_emulated_are_reported_unless_the_cluster_runs_them(tree, key):
    result = pipeline.build(tree(files("seed", {key: "true"})))
    assert result.ok
    (d,) = [d for d in result.diagnostics if d.code == "webhook-emulation"]
    assert d.severity is Severity.WARNING and key in d.message and d.file == "isvc.yaml"
    cluster = pipeline.build(tree({**files("seed", {key: "true"}), "omegen.yaml": _config("webhooks: cluster\n")}))
    assert cluster.ok and not [d for d in cluster.diagnostics if d.code == "webhook-emulation"]


# Model-init emulated from omegen.yaml's `webhookConfig.modelInit` (render/agentinit.py; OME's
# ModelInitInjector.injectModelInit, model_init_injector.go; field by field in tests/test_agentinit.py).
MODEL_INIT = {"ome.io/inject-model-init": "true"}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_model_init_is_emulated_with_omes_settings(tree, dialect):
    result = pipeline.build(tree({**files(dialect, MODEL_INIT), "omegen.yaml": config(modelInit=MODEL_INIT_SETTINGS)}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    deployment = _engine(result)
    template = deployment["spec"]["template"]
    pod, container = template["spec"], _serving(template["spec"])
    # the trigger is dropped, so OME's webhook, where it runs, injects nothing twice
    assert "ome.io/inject-model-init" not in template["metadata"]["annotations"]
    assert "ome.io/inject-model-init" not in deployment["metadata"]["annotations"]
    (init,) = pod["initContainers"]
    model = template["metadata"]["annotations"]["ome.io/base-model-name"]
    volume = next(v["name"] for v in pod["volumes"] if "hostPath" in v)
    assert init["name"] == "model-init" and init["image"] == MODEL_INIT_SETTINGS["image"]
    assert init["args"] == ["enigma", "--config", "/ome-agent.yaml", "--debug"]
    assert init["resources"] == {"limits": {"cpu": "15", "memory": "180Gi"}, "requests": {"cpu": "15", "memory": "150Gi"}}
    assert init["volumeMounts"] == [{"name": "model-empty-dir", "mountPath": "/opt/ml/model"}, {"name": volume, "mountPath": "/mnt/model"}]
    env = {e["name"]: e.get("value") for e in init["env"]}
    assert env["OME_AGENT_MODEL_NAME"] == model and env["OME_AGENT_MODEL_FRAMEWORK"] == "safetensors"
    assert env["OME_AGENT_VAULT_ID"] == MODEL_INIT_SETTINGS["vaultId"] and env["OME_AGENT_REGION"] == "eu-frankfurt-1"
    assert "securityContext" not in init, "the serving container has none to copy"
    # the controller's side, as with `webhooks: cluster`: no model mount or MODEL_PATH; the hostPath
    # the init container reads and the in-memory emptyDir it fills (UpdatePodSpecVolumes)
    assert "MODEL_PATH" not in {e["name"] for e in container.get("env", [])}
    assert not any(m["name"] == volume for m in container.get("volumeMounts", []))
    assert {"name": "model-empty-dir", "emptyDir": {"medium": "Memory"}} in pod["volumes"]
    assert [d for d in validate_objects(list(result.objects)) if d.severity is Severity.ERROR] == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_model_init_without_settings_says_what_to_add(tree, dialect):
    sources = files(dialect, MODEL_INIT)
    result = pipeline.build(tree(sources))
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.code == "webhook-emulation" and d.severity is Severity.ERROR]
    assert d.file == "isvc.yaml" and d.line == _line_of(sources["isvc.yaml"], "ome.io/inject-model-init")
    assert "`webhookConfig: {modelInit: {image: ..., cpuRequest: ..., cpuLimit: ..., memoryRequest: ..., memoryLimit: ..." in d.message
    assert "inferenceservice-config" in d.message and "`webhooks: cluster`" in d.message


@pytest.mark.parametrize("dialect", DIALECTS)
def test_cluster_mode_ignores_the_settings(tree, dialect):
    plain = _engine(pipeline.build(tree({**files(dialect, MODEL_INIT), "omegen.yaml": config("cluster")})))
    result = pipeline.build(tree({**files(dialect, MODEL_INIT), "omegen.yaml": config("cluster", modelInit=MODEL_INIT_SETTINGS)}))
    assert result.ok
    assert _engine(result) == plain
    assert plain["spec"]["template"]["metadata"]["annotations"]["ome.io/inject-model-init"] == "true"
    assert "initContainers" not in plain["spec"]["template"]["spec"]
    # ignored, but never in silence: the warning points at the setting
    (d,) = [d for d in result.diagnostics if d.code == "unused-setting"]
    assert d.severity is Severity.WARNING and d.file == "omegen.yaml" and d.field == "webhookConfig"
    assert d.line == _line_of(config("cluster", modelInit=MODEL_INIT_SETTINGS), "webhookConfig:")
    assert "`webhooks: cluster`" in d.message and "inferenceservice-config" in d.message
    assert not [d for d in pipeline.build(tree({**files(dialect, MODEL_INIT), "omegen.yaml": config("cluster")})).diagnostics if d.code == "unused-setting"]


def test_model_init_copies_the_security_context_before_rdma(tree):
    """Mutator.mutate runs the model-init injector before the RDMA injector: the init container gets
    the serving container's security context as it was, not RDMA's privileged one."""
    sources = {**files("seed", {**MODEL_INIT, **RDMA}), "omegen.yaml": config(modelInit=MODEL_INIT_SETTINGS)}
    result = pipeline.build(tree(sources))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    pod = _engine(result)["spec"]["template"]["spec"]
    assert _serving(pod)["securityContext"]["privileged"] is True
    assert "securityContext" not in pod["initContainers"][0]


def test_the_router_gets_no_init_container(tree):
    result = pipeline.build(tree({**files("ome", MODEL_INIT), "omegen.yaml": config(modelInit=MODEL_INIT_SETTINGS)}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    router = next(o for (kind, name), o in objects(result).items() if kind == "Deployment" and name.endswith("-router"))
    assert "ome.io/inject-model-init" not in router["spec"]["template"]["metadata"]["annotations"]
    assert "initContainers" not in router["spec"]["template"]["spec"]
    (d,) = [d for d in result.diagnostics if d.code == "webhook-emulation"]
    assert d.severity is Severity.INFO and "router" in d.message


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_models_decryption_names_reach_the_pod_and_model_init(tree, dialect):
    """ProcessBaseAnnotations copies the base model's decryption key and secret names onto the pods,
    where getModelInitEnvs reads them."""
    sources = {**files(dialect, MODEL_INIT), "omegen.yaml": config(modelInit=MODEL_INIT_SETTINGS)}
    (doc,) = yamlio.load_documents(sources["m.yaml"], positions=False)
    doc.data["metadata"]["annotations"] = {
        "ome.io/base-model-decryption-key-name": "key-1",
        "ome.io/base-model-decryption-secret-name": "secret-1",
    }
    sources["m.yaml"] = yamlio.dump(doc.data)
    result = pipeline.build(tree(sources))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    template = _engine(result)["spec"]["template"]
    assert template["metadata"]["annotations"]["ome.io/base-model-decryption-key-name"] == "key-1"
    env = {e["name"]: e.get("value") for e in template["spec"]["initContainers"][0]["env"]}
    assert env["OME_AGENT_KEY_NAME"] == "key-1" and env["OME_AGENT_SECRET_NAME"] == "secret-1"


def test_a_pod_omes_webhook_would_refuse_is_an_error(tree):
    oke = {**MODEL_INIT_SETTINGS, "authType": "OkeWorkloadIdentity"}
    result = pipeline.build(tree({**files("seed", MODEL_INIT), "omegen.yaml": config(modelInit=oke)}))
    assert not result.ok
    (d,) = [d for d in result.diagnostics if d.code == "webhook-emulation"]
    assert d.file == "isvc.yaml" and "OkeWorkloadIdentity needs a serviceAccountName" in d.message


def test_webhook_config_is_checked_at_the_field(tree):
    bad = {**MODEL_INIT_SETTINGS, "memoryLimit": "180Qi"}
    del bad["vaultId"]
    text = config(modelInit=bad)
    result = pipeline.build(tree({**files("seed"), "omegen.yaml": text}))
    problems = {d.field: d for d in result.diagnostics if d.file == "omegen.yaml"}
    assert problems["webhookConfig.modelInit.memoryLimit"].line == _line_of(text, "memoryLimit")
    assert "expected a Kubernetes resource quantity" in problems["webhookConfig.modelInit.memoryLimit"].message
    assert "missing required field" in problems["webhookConfig.modelInit.vaultId"].message
    unknown = pipeline.build(tree({**files("seed"), "omegen.yaml": config(ingress={})}))
    assert [d.code for d in unknown.diagnostics if d.file == "omegen.yaml"] == ["unknown-field"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_model_init_is_emulated_in_leader_and_worker_pods(tree, dialect):
    """Both pod templates of a LeaderWorkerSet carry the trigger, so OME's webhook injects into every
    pod of the group."""
    annotations = dict(MODEL_INIT)
    if dialect == "seed":
        annotations["ome.io/deploymentMode"] = "MultiNode"
        predictor = {"model": {"baseModel": "llama-3-1-70b", "protocolVersion": "openAI", "runtime": "vllm-text-generation"}}
        spec = {"predictor": {**predictor, "minReplicas": 1, "maxReplicas": 1, "workerSpec": {"size": 1}}}
    else:
        spec = {"engine": {"minReplicas": 1, "maxReplicas": 1, "leader": {}, "worker": {"size": 1}}}
    result = pipeline.build(tree({**files(dialect, annotations, spec), "omegen.yaml": config(modelInit=MODEL_INIT_SETTINGS)}))
    assert result.ok, [d.as_text() for d in result.diagnostics]
    (lws,) = [o for (kind, _), o in objects(result).items() if kind == "LeaderWorkerSet"]
    for part in ("leaderTemplate", "workerTemplate"):
        template = lws["spec"]["leaderWorkerTemplate"][part]
        assert "ome.io/inject-model-init" not in template["metadata"].get("annotations", {}), part
        assert [c["name"] for c in template["spec"]["initContainers"]] == ["model-init"], part
        assert {"name": "model-empty-dir", "emptyDir": {"medium": "Memory"}} in template["spec"]["volumes"], part
    assert [d for d in validate_objects(list(result.objects)) if d.severity is Severity.ERROR] == []


def test_a_hand_written_adapter_trigger_is_an_error_when_emulating(tree):
    """OME's controller writes ome.io/inject-fine-tuned-adapter for spec.model.fineTunedWeights; one
    written by hand would make OME's webhook fetch a weight omegen does not serve."""
    key = "ome.io/inject-fine-tuned-adapter"
    sources = files("seed", {key: "some-weight"})
    result = pipeline.build(tree(sources))
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert d.code == "webhook-emulation" and "fineTunedWeights" in d.message and d.line == _line_of(sources["isvc.yaml"], key)
    cluster = pipeline.build(tree({**sources, "omegen.yaml": config("cluster")}))
    assert cluster.ok and _engine(cluster)["spec"]["template"]["metadata"]["annotations"][key] == "some-weight"


def test_model_init_for_a_model_without_storage_path_is_refused(tree):
    """UpdatePodSpecVolumes adds the base model's volume only for a model with storage.path: OME's
    model-init container would mount a volume the pod does not have."""
    sources = {**files("seed", MODEL_INIT), "omegen.yaml": config(modelInit=MODEL_INIT_SETTINGS)}
    sources["m.yaml"] = "\n".join(line for line in sources["m.yaml"].splitlines() if "path: /raid" not in line) + "\n"
    result = pipeline.build(tree(sources))
    (d,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert d.code == "webhook-emulation" and "no storage.path" in d.message and d.file == "isvc.yaml"
