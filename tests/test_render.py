"""render_service: shapes, replicas, metadata, model wiring and template variables, on api objects
built by hand; then every upstream OME sample that can render, with its LeaderWorkerSets checked
against the LWS CRD's strict schema."""

from __future__ import annotations

import copy
import hashlib
import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from omegen import yamlio
from omegen.resolve import select
from omegen.api import BASE_MODEL, CLUSTER_BASE_MODEL, CLUSTER_SERVING_RUNTIME, OME, SEED, SERVING_RUNTIME
from omegen.api import InferenceService, Model, Origin, Resolution, Runtime
from omegen.render.modelref import model_label_key, model_volume_name, truncate_with_hash
from omegen.errors import Severity, has_errors
from omegen.render.service import render_service
from omegen.render.templatevars import TemplateVarError, substitute_text
from omegen.render.workloads import lws_name

from conftest import SHARED
UPSTREAM = SHARED / "upstream" / "ome" / "config"
LWS_SCHEMA = SHARED / "upstream" / "lws" / "jsonschema-strict" / "leaderworkerset.x-k8s.io" / "leaderworkerset_v1.json"

RUNNER = {
    "name": "ome-container",
    "image": "sglang:1",
    "command": ["python3", "-m", "sglang.launch_server", "--model-path", "$(MODEL_PATH)"],
    "ports": [{"containerPort": 8080, "name": "http1"}],
    "resources": {"requests": {"cpu": 4, "memory": "16Gi", "nvidia.com/gpu": 2}, "limits": {"nvidia.com/gpu": 2}},
}
ROUTER_RUNNER = {"name": "router", "image": "router:1", "ports": [{"containerPort": 8080, "name": "http"}]}


def make_runtime(
    engine=None, decoder=None, router=None, *, kind=CLUSTER_SERVING_RUNTIME, name="rt", dialect=OME, marks=None, paths=None, seed_containers=0
):
    return Runtime(
        kind=kind,
        name=name,
        namespace="ns" if kind == SERVING_RUNTIME else None,
        origin=Origin("runtime.yaml", 1, 1),
        dialect=dialect,
        engine=copy.deepcopy(engine),
        decoder=copy.deepcopy(decoder),
        router=copy.deepcopy(router),
        seed_containers=seed_containers,
        field_marks=marks or {},
        source_paths=paths or {"engine": "spec.engineConfig", "decoder": "spec.decoderConfig", "router": "spec.routerConfig"},
    )


def make_model(*, kind=CLUSTER_BASE_MODEL, name="llama", namespace=None, path="/raid/models/llama", vendor="meta"):
    return Model(
        kind=kind,
        name=name,
        namespace=namespace,
        origin=Origin("model.yaml", 1, 1),
        format_name="safetensors",
        format_version="1.0.0",
        storage_path=path,
        vendor=vendor,
    )


def make_service(engine=None, decoder=None, router=None, *, name="svc", labels=None, annotations=None, marks=None):
    return InferenceService(
        name=name,
        namespace="ns",
        origin=Origin("isvc.yaml", 1, 1),
        dialect=OME,
        model_name="llama",
        engine=copy.deepcopy(engine),
        decoder=copy.deepcopy(decoder),
        router=copy.deepcopy(router),
        labels=labels or {},
        annotations=annotations or {},
        field_marks=marks or {},
        source_paths={"engine": "spec.engine", "decoder": "spec.decoder", "router": "spec.router"},
    )


def render(service, runtime=None, model="default"):
    runtime = runtime or make_runtime({"runner": RUNNER})
    model = make_model() if model == "default" else model
    return render_service(Resolution(service, model, runtime))


def ok(service, runtime=None, model="default"):
    objects, diagnostics = render(service, runtime, model)
    assert not has_errors(diagnostics), [d.as_text() for d in diagnostics]
    return {(r.kind, r.name): r.obj for r in objects}, objects, diagnostics


def errors(service, runtime=None, model="default"):
    objects, diagnostics = render(service, runtime, model)
    assert objects == []
    return [d for d in diagnostics if d.severity is Severity.ERROR]


def serving(pod):
    return next(c for c in pod["containers"] if c["name"] in ("ome-container", "router"))


def env(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


# ------------------------------------------------------------------------------------ components


def test_engine_is_rendered_from_the_runtime_alone_when_the_service_has_no_engine():
    objs, rendered, _ = ok(make_service())
    assert set(objs) == {("Deployment", "svc-engine"), ("Service", "svc-engine"), ("Service", "svc")}
    assert all(r.service == ("ns", "svc") for r in rendered)


def test_decoder_and_router_exist_only_when_the_service_declares_them():
    runtime = make_runtime({"runner": RUNNER}, {"runner": RUNNER}, {"runner": ROUTER_RUNNER})
    objs, _, _ = ok(make_service({}), runtime)
    assert {k for k in objs if k[0] == "Deployment"} == {("Deployment", "svc-engine")}
    objs, _, _ = ok(make_service({}, {}, {}), runtime)
    assert {k for k in objs if k[0] == "Deployment"} == {
        ("Deployment", "svc-engine"),
        ("Deployment", "svc-decoder"),
        ("Deployment", "svc-router"),
    }


def test_endpoint_service_targets_the_router_else_the_engine():
    runtime = make_runtime({"runner": RUNNER}, router={"runner": ROUTER_RUNNER})
    objs, _, _ = ok(make_service({}, router={}), runtime)
    endpoint = objs[("Service", "svc")]
    assert endpoint["spec"]["selector"] == {"ome.io/inferenceservice": "svc", "component": "router"}
    assert endpoint["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]
    objs, _, _ = ok(make_service({}), runtime)
    assert objs[("Service", "svc")]["spec"]["selector"]["component"] == "engine"


def test_router_gets_its_account_role_and_binding_and_no_model():
    runtime = make_runtime({"runner": RUNNER}, router={"runner": ROUTER_RUNNER, "config": {"B": "2", "A": 1}})
    objs, _, _ = ok(make_service({}, router={"config": {"C": True}}), runtime)
    role = objs[("Role", "svc-router")]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
    binding = objs[("RoleBinding", "svc-router")]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "svc-router"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "svc-router", "namespace": "ns"}]
    assert ("ServiceAccount", "svc-router") in objs
    pod = objs[("Deployment", "svc-router")]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "svc-router"
    assert "nodeSelector" not in pod and "volumes" not in pod
    router = serving(pod)
    assert [e["name"] for e in router["env"]] == ["A", "B", "C"]
    assert env(router) == {"A": "1", "B": "2", "C": "true"}
    assert "MODEL_PATH" not in env(router)


def test_router_keeps_a_service_account_the_user_names():
    runtime = make_runtime({"runner": RUNNER}, router={"runner": ROUTER_RUNNER})
    objs, _, _ = ok(make_service({}, router={"serviceAccountName": "team-sa"}), runtime)
    assert ("ServiceAccount", "svc-router") not in objs
    assert objs[("RoleBinding", "svc-router")]["subjects"][0]["name"] == "team-sa"
    assert objs[("Deployment", "svc-router")]["spec"]["template"]["spec"]["serviceAccountName"] == "team-sa"


def test_router_without_a_runner_is_an_error():
    (err,) = errors(make_service({}, router={}))
    assert err.code == "no-runner" and "router" in err.message


# -------------------------------------------------------------------------------------- replicas


def test_no_replicas_given_means_one_fixed_replica_and_no_pdb():
    objs, _, _ = ok(make_service({}))
    assert objs[("Deployment", "svc-engine")]["spec"]["replicas"] == 1
    assert not any(k[0] in ("HorizontalPodAutoscaler", "PodDisruptionBudget") for k in objs)


def test_runtime_replicas_apply_and_the_service_overrides_them():
    runtime = make_runtime({"runner": RUNNER, "minReplicas": 2, "maxReplicas": 2})
    objs, _, _ = ok(make_service({}), runtime)
    assert objs[("Deployment", "svc-engine")]["spec"]["replicas"] == 2
    objs, _, _ = ok(make_service({"minReplicas": 3, "maxReplicas": 3}), runtime)
    assert objs[("Deployment", "svc-engine")]["spec"]["replicas"] == 3
    (err,) = errors(make_service({"minReplicas": 3}), runtime)
    assert "maxReplicas (2, from the runtime rt) is less than minReplicas (3, from the service)" in err.message


def test_fixed_replicas_above_one_get_a_pdb_and_no_hpa():
    objs, _, _ = ok(make_service({"minReplicas": 3, "maxReplicas": 3}))
    assert objs[("Deployment", "svc-engine")]["spec"]["replicas"] == 3
    pdb = objs[("PodDisruptionBudget", "svc-engine")]
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "svc-engine"}}}
    assert ("HorizontalPodAutoscaler", "svc-engine") not in objs


def test_autoscaling_renders_an_hpa_and_no_replicas_field():
    objs, _, _ = ok(make_service({"minReplicas": 1, "maxReplicas": 5}))
    assert "replicas" not in objs[("Deployment", "svc-engine")]["spec"]
    hpa = objs[("HorizontalPodAutoscaler", "svc-engine")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "svc-engine"},
        "minReplicas": 1,
        "maxReplicas": 5,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
    }
    assert ("PodDisruptionBudget", "svc-engine") in objs


def test_scale_target_and_the_utilization_annotation():
    objs, _, _ = ok(make_service({"minReplicas": 1, "maxReplicas": 2, "scaleMetric": "memory", "scaleTarget": 65}))
    metric = objs[("HorizontalPodAutoscaler", "svc-engine")]["spec"]["metrics"][0]["resource"]
    assert metric == {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 65}}
    service = make_service(
        {"minReplicas": 1, "maxReplicas": 2, "scaleTarget": 65}, annotations={"ome.io/targetUtilizationPercentage": "40"}
    )
    objs, _, _ = ok(service)
    assert objs[("HorizontalPodAutoscaler", "svc-engine")]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 40


@pytest.mark.parametrize("target", [0, 101, "high", True])
def test_bad_utilization_targets_are_errors(target):
    (err,) = errors(make_service({"minReplicas": 1, "maxReplicas": 2, "scaleTarget": target}))
    assert err.code == "scale-target"


@pytest.mark.parametrize("metric", ["concurrency", "rps"])
def test_knative_metrics_are_errors_only_when_an_hpa_would_be_rendered(metric):
    marks = {"spec.engine.scaleMetric": (12, 5)}
    (err,) = errors(make_service({"minReplicas": 1, "maxReplicas": 2, "scaleMetric": metric}, marks=marks))
    assert (err.code, err.file, err.line) == ("scale-metric", "isvc.yaml", 12)
    ok(make_service({"minReplicas": 1, "maxReplicas": 1, "scaleMetric": metric}))


def test_autoscaling_on_a_resource_the_containers_do_not_request_is_a_warning():
    runner = {**RUNNER, "resources": {"limits": {"nvidia.com/gpu": 1}}}
    _, _, diagnostics = ok(make_service({"minReplicas": 1, "maxReplicas": 2}), make_runtime({"runner": runner}))
    assert [d.code for d in diagnostics] == ["scale-metric"]
    assert "requests no cpu" in diagnostics[0].message


def test_external_autoscaler_means_no_hpa_and_no_replicas():
    service = make_service({"minReplicas": 1, "maxReplicas": 4, "annotations": {"ome.io/autoscalerClass": "external"}})
    objs, _, _ = ok(service)
    assert "replicas" not in objs[("Deployment", "svc-engine")]["spec"]
    assert ("HorizontalPodAutoscaler", "svc-engine") not in objs


def test_keda_is_an_error():
    (err,) = errors(make_service({"minReplicas": 1, "maxReplicas": 4, "annotations": {"ome.io/autoscalerClass": "keda"}}))
    assert err.code == "autoscaler"


def test_min_replicas_zero_is_an_error_at_the_field():
    marks = {"spec.engine.minReplicas": (9, 5)}
    (err,) = errors(make_service({"minReplicas": 0, "maxReplicas": 3}, marks=marks))
    assert (err.code, err.file, err.line, err.column, err.field) == ("knative-required", "isvc.yaml", 9, 5, "spec.engine.minReplicas")
    assert "Knative" in err.message


def test_min_replicas_zero_from_the_runtime_points_at_the_runtime():
    runtime = make_runtime({"runner": RUNNER, "minReplicas": 0}, marks={"spec.engineConfig.minReplicas": (30, 5)})
    (err,) = errors(make_service({}), runtime)
    assert (err.file, err.line) == ("runtime.yaml", 30)


def test_router_min_replicas_zero_is_an_error_too():
    runtime = make_runtime({"runner": RUNNER}, router={"runner": ROUTER_RUNNER})
    (err,) = errors(make_service({}, router={"minReplicas": 0}), runtime)
    assert err.code == "knative-required"


def test_max_below_min_and_bad_numbers_are_errors():
    assert [e.code for e in errors(make_service({"minReplicas": 3, "maxReplicas": 2}))] == ["replicas"]
    # A replica count that is not a whole number ≥ 0 is the input schema's error, in load.
    from omegen.load.inputschema import check_document
    from omegen.yamlio import load_documents

    [doc] = load_documents("apiVersion: ome.io/v1beta1\nkind: InferenceService\nmetadata: {name: s}\nspec:\n  engine: {minReplicas: two}\n")
    assert [(d.code, d.field) for d in check_document("InferenceService", doc, "s.yaml")] == [("invalid-field", "spec.engine.minReplicas")]


def test_pdb_takes_the_component_budget_and_refuses_both():
    objs, _, _ = ok(make_service({"minReplicas": 2, "maxReplicas": 2, "minAvailable": "50%"}))
    assert objs[("PodDisruptionBudget", "svc-engine")]["spec"]["minAvailable"] == "50%"
    (err,) = errors(make_service({"minReplicas": 2, "maxReplicas": 2, "minAvailable": 1, "maxUnavailable": 1}))
    assert err.code == "disruption-budget"


def test_deployment_strategy_from_the_component():
    strategy = {"type": "Recreate"}
    objs, _, _ = ok(make_service({"deploymentStrategy": strategy}))
    assert objs[("Deployment", "svc-engine")]["spec"]["strategy"] == strategy


# ------------------------------------------------------------------------------------- deployment modes


def test_serverless_and_virtual_deployment_at_service_level():
    marks = {"metadata.annotations.ome.io/deploymentMode": (5, 5)}
    (err,) = errors(make_service({}, annotations={"ome.io/deploymentMode": "Serverless"}, marks=marks))
    assert (err.code, err.line) == ("knative-required", 5)
    objects, diagnostics = render(make_service({}, annotations={"ome.io/deploymentMode": "VirtualDeployment"}))
    assert objects == [] and [d.severity for d in diagnostics] == [Severity.INFO]


def test_component_serverless_annotation_is_an_error():
    (err,) = errors(make_service({"annotations": {"ome.io/deploymentMode": "Serverless"}}))
    assert err.code == "knative-required"


def test_raw_deployment_annotation_ignores_leader_and_worker_with_a_warning():
    runtime = make_runtime({"runner": RUNNER, "worker": {"size": 1}})
    objs, _, diagnostics = ok(make_service({"annotations": {"ome.io/deploymentMode": "RawDeployment"}}), runtime)
    assert ("Deployment", "svc-engine") in objs
    assert [d.code for d in diagnostics] == ["ignored-field"]


def test_multinode_annotation_without_workers_is_an_error():
    (err,) = errors(make_service({}, annotations={"ome.io/deploymentMode": "MultiNodeRayVLLM"}))
    assert err.code == "multinode" and "worker.size" in err.message


# ------------------------------------------------------------------------------------- multi-node


MULTI = {
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
    "leader": {"runner": {"name": "ome-container", "image": "sglang:1", "args": ["--leader"], "ports": [{"containerPort": 30000}],
               "resources": {"limits": {"nvidia.com/gpu": 8}}}},
    "worker": {"size": 2, "hostNetwork": True,
               "runner": {"name": "ome-container", "image": "sglang:1", "args": ["--worker"], "resources": {"limits": {"nvidia.com/gpu": "8"}}}},
}


def test_leader_worker_renders_a_leaderworkerset():
    objs, _, _ = ok(make_service({}), make_runtime(MULTI))
    lws = objs[("LeaderWorkerSet", "lws-svc-engine")]
    spec = lws["spec"]
    assert lws["apiVersion"] == "leaderworkerset.x-k8s.io/v1"
    assert spec["replicas"] == 1
    assert spec["startupPolicy"] == "LeaderCreated"
    template = spec["leaderWorkerTemplate"]
    assert (template["size"], template["restartPolicy"]) == (3, "RecreateGroupOnPodRestart")
    leader, worker = template["leaderTemplate"]["spec"], template["workerTemplate"]["spec"]
    assert serving(leader)["args"] == ["--leader"] and serving(worker)["args"] == ["--worker"]
    assert env(serving(leader))["PARALLELISM_SIZE"] == "24" == env(serving(worker))["PARALLELISM_SIZE"]
    # The component's pod fields are the base of both pods; worker fields are merged over them.
    assert leader["tolerations"] == worker["tolerations"] == MULTI["tolerations"]
    assert worker["hostNetwork"] is True and "hostNetwork" not in leader
    assert leader["nodeSelector"] == worker["nodeSelector"] == {"models.ome.io/clusterbasemodel.llama": "Ready"}
    assert template["leaderTemplate"]["metadata"]["labels"]["app"] == "svc-engine"
    assert "readinessProbe" not in serving(leader)  # no default probe on LWS pods (as OME)
    assert not any(k[0] in ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget") for k in objs)


def test_multinode_service_selects_this_services_leaders_only():
    objs, _, _ = ok(make_service({}), make_runtime(MULTI))
    leaders = {"ome.io/inferenceservice": "svc", "component": "engine", "leaderworkerset.sigs.k8s.io/worker-index": "0"}
    assert objs[("Service", "svc-engine")]["spec"]["selector"] == leaders
    assert objs[("Service", "svc-engine")]["spec"]["ports"] == [{"port": 30000, "targetPort": 30000, "protocol": "TCP"}]
    assert objs[("Service", "svc")]["spec"]["selector"] == leaders
    assert objs[("Service", "svc")]["spec"]["ports"][0]["port"] == 30000


def test_multinode_autoscaling_targets_the_leaderworkerset():
    objs, _, _ = ok(make_service({"minReplicas": 1, "maxReplicas": 3}), make_runtime(copy.deepcopy(MULTI) | {"runner": {"resources": {"requests": {"cpu": 1}}}}))
    assert "replicas" not in objs[("LeaderWorkerSet", "lws-svc-engine")]["spec"]
    hpa = objs[("HorizontalPodAutoscaler", "svc-engine")]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "name": "lws-svc-engine"}
    pdb = objs[("PodDisruptionBudget", "svc-engine")]["spec"]
    assert pdb["selector"] == {"matchLabels": {"ome.io/inferenceservice": "svc", "component": "engine"}}


def test_the_component_runner_is_the_base_of_leader_and_worker_runners():
    runtime = make_runtime({"runner": RUNNER, "worker": {"size": 1}})
    objs, _, _ = ok(make_service({"runner": {"env": [{"name": "X", "value": "1"}]}}), runtime)
    template = objs[("LeaderWorkerSet", "lws-svc-engine")]["spec"]["leaderWorkerTemplate"]
    for pod in (template["leaderTemplate"]["spec"], template["workerTemplate"]["spec"]):
        container = serving(pod)
        assert container["image"] == "sglang:1" and env(container)["X"] == "1"
        assert env(container)["PARALLELISM_SIZE"] == "4"


def test_the_services_component_fields_beat_the_runtimes_leader_and_worker_fields():
    # The service overrides the runtime at every level: its engine.runner.image reaches leader and
    # worker even though the runtime's leader.runner/worker.runner set one (it used to be lost).
    service = make_service({"runner": {"image": "sglang:2"}, "tolerations": [{"key": "team", "operator": "Exists"}], "hostNetwork": False})
    objs, _, _ = ok(service, make_runtime(MULTI))
    template = objs[("LeaderWorkerSet", "lws-svc-engine")]["spec"]["leaderWorkerTemplate"]
    leader, worker = template["leaderTemplate"]["spec"], template["workerTemplate"]["spec"]
    assert serving(leader)["image"] == serving(worker)["image"] == "sglang:2"
    assert serving(leader)["args"] == ["--leader"] and serving(worker)["args"] == ["--worker"]
    assert leader["tolerations"] == worker["tolerations"] == [{"key": "team", "operator": "Exists"}]
    assert worker["hostNetwork"] is False
    # Within the service, leader/worker fields beat its component fields.
    service = make_service({"runner": {"image": "sglang:2"}, "leader": {"runner": {"image": "sglang:3"}}})
    objs, _, _ = ok(service, make_runtime(MULTI))
    template = objs[("LeaderWorkerSet", "lws-svc-engine")]["spec"]["leaderWorkerTemplate"]
    assert serving(template["leaderTemplate"]["spec"])["image"] == "sglang:3"
    assert serving(template["workerTemplate"]["spec"])["image"] == "sglang:2"


def test_output_fields_of_group_pods_are_traced_to_the_layer_that_wrote_them():
    objects, _ = render(make_service({"runner": {"image": "sglang:2"}}), make_runtime(MULTI))
    (lws,) = [r for r in objects if r.kind == "LeaderWorkerSet"]
    container = ("spec", "leaderWorkerTemplate", "leaderTemplate", "spec", "containers", 0)
    assert lws.locate(lws.obj, container + ("image",)).field == "spec.engine.runner.image"
    assert lws.locate(lws.obj, container + ("args", 0)).field == "spec.engineConfig.leader.runner.args[0]"


def test_a_missing_worker_size_says_so():
    (err,) = errors(make_service({}), make_runtime({"runner": RUNNER, "leader": {}}))
    assert err.code == "multinode" and "engine.worker.size is not set" in err.message


@pytest.mark.parametrize("size", [0, -1, None, "2"])
def test_bad_worker_sizes_are_errors(size):
    worker = {"size": size} if size is not None else {}
    (err,) = errors(make_service({}), make_runtime({"runner": RUNNER, "worker": worker}))
    assert err.code == "multinode"


def test_worker_without_any_runner_is_an_error():
    runtime = make_runtime({"leader": {"runner": RUNNER}, "worker": {"size": 1}})
    (err,) = errors(make_service({}), runtime)
    assert err.code == "no-runner" and "engine.worker" in err.message


def test_seed_multinode_via_service_annotation_with_one_container():
    runtime = make_runtime({"runner": RUNNER}, dialect=SEED, paths={"engine": "spec", "engine.runner": "spec.containers[0]"})
    service = make_service({"worker": {"size": 1}}, annotations={"ome.io/deploymentMode": "MultiNodeRayVLLM"})
    objs, _, _ = ok(service, runtime)
    template = objs[("LeaderWorkerSet", "lws-svc-engine")]["spec"]["leaderWorkerTemplate"]
    assert template["size"] == 2
    assert serving(template["leaderTemplate"]["spec"])["command"] == serving(template["workerTemplate"]["spec"])["command"]


def test_seed_multinode_with_several_containers_is_an_error():
    marks = {"spec.containers[0].name": (8, 7), "spec.containers[1].name": (20, 7), "spec.containers": (7, 3)}
    runtime = make_runtime(
        {"runner": RUNNER}, dialect=SEED, marks=marks, paths={"engine": "spec", "engine.runner": "spec.containers[0]"}, seed_containers=2
    )
    service = make_service({"worker": {"size": 1}}, annotations={"ome.io/deploymentMode": "MultiNodeRayVLLM"})
    (err,) = errors(service, runtime)
    assert (err.code, err.line) == ("multinode-containers", 7)


def test_lws_names_stay_short():
    assert lws_name("svc-engine") == "lws-svc-engine"
    long = "a-very-long-inference-service-name-for-a-model-engine"
    name = lws_name(long)
    assert len(name) == 48 and name.startswith("lws-") and name.endswith(long[-(48 - 4 - 9):])


def test_every_rendered_lws_is_valid_against_the_crd_schema():
    if not LWS_SCHEMA.is_file():
        pytest.skip("../shared is not present")
    schema = json.loads(LWS_SCHEMA.read_text())
    objs, _, _ = ok(make_service({"minReplicas": 1, "maxReplicas": 3}), make_runtime(copy.deepcopy(MULTI) | {"runner": {"resources": {"requests": {"cpu": 1}}}}))
    jsonschema.validate(objs[("LeaderWorkerSet", "lws-svc-engine")], schema)
    objs, _, _ = ok(make_service({}), make_runtime(MULTI))
    jsonschema.validate(objs[("LeaderWorkerSet", "lws-svc-engine")], schema)


def test_fractional_quantities_are_written_as_strings_which_the_lws_schema_requires():
    # A LeaderWorkerSet's CRD schema takes integers and strings as quantities: `cpu: 0.5`, which a
    # Deployment accepts, would be refused; "0.5" means the same to both.
    multi = copy.deepcopy(MULTI)
    multi["leader"]["runner"]["resources"]["requests"] = {"cpu": 0.5, "memory": "1Gi"}
    objs, _, _ = ok(make_service({}), make_runtime(multi))
    lws = objs[("LeaderWorkerSet", "lws-svc-engine")]
    leader = serving(lws["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"])
    assert leader["resources"] == {"requests": {"cpu": "0.5", "memory": "1Gi"}, "limits": {"nvidia.com/gpu": 8}}
    if LWS_SCHEMA.is_file():
        jsonschema.validate(lws, json.loads(LWS_SCHEMA.read_text()))
    objs, _, _ = ok(make_service({"runner": {"resources": {"requests": {"cpu": 1.5}}}}))
    assert serving(objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"])["resources"]["requests"]["cpu"] == "1.5"


# ---------------------------------------------------------------------------------------- metadata


def test_every_object_carries_our_labels_and_workloads_our_annotations():
    runtime = make_runtime({"runner": RUNNER}, router={"runner": ROUTER_RUNNER}, kind=SERVING_RUNTIME)
    _, rendered, _ = ok(make_service({"minReplicas": 1, "maxReplicas": 2}, router={}), runtime)
    for r in rendered:
        labels = r.obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "omegen"
        assert labels["ome.io/inferenceservice"] == "svc"
        assert labels["component"] in ("engine", "router", "external-service")
        assert r.obj["metadata"]["namespace"] == "ns"
        text = yamlio.dump(r.obj)
        assert "creationTimestamp" not in text and "status" not in r.obj and "{}" not in text and "[]" not in text
        if r.kind in ("Deployment", "LeaderWorkerSet"):
            annotations = r.obj["metadata"]["annotations"]
            assert annotations["ome.io/serving-runtime"] == "rt"
            assert annotations["omegen.io/runtime-kind"] == "ServingRuntime"
            assert r.obj["spec"]["template"]["metadata"]["annotations"] == annotations
        assert len(r.sources) == 3 and r.sources[1].file == "runtime.yaml" and r.sources[2].file == "model.yaml"


def test_meaningful_empty_maps_survive_and_empty_ones_do_not():
    engine = {
        "volumes": [{"name": "cache", "emptyDir": {}}],
        "securityContext": {},
        "tolerations": [],
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {}}]}},
    }
    objs, _, _ = ok(make_service(engine))
    pod = objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]
    assert {"name": "cache", "emptyDir": {}} in pod["volumes"]
    assert pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"] == {}
    assert "securityContext" not in pod and "tolerations" not in pod


def test_ome_labels_and_annotations():
    model = Model(
        kind=CLUSTER_BASE_MODEL, name="llama", namespace=None, origin=Origin("model.yaml"), format_name="safetensors",
        storage_path="/m", vendor="meta", annotations={"models.ome.io/category": "LARGE"},
    )
    runtime = make_runtime({"runner": RUNNER, "labels": {"tier": "gpu"}, "annotations": {"prometheus.io/scrape": "true"}})
    service = make_service(
        {"labels": {"component": "mine"}},
        labels={"team": "a"},
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}", "owner": "x", "service.beta.kubernetes.io/lb": "internal"},
    )
    objs, _, _ = ok(service, runtime, model)
    deployment = objs[("Deployment", "svc-engine")]
    assert deployment["metadata"]["labels"] == {
        "team": "a",
        "tier": "gpu",
        "component": "engine",  # OME forces it over the user's
        "ome.io/inferenceservice": "svc",
        "serving-runtime": "rt",
        "fine-tuned-serving": "false",
        "base-model-name": "llama",
        "base-model-size": "LARGE",
        "base-model-type": "Serving",
        "base-model-vendor": "meta",
        "app": "svc-engine",
        "app.kubernetes.io/managed-by": "omegen",
    }
    assert deployment["metadata"]["annotations"] == {
        "owner": "x",
        "service.beta.kubernetes.io/lb": "internal",
        "prometheus.io/scrape": "true",
        "ome.io/base-model-name": "llama",
        "ome.io/base-model-vendor": "meta",
        "ome.io/base-model-format": "safetensors",
        "ome.io/deploymentMode": "RawDeployment",  # OME's DefaultInferenceService (inference_service_defaults.go)
        "ome.io/serving-runtime": "rt",
        "omegen.io/runtime-kind": "ClusterServingRuntime",
    }
    # Pod-only annotations stay off Services; the endpoint Service takes only load-balancer ones.
    assert "prometheus.io/scrape" not in objs[("Service", "svc-engine")]["metadata"]["annotations"]
    assert objs[("Service", "svc")]["metadata"]["annotations"] == {"service.beta.kubernetes.io/lb": "internal"}


def test_service_type_annotation():
    service = make_service({}, annotations={"ome.io/service-type": "LoadBalancer", "ome.io/load-balancer-ip": "10.0.0.9"})
    objs, _, _ = ok(service)
    for name in ("svc", "svc-engine"):
        assert objs[("Service", name)]["spec"]["type"] == "LoadBalancer"
        assert objs[("Service", name)]["spec"]["loadBalancerIP"] == "10.0.0.9"


# ----------------------------------------------------------------------------------- model wiring


def test_model_volume_mount_env_and_node_selector():
    objs, _, _ = ok(make_service({"nodeSelector": {"pool": "a"}}))
    pod = objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]
    container = serving(pod)
    assert {"name": "llama", "hostPath": {"path": "/raid/models/llama"}} in pod["volumes"]
    assert {"name": "llama", "mountPath": "/raid/models/llama", "readOnly": True} in container["volumeMounts"]
    assert env(container)["MODEL_PATH"] == "/raid/models/llama"
    assert env(container)["PARALLELISM_SIZE"] == "2"
    assert pod["nodeSelector"] == {"models.ome.io/clusterbasemodel.llama": "Ready", "pool": "a"}


def test_model_path_set_by_the_runtime_is_kept_and_parallelism_is_upserted():
    runner = {**RUNNER, "env": [{"name": "MODEL_PATH", "value": "/custom"}, {"name": "PARALLELISM_SIZE", "value": "99"}]}
    objs, _, _ = ok(make_service({}), make_runtime({"runner": runner}))
    container = serving(objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"])
    assert container["env"] == [{"name": "MODEL_PATH", "value": "/custom"}, {"name": "PARALLELISM_SIZE", "value": "2"}]


def test_no_gpus_no_parallelism_and_no_storage_path_no_volume():
    runner = {k: v for k, v in RUNNER.items() if k != "resources"}
    objs, _, _ = ok(make_service({}), make_runtime({"runner": runner}), make_model(path=None))
    pod = objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]
    assert "env" not in serving(pod) and "volumes" not in pod
    assert pod["nodeSelector"] == {"models.ome.io/clusterbasemodel.llama": "Ready"}


def test_no_hostpath_model_volume_when_the_user_mounts_the_model_path_from_elsewhere():
    # A PVC with the weights mounted at the model's path replaces OME's hostPath: an unused hostPath
    # volume would only get the pod refused by Pod Security `baseline`.
    service = make_service(
        {
            "volumes": [{"name": "weights", "persistentVolumeClaim": {"claimName": "llama"}}],
            "runner": {"volumeMounts": [{"name": "weights", "mountPath": "/raid/models/llama", "readOnly": True}]},
        }
    )
    objs, _, _ = ok(service)
    pod = objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "weights", "persistentVolumeClaim": {"claimName": "llama"}}]
    assert serving(pod)["volumeMounts"] == [{"name": "weights", "mountPath": "/raid/models/llama", "readOnly": True}]
    assert env(serving(pod))["MODEL_PATH"] == "/raid/models/llama"
    # Nor the model agent's node selector: this pod never reads the node-local copy.
    assert "nodeSelector" not in pod


@pytest.mark.parametrize("gpus", [2, "2", 2.0, "2.0", "2e0"])
def test_whole_number_gpu_quantities_set_parallelism(gpus):
    runner = {**RUNNER, "resources": {"limits": {"nvidia.com/gpu": gpus}}}
    objs, _, _ = ok(make_service({}), make_runtime({"runner": runner}))
    assert env(serving(objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]))["PARALLELISM_SIZE"] == "2"


@pytest.mark.parametrize(
    "runtime_resources, service_resources, words",
    [
        ({"requests": {"nvidia.com/gpu": 2}}, None, "requests nvidia.com/gpu without a limit"),
        ({"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 2}}, None, "must equal"),
        ({"limits": {"nvidia.com/gpu": 0.5}}, None, "whole number"),
        ({"requests": {"cpu": 10}, "limits": {"cpu": 10}}, {"limits": {"cpu": 4}}, "exceeds its limit"),
        ({"requests": {"memory": "lots"}}, None, "not a Kubernetes quantity"),
        ({"requests": {"cpu": -1}}, None, "negative"),
    ],
)
def test_resources_the_api_server_would_reject_are_errors(runtime_resources, service_resources, words):
    runtime = make_runtime({"runner": {**RUNNER, "resources": runtime_resources}})
    service = make_service({"runner": {"resources": service_resources}} if service_resources else {})
    (err,) = errors(service, runtime)
    assert err.code == "resources" and words in err.message
    # The service's change is the one to look at when it wrote resources.
    assert err.file == ("isvc.yaml" if service_resources else "runtime.yaml")


def test_valid_resource_quantities_render_as_written():
    resources = {
        "requests": {"cpu": 0.5, "memory": "1.5Gi", "nvidia.com/gpu": "2", "ephemeral-storage": "10G"},
        "limits": {"cpu": "500m", "memory": "1536Mi", "nvidia.com/gpu": 2, "hugepages-2Mi": "1Gi"},
    }
    runner = {**RUNNER, "resources": resources}
    sidecar = {"name": "side", "image": "s:1", "resources": {"requests": {"cpu": "100m"}}}
    objs, _, _ = ok(make_service({"containers": [sidecar]}), make_runtime({"runner": runner}))
    written = {**resources, "requests": {**resources["requests"], "cpu": "0.5"}}
    assert serving(objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"])["resources"] == written


def test_a_sidecar_with_an_invalid_limit_is_an_error_too():
    sidecar = {"name": "side", "image": "s:1", "resources": {"requests": {"example.com/fpga": 1}}}
    (err,) = errors(make_service({"containers": [sidecar]}))
    assert err.code == "resources" and "'side'" in err.message and err.file == "isvc.yaml"


def test_default_readiness_probe_on_the_first_port():
    objs, _, _ = ok(make_service({}))
    probe = serving(objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"])["readinessProbe"]
    assert probe == {"tcpSocket": {"port": 8080}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def test_a_serving_container_without_ports_gets_omes_8080_defaults_and_no_invented_port():
    # OME: no port is added to the container; setDefaultReadinessProbe (deployment_reconciler.go)
    # probes 8080 and buildDefaultServicePort (service_reconciler.go) names the port after the container.
    runner = {k: v for k, v in RUNNER.items() if k != "ports"}
    objs, _, _ = ok(make_service({}), make_runtime({"runner": runner}))
    container = serving(objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"])
    assert "ports" not in container
    assert container["readinessProbe"]["tcpSocket"] == {"port": 8080}
    name = container["name"]
    assert objs[("Service", "svc-engine")]["spec"]["ports"] == [{"name": name, "port": 8080, "targetPort": 8080, "protocol": "TCP"}]
    assert objs[("Service", "svc")]["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]


def test_a_leader_without_ports_gets_no_invented_port():
    runner = {k: v for k, v in RUNNER.items() if k != "ports"}
    objs, _, _ = ok(make_service({}), make_runtime({"runner": runner, "leader": {}, "worker": {"size": 1}}))
    lws = objs[("LeaderWorkerSet", "lws-svc-engine")]["spec"]["leaderWorkerTemplate"]
    for template in ("leaderTemplate", "workerTemplate"):
        assert "ports" not in serving(lws[template]["spec"])
    assert objs[("Service", "svc-engine")]["spec"]["ports"][0]["name"] == runner.get("name", "ome-container")


def test_a_service_can_turn_off_a_runtime_flag():
    objs, _, _ = ok(make_service({"hostNetwork": False}), make_runtime({"runner": RUNNER, "hostNetwork": True}))
    assert objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]["hostNetwork"] is False


def test_model_label_keys_follow_ome():
    assert model_label_key(make_model(name="llama-3-1-8b")) == "models.ome.io/clusterbasemodel.llama-3-1-8b"
    long = "llama-4-maverick-17b-128e-instruct-fp8"  # 38 > 32 characters
    digest = hashlib.sha256(long.encode()).hexdigest()[:8]
    assert model_label_key(make_model(name=long)) == f"models.ome.io/clusterbasemodel.{digest}-{long[-23:]}"
    assert model_label_key(make_model(kind=BASE_MODEL, name="llama", namespace="team-a")) == "models.ome.io/team-a.basemodel.llama"
    key = model_label_key(make_model(kind=BASE_MODEL, name="a-model-with-a-rather-long-name", namespace="a-long-namespace"))
    ns = truncate_with_hash("a-long-namespace", 8)
    name = truncate_with_hash("a-model-with-a-rather-long-name", 30)
    assert key == f"models.ome.io/{ns}.basemodel.{name}"
    assert len(key.split("/")[1]) <= 63
    short_ns = model_label_key(make_model(kind=BASE_MODEL, name="m" * 40, namespace="ml"))
    assert short_ns.startswith("models.ome.io/ml.basemodel.") and len(short_ns.split(".basemodel.")[1]) == 36


def test_truncate_with_hash_matches_ome():
    assert truncate_with_hash("short", 32) == "short"
    text = "x" * 40
    out = truncate_with_hash(text, 32)
    assert out == hashlib.sha256(text.encode()).hexdigest()[:8] + "-" + "x" * 23 and len(out) == 32
    assert truncate_with_hash(text, 5) == hashlib.sha256(text.encode()).hexdigest()[:5]


def test_model_volume_names_are_valid_volume_names():
    assert model_volume_name("llama-3-1-8b") == "llama-3-1-8b"
    name = model_volume_name("qwen2.5-7b")
    assert name.startswith("qwen2-5-7b-") and len(name) == len("qwen2-5-7b-") + 8


def test_a_mount_of_an_undeclared_volume_is_an_error():
    runner = {**RUNNER, "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}]}
    (err,) = errors(make_service({}), make_runtime({"runner": runner}))
    assert err.code == "missing-volume" and "dshm" in err.message


def test_serving_container_without_image_is_an_error():
    runner = {k: v for k, v in RUNNER.items() if k != "image"}
    (err,) = errors(make_service({}), make_runtime({"runner": runner}))
    assert err.code == "no-image"


# ------------------------------------------------------------------------------- runner placement


def test_runner_is_appended_after_sidecars_and_service_ports_come_from_it():
    sidecar = {"name": "exporter", "image": "exp:1", "ports": [{"containerPort": 9400, "name": "metrics"}]}
    objs, _, _ = ok(make_service({"containers": [sidecar]}))
    pod = objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["exporter", "ome-container"]
    assert objs[("Service", "svc-engine")]["spec"]["ports"] == [{"name": "http1", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]
    assert pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_runner_merges_into_the_pod_container_of_its_name_and_its_args_win():
    container = {"name": "ome-container", "args": ["--from-container"], "env": [{"name": "A", "value": "1"}]}
    runner = {**RUNNER, "args": ["--from-runner"]}
    objs, _, diagnostics = ok(make_service({"containers": [container]}), make_runtime({"runner": runner}))
    merged = serving(objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"])
    assert merged["args"] == ["--from-runner"] and env(merged)["A"] == "1"
    assert [d.code for d in diagnostics] == ["runner-args"]


def test_a_service_runner_without_a_name_keeps_the_runtime_runner_name():
    objs, _, _ = ok(make_service({"runner": {"image": "sglang:2"}}))
    pod = objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]
    assert [(c["name"], c["image"]) for c in pod["containers"]] == [("ome-container", "sglang:2")]


# ------------------------------------------------------------------------------ template variables


META = {"Name": "svc", "Namespace": "ns", "Labels": {"team": "a", "app.kubernetes.io/part-of": "x"}, "Annotations": {"k": "v&w"}}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{{.Name}}", "svc"),
        ("{{ .Namespace }}/{{.Name}}", "ns/svc"),
        ("--team={{.Labels.team}}", "--team=a"),
        ("{{.Annotations.k}}", "v&w"),
        ('{{index .Labels "app.kubernetes.io/part-of"}}', "x"),
        ("{{index .Annotations `k`}}", "v&w"),
        ("a {{- .Name -}} b", "asvcb"),
        ("{{ system_message }}", "{{ system_message }}"),
        ("{% if x %}{{ message['content'] }}{% endif %}", "{% if x %}{{ message['content'] }}{% endif %}"),
        ("{{ index }}", "{{ index }}"),
        ("no braces", "no braces"),
    ],
)
def test_template_placeholders(text, expected):
    assert substitute_text(text, META) == expected


@pytest.mark.parametrize("text", ["{{.UID}}", "{{.Labels}}", "{{.Labels.missing}}", '{{index .Annotations "nope"}}', "{{.Name | upper}}", '{{index .Spec "x"}}'])
def test_template_errors(text):
    with pytest.raises(TemplateVarError):
        substitute_text(text, META)


def test_template_variables_in_runner_leader_and_worker_but_not_sidecars():
    runner = {**RUNNER, "args": ["--name={{.Name}}"], "env": [{"name": "NS", "value": "{{.Namespace}}"}]}
    sidecar = {"name": "side", "image": "s:1", "args": ["{{.Name}}"]}
    objs, _, _ = ok(make_service({"containers": [sidecar]}), make_runtime({"runner": runner}))
    pod = objs[("Deployment", "svc-engine")]["spec"]["template"]["spec"]
    assert serving(pod)["args"] == ["--name=svc"] and env(serving(pod))["NS"] == "ns"
    assert pod["containers"][0]["args"] == ["{{.Name}}"]
    multi = copy.deepcopy(MULTI)
    multi["leader"]["runner"]["args"] = ["--leader={{.Name}}"]
    multi["worker"]["runner"]["args"] = ["--worker={{.Namespace}}"]
    objs, _, _ = ok(make_service({}), make_runtime(multi))
    template = objs[("LeaderWorkerSet", "lws-svc-engine")]["spec"]["leaderWorkerTemplate"]
    assert serving(template["leaderTemplate"]["spec"])["args"] == ["--leader=svc"]
    assert serving(template["workerTemplate"]["spec"])["args"] == ["--worker=ns"]


def test_template_variable_errors_point_at_the_field():
    runner = {**RUNNER, "args": ["--a", "b", "c", "{{.Labels.team}}"]}
    runtime = make_runtime({"runner": runner}, marks={"spec.engineConfig.runner.args[3]": (40, 11)})
    (err,) = errors(make_service({}), runtime)
    assert (err.code, err.file, err.line, err.column, err.field) == ("template-variable", "runtime.yaml", 40, 11, "spec.engineConfig.runner.args[3]")
    service = make_service({"runner": {"env": [{"name": "X", "value": "{{.Nope}}"}]}}, marks={"spec.engine.runner.env[0].value": (14, 18)})
    (err,) = errors(service)
    assert (err.file, err.line) == ("isvc.yaml", 14)


# ----------------------------------------------------------------------------------- templates, determinism


def test_rendering_is_deterministic_and_pure():
    runtime = make_runtime({"runner": RUNNER}, router={"runner": ROUTER_RUNNER, "config": {"b": "1", "a": "2"}})
    service = make_service({"minReplicas": 1, "maxReplicas": 2}, router={})
    before = (copy.deepcopy(runtime.engine), copy.deepcopy(service.engine))
    first, _ = render(service, runtime)
    second, _ = render(service, runtime)
    assert yamlio.dump_all([r.obj for r in first]) == yamlio.dump_all([r.obj for r in second])
    assert (runtime.engine, service.engine) == before


# --------------------------------------------------------------------------------------- upstream


@pytest.fixture
def upstream_lws(upstream_load):
    """(OME's upstream sources, the strict LeaderWorkerSet schema)."""
    if not LWS_SCHEMA.is_file():
        pytest.skip("../shared/upstream/lws is not present")
    return upstream_load[0], json.loads(LWS_SCHEMA.read_text())


def test_upstream_chat_template_runtime_renders_intact(upstream_lws):
    sources, _ = upstream_lws
    runtime = sources.runtime(CLUSTER_SERVING_RUNTIME, "srt-c4ai-command-r-v01")
    service = next(s for s in sources.services.values() if s.runtime_name == "srt-c4ai-command-r-v01")
    objs, _, _ = ok(service, runtime, sources.model_for(service))
    container = serving(objs[("Deployment", f"{service.name}-engine")]["spec"]["template"]["spec"])
    written = runtime.engine["runner"]["command"]
    template = written[written.index("--chat-template") + 1]
    assert "{{ system_message }}" in template
    assert container["command"][: len(written)] == written


def test_upstream_samples_render_and_their_leaderworkersets_validate(upstream_lws):
    """Every sample whose model carries the facts selection needs resolves and renders; the counts
    say why the others do not (upstream ClusterBaseModels mostly lack modelFormat, which OME's
    model agent fills in from config.json in a cluster)."""
    sources, schema = upstream_lws
    outcome: Counter = Counter()
    kinds: Counter = Counter()
    for key in sorted(sources.services):
        resolution = select.resolve(sources.services[key], sources)
        if resolution.runtime is None or has_errors(resolution.diagnostics):
            codes = sorted({d.code for d in resolution.diagnostics if d.severity is Severity.ERROR})
            outcome["not resolved: " + ",".join(codes)] += 1
            continue
        objects, diagnostics = render_service(resolution)
        assert not has_errors(diagnostics), [d.as_text() for d in diagnostics]
        outcome["rendered"] += 1
        for r in objects:
            kinds[r.kind] += 1
            if r.kind == "LeaderWorkerSet":
                jsonschema.validate(r.obj, schema)
    print(dict(outcome), dict(kinds))
    assert outcome["rendered"] >= 30
    assert set(outcome) <= {"rendered", "not resolved: model-incomplete", "not resolved: no-runtime", "not resolved: model-not-found"}


def test_upstream_samples_render_with_the_runtime_they_name(upstream_lws):
    """Bypassing selection (the model facts are missing upstream), every sample that names its
    runtime renders with it, except those OME itself could not run offline: scale-to-zero samples
    (Knative) and a decoder with a runtime that has no decoderConfig. srt-deepseek-rdma, whose
    leader mounts volumes only OME's RDMA pod webhook adds, renders since omegen emulates that
    webhook (`webhooks: emulate`, the default; tests/test_webhooks.py)."""
    sources, schema = upstream_lws
    outcome: Counter = Counter()
    lws = 0
    for key in sorted(sources.services):
        service = sources.services[key]
        runtime = service.runtime_name and sources.runtime(CLUSTER_SERVING_RUNTIME, service.runtime_name)
        if not runtime:
            continue
        objects, diagnostics = render_service(Resolution(service, sources.model_for(service), runtime))
        codes = sorted({d.code for d in diagnostics if d.severity is Severity.ERROR})
        outcome[",".join(codes) or "rendered"] += 1
        for r in objects:
            if r.kind == "LeaderWorkerSet":
                lws += 1
                jsonschema.validate(r.obj, schema)
    print(dict(outcome), lws)
    assert set(outcome) == {"rendered", "knative-required", "no-runner"}
    assert outcome["no-runner"] == 1 and outcome["knative-required"] == 3
    assert outcome["rendered"] >= 86 and lws >= 5
