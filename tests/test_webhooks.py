"""`webhooks: emulate | cluster`: what OME's pod webhooks (pkg/webhook/admission/pod/) would do to a
rendered pod. RDMA from `RDMAInjector.InjectRDMA`/`injectRDMAConfig`/`injectContainerConfig`
(rdma_injector.go); model-init from `ModelInitInjector` (model_init_injector.go) and the controller's
`IsOriginalModelVolumeMountNecessary`/`IsEmptyModelDirVolumeRequired` (utils/annotations.go)."""

from __future__ import annotations

import pytest

from omegen import pipeline
from omegen.api import CLUSTER_SERVING_RUNTIME, WEBHOOKS_CLUSTER, Resolution
from omegen.errors import Severity
from omegen.render.service import render_service
from omegen.render.webhooks import RDMA_PROFILES, inject_rdma
from sources import DIALECTS, files, objects

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
