"""Fine-tuned serving: what OME's controller writes into a component for `spec.model.fineTunedWeights`.

OME (pkg/controller/v1beta1/inferenceservice/components/base.go, utils/annotations.go): the labels of
`ProcessBaseLabels`, the annotations of `ProcessBaseAnnotations`, the mounts of `UpdateVolumeMounts`,
the env of `UpdateEnvVariables`, the emptyDir of `UpdatePodSpecVolumes`, and no model node selector
for merged weights (`UpdatePodSpecNodeSelector`). The weights themselves reach the pod through OME's
fine-tuned adapter webhook (pkg/webhook/admission/pod/fine_tuned_adapter_injector.go), an init
container configured by the `fineTunedAdapter` entry of OME's ConfigMap: with `webhooks: cluster`
its trigger `ome.io/inject-fine-tuned-adapter` is left for that webhook; emulated, omegen.yaml's
`webhookConfig.fineTunedAdapter` must say what that entry says (render.agentinit), else the service
is refused.
"""

from __future__ import annotations

from typing import Optional

from omegen.api import WEBHOOKS_CLUSTER, FineTunedWeight
from omegen.render import agentinit
from omegen.render.context import RenderContext

INJECT_ADAPTER = "ome.io/inject-fine-tuned-adapter"  # FineTunedAdapterInjectionKey
STRATEGY_ANNOTATION = "ome.io/fine-tuned-weight-ft-strategy"  # FineTunedWeightFTStrategyKey
MERGED_ANNOTATION = "ome.io/fine-tuned-serving-with-merged-weights"  # FTServingWithMergedWeightsAnnotationKey
MODEL_INIT = "ome.io/inject-model-init"
MODEL_EMPTY_DIR = "model-empty-dir"  # ModelEmptyDirVolumeName
MODEL_DEFAULT_MOUNT_PATH = "/opt/ml/model"  # ModelDefaultMountPath
SERVED_MODEL_NAME_PREFIX = "/data"  # LLamaVllmFTServingServedModelNamePrefix
META, COHERE = "meta", "cohere"  # constants.Meta, constants.Cohere (base model vendors)
TFEW = "tfew"  # TFewTrainingStrategy


def weight(ctx: RenderContext) -> Optional[FineTunedWeight]:
    """The fine-tuned weight this service serves, when it can be rendered: OME's adapter webhook runs
    in the cluster, or omegen emulates it with the settings of omegen.yaml."""
    return ctx.fine_tuned if ctx.webhooks == WEBHOOKS_CLUSTER or agentinit.settings(ctx, agentinit.ADAPTER_ENTRY) else None


def weight_origin(ctx: RenderContext):
    """Where the service names its fine-tuned weight."""
    service = ctx.service
    field = "spec.predictor.model.fineTunedWeights" if service.source_paths.get("engine") == "spec.predictor" else "spec.model.fineTunedWeights"
    return service.where(f"{field}[0]")


def merged(ctx: RenderContext) -> bool:
    w = weight(ctx)
    return w is not None and w.merged


def refusal(ctx: RenderContext) -> Optional[str]:
    """Why the service's fine-tuned weight cannot be rendered, or None."""
    w = ctx.fine_tuned
    if w is None:
        return None
    if weight(ctx) is None:
        return f"fine-tuned weight {w.name} reaches the pods through OME's fine-tuned adapter webhook: " + agentinit.missing_settings(
            agentinit.ADAPTER_ENTRY
        )
    vendor = ctx.model.vendor if ctx.model is not None else None
    if vendor == COHERE and w.strategy == TFEW and not w.merged:
        return f"fine-tuned weight {w.name}: Cohere T-Few serving of unmerged weights (OME's IsCohereCommand1TFewFTServing) is not rendered"
    return None


def labels(w: FineTunedWeight) -> dict:
    """ProcessBaseLabels's fine-tuned labels (fine-tuned-serving itself is set by the caller)."""
    return {"fine-tuned-weight-ft-strategy": w.strategy or "", "fine-tuned-serving-with-merged-weights": "true" if w.merged else "false"}


def annotations(w: FineTunedWeight) -> dict:
    """ProcessBaseAnnotations's: the adapter to inject and its strategy; for merged weights, the
    marker and no model-init (the weights include the base model)."""
    out = {INJECT_ADAPTER: w.name, STRATEGY_ANNOTATION: w.strategy or ""}
    if w.merged:
        out.update({MERGED_ANNOTATION: "true", MODEL_INIT: "false"})
    return out


def wire_container(ctx: RenderContext, container: dict) -> dict:
    """UpdateVolumeMounts and UpdateEnvVariables for fine-tuned serving: the emptyDir the adapter
    webhook fills, mounted at /opt/ml/model (unless a mount of that name exists); for a Meta base
    model, SERVED_MODEL_NAME=/data/<weight> (set) and MODEL_PATH=/opt/ml/model (unless set)."""
    w = weight(ctx)
    if w is None:
        return container
    container = dict(container)
    mounts = list(container.get("volumeMounts") or [])
    if not any(isinstance(m, dict) and m.get("name") == MODEL_EMPTY_DIR for m in mounts):
        mounts.append({"name": MODEL_EMPTY_DIR, "mountPath": MODEL_DEFAULT_MOUNT_PATH})
    container["volumeMounts"] = mounts
    if ctx.model is not None and ctx.model.vendor == META:
        env = [dict(e) if isinstance(e, dict) else e for e in container.get("env") or []]
        served = f"{SERVED_MODEL_NAME_PREFIX}/{w.name}"
        existing = next((e for e in env if isinstance(e, dict) and e.get("name") == "SERVED_MODEL_NAME"), None)
        if existing is None:
            env.append({"name": "SERVED_MODEL_NAME", "value": served})
        else:
            existing.pop("valueFrom", None)
            existing["value"] = served
        if not any(isinstance(e, dict) and e.get("name") == "MODEL_PATH" for e in env):
            env.append({"name": "MODEL_PATH", "value": MODEL_DEFAULT_MOUNT_PATH})
        container["env"] = env
    return container


def pod_volumes(ctx: RenderContext, volumes: list) -> list:
    """IsEmptyModelDirVolumeRequired: the in-memory emptyDir for the adapter's weights."""
    if weight(ctx) is None or any(isinstance(v, dict) and v.get("name") == MODEL_EMPTY_DIR for v in volumes):
        return volumes
    return volumes + [{"name": MODEL_EMPTY_DIR, "emptyDir": {"medium": "Memory"}}]
