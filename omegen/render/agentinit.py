"""OME's two ome-agent init-container webhooks, emulated (`webhooks: emulate`): model-init
(`ModelInitInjector`, pkg/webhook/admission/pod/model_init_injector.go) for pods annotated
`ome.io/inject-model-init: "true"`, and the fine-tuned adapter (`FineTunedAdapterInjector`,
fine_tuned_adapter_injector.go) for pods annotated `ome.io/inject-fine-tuned-adapter: <weight>`.

Each injector takes its image, resources and OCI settings from one entry of OME's
`inferenceservice-config` ConfigMap (`modelInit`, `fineTunedAdapter`), which an offline build cannot
read: omegen.yaml's `webhookConfig` holds the same entries under the same names, and without the
entry a service that needs it is refused, with what to add. Everything else an injector reads is in
the pod it admits (its annotations, labels, containers, service account), or, for the adapter, the
FineTunedWeight, which omegen has from its sources. Where OME's webhook would fail the pod's
admission, omegen refuses the service and says why.
"""

from __future__ import annotations

import copy
from typing import Optional

from omegen.render.context import RenderContext, string
from omegen.kube.quantity import quantity
from omegen.safeget import as_dict

MODEL_INIT_ENTRY, ADAPTER_ENTRY = "modelInit", "fineTunedAdapter"  # the ConfigMap's data keys
INJECT_MODEL_INIT = "ome.io/inject-model-init"  # ModelInitInjectionKey
INJECT_ADAPTER = "ome.io/inject-fine-tuned-adapter"  # FineTunedAdapterInjectionKey
# The fields OME's injectors cannot do without: `validate:"required"`, and the four quantities
# `createInitContainer` parses with resource.MustParse (an empty one fails the admission).
QUANTITIES = ("cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit")
REQUIRED = {
    MODEL_INIT_ENTRY: ("image",) + QUANTITIES + ("compartmentId", "authType", "vaultId"),
    ADAPTER_ENTRY: ("image",) + QUANTITIES + ("compartmentId", "authType"),
}
# pkg/constants/constants.go
MODEL_INIT_CONTAINER = "model-init"  # ModelInitContainerName
ADAPTER_CONTAINER = "fine-tuned-adapter"  # FineTunedAdapterContainerName
MAIN_CONTAINER, TRAINING_MAIN_CONTAINER = "ome-container", "trainer"
MODEL_EMPTY_DIR = "model-empty-dir"  # ModelEmptyDirVolumeName
MODEL_DEFAULT_MOUNT_PATH = "/opt/ml/model"  # ModelDefaultMountPath
MODEL_DEFAULT_SOURCE_PATH = "/mnt/model"  # ModelDefaultSourcePath
DOWNLOAD_MOUNT_PATH = "/mnt/finetuned/download"  # FineTunedWeightDownloadMountPath
TFEW_MOUNT_PATH = "/opt/ml/tfew"  # CohereTFewFineTunedWeightVolumeMountPath
BASE_SUBPATH, FINETUNED_SUBPATH, TENSORRT_SUBPATH = "base", "finetuned", "tensorrt_llm"
TENSORRT_LLM = "tensorrtllm"  # TensorRTLLM
OKE_WORKLOAD_IDENTITY = "OkeWorkloadIdentity"  # AuthtypeOKEWorkloadIdentity
MERGED_SUFFIX = "-merged-weight"  # MergedModelWeightZippedFileSuffix
SERVING_BASE_MODEL = "Serving"  # ServingBaseModel
AGENT = "OME_AGENT_"  # AgentAppName + "_"
DECRYPTION_ANNOTATIONS = ("ome.io/base-model-decryption-key-name", "ome.io/base-model-decryption-secret-name")


def settings(ctx: RenderContext, entry: str) -> Optional[dict]:
    """omegen.yaml's copy of the ConfigMap entry `entry` (checked by its schema), or None."""
    found = ctx.webhook_config.get(entry)
    return found if isinstance(found, dict) else None


def missing_settings(entry: str) -> str:
    """What to add to omegen.yaml for `entry`, or the alternative."""
    fields = ", ".join(f"{name}: ..." for name in REQUIRED[entry])
    optional = "region" + (", extraEnvVars, extraVolumeMounts" if entry == MODEL_INIT_ENTRY else "")
    return (
        f"to emulate it offline, add OME's settings to omegen.yaml as `webhookConfig: {{{entry}: {{{fields}}}}}` "
        f"(the `{entry}` entry of OME's inferenceservice-config ConfigMap, same field names; {optional} optional), "
        "or set `webhooks: cluster` when OME's webhooks run in the target cluster"
    )


def decryption_annotations(ctx: RenderContext) -> dict:
    """ProcessBaseAnnotations (components/base.go): the base model's decryption key and secret names,
    which the model-init container reads from its pod, unless the service serves merged weights."""
    model, weight = ctx.model, ctx.fine_tuned
    if model is None or (weight is not None and weight.merged):
        return {}
    return {key: string(model.annotations[key]) for key in DECRYPTION_ANNOTATIONS if key in model.annotations}


def inject_model_init(pod: dict, entry: dict, annotations: dict, labels: dict, model_volume: str):
    """(pod, None) as `injectModelInit` leaves it, or (None, why OME's webhook fails the pod).
    `annotations`/`labels` are the pod's as the webhook reads them; `model_volume` the base model's
    volume (OME names it after the model; omegen's name when that is not a valid volume name)."""
    if _has_init_container(pod, MODEL_INIT_CONTAINER):  # containerExists
        return pod, None
    pod = copy.deepcopy(pod)
    problem = _auth(pod, entry)
    main = _main_container(pod, (MAIN_CONTAINER, TRAINING_MAIN_CONTAINER))
    if problem is None and main is None:
        problem = f"the pod has no container {MAIN_CONTAINER!r} or {TRAINING_MAIN_CONTAINER!r} (getMainContainerSecurityContext fails)"
    if problem:
        return None, problem
    mounts = [
        _mount(MODEL_EMPTY_DIR, MODEL_DEFAULT_MOUNT_PATH, BASE_SUBPATH if _cohere_tfew(annotations) else ""),
        _mount(model_volume, MODEL_DEFAULT_SOURCE_PATH),
    ] + copy.deepcopy(list(entry.get("extraVolumeMounts") or []))
    env = [
        _env("AUTH_TYPE", entry["authType"]),
        _env("COMPARTMENT_ID", entry["compartmentId"]),
        _env("VAULT_ID", entry["vaultId"]),
        _env("MODEL_NAME", annotations.get("ome.io/base-model-name")),
        _env("KEY_NAME", annotations.get(DECRYPTION_ANNOTATIONS[0])),
        _env("SECRET_NAME", annotations.get(DECRYPTION_ANNOTATIONS[1])),
        _env("DISABLE_MODEL_DECRYPTION", annotations.get("ome.io/disable-model-decryption", "false")),
        _env("MODEL_TYPE", labels.get("base-model-type", SERVING_BASE_MODEL)),
        _env("LOCAL_PATH", MODEL_DEFAULT_SOURCE_PATH),
        _env("MODEL_STORE_DIRECTORY", MODEL_DEFAULT_MOUNT_PATH),
        _env("REGION", entry.get("region")),
    ]
    model_format = str(annotations.get("ome.io/base-model-format", "")).replace("_", "").replace("-", "").lower()
    if model_format == TENSORRT_LLM:
        gpus = _gpu_limit(pod)
        if gpus is None:
            return None, f"the model is TensorRT-LLM and container {MAIN_CONTAINER!r} sets no nvidia.com/gpu limit (getGPUCount panics)"
        env += [
            _env("MODEL_FRAMEWORK", TENSORRT_LLM),
            _env("TENSORRTLLM_VERSION", annotations.get("ome.io/base-model-format-version")),
            _env("NUM_OF_GPU", gpus),
        ]
    else:
        env.append(_env("MODEL_FRAMEWORK", model_format))
    env += copy.deepcopy(list(entry.get("extraEnvVars") or []))
    args = ["enigma", "--config", "/ome-agent.yaml", "--debug"]
    pod["initContainers"] = list(pod.get("initContainers") or []) + [_init_container(MODEL_INIT_CONTAINER, entry, env, mounts, args, main)]
    return pod, None


def inject_adapter(pod: dict, entry: dict, annotations: dict, storage_uri) -> tuple:
    """(pod, None) as `injectFineTunedAdapter` leaves it, or (None, why OME's webhook fails the pod).
    `storage_uri` is the FineTunedWeight's `spec.storage.storageUri` (OME reads the object from the
    cluster, `GetFineTunedWeight`; omegen has it from its sources)."""
    if _has_init_container(pod, ADAPTER_CONTAINER):  # containerExists
        return pod, None
    pod = copy.deepcopy(pod)
    problem = _auth(pod, entry)
    oci = parse_oci_uri(storage_uri)
    if problem is None and oci is None:
        problem = (
            f"its storageUri {storage_uri!r} is not oci://n/<namespace>/b/<bucket>/o/<object> "
            "(getFineTunedWeightUri's error is dropped and the webhook dereferences nothing)"
        )
    main = _main_container(pod, (MAIN_CONTAINER,))
    if problem is None and main is None:
        problem = f"the pod has no container {MAIN_CONTAINER!r} (getMainContainerSecurityContext fails)"
    if problem:
        return None, problem
    namespace, bucket, prefix = oci
    if annotations.get("ome.io/fine-tuned-serving-with-merged-weights") == "true":
        prefix += MERGED_SUFFIX
    tfew = _cohere_tfew(annotations)
    weight_path = TFEW_MOUNT_PATH if tfew else MODEL_DEFAULT_MOUNT_PATH
    subpath = TENSORRT_SUBPATH if annotations.get("ome.io/base-model-format") == TENSORRT_LLM else FINETUNED_SUBPATH if tfew else ""
    mounts = [_mount(MODEL_EMPTY_DIR, DOWNLOAD_MOUNT_PATH), _mount(MODEL_EMPTY_DIR, weight_path, subpath)]
    env = [
        _env("AUTH_TYPE", entry["authType"]),
        _env("COMPARTMENT_ID", entry["compartmentId"]),
        _env("REGION", entry.get("region")),
        _env("UNZIPPED_FINE_TUNED_WEIGHT_DIRECTORY", weight_path),
        _env("ZIPPED_FINE_TUNED_WEIGHT_DIRECTORY", DOWNLOAD_MOUNT_PATH),
        _env("MODEL_BUCKET_NAME", bucket),
        _env("MODEL_NAMESPACE", namespace),
        _env("MODEL_OBJECT_NAME", prefix),
    ]
    args = ["fine-tuned-adapter", "--config", "/ome-agent.yaml", "--debug"]
    pod["initContainers"] = list(pod.get("initContainers") or []) + [_init_container(ADAPTER_CONTAINER, entry, env, mounts, args, main)]
    return pod, None


def order_init_containers(pod: dict) -> dict:
    """The mutator's final `sort.SliceStable` (mutator.go `mutate`): model-init before the fine-tuned
    adapter, every other init container where it is. Written as the insertion sort Go runs for
    short slices, with the same comparison, so the result is the same."""
    containers = list(pod.get("initContainers") or [])

    def before(a, b) -> bool:
        return _name(a) == MODEL_INIT_CONTAINER and _name(b) == ADAPTER_CONTAINER

    for i in range(1, len(containers)):
        j = i
        while j > 0 and before(containers[j], containers[j - 1]):
            containers[j], containers[j - 1] = containers[j - 1], containers[j]
            j -= 1
    return {**pod, "initContainers": containers} if containers else pod


def parse_oci_uri(uri) -> Optional[tuple]:
    """(namespace, bucket, prefix) of `oci://n/{namespace}/b/{bucket}/o/{object_path}`, as
    `storage.ParseOCIStorageURI` (pkg/utils/storage/storage.go), or None when it is not one."""
    if not isinstance(uri, str) or not uri.startswith("oci://"):
        return None
    parts = uri[len("oci://") :].split("/")
    if len(parts) < 6 or parts[0] != "n" or parts[2] != "b" or parts[4] != "o":
        return None
    return parts[1], parts[3], "/".join(parts[5:])


def _init_container(name: str, entry: dict, env: list, mounts: list, args: list, main: dict) -> dict:
    """`createInitContainer`: the main container's security context is copied as it is before the
    RDMA injector (which runs after these two) changes it."""
    container = {
        "name": name,
        "image": entry["image"],
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "env": env,
        "volumeMounts": mounts,
        "args": args,
        "resources": {
            "limits": {"cpu": _quantity(entry["cpuLimit"]), "memory": _quantity(entry["memoryLimit"])},
            "requests": {"cpu": _quantity(entry["cpuRequest"]), "memory": _quantity(entry["memoryRequest"])},
        },
    }
    if isinstance(main.get("securityContext"), dict):
        container["securityContext"] = copy.deepcopy(main["securityContext"])
    return container


def _auth(pod: dict, entry: dict) -> Optional[str]:
    """`validateAuth`: OKE workload identity needs the pod's service account, and mounts its token."""
    if entry.get("authType") != OKE_WORKLOAD_IDENTITY:
        return None
    if not pod.get("serviceAccountName"):
        return f"authType {OKE_WORKLOAD_IDENTITY} needs a serviceAccountName in the pod (validateAuth fails)"
    pod["automountServiceAccountToken"] = True
    return None


def _cohere_tfew(annotations: dict) -> bool:
    """`IsCohereCommand1TFewFTServing` (inferenceservice/utils/annotations.go), from the pod's annotations."""
    return (
        annotations.get("ome.io/base-model-vendor") == "cohere"
        and annotations.get("ome.io/fine-tuned-weight-ft-strategy") == "tfew"
        and annotations.get("ome.io/fine-tuned-serving-with-merged-weights") != "true"
    )


def _gpu_limit(pod: dict) -> Optional[str]:
    """`getGPUCount`: the main container's `nvidia.com/gpu` limit (limits only), in Go's canonical
    form for a whole number."""
    main = _main_container(pod, (MAIN_CONTAINER,))
    value = as_dict(as_dict((main or {}).get("resources")).get("limits")).get("nvidia.com/gpu")
    if value is None:
        return None
    amount = quantity(value)
    return str(int(amount)) if amount is not None and amount == amount.to_integral_value() else string(value)


def _quantity(value) -> str:
    """A quantity as the ConfigMap's JSON string holds it (omegen.yaml may write `15` unquoted)."""
    return string(value) if not isinstance(value, float) else repr(value)


def _env(name: str, value) -> dict:
    """An EnvVar as Go serialises it: an empty value is left out (`json:"value,omitempty"`)."""
    return {"name": AGENT + name, "value": string(value)} if value not in (None, "") else {"name": AGENT + name}


def _mount(name: str, path: str, subpath: str = "") -> dict:
    return {"name": name, "mountPath": path, **({"subPath": subpath} if subpath else {})}


def _main_container(pod: dict, names: tuple) -> Optional[dict]:
    return next((c for c in pod.get("containers") or [] if isinstance(c, dict) and c.get("name") in names), None)


def _has_init_container(pod: dict, name: str) -> bool:
    return any(_name(c) == name for c in pod.get("initContainers") or [])


def _name(container) -> Optional[str]:
    return container.get("name") if isinstance(container, dict) else None
