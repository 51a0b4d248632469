"""Small source trees in both dialects for tests that check a feature against OME's code: the seed
document's example (tests/cases/seed-example) and an OME-dialect service with a router
(tests/cases/ome-engine-router), each with annotations and spec fields added by the test."""

from __future__ import annotations

from pathlib import Path

from omegen import yamlio
from seed_example import SEED_MODEL, SEED_RUNTIME, SEED_SERVICE

OME_SRC = Path(__file__).resolve().parent / "cases" / "ome-engine-router" / "src"
OME_RUNTIME = (OME_SRC / "runtime.yaml").read_text(encoding="utf-8")
OME_SERVICE = (OME_SRC / "isvc.yaml").read_text(encoding="utf-8")
OME_MODEL = (OME_SRC / "model.yaml").read_text(encoding="utf-8")

DIALECTS = ("seed", "ome")


def _with(text: str, annotations: dict, spec: dict) -> str:
    (doc,) = yamlio.load_documents(text, positions=False)
    data = doc.data
    if annotations:
        data["metadata"].setdefault("annotations", {}).update(annotations)
    for key, value in spec.items():
        data["spec"][key] = value
    return yamlio.dump(data)


def files(dialect: str, annotations: dict = None, spec: dict = None, runtime_spec: dict = None, extra: dict = None) -> dict:
    """The files of a tree (name → text): the service gets `annotations` and top-level `spec` keys,
    the runtime `runtime_spec` keys; `extra` files are added as they are."""
    annotations, spec, runtime_spec = annotations or {}, spec or {}, runtime_spec or {}
    if dialect == "seed":
        out = {"rt.yaml": _with(SEED_RUNTIME, {}, runtime_spec), "m.yaml": SEED_MODEL, "isvc.yaml": _with(SEED_SERVICE, annotations, spec)}
    else:
        out = {"rt.yaml": _with(OME_RUNTIME, {}, runtime_spec), "m.yaml": OME_MODEL, "isvc.yaml": _with(OME_SERVICE, annotations, spec)}
    out["omegen.yaml"] = "builtinRuntimes: false\n"
    out.update(extra or {})
    return out


def objects(result) -> dict:
    """(kind, name) → object of a build."""
    return {(r.kind, r.name): r.obj for r in result.objects}


# omegen.yaml's `webhookConfig`: the `modelInit` and `fineTunedAdapter` entries of OME's
# inferenceservice-config ConfigMap (config/configmap/inferenceservice.yaml), for emulating its
# model-init and fine-tuned adapter webhooks.
MODEL_INIT_SETTINGS = {
    "image": "ghcr.io/moirai-internal/ome-agent:v0.1.5",
    "memoryRequest": "150Gi",
    "memoryLimit": "180Gi",
    "cpuRequest": 15,  # unquoted, as YAML users write it; OME's JSON has the string "15"
    "cpuLimit": "15",
    "compartmentId": "ocid1.compartment.oc1..c",
    "authType": "InstancePrincipal",
    "vaultId": "ocid1.vault.oc1..v",
    "region": "eu-frankfurt-1",
}
ADAPTER_SETTINGS = {
    "image": "ghcr.io/moirai-internal/ome-agent:v0.1.5",
    "memoryRequest": "300Gi",
    "memoryLimit": "320Gi",
    "cpuRequest": "15",
    "cpuLimit": "15",
    "compartmentId": "ocid1.compartment.oc1..c",
    "authType": "InstancePrincipal",
}


def config(webhooks: str = None, **entries) -> str:
    """A KRM omegen.yaml without the catalog; `entries` go under `webhookConfig` (modelInit=...)."""
    data = {
        "apiVersion": "omegen.io/v1alpha1",
        "kind": "Omegen",
        "metadata": {"name": "t", "annotations": {"config.kubernetes.io/local-config": "true"}},
        "builtinRuntimes": False,
    }
    if webhooks:
        data["webhooks"] = webhooks
    if entries:
        data["webhookConfig"] = entries
    return yamlio.dump(data)
