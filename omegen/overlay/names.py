"""`namePrefix`/`nameSuffix`: every object renamed, and every reference to a renamed object
updated, as kubectl kustomize's name-reference rules do: an HPA's `scaleTargetRef`, a RoleBinding's
`roleRef` and ServiceAccount `subjects`, a pod's `serviceAccountName`, ConfigMap/Secret/PVC volumes,
`envFrom` and `env[].valueFrom` refs, `imagePullSecrets`. omegen also follows the references
Kustomize does not know: an HPA scaling a LeaderWorkerSet and the pods of a LeaderWorkerSet (its
leader and worker templates), so a renamed LeaderWorkerSet keeps its autoscaler."""

from __future__ import annotations

from omegen.overlay import fields
from omegen.safeget import as_dict


def rename(objects: list[dict], prefix: str, suffix: str) -> None:
    renamed: dict[tuple, str] = {}  # (kind, namespace, old name) → new name
    for obj in objects:
        metadata = fields.ensure_map(obj, ("metadata",))
        old = metadata.get("name", "")
        new = f"{prefix}{old}{suffix}"
        renamed[(obj.get("kind"), metadata.get("namespace"), old)] = new
        metadata["name"] = new
    for obj in objects:
        _update_references(obj, renamed)


def _update_references(obj: dict, renamed: dict) -> None:
    namespace = obj.get("metadata", {}).get("namespace")

    def new_name(kind: str, name, ns=namespace):
        return renamed.get((kind, ns, name), name)

    kind = obj.get("kind")
    if kind == "HorizontalPodAutoscaler":
        ref = as_dict(as_dict(obj.get("spec")).get("scaleTargetRef"))
        if "name" in ref:
            ref["name"] = new_name(ref.get("kind"), ref["name"])
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        ref = as_dict(obj.get("roleRef"))
        if "name" in ref:
            ref["name"] = new_name(ref.get("kind"), ref["name"], namespace if ref.get("kind") == "Role" else None)
        for subject in obj.get("subjects") or ():
            if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount" and "name" in subject:
                subject["name"] = new_name("ServiceAccount", subject["name"], subject.get("namespace", namespace))
    for template in fields.templates(obj):
        _update_pod(as_dict(template.get("spec")), new_name)


def _update_pod(spec: dict, new_name) -> None:
    for key in ("serviceAccountName", "serviceAccount"):
        if isinstance(spec.get(key), str):
            spec[key] = new_name("ServiceAccount", spec[key])
    for secret in spec.get("imagePullSecrets") or ():
        if isinstance(secret, dict) and "name" in secret:
            secret["name"] = new_name("Secret", secret["name"])
    for volume in spec.get("volumes") or ():
        if not isinstance(volume, dict):
            continue
        for source, kind, key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName"), ("persistentVolumeClaim", "PersistentVolumeClaim", "claimName")):
            holder = as_dict(volume.get(source))
            if key in holder:
                holder[key] = new_name(kind, holder[key])
    for container in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        if not isinstance(container, dict):
            continue
        for source in container.get("envFrom") or ():
            for ref, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                holder = as_dict(as_dict(source).get(ref))
                if "name" in holder:
                    holder["name"] = new_name(kind, holder["name"])
        for env in container.get("env") or ():
            value_from = as_dict(as_dict(env).get("valueFrom"))
            for ref, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                holder = as_dict(value_from.get(ref))
                if "name" in holder:
                    holder["name"] = new_name(kind, holder["name"])
