"""Output objects as the renderer produces them, for validation tests and the benchmark.

`valid_set()` is one InferenceService's worth of output: ServiceAccount, Role, RoleBinding, a GPU
engine Deployment with its Service and HPA and PDB, a multi-node decoder LeaderWorkerSet with its
Service, and the endpoint Service. Every builder returns fresh dicts, so a test can break one field.
"""

from __future__ import annotations

from omegen.api import FieldOrigin, Rendered

ISVC = FieldOrigin("services/llama.yaml", 3, 1, "")
RUNTIME = FieldOrigin("runtimes/vllm.yaml", 12, 5, "spec.containers[0]")
MODEL = FieldOrigin("models/llama.yaml", 2, 1, "")
SOURCES = (ISVC, RUNTIME, MODEL)
NS = "team-a"
ISVC_NAME = "llama"


def labels(component: str, isvc: str = ISVC_NAME) -> dict:
    return {
        "app.kubernetes.io/managed-by": "omegen",
        "ome.io/inferenceservice": isvc,
        "component": component,
    }


def container(port: int = 8080) -> dict:
    return {
        "name": "ome-container",
        "image": "docker.io/vllm/vllm-openai:v0.9.0",
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-m", "vllm.entrypoints.openai.api_server"],
        "args": ["--port", str(port), "--model", "$(MODEL_PATH)", "--tensor-parallel-size", "8"],
        "env": [
            {"name": "MODEL_PATH", "value": "/mnt/models/llama-3-70b"},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ],
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "resources": {
            "limits": {"cpu": "16", "memory": "256Gi", "nvidia.com/gpu": "8"},
            "requests": {"cpu": "16", "memory": "256Gi", "nvidia.com/gpu": "8"},
        },
        "readinessProbe": {
            "httpGet": {"path": "/health", "port": "http"},
            "initialDelaySeconds": 60,
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "livenessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 30},
        "startupProbe": {"httpGet": {"path": "/health", "port": port}, "failureThreshold": 120},
        "volumeMounts": [
            {"name": "model", "mountPath": "/mnt/models/llama-3-70b", "readOnly": True},
            {"name": "dshm", "mountPath": "/dev/shm"},
        ],
    }


def pod_spec(port: int = 8080) -> dict:
    return {
        "serviceAccountName": f"{ISVC_NAME}-sa",
        "containers": [container(port)],
        "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "volumes": [
            {"name": "model", "hostPath": {"path": "/mnt/data/models/llama-3-70b", "type": "Directory"}},
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}},
        ],
    }


def metadata(name: str, component: str, namespace: str = NS, **extra) -> dict:
    return {"name": name, "namespace": namespace, "labels": labels(component), **extra}


def workload_annotations() -> dict:
    return {"ome.io/serving-runtime": "vllm", "omegen.io/runtime-kind": "ClusterServingRuntime"}


def deployment(name: str = f"{ISVC_NAME}-engine", component: str = "engine", namespace: str = NS) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, component, namespace, annotations=workload_annotations()),
        "spec": {
            "selector": {"matchLabels": labels(component)},
            "template": {"metadata": {"labels": labels(component)}, "spec": pod_spec()},
        },
    }


def leader_worker_set(name: str = f"{ISVC_NAME}-decoder", component: str = "decoder", size: int = 2) -> dict:
    worker = pod_spec()
    worker["containers"][0] = {
        "name": "ome-container",
        "image": "docker.io/vllm/vllm-openai:v0.9.0",
        "command": ["ray", "start", "--block", "--address=$(LWS_LEADER_ADDRESS):6379"],
        "resources": {"limits": {"nvidia.com/gpu": "8"}},
    }
    return {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": metadata(name, component, annotations=workload_annotations()),
        "spec": {
            "replicas": 1,
            "startupPolicy": "LeaderCreated",
            "leaderWorkerTemplate": {
                "size": size,
                "restartPolicy": "RecreateGroupOnPodRestart",
                "leaderTemplate": {"metadata": {"labels": labels(component)}, "spec": pod_spec()},
                "workerTemplate": {"metadata": {"labels": labels(component)}, "spec": worker},
            },
        },
    }


def service(name: str, component: str, selector: dict | None = None, target="http", namespace: str = NS) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(name, component, namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": labels(component) if selector is None else selector,
            "ports": [{"name": "http", "port": 80, "targetPort": target, "protocol": "TCP"}],
        },
    }


def hpa(name: str = f"{ISVC_NAME}-engine", target_kind: str = "Deployment", target: str | None = None, api_version="apps/v1") -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(name, "engine"),
        "spec": {
            "scaleTargetRef": {"apiVersion": api_version, "kind": target_kind, "name": target or name},
            "minReplicas": 1,
            "maxReplicas": 4,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
        },
    }


def pdb(name: str = f"{ISVC_NAME}-engine", component: str = "engine") -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(name, component),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(component)}},
    }


def service_account() -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(f"{ISVC_NAME}-sa", "engine")}


def role() -> dict:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(f"{ISVC_NAME}-role", "engine"),
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
    }


def role_binding() -> dict:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(f"{ISVC_NAME}-rolebinding", "engine"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{ISVC_NAME}-role"},
        "subjects": [{"kind": "ServiceAccount", "name": f"{ISVC_NAME}-sa", "namespace": NS}],
    }


def rendered(obj: dict, sources=SOURCES) -> Rendered:
    return Rendered(obj, (NS, ISVC_NAME), sources)


def valid_objects() -> list[dict]:
    return [
        service_account(),
        role(),
        role_binding(),
        deployment(),
        service(f"{ISVC_NAME}-engine", "engine"),
        hpa(),
        pdb(),
        leader_worker_set(),
        # The decoder Service addresses the leaders only: the LWS controller adds these labels.
        service(
            f"{ISVC_NAME}-decoder",
            "decoder",
            selector={"leaderworkerset.sigs.k8s.io/name": f"{ISVC_NAME}-decoder", "leaderworkerset.sigs.k8s.io/worker-index": "0"},
        ),
        service(ISVC_NAME, "engine", target=8080),
    ]


def valid_set() -> list[Rendered]:
    return [rendered(obj) for obj in valid_objects()]
