"""Differential tests: omegen's overlay transforms against the real `kubectl kustomize`.

For each transform, kubectl kustomize runs a kustomization.yaml over omegen's base output of the
quickstart, and omegen builds an overlay (omegen.yaml with the same transform over the quickstart);
the two must agree object for object. LeaderWorkerSets are compared apart: there omegen does better
on purpose (docs/overlays.md), and a test below shows how.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, omegen_yaml
from omegen import pipeline, yamlio
from omegen.emit import tree as emit

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
QUICKSTART = REPO / "examples" / "quickstart"
LWS = "LeaderWorkerSet"

# (case id, the transform as YAML: the same text in kustomization.yaml and omegen.yaml)
TRANSFORMS = [
    ("prefix", "namePrefix: dev-\n"),
    ("suffix", "nameSuffix: -v2\n"),
    ("prefix-suffix-namespace", "namePrefix: p-\nnameSuffix: -s\nnamespace: moved\n"),
    ("common-labels", "commonLabels:\n  env: dev\n  tier: gpu\n"),
    ("labels-plain", "labels:\n- pairs: {env: dev}\n"),
    ("labels-selectors", "labels:\n- pairs: {env: dev}\n  includeSelectors: true\n"),
    ("labels-templates", "labels:\n- pairs: {team: platform}\n  includeTemplates: true\n"),
    ("annotations", "commonAnnotations:\n  owner: platform\n  oncall: '#serving'\n"),
    ("image-name", "images:\n- name: docker.io/vllm/vllm-openai\n  newName: mirror.example.com/vllm/vllm-openai\n"),
    ("image-tag", "images:\n- name: docker.io/vllm/vllm-openai\n  newTag: v0.9.2\n"),
    ("image-digest", "images:\n- name: docker.io/lmsysorg/sglang\n  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
    ("image-name-and-tag", "images:\n- name: docker.io/vllm/vllm-openai\n  newName: mirror.example.com/vllm\n  newTag: pinned\n"),
    ("replicas", "replicas:\n- name: embeddings-engine\n  count: 3\n"),
    (
        "smp-deployment",
        """\
        patches:
        - target: {kind: Deployment, name: embeddings-engine}
          patch: |
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: embeddings-engine}
            spec:
              template:
                spec:
                  nodeSelector: {pool: small}
                  tolerations: [{key: dev, operator: Exists, effect: NoSchedule}]
                  containers:
                  - name: ome-container
                    env: [{name: LOG_LEVEL, value: debug}]
                    resources: {limits: {memory: 20Gi}}
        """,
    ),
    (
        "smp-deployment-own-target",
        """\
        patches:
        - patch: |
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: faq-bot-engine, namespace: team-b}
            spec:
              minReadySeconds: 30
              strategy: {rollingUpdate: {maxSurge: 2}}
        """,
    ),
    (
        "smp-service-by-label",
        """\
        patches:
        - target: {kind: Service, labelSelector: "ome.io/inferenceservice=chat-assistant"}
          patch: |
            apiVersion: v1
            kind: Service
            metadata:
              name: any
              annotations: {exposed: "yes"}
            spec:
              type: NodePort
        """,
    ),
    (
        "smp-hpa",
        """\
        patches:
        - patch: |
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: chat-assistant-engine, namespace: team-a}
            spec:
              maxReplicas: 9
        """,
    ),
    (
        "smp-pdb",
        """\
        patches:
        - target: {group: policy, kind: PodDisruptionBudget}
          patch: |
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: all}
            spec:
              maxUnavailable: 2
        """,
    ),
    (
        "json6902-deployment",
        """\
        patches:
        - target: {group: apps, version: v1, kind: Deployment, name: smollm-playground-engine}
          patch: |
            - op: replace
              path: /spec/template/spec/containers/0/image
              value: registry.local/sglang:dev
            - op: add
              path: /metadata/annotations/patched
              value: "true"
        """,
    ),
    (
        "json6902-service-by-annotation",
        """\
        patches:
        - target: {kind: Service, name: ".*-engine", annotationSelector: "ome.io/serving-runtime=vllm-llama-3-2-3b"}
          patch: |
            - op: add
              path: /spec/sessionAffinity
              value: ClientIP
        """,
    ),
]


def _objects(text: str) -> dict:
    """The workloads of a stream by (kind, namespace, name). The emitted models (ome.io) are sources
    as written: output transforms leave them alone (docs/overlays.md), so they are not compared."""
    return {
        (d.data["kind"], d.data["metadata"].get("namespace"), d.data["metadata"]["name"]): d.data
        for d in yamlio.load_documents(text)
        if d.data and not d.data["apiVersion"].startswith("ome.io/")
    }


def _kustomize(directory: Path) -> dict:
    done = subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return _objects(done.stdout)


@pytest.fixture(scope="module")
def base_output() -> str:
    build = pipeline.build(QUICKSTART)
    assert build.ok, build.diagnostics
    return emit.stream(build.objects)


def _both(tmp_path: Path, base_output: str, transform: str) -> tuple[dict, dict]:
    transform = textwrap.dedent(transform)
    kustomized = tmp_path / "kustomize"
    kustomized.mkdir()
    (kustomized / "base.yaml").write_text(base_output)
    (kustomized / "kustomization.yaml").write_text("resources: [base.yaml]\n" + transform)
    shutil.copytree(QUICKSTART, tmp_path / "base")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "omegen.yaml").write_text(omegen_yaml("resources: [../base]\n" + transform))
    build = pipeline.build(overlay, root=tmp_path)
    assert build.ok, [d.as_text() for d in build.diagnostics]
    return _kustomize(kustomized), _objects(emit.stream(build.objects))


@pytest.mark.parametrize("transform", [t for _, t in TRANSFORMS], ids=[name for name, _ in TRANSFORMS])
def test_omegen_overlay_equals_kubectl_kustomize(tmp_path, base_output, transform):
    theirs, ours = _both(tmp_path, base_output, transform)
    base = _objects(base_output)
    assert sorted(k for k in ours if k[0] != LWS) == sorted(k for k in theirs if k[0] != LWS)
    for key in sorted(k for k in ours if k[0] != LWS):
        assert ours[key] == theirs[key], key
    # The case did something: the overlay's output is not the base's.
    assert ours != base


def test_leaderworkerset_pod_templates_merge_as_pod_templates(tmp_path, base_output):
    """kubectl kustomize knows no LeaderWorkerSet schema: a strategic-merge patch on a worker
    container replaces the whole container list (the image is lost: llm-d issue 1323), and labels
    never reach its pods while its Services' selectors get them. omegen merges the templates as
    PodTemplateSpecs, by container name, and labels them like a Deployment's."""
    transform = """\
    commonLabels: {env: dev}
    patches:
    - target: {kind: LeaderWorkerSet, name: lws-llama-405b-engine}
      patch: |
        apiVersion: leaderworkerset.x-k8s.io/v1
        kind: LeaderWorkerSet
        metadata: {name: lws-llama-405b-engine}
        spec:
          leaderWorkerTemplate:
            workerTemplate:
              spec:
                containers:
                - name: ome-container
                  env: [{name: NCCL_DEBUG, value: INFO}]
    """
    theirs, ours = _both(tmp_path, base_output, transform)
    key = (LWS, "team-a", "lws-llama-405b-engine")
    base_worker = _objects(base_output)[key]["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    their_worker = theirs[key]["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    our_worker = ours[key]["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    (their_container,) = their_worker["spec"]["containers"]
    (our_container,) = our_worker["spec"]["containers"]
    (base_container,) = base_worker["spec"]["containers"]
    assert their_container == {"name": "ome-container", "env": [{"name": "NCCL_DEBUG", "value": "INFO"}]}  # image gone
    assert our_container["image"] == base_container["image"]
    assert our_container["env"] == [{"name": "NCCL_DEBUG", "value": "INFO"}] + base_container["env"]
    assert {k: v for k, v in our_container.items() if k != "env"} == {k: v for k, v in base_container.items() if k != "env"}
    # Labels: kustomize adds env=dev to the Service selecting these pods, but not to the pods.
    service = ("Service", "team-a", "llama-405b-engine")
    assert theirs[service]["spec"]["selector"]["env"] == ours[service]["spec"]["selector"]["env"] == "dev"
    assert "env" not in their_worker["metadata"]["labels"]
    for template in ("leaderTemplate", "workerTemplate"):
        assert ours[key]["spec"]["leaderWorkerTemplate"][template]["metadata"]["labels"]["env"] == "dev"


def test_a_recreate_strategy_drops_rolling_update(tmp_path, base_output):
    """Deployment.spec.strategy is `retainKeys` in the Kubernetes definitions: a patch that names
    the type keeps only the keys it names. kubectl kustomize keeps `rollingUpdate` beside
    `type: Recreate`, which the API server refuses; omegen's output is valid."""
    transform = """\
    patches:
    - patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: faq-bot-engine, namespace: team-b}
        spec:
          strategy: {type: Recreate}
    """
    theirs, ours = _both(tmp_path, base_output, transform)
    key = ("Deployment", "team-b", "faq-bot-engine")
    assert theirs[key]["spec"]["strategy"]["type"] == "Recreate" and "rollingUpdate" in theirs[key]["spec"]["strategy"]
    assert ours[key]["spec"]["strategy"] == {"type": "Recreate"}
    theirs[key]["spec"]["strategy"] = ours[key]["spec"]["strategy"]
    assert ours[key] == theirs[key]  # nothing else differs
