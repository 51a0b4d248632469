"""OME's two ome-agent init-container webhooks as omegen emulates them (render/agentinit.py), field by
field against OME's code (pkg/webhook/admission/pod/): `ModelInitInjector.injectModelInit`,
`getVolumeMounts`, `getModelInitEnvs`, `createInitContainer`, `validateAuth`,
`getMainContainerSecurityContext`, `getGPUCount` (model_init_injector.go);
`FineTunedAdapterInjector.injectFineTunedAdapter`, `getVolumeMounts`, `getModelInitEnvs`,
`getFineTunedWeightUri` (fine_tuned_adapter_injector.go); `storage.ParseOCIStorageURI`
(pkg/utils/storage/storage.go); the init-container sort of `Mutator.mutate` (mutator.go). The
expected values follow OME's own tests (model_init_injector_test.go)."""

from __future__ import annotations

from omegen.render.agentinit import inject_adapter, inject_model_init, order_init_containers, parse_oci_uri
from sources import ADAPTER_SETTINGS, MODEL_INIT_SETTINGS

ANNOTATIONS = {
    "ome.io/base-model-name": "test-base-model-name",
    "ome.io/base-model-format": "TensorRT-LLM",  # getModelInitEnvs drops "_"/"-" and lower-cases
    "ome.io/base-model-format-version": "test-format-version",
    "ome.io/base-model-decryption-key-name": "test-decryption-key-name",
    "ome.io/base-model-decryption-secret-name": "test-decryption-secret-name",
}
LABELS = {"base-model-type": "Serving"}
URI = "oci://n/tenancy-ns/b/ft-bucket/o/weights/llama-ft"


def pod(**main) -> dict:
    container = {"name": "ome-container", "image": "x", **main}
    return {"containers": [{"name": "side", "image": "s"}, container], "initContainers": [{"name": "first", "image": "f"}]}


def agent(name, value=None):
    return {"name": f"OME_AGENT_{name}", **({"value": value} if value is not None else {})}


def test_model_init_container_as_injectModelInit_for_tensorrt_llm():
    security = {"runAsUser": 1000}
    entry = {
        **MODEL_INIT_SETTINGS,
        "extraEnvVars": [{"name": "EXTRA", "value": "1"}],
        "extraVolumeMounts": [{"name": "extra", "mountPath": "/extra"}],
    }
    before = pod(securityContext=security, resources={"limits": {"nvidia.com/gpu": 2}})
    out, problem = inject_model_init(before, entry, ANNOTATIONS, LABELS, "test-base-model-name")
    assert problem is None
    assert out["containers"] == before["containers"], "the pod's containers are left alone"
    first, init = out["initContainers"]
    assert first == {"name": "first", "image": "f"}, "appended after the pod's own init containers"
    assert init == {
        "name": "model-init",  # ModelInitContainerName
        "image": MODEL_INIT_SETTINGS["image"],
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "args": ["enigma", "--config", "/ome-agent.yaml", "--debug"],
        # createInitContainer: limits and requests from the entry (YAML's 15 is OME's "15")
        "resources": {"limits": {"cpu": "15", "memory": "180Gi"}, "requests": {"cpu": "15", "memory": "150Gi"}},
        "securityContext": security,  # getMainContainerSecurityContext: a copy of ome-container's
        # getVolumeMounts: the emptyDir at ModelDefaultMountPath, the base model at ModelDefaultSourcePath, the extras
        "volumeMounts": [
            {"name": "model-empty-dir", "mountPath": "/opt/ml/model"},
            {"name": "test-base-model-name", "mountPath": "/mnt/model"},
            {"name": "extra", "mountPath": "/extra"},
        ],
        # getModelInitEnvs, in its order; TensorRT-LLM adds the version and ome-container's GPU limit
        "env": [
            agent("AUTH_TYPE", "InstancePrincipal"),
            agent("COMPARTMENT_ID", "ocid1.compartment.oc1..c"),
            agent("VAULT_ID", "ocid1.vault.oc1..v"),
            agent("MODEL_NAME", "test-base-model-name"),
            agent("KEY_NAME", "test-decryption-key-name"),
            agent("SECRET_NAME", "test-decryption-secret-name"),
            agent("DISABLE_MODEL_DECRYPTION", "false"),
            agent("MODEL_TYPE", "Serving"),
            agent("LOCAL_PATH", "/mnt/model"),
            agent("MODEL_STORE_DIRECTORY", "/opt/ml/model"),
            agent("REGION", "eu-frankfurt-1"),
            agent("MODEL_FRAMEWORK", "tensorrtllm"),
            agent("TENSORRTLLM_VERSION", "test-format-version"),
            agent("NUM_OF_GPU", "2"),
            {"name": "EXTRA", "value": "1"},
        ],
    }
    assert "initContainers" in before and len(before["initContainers"]) == 1, "input untouched"


def test_model_init_env_for_other_formats_and_the_pods_own_settings():
    annotations = {"ome.io/base-model-name": "m", "ome.io/base-model-format": "safe_tensors", "ome.io/disable-model-decryption": "true"}
    entry = {k: v for k, v in MODEL_INIT_SETTINGS.items() if k != "region"}
    out, problem = inject_model_init(pod(), entry, annotations, {}, "m-volume")
    assert problem is None
    init = out["initContainers"][-1]
    env = init["env"]
    # An empty value is left out, as Go's `json:"value,omitempty"`; no GPU count outside TensorRT-LLM.
    assert env[4:] == [
        agent("KEY_NAME"),
        agent("SECRET_NAME"),
        agent("DISABLE_MODEL_DECRYPTION", "true"),
        agent("MODEL_TYPE", "Serving"),  # getLabelOrDefault's default
        agent("LOCAL_PATH", "/mnt/model"),
        agent("MODEL_STORE_DIRECTORY", "/opt/ml/model"),
        agent("REGION"),
        agent("MODEL_FRAMEWORK", "safetensors"),
    ]
    assert init["volumeMounts"][1] == {"name": "m-volume", "mountPath": "/mnt/model"}
    assert "securityContext" not in init, "ome-container has none: DeepCopy of nil"


def test_model_init_refusals_and_skips_as_omes_injector():
    # containerExists: a pod that already has a model-init container is left as it is
    has = {"containers": [{"name": "ome-container"}], "initContainers": [{"name": "model-init", "image": "mine"}]}
    assert inject_model_init(has, MODEL_INIT_SETTINGS, ANNOTATIONS, LABELS, "v") == (has, None)
    # getMainContainerSecurityContext: ome-container or trainer, else an error
    out, problem = inject_model_init({"containers": [{"name": "other"}]}, MODEL_INIT_SETTINGS, {}, {}, "v")
    assert out is None and "no container 'ome-container' or 'trainer'" in problem
    trainer = {"containers": [{"name": "trainer", "securityContext": {"runAsUser": 7}}]}
    out, problem = inject_model_init(trainer, MODEL_INIT_SETTINGS, {}, {}, "v")
    assert problem is None and out["initContainers"][0]["securityContext"] == {"runAsUser": 7}
    # getGPUCount reads limits only, and panics without one
    requests_only = pod(resources={"requests": {"nvidia.com/gpu": 1}})
    out, problem = inject_model_init(requests_only, MODEL_INIT_SETTINGS, ANNOTATIONS, LABELS, "v")
    assert out is None and "nvidia.com/gpu limit" in problem
    # validateAuth: OKE workload identity needs the pod's service account, and mounts its token
    oke = {**MODEL_INIT_SETTINGS, "authType": "OkeWorkloadIdentity"}
    out, problem = inject_model_init(pod(), oke, {}, {}, "v")
    assert out is None and "serviceAccountName" in problem
    out, problem = inject_model_init({**pod(), "serviceAccountName": "sa"}, oke, {}, {}, "v")
    assert problem is None and out["automountServiceAccountToken"] is True


def test_fine_tuned_adapter_container_as_injectFineTunedAdapter():
    security = {"runAsNonRoot": True}
    out, problem = inject_adapter(pod(securityContext=security), ADAPTER_SETTINGS, {"ome.io/base-model-format": "safetensors"}, URI)
    assert problem is None
    init = out["initContainers"][-1]
    assert init == {
        "name": "fine-tuned-adapter",  # FineTunedAdapterContainerName
        "image": ADAPTER_SETTINGS["image"],
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "args": ["fine-tuned-adapter", "--config", "/ome-agent.yaml", "--debug"],
        "resources": {"limits": {"cpu": "15", "memory": "320Gi"}, "requests": {"cpu": "15", "memory": "300Gi"}},
        "securityContext": security,
        # getVolumeMounts: the download directory first, then the weight's
        "volumeMounts": [
            {"name": "model-empty-dir", "mountPath": "/mnt/finetuned/download"},
            {"name": "model-empty-dir", "mountPath": "/opt/ml/model"},
        ],
        # getModelInitEnvs: the weight's OCI location from its storageUri (getFineTunedWeightUri)
        "env": [
            agent("AUTH_TYPE", "InstancePrincipal"),
            agent("COMPARTMENT_ID", "ocid1.compartment.oc1..c"),
            agent("REGION"),
            agent("UNZIPPED_FINE_TUNED_WEIGHT_DIRECTORY", "/opt/ml/model"),
            agent("ZIPPED_FINE_TUNED_WEIGHT_DIRECTORY", "/mnt/finetuned/download"),
            agent("MODEL_BUCKET_NAME", "ft-bucket"),
            agent("MODEL_NAMESPACE", "tenancy-ns"),
            agent("MODEL_OBJECT_NAME", "weights/llama-ft"),
        ],
    }


def test_fine_tuned_adapter_merged_weights_tensorrt_and_refusals():
    merged = {"ome.io/fine-tuned-serving-with-merged-weights": "true", "ome.io/base-model-format": "tensorrtllm"}
    out, problem = inject_adapter(pod(), ADAPTER_SETTINGS, merged, URI)
    init = out["initContainers"][-1]
    # merged weights are zipped under the prefix + MergedModelWeightZippedFileSuffix
    assert {"name": "OME_AGENT_MODEL_OBJECT_NAME", "value": "weights/llama-ft-merged-weight"} in init["env"]
    # getFineTunedWeightVolumeMountSubPath: TensorRT-LLM (the annotation exactly "tensorrtllm")
    assert init["volumeMounts"][1] == {"name": "model-empty-dir", "mountPath": "/opt/ml/model", "subPath": "tensorrt_llm"}
    out, problem = inject_adapter(pod(), ADAPTER_SETTINGS, {}, "oci://n/bucket/o")
    assert out is None and "is not oci://n/<namespace>/b/<bucket>/o/<object>" in problem
    out, problem = inject_adapter({"containers": [{"name": "trainer"}]}, ADAPTER_SETTINGS, {}, URI)
    assert out is None and "no container 'ome-container'" in problem, "the adapter takes ome-container only"
    has = {"containers": [{"name": "ome-container"}], "initContainers": [{"name": "fine-tuned-adapter"}]}
    assert inject_adapter(has, ADAPTER_SETTINGS, {}, URI) == (has, None)


def test_parse_oci_uri_as_ParseOCIStorageURI():
    assert parse_oci_uri("oci://n/ns/b/bk/o/a/b/c") == ("ns", "bk", "a/b/c")
    assert parse_oci_uri("oci://n/ns/b/bk/o/") == ("ns", "bk", "")
    for bad in ("oci://n/bucket/o", "oci://x/ns/b/bk/o/a", "s3://bucket/a", None):
        assert parse_oci_uri(bad) is None, bad


def test_init_containers_sorted_as_the_mutator_sorts_them():
    pod_ = {"initContainers": [{"name": "a"}, {"name": "fine-tuned-adapter"}, {"name": "model-init"}, {"name": "b"}]}
    assert [c["name"] for c in order_init_containers(pod_)["initContainers"]] == ["a", "model-init", "fine-tuned-adapter", "b"]
    assert order_init_containers({"containers": []}) == {"containers": []}
