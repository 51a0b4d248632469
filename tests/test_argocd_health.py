"""The LeaderWorkerSet health check (deploy/argocd/health/leaderworkerset.lua) in Lua 5.1, the
dialect of Argo CD's gopher-lua, on the status shapes the LWS controller writes
(kubernetes-sigs/lws pkg/controllers/leaderworkerset_controller.go: makeCondition, setCondition)."""

from __future__ import annotations

from pathlib import Path

import pytest

from omegen import yamlio

lupa = pytest.importorskip("lupa.lua51")

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "argocd"
SCRIPT = (DEPLOY / "health" / "leaderworkerset.lua").read_text(encoding="utf-8")


def condition(kind, status="True", generation=2, reason=None, message=None):
    defaults = {
        "Available": ("AllGroupsReady", "All replicas are ready"),
        "Progressing": ("GroupsProgressing", "Replicas are progressing"),
        "UpdateInProgress": ("GroupsUpdating", "Rolling Upgrade is in progress"),
    }[kind]
    return {
        "type": kind,
        "status": status,
        "observedGeneration": generation,
        "lastTransitionTime": "2026-12-01T10:00:00Z",
        "reason": reason or defaults[0],
        "message": message or defaults[1],
    }


def lws(status=None, generation=2, replicas=2):
    obj = {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": {"name": "chat-engine", "namespace": "team-a", "generation": generation},
        "spec": {"replicas": replicas, "leaderWorkerTemplate": {"size": 2}},
    }
    if status is not None:
        obj["status"] = status
    return obj


def health(obj) -> tuple[str, str]:
    runtime = lupa.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().obj = _to_lua(runtime, obj)
    result = runtime.execute(SCRIPT)
    return result["status"], result["message"]


def _to_lua(runtime, value):
    if isinstance(value, dict):
        return runtime.table_from({k: _to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([_to_lua(runtime, v) for v in value])
    return value


@pytest.mark.parametrize(
    "obj, status, message",
    [
        (lws(), "Progressing", "Waiting for the LeaderWorkerSet controller"),
        # Just created: the controller made the leader StatefulSet, groups are coming up.
        (lws({"conditions": [condition("Progressing")], "readyReplicas": 0, "replicas": 2, "observedGeneration": 2}),
         "Progressing", "Replicas are progressing (0/2 groups ready)"),
        # All groups ready: Available true, Progressing flipped to false (they are mutually exclusive).
        (lws({"conditions": [condition("Progressing", "False"), condition("Available")], "readyReplicas": 2, "updatedReplicas": 2,
              "replicas": 2, "observedGeneration": 2, "hpaPodSelector": "leaderworkerset.sigs.k8s.io/name=chat-engine,leaderworkerset.sigs.k8s.io/worker-index=0"}),
         "Healthy", "All replicas are ready (2/2 groups ready)"),
        # A template change mid-rollout: UpdateInProgress and Progressing true, Available false.
        (lws({"conditions": [condition("Available", "False"), condition("UpdateInProgress"), condition("Progressing")],
              "readyReplicas": 1, "updatedReplicas": 1, "replicas": 2, "observedGeneration": 2}),
         "Progressing", "Rolling Upgrade is in progress (1/2 groups ready)"),
        # The spec changed and the controller has not looked yet (status from generation 1).
        (lws({"conditions": [condition("Available", generation=1)], "readyReplicas": 2, "replicas": 2, "observedGeneration": 1}),
         "Progressing", "Waiting for the controller to observe generation 2"),
        # Before v0.9.0 there is no status.observedGeneration: the conditions' own generation counts.
        (lws({"conditions": [condition("Available", generation=1)], "readyReplicas": 2, "replicas": 2}),
         "Progressing", "No current Available or Progressing condition (2/2 groups ready)"),
        (lws({"conditions": [condition("Available")], "readyReplicas": 1}, replicas=1), "Healthy", "All replicas are ready (1/1 groups ready)"),
    ],
)
def test_health_of_real_status_shapes(obj, status, message):
    got_status, got_message = health(obj)
    assert got_status == status
    assert got_message.startswith(message), got_message


def test_the_argocd_cm_snippet_carries_the_script_verbatim():
    (doc,) = yamlio.load_documents((DEPLOY / "argocd-cm-health.yaml").read_text(encoding="utf-8"))
    assert doc.data["metadata"]["name"] == "argocd-cm"
    assert doc.data["data"] == {"resource.customizations.health.leaderworkerset.x-k8s.io_LeaderWorkerSet": SCRIPT}
