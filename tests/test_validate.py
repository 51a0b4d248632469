"""Output validation: JSON Schemas per kind and Kubernetes version, cross-object checks, kubeconform.

Objects are built as the renderer produces them (tests/output_fixtures.py) and broken one field at a
time; each test asserts the exact one-line diagnostic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from omegen.kube import schemas as k8s_schemas
from omegen.kube import versions as k8s_versions
from omegen.validate import podsets
from omegen.api import FieldOrigin, Rendered
from omegen.errors import Severity
from omegen.validate.kubeconform import export_schemas, kubeconform_version, parse_output, run_kubeconform
from omegen.resources import data_dir
from omegen.validate.objects import check_schemas, validate_objects
from omegen.yamlio import dump_all

from conftest import REPO, SHARED
from output_fixtures import (
    ISVC,
    NS,
    deployment,
    hpa,
    leader_worker_set,
    pdb,
    rendered,
    service,
    valid_objects,
    valid_set,
)

LWS_SCHEMA = REPO / "schemas" / "leaderworkerset.x-k8s.io" / "leaderworkerset_v1.json"
UPSTREAM_LWS = SHARED / "upstream" / "lws"
AT = "services/llama.yaml:3:1"
FROM_RUNTIME = "(from runtime runtimes/vllm.yaml:12)"
C0 = "spec.template.spec.containers[0]"


def texts(diagnostics) -> list[str]:
    return [d.as_text() for d in diagnostics]


def only(obj: dict, version: str = "1.33") -> list[str]:
    """Diagnostics of the valid set with one object replaced (matched by kind and name) by `obj`."""
    objects = valid_objects()
    for i, other in enumerate(objects):
        if other["kind"] == obj["kind"] and other["metadata"]["name"] == obj["metadata"]["name"]:
            objects[i] = obj
            break
    else:
        objects.append(obj)
    return texts(validate_objects([rendered(o) for o in objects], version))


# --- versions ------------------------------------------------------------------------------------


def test_supports_at_least_the_last_four_minor_versions():
    versions = k8s_versions.supported_versions()
    assert {"1.31", "1.32", "1.33", "1.34"} <= set(versions)
    assert list(versions) == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))


@pytest.mark.parametrize("version", k8s_versions.supported_versions())
def test_valid_set_passes_for_every_supported_version(version):
    assert texts(validate_objects(valid_set(), version)) == []


@pytest.mark.parametrize("text", ["1.33", "v1.33", "1.33.4", "v1.33.0"])
def test_version_spellings(text):
    assert k8s_versions.normalize_version(text) == "1.33"
    assert validate_objects(valid_set(), text) == []


def test_unsupported_version_is_one_diagnostic():
    (d,) = validate_objects(valid_set(), "1.99")
    assert d.code == "kubernetes-version" and d.severity is Severity.ERROR
    assert d.message.startswith("Kubernetes version 1.99 is not supported: schemas are bundled for 1.25–")
    (d,) = validate_objects(valid_set(), "latest")
    assert d.message.startswith("Kubernetes version 'latest' is not a version like 1.33")


# --- schema errors -------------------------------------------------------------------------------


def test_wrong_type_quantity():
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = [1]
    assert only(dep) == [
        f"{AT}: error[output-schema]: Deployment team-a/llama-engine: {C0}.resources.limits.cpu: "
        f"expected string or number, got array {FROM_RUNTIME}"
    ]


def test_wrong_type_container_port():
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    assert only(dep)[0] == (
        f"{AT}: error[output-schema]: Deployment team-a/llama-engine: {C0}.ports[0].containerPort: "
        f'expected integer, got string "http" {FROM_RUNTIME}'
    )


def test_unknown_field_with_suggestion():
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    assert only(dep) == [
        f"{AT}: error[output-schema]: Deployment team-a/llama-engine: {C0}.imagePullPolicyy: "
        f'unknown field (did you mean "imagePullPolicy"?) {FROM_RUNTIME}'
    ]


def test_unknown_top_level_field_has_no_runtime_mention():
    dep = deployment()
    dep["spec"]["replica"] = 2
    assert only(dep) == [
        f'{AT}: error[output-schema]: Deployment team-a/llama-engine: spec.replica: unknown field (did you mean "replicas"?)'
    ]


def test_required_field():
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["env"][1]["valueFrom"]["fieldRef"] = {}
    assert only(dep) == [
        f"{AT}: error[output-schema]: Deployment team-a/llama-engine: "
        f"{C0}.env[1].valueFrom.fieldRef.fieldPath: missing required field {FROM_RUNTIME}"
    ]
    # (The core schemas carry no enums but apiVersion/kind: enum messages are tested on the LWS below.)


def test_every_error_of_an_object_is_reported_in_path_order():
    dep = deployment()
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["resources"]["limits"]["cpu"] = [1]
    c["ports"][0]["containerPort"] = "http"
    c["imagePullPolicyy"] = "Always"
    out = [d for d in validate_objects([rendered(dep)]) if d.code == "output-schema"]
    assert [d.field for d in out] == [
        f"{C0}.imagePullPolicyy",
        f"{C0}.ports[0].containerPort",
        f"{C0}.resources.limits.cpu",
    ]
    assert validate_objects([rendered(dep)]) == validate_objects([rendered(dep)])


def test_diagnostic_is_located_at_the_inference_service():
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    d = check_schemas([rendered(dep)])[0]
    assert (d.file, d.line, d.column, d.field) == (ISVC.file, ISVC.line, ISVC.column, f"{C0}.ports[0].containerPort")
    assert "\n" not in d.message


def test_no_runtime_source_no_mention():
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    d = check_schemas([Rendered(dep, (NS, "llama"), (ISVC,))])[0]
    assert d.message.endswith('expected integer, got string "http"')
    d = check_schemas([Rendered(dep, (NS, "llama"), ())])[0]
    assert (d.file, d.line) == ("", 0)


def test_unknown_kind_and_malformed_objects():
    objects = [
        rendered({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": NS}}),
        rendered({"kind": "Deployment", "metadata": {"name": "x"}}),
        rendered({"apiVersion": "../../etc/v1", "kind": "passwd", "metadata": {"name": "x"}}),
    ]
    assert texts(check_schemas(objects)) == [
        f"{AT}: error[output-schema]: Widget team-a/w: no schema for apiVersion example.com/v1 kind Widget in Kubernetes 1.33",
        f"{AT}: error[output-schema]: Deployment x: apiVersion: missing",
        f"{AT}: error[output-schema]: passwd x: no schema for apiVersion ../../etc/v1 kind passwd in Kubernetes 1.33",
    ]


def test_apiversion_must_match_whole_group():
    dep = deployment()
    dep["apiVersion"] = "apps.example.com/v1"  # same first label as apps/v1
    assert texts(check_schemas([rendered(dep)])) == [
        f"{AT}: error[output-schema]: Deployment team-a/llama-engine: no schema for apiVersion apps.example.com/v1 "
        "kind Deployment in Kubernetes 1.33"
    ]


def test_value_json_cannot_hold_is_a_diagnostic_not_a_crash():
    dep = deployment()
    dep["metadata"]["labels"]["x"] = {1, 2}
    out = validate_objects([rendered(dep)])
    assert any(d.code == "output-schema" and "cannot be checked" in d.message for d in out)


def test_kind_schema_is_version_specific():
    # Service.spec.trafficDistribution appeared in Kubernetes 1.30 (beta in 1.31).
    svc = service("llama-engine", "engine")
    svc["spec"]["trafficDistribution"] = "PreferClose"
    assert texts(check_schemas([rendered(svc)], "1.33")) == []
    assert texts(check_schemas([rendered(svc)], "1.29")) == [
        f"{AT}: error[output-schema]: Service team-a/llama-engine: spec.trafficDistribution: unknown field"
    ]


# --- LeaderWorkerSet -------------------------------------------------------------------------------


def test_lws_pod_template_is_checked_as_strictly_as_a_deployment():
    lws = leader_worker_set()
    lwt = lws["spec"]["leaderWorkerTemplate"]
    lwt["workerTemplate"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    lwt["leaderTemplate"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = [1]
    lwt["leaderTemplate"]["metadata"]["labelz"] = {}
    assert texts(check_schemas([rendered(lws)])) == [
        f"{AT}: error[output-schema]: LeaderWorkerSet team-a/llama-decoder: "
        f"spec.leaderWorkerTemplate.leaderTemplate.metadata.labelz: unknown field (did you mean \"labels\"?) {FROM_RUNTIME}",
        f"{AT}: error[output-schema]: LeaderWorkerSet team-a/llama-decoder: "
        f"spec.leaderWorkerTemplate.leaderTemplate.spec.containers[0].resources.limits.cpu: "
        f"expected string or number, got array {FROM_RUNTIME}",
        f"{AT}: error[output-schema]: LeaderWorkerSet team-a/llama-decoder: "
        f'spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].imagePullPolicyy: unknown field (did you mean "imagePullPolicy"?) {FROM_RUNTIME}',
    ]


def test_lws_spec_and_metadata():
    lws = leader_worker_set()
    lws["spec"]["leaderWorkerTemplate"]["sizee"] = 3
    lws["spec"]["leaderWorkerTemplate"]["restartPolicy"] = "Always"
    lws["metadata"]["generateNames"] = "x"
    out = sorted(texts(check_schemas([rendered(lws)])))
    assert out == sorted(
        [
            f'{AT}: error[output-schema]: LeaderWorkerSet team-a/llama-decoder: metadata.generateNames: unknown field (did you mean "generateName"?)',
            f"{AT}: error[output-schema]: LeaderWorkerSet team-a/llama-decoder: spec.leaderWorkerTemplate.restartPolicy: "
            'expected one of Default, RecreateGroupOnPodRestart, RecreateGroupAfterStart, None, got string "Always"',
            f'{AT}: error[output-schema]: LeaderWorkerSet team-a/llama-decoder: spec.leaderWorkerTemplate.sizee: unknown field (did you mean "size"?)',
        ]
    )


def test_lws_int_or_string():
    lws = leader_worker_set()
    lws["spec"]["rolloutStrategy"] = {"type": "RollingUpdate", "rollingUpdateConfiguration": {"maxSurge": "25%", "maxUnavailable": 1}}
    assert check_schemas([rendered(lws)]) == []
    lws["spec"]["rolloutStrategy"]["rollingUpdateConfiguration"]["maxSurge"] = [1]
    assert texts(check_schemas([rendered(lws)])) == [
        f"{AT}: error[output-schema]: LeaderWorkerSet team-a/llama-decoder: "
        "spec.rolloutStrategy.rollingUpdateConfiguration.maxSurge: expected integer or string, got array"
    ]


def test_committed_lws_schema_matches_upstream_strict():
    upstream = UPSTREAM_LWS / "jsonschema-strict" / "leaderworkerset.x-k8s.io" / "leaderworkerset_v1.json"
    if not upstream.is_file():
        pytest.skip("../shared/upstream/lws is not present")
    assert json.loads(LWS_SCHEMA.read_text()) == json.loads(upstream.read_text())
    assert LWS_SCHEMA.read_bytes() == upstream.read_bytes()


def test_derive_script_reproduces_the_committed_schema(tmp_path):
    crd = UPSTREAM_LWS / "leaderworkerset.x-k8s.io_leaderworkersets.yaml"
    if not crd.is_file():
        pytest.skip("../shared/upstream/lws is not present")
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "derive_lws_schema.py"), str(crd), "-o", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "leaderworkerset.x-k8s.io" / "leaderworkerset_v1.json").read_bytes() == LWS_SCHEMA.read_bytes()


def test_lws_schema_ships_with_the_package():
    assert (data_dir("schemas") / "leaderworkerset.x-k8s.io" / "leaderworkerset_v1.json").is_file()


# --- the pure-Python fallback --------------------------------------------------------------------


def test_fallback_backend_reports_the_same():
    dep = deployment()
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["resources"]["limits"]["cpu"] = [1]
    c["ports"][0]["containerPort"] = "http"
    c["imagePullPolicyy"] = "Always"
    lws = leader_worker_set()
    lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]["imagePullPolicyy"] = "x"
    objects = [rendered(dep), rendered(lws)]
    fast = texts(check_schemas(objects, "1.33", k8s_schemas.RS))
    slow = texts(check_schemas(objects, "1.33", k8s_schemas.PY))
    assert fast == slow and len(fast) == 4
    assert check_schemas(valid_set(), "1.33", k8s_schemas.PY) == []


def test_validators_are_compiled_once():
    a = k8s_schemas.checker("apps/v1", "Deployment", "1.33")
    assert a is not None and k8s_schemas.checker("apps/v1", "Deployment", "1.33") is a
    assert k8s_schemas.checker("apps/v1", "Deployment", "v1.33.1") is a
    assert k8s_schemas.checker("apps/v1", "Deployment", "1.34") is not a


# --- cross-object checks ---------------------------------------------------------------------------


def test_service_selecting_nothing():
    svc = service("llama-engine", "engine", selector={"component": "engien"})
    assert only(svc) == [
        f"{AT}: error[output-selector]: Service team-a/llama-engine: spec.selector: selects no pods: "
        "no pod template in namespace team-a has the labels component=engien"
    ]


def test_service_in_another_namespace_selects_nothing():
    svc = service("llama-engine", "engine", namespace="team-b")
    out = texts(validate_objects([rendered(deployment()), rendered(svc)]))
    assert out == [
        f"{AT}: error[output-selector]: Service team-b/llama-engine: spec.selector: selects no pods: no pod template "
        "in namespace team-b has the labels app.kubernetes.io/managed-by=omegen, component=engine, ome.io/inferenceservice=llama"
    ]


def test_service_target_port_missing():
    svc = service("llama-engine", "engine", target="metrics")
    svc2 = service("llama", "engine", target=9090)
    assert only(svc) + only(svc2) == [
        f"{AT}: error[output-port]: Service team-a/llama-engine: spec.ports[0].targetPort: "
        'named port "metrics" is not a container port of the selected pods of Deployment team-a/llama-engine',
        f"{AT}: error[output-port]: Service team-a/llama: spec.ports[0].targetPort: "
        "port 9090 is not a container port of the selected pods of Deployment team-a/llama-engine",
    ]


def test_service_without_target_port_uses_port():
    svc = service("llama", "engine")
    del svc["spec"]["ports"][0]["targetPort"]
    svc["spec"]["ports"][0]["port"] = 8080
    assert only(svc) == []
    svc["spec"]["ports"][0]["port"] = 80
    assert only(svc) == [
        f"{AT}: error[output-port]: Service team-a/llama: spec.ports[0].port: "
        "port 80 is not a container port of the selected pods of Deployment team-a/llama-engine"
    ]


def test_service_selecting_lws_workers_that_lack_the_port():
    # Selecting by the component label reaches the leader and the workers; the workers serve nothing.
    svc = service("llama-decoder", "decoder")
    assert only(svc) == [
        f"{AT}: error[output-port]: Service team-a/llama-decoder: spec.ports[0].targetPort: "
        'named port "http" is not a container port of the selected pods of LeaderWorkerSet team-a/llama-decoder (worker pods)'
    ]


def test_lws_leader_defaults_to_worker_template_and_size_one_has_no_workers():
    lws = leader_worker_set(size=1)
    lwt = lws["spec"]["leaderWorkerTemplate"]
    lwt["workerTemplate"] = lwt.pop("leaderTemplate")
    svc = service("llama-decoder", "decoder")
    assert only(lws) == [] and texts(validate_objects([rendered(lws), rendered(svc)])) == []
    svc["spec"]["selector"] = {"leaderworkerset.sigs.k8s.io/worker-index": "1"}
    assert [d.code for d in validate_objects([rendered(lws), rendered(svc)])] == ["output-selector"]


def test_lws_worker_index_selector():
    lws = leader_worker_set(size=3)
    svc = service("llama-decoder", "decoder", selector={"leaderworkerset.sigs.k8s.io/worker-index": "2"}, target="http")
    out = texts(validate_objects([rendered(lws), rendered(svc)]))
    assert out == [
        f"{AT}: error[output-port]: Service team-a/llama-decoder: spec.ports[0].targetPort: "
        'named port "http" is not a container port of the selected pods of LeaderWorkerSet team-a/llama-decoder (worker pods)'
    ]
    svc["spec"]["selector"] = {"leaderworkerset.sigs.k8s.io/worker-index": "3"}
    assert [d.code for d in validate_objects([rendered(lws), rendered(svc)])] == ["output-selector"]


def test_probe_on_a_port_the_container_lacks():
    dep = deployment()
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["readinessProbe"]["httpGet"]["port"] = "healthz"
    c["livenessProbe"]["tcpSocket"]["port"] = 8000
    assert only(dep) == [
        f"{AT}: error[output-port]: Deployment team-a/llama-engine: {C0}.livenessProbe.tcpSocket.port: "
        f'port 8000 is not a port of this container (ports: 8080 "http") {FROM_RUNTIME}',
        f"{AT}: error[output-port]: Deployment team-a/llama-engine: {C0}.readinessProbe.httpGet.port: "
        f'named port "healthz" is not a port of this container (ports: 8080 "http") {FROM_RUNTIME}',
    ]


def test_probe_in_lws_worker_and_container_without_ports():
    # A numeric port of a container that declares no ports may be served all the same (OME probes
    # 8080 that way): a warning. A named one cannot resolve: an error.
    lws = leader_worker_set()
    worker = lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]
    worker["readinessProbe"] = {"grpc": {"port": 50051}}
    worker["livenessProbe"] = {"httpGet": {"port": "http"}}
    assert only(lws) == [
        f"{AT}: error[output-port]: LeaderWorkerSet team-a/llama-decoder: "
        "spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].livenessProbe.httpGet.port: "
        f'named port "http" is not a port of this container (it declares no ports) {FROM_RUNTIME}',
        f"{AT}: warning[output-port]: LeaderWorkerSet team-a/llama-decoder: "
        "spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].readinessProbe.grpc.port: "
        f"port 50051 cannot be checked: this container declares no ports {FROM_RUNTIME}",
    ]


def test_service_numeric_port_of_pods_without_declared_ports_is_a_warning():
    dep = deployment()
    c = dep["spec"]["template"]["spec"]["containers"][0]
    del c["ports"]
    del c["readinessProbe"], c["livenessProbe"], c["startupProbe"]
    out = validate_objects([rendered(dep), rendered(service("llama", "engine", target=9000)), rendered(service("llama-engine", "engine"))])
    assert texts(out) == [
        f"{AT}: warning[output-port]: Service team-a/llama: spec.ports[0].targetPort: port 9000 cannot be checked: "
        "the selected pods of Deployment team-a/llama-engine declare no container ports",
        f"{AT}: error[output-port]: Service team-a/llama-engine: spec.ports[0].targetPort: named port \"http\" is not a "
        "container port of the selected pods of Deployment team-a/llama-engine",
    ]


def test_omes_default_port_on_pods_without_declared_ports_is_expected():
    # OME's buildDefaultServicePort and setDefaultReadinessProbe (service_reconciler.go,
    # deployment_reconciler.go) assume 8080 for a container that declares no port; so does omegen.
    dep = deployment()
    c = dep["spec"]["template"]["spec"]["containers"][0]
    del c["ports"]
    del c["livenessProbe"], c["startupProbe"]
    c["readinessProbe"] = {"tcpSocket": {"port": 8080}}
    assert texts(validate_objects([rendered(dep), rendered(service("llama", "engine", target=8080))])) == []


def test_hpa_targeting_a_missing_workload():
    assert only(hpa("llama-engine", target="llama-engin")) == [
        f"{AT}: error[output-target]: HorizontalPodAutoscaler team-a/llama-engine: spec.scaleTargetRef: "
        "scales apps/v1 Deployment team-a/llama-engin, which is not in the output"
    ]
    # Right name, wrong kind or group.
    assert [d.code for d in validate_objects(valid_set()[:3] + [rendered(deployment()), rendered(hpa(target_kind="StatefulSet"))])] == [
        "output-target"
    ]
    out = validate_objects([rendered(deployment()), rendered(hpa(api_version="apps.example.com/v1"))])
    assert [d.code for d in out] == ["output-target"]


def test_hpa_targeting_lws():
    lws = leader_worker_set()
    del lws["spec"]["replicas"]
    scaler = hpa("llama-decoder", target_kind="LeaderWorkerSet", api_version="leaderworkerset.x-k8s.io/v1")
    assert texts(validate_objects([rendered(lws), rendered(scaler)])) == []


def test_hpa_and_fixed_replicas_is_a_warning():
    dep = deployment()
    dep["spec"]["replicas"] = 2
    (d,) = validate_objects([rendered(dep), rendered(hpa())])
    assert d.severity is Severity.WARNING and d.as_text() == (
        f"{AT}: warning[output-target]: HorizontalPodAutoscaler team-a/llama-engine: spec.scaleTargetRef: "
        "scales Deployment team-a/llama-engine, which also sets spec.replicas (the HPA and every GitOps sync would fight over it)"
    )


def test_pdb_selecting_nothing():
    budget = pdb()
    budget["spec"]["selector"] = {"matchLabels": {"component": "engine"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}
    assert only(budget) == [
        f"{AT}: error[output-selector]: PodDisruptionBudget team-a/llama-engine: spec.selector: selects no pods: "
        "no workload in namespace team-a has pods matching component=engine, tier Exists"
    ]
    budget["spec"]["selector"] = {"matchExpressions": [{"key": "component", "operator": "In", "values": ["decoder", "x"]}]}
    assert only(budget) == []
    del budget["spec"]["selector"]
    assert only(budget) == [
        f"{AT}: error[output-selector]: PodDisruptionBudget team-a/llama-engine: spec.selector: missing: the PodDisruptionBudget protects no pods"
    ]


def test_deployment_selector_must_match_its_template():
    dep = deployment()
    dep["spec"]["selector"]["matchLabels"]["component"] = "decoder"
    out = [t for t in only(dep) if "output-selector" in t and "Deployment" in t.split(": ")[2]]
    assert out == [
        f"{AT}: error[output-selector]: Deployment team-a/llama-engine: spec.selector: "
        "app.kubernetes.io/managed-by=omegen, component=decoder, ome.io/inferenceservice=llama does not match the template's labels "
        "(app.kubernetes.io/managed-by=omegen, component=engine, ome.io/inferenceservice=llama) at spec.template.metadata.labels"
    ]


def test_duplicate_objects():
    objects = valid_set()
    second = Rendered(deployment(), (NS, "other"), (FieldOrigin("services/other.yaml", 7, 1, ""),))
    out = texts(validate_objects(objects + [second]))
    assert out == [
        "services/other.yaml:7:1: error[output-duplicate]: Deployment team-a/llama-engine: "
        "emitted more than once (first rendered from services/llama.yaml:3)"
    ]
    # Same name in another namespace, or another kind with the same name: fine.
    assert validate_objects([rendered(deployment()), rendered(deployment(namespace="team-b"))]) == []


def test_bad_names():
    svc = service("x" * 64, "engine")
    assert only(svc) == [
        f"{AT}: error[output-name]: Service team-a/{'x' * 64}: metadata.name: \"{'x' * 64}\" is 64 characters long; "
        "Service names must be DNS-1035 labels of at most 63 characters"
    ]
    svc = service("7b-engine", "engine")
    assert only(svc) == [
        f'{AT}: error[output-name]: Service team-a/7b-engine: metadata.name: "7b-engine" is not valid: Service names must be '
        "DNS-1035 labels (lowercase letters, digits and '-', starting with a letter, ending with a letter or digit)"
    ]
    dep = deployment(name="Llama_Engine")
    out = texts(validate_objects([rendered(dep)]))
    assert out == [
        f'{AT}: error[output-name]: Deployment team-a/Llama_Engine: metadata.name: "Llama_Engine" is not valid: Deployment names must be '
        "DNS-1123 subdomains (lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit)"
    ]
    assert validate_objects([rendered(deployment(name="a" * 200))]) == []  # subdomains may be long
    lws = leader_worker_set(name="llama.decoder")
    assert [d.field for d in validate_objects([rendered(lws)])] == ["metadata.name"]


def test_bad_labels_namespace_and_port_names():
    dep = deployment(namespace="Team_A")
    dep["metadata"]["labels"]["ome.io/inferenceservice"] = "v" * 64
    dep["metadata"]["annotations"]["bad key!"] = "x"
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["ports"][0]["name"] = "http-openai-api-port"
    c["readinessProbe"]["httpGet"]["port"] = "http-openai-api-port"
    out = texts(validate_objects([rendered(dep)]))
    assert out == [
        f"{AT}: error[output-name]: Deployment Team_A/llama-engine: metadata.namespace: \"Team_A\" is not valid: namespaces must be "
        "DNS-1123 labels (lowercase letters, digits and '-', starting and ending with a letter or digit)",
        f"{AT}: error[output-name]: Deployment Team_A/llama-engine: metadata.labels[ome.io/inferenceservice]: label value "
        f'"{"v" * 64}" is 64 characters long; label values are at most 63',
        f"{AT}: error[output-name]: Deployment Team_A/llama-engine: metadata.annotations[bad key!]: annotation key \"bad key!\" is "
        "not valid (alphanumerics, '-', '_' and '.', starting and ending with an alphanumeric, with an optional DNS subdomain prefix and '/')",
        f"{AT}: error[output-name]: Deployment Team_A/llama-engine: {C0}.ports[0].name: \"http-openai-api-port\" is 20 characters long; "
        f"a port name is at most 15 (IANA_SVC_NAME) {FROM_RUNTIME}",
    ]


def test_service_port_names():
    svc = service("llama-engine", "engine")
    svc["spec"]["ports"].append({"port": 9090, "targetPort": "http"})
    assert only(svc) == [
        f"{AT}: error[output-name]: Service team-a/llama-engine: spec.ports[1].name: required when a Service has more than one port"
    ]


def test_cross_checks_survive_garbage():
    garbage = [
        {"kind": "Service", "metadata": {"name": 3}, "spec": {"selector": "x", "ports": "y"}},
        {"kind": "Deployment", "metadata": None, "spec": {"template": []}},
        {"kind": "LeaderWorkerSet", "metadata": {"name": "a"}, "spec": {"leaderWorkerTemplate": {"size": "x", "workerTemplate": 1}}},
        {"kind": "HorizontalPodAutoscaler", "spec": {"scaleTargetRef": []}},
        {"kind": "PodDisruptionBudget", "spec": {"selector": {"matchExpressions": [None, {"operator": "Bogus"}]}}},
        [],
    ]
    out = validate_objects([rendered(o) for o in garbage])
    assert out and all(d.severity is Severity.ERROR for d in out)
    assert all("\n" not in d.message for d in out)


def test_selector_matching_unit():
    labels = {"a": "1", "w": frozenset({"1", "2"}), "h": podsets.ANY}
    assert podsets.matches_map(labels, {"a": "1", "w": "2", "h": "zzz"})
    assert not podsets.matches_map(labels, {"a": "1", "w": "0"})
    assert not podsets.matches_map(labels, {"b": "1"})
    m = podsets.matches_label_selector
    assert m(labels, {})
    assert m(labels, {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "3"]}]})
    assert not m(labels, {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]})
    assert m(labels, {"matchExpressions": [{"key": "w", "operator": "NotIn", "values": ["1"]}]})
    assert m(labels, {"matchExpressions": [{"key": "zz", "operator": "DoesNotExist"}]})
    assert not m(labels, {"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]})


# --- kubeconform -----------------------------------------------------------------------------------


def test_export_schemas_layout(tmp_path):
    written = export_schemas(tmp_path / "out")
    out = tmp_path / "out"
    lws = out / "leaderworkerset.x-k8s.io" / "leaderworkerset_v1.json"
    # The models omegen writes (emitModels) are custom resources too: kubeconform needs their schemas.
    assert written == sorted(written) and lws in written
    assert {p.relative_to(out).as_posix() for p in written} >= {
        "ome.io/basemodel_v1beta1.json",
        "ome.io/clusterbasemodel_v1beta1.json",
        "leaderworkerset.x-k8s.io/leaderworkerset_v1.json",
    }
    assert lws.read_bytes() == LWS_SCHEMA.read_bytes()
    assert export_schemas(tmp_path / "out") == written  # idempotent
    assert sorted(p for p in out.rglob("*") if p.is_file()) == sorted(written)


def test_kubeconform_missing_executable_is_a_diagnostic(tmp_path):
    (d,) = run_kubeconform("", "no-such-kubeconform-here", "1.33", tmp_path)
    assert d.code == "kubeconform" and d.severity is Severity.ERROR
    assert d.message.startswith("kubeconform executable 'no-such-kubeconform-here' not found")


def test_kubeconform_version_spelling():
    assert kubeconform_version("1.33") == "1.33.0"
    assert kubeconform_version("v1.33.2") == "1.33.2"


def test_kubeconform_report_mapping():
    # The shape of kubeconform's `-output json` (pkg/output/json.go), as documented in
    # shared/reference/gitops-contracts.md section 5; a real run is test_kubeconform_real below.
    report = {
        "resources": [
            {
                "filename": "stdin",
                "kind": "Deployment",
                "name": "llama-engine",
                "version": "apps/v1",
                "status": "statusInvalid",
                "msg": "problem validating schema",
                "validationErrors": [{"path": "/spec/template/spec/containers/0/imagePullPolicyy", "msg": "additional properties 'imagePullPolicyy' not allowed"}],
            },
            {"filename": "stdin", "kind": "Widget", "name": "w", "version": "example.com/v1", "status": "statusError", "msg": "could not find schema for Widget"},
            {"filename": "stdin", "kind": "Service", "name": "s", "version": "v1", "status": "statusValid", "msg": ""},
        ]
    }
    out = texts(parse_output(json.dumps(report), 1, "", [rendered(deployment())]))
    assert out == [
        f"{AT}: error[kubeconform]: Deployment team-a/llama-engine: {C0}.imagePullPolicyy: "
        f"additional properties 'imagePullPolicyy' not allowed {FROM_RUNTIME}",
        "<omegen>: error[kubeconform]: Widget w: could not find schema for Widget",
    ]
    assert texts(parse_output("panic: boom", 2, "flag provided but not defined: -x")) == [
        "<omegen>: error[kubeconform]: kubeconform failed: flag provided but not defined: -x"
    ]


@pytest.mark.skipif(shutil.which("kubeconform") is None, reason="kubeconform is not installed")
def test_kubeconform_real(tmp_path):
    schema_dir = tmp_path / "schemas"
    export_schemas(schema_dir)
    objects = valid_objects()
    assert run_kubeconform(dump_all(objects), shutil.which("kubeconform"), "1.33", schema_dir) == []
    objects[3]["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    out = run_kubeconform(dump_all(objects), "kubeconform", "1.33", schema_dir, [rendered(o) for o in objects])
    assert [d.code for d in out] == ["kubeconform"]
    assert f"{C0}.imagePullPolicyy" in out[0].message or "imagePullPolicyy" in out[0].message
