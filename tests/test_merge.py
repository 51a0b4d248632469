"""The strategic merge: every rule, on the shapes it meets (pod specs, containers, overlays)."""

from __future__ import annotations

import copy

from omegen.merge import merge_all, merge_key, strategic_merge


def names(items):
    return [i["name"] for i in items]


# ------------------------------------------------------------------------------------------- maps


def test_maps_merge_key_by_key_and_the_patch_wins():
    base = {"nodeSelector": {"pool": "gpu", "zone": "a"}, "labels": {"team": "ml"}}
    patch = {"nodeSelector": {"zone": "b", "arch": "amd64"}}
    assert strategic_merge(base, patch) == {
        "nodeSelector": {"pool": "gpu", "zone": "b", "arch": "amd64"},
        "labels": {"team": "ml"},
    }


def test_maps_merge_recursively_resources():
    base = {"resources": {"limits": {"cpu": 10, "nvidia.com/gpu": 1}, "requests": {"cpu": 10}}}
    patch = {"resources": {"limits": {"nvidia.com/gpu": 2}}}
    assert strategic_merge(base, patch) == {"resources": {"limits": {"cpu": 10, "nvidia.com/gpu": 2}, "requests": {"cpu": 10}}}


def test_scalars_from_the_patch_win():
    assert strategic_merge({"image": "a:1", "hostNetwork": True}, {"image": "a:2", "hostNetwork": False}) == {
        "image": "a:2",
        "hostNetwork": False,
    }


def test_a_value_of_another_type_replaces():
    assert strategic_merge({"x": {"a": 1}}, {"x": "flat"}) == {"x": "flat"}
    assert strategic_merge({"x": "flat"}, {"x": {"a": 1}}) == {"x": {"a": 1}}
    assert strategic_merge({"x": [1]}, {"x": {"a": 1}}) == {"x": {"a": 1}}


def test_none_inputs():
    assert strategic_merge(None, {"a": 1}) == {"a": 1}
    assert strategic_merge({"a": 1}, None) == {"a": 1}
    assert strategic_merge(None, None) is None
    assert merge_all(None, {"a": 1}, None, {"b": 2}) == {"a": 1, "b": 2}
    assert merge_all() is None


def test_null_in_the_patch_deletes_the_key():
    assert strategic_merge({"nodeSelector": {"a": "1"}, "x": 1}, {"nodeSelector": None}) == {"x": 1}
    assert strategic_merge({"labels": {"a": "1", "b": "2"}}, {"labels": {"a": None}}) == {"labels": {"b": "2"}}


# ------------------------------------------------------------------------------- lists with keys


def test_ome_upstream_example_env_patch_items_first_then_base_only():
    # OME's `merge containers` test: isvc env ENV1, ENV3; runtime env ENV1, ENV2 → [ENV1(isvc), ENV3, ENV2(runtime)].
    runtime = {"name": "ome-container", "env": [{"name": "ENV1", "value": "runtime"}, {"name": "ENV2", "value": "runtime"}]}
    isvc = {"name": "ome-container", "env": [{"name": "ENV1", "value": "isvc"}, {"name": "ENV3", "value": "isvc"}]}
    assert strategic_merge(runtime, isvc)["env"] == [
        {"name": "ENV1", "value": "isvc"},
        {"name": "ENV3", "value": "isvc"},
        {"name": "ENV2", "value": "runtime"},
    ]


def test_ome_upstream_example_volumes():
    runtime = {"volumes": [{"name": "model-volume", "hostPath": {"path": "/m"}}]}
    isvc = {"volumes": [{"name": "cache-volume", "emptyDir": {}}]}
    assert names(strategic_merge(runtime, isvc)["volumes"]) == ["cache-volume", "model-volume"]


def test_containers_merge_by_name_and_keep_position_of_the_patch():
    base = {"containers": [{"name": "sidecar", "image": "s:1"}, {"name": "ome-container", "image": "a:1", "args": ["--x"]}]}
    patch = {"containers": [{"name": "ome-container", "image": "a:2"}, {"name": "extra", "image": "e:1"}]}
    merged = strategic_merge(base, patch)["containers"]
    assert names(merged) == ["ome-container", "extra", "sidecar"]
    assert merged[0] == {"name": "ome-container", "image": "a:2", "args": ["--x"]}


def test_init_containers_image_pull_secrets_and_resource_claims_merge_by_name():
    base = {
        "initContainers": [{"name": "init", "image": "i:1"}],
        "imagePullSecrets": [{"name": "a"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimName": "x"}],
    }
    patch = {
        "initContainers": [{"name": "init", "image": "i:2"}],
        "imagePullSecrets": [{"name": "b"}, {"name": "a"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimName": "y"}],
    }
    merged = strategic_merge(base, patch)
    assert merged["initContainers"] == [{"name": "init", "image": "i:2"}]
    assert merged["imagePullSecrets"] == [{"name": "b"}, {"name": "a"}]
    assert merged["resourceClaims"] == [{"name": "gpu", "resourceClaimName": "y"}]


def test_container_ports_merge_by_container_port():
    base = {"ports": [{"containerPort": 8080, "name": "http1"}, {"containerPort": 9090, "name": "metrics"}]}
    patch = {"ports": [{"containerPort": 8080, "name": "http"}]}
    assert strategic_merge(base, patch)["ports"] == [
        {"containerPort": 8080, "name": "http"},
        {"containerPort": 9090, "name": "metrics"},
    ]


def test_service_ports_merge_by_port():
    base = {"ports": [{"port": 80, "targetPort": 8080}]}
    patch = {"ports": [{"port": 80, "name": "http"}]}
    assert strategic_merge(base, patch)["ports"] == [{"port": 80, "targetPort": 8080, "name": "http"}]
    assert merge_key("ports", base["ports"], patch["ports"]) == "port"


def test_ports_without_a_common_key_are_replaced():
    assert merge_key("ports", [{"containerPort": 1}], [{"port": 2}]) is None
    assert strategic_merge({"ports": [{"containerPort": 1}]}, {"ports": [{"port": 2}]}) == {"ports": [{"port": 2}]}


def test_volume_mounts_merge_by_mount_path():
    base = {"volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}, {"name": "cache", "mountPath": "/cache"}]}
    patch = {"volumeMounts": [{"name": "bigshm", "mountPath": "/dev/shm"}]}
    assert strategic_merge(base, patch)["volumeMounts"] == [
        {"name": "bigshm", "mountPath": "/dev/shm"},
        {"name": "cache", "mountPath": "/cache"},
    ]


def test_other_keyed_lists():
    assert merge_key("volumeDevices", [], []) == "devicePath"
    assert merge_key("hostAliases", [], []) == "ip"
    assert merge_key("topologySpreadConstraints", [], []) == "topologyKey"
    assert merge_key("ephemeralContainers", [], []) == "name"


def test_items_without_their_merge_key_are_added_as_written():
    base = {"env": [{"name": "A", "value": "1"}]}
    patch = {"env": [{"value": "orphan"}, {"name": "A", "value": "2"}]}
    assert strategic_merge(base, patch)["env"] == [{"value": "orphan"}, {"name": "A", "value": "2"}]


def test_merge_key_values_compare_as_text():
    base = {"ports": [{"containerPort": 8080, "name": "a"}]}
    patch = {"ports": [{"containerPort": "8080", "protocol": "TCP"}]}
    assert strategic_merge(base, patch)["ports"] == [{"containerPort": "8080", "name": "a", "protocol": "TCP"}]


# ----------------------------------------------------------------------------------- plain lists


def test_tolerations_are_replaced():
    base = {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}
    patch = {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml"}]}
    assert strategic_merge(base, patch) == patch


def test_args_and_command_are_replaced():
    base = {"command": ["python3", "-m", "x"], "args": ["--a", "1"]}
    patch = {"args": ["--b"]}
    assert strategic_merge(base, patch) == {"command": ["python3", "-m", "x"], "args": ["--b"]}
    assert strategic_merge(base, {"command": ["sh"]})["command"] == ["sh"]


def test_an_empty_patch_list_replaces_too():
    assert strategic_merge({"args": ["--a"]}, {"args": []}) == {"args": []}


# -------------------------------------------------------------------------------- one-of fields


def test_env_value_replaces_value_from_and_back():
    base = {"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}
    assert strategic_merge(base, {"env": [{"name": "A", "value": "x"}]})["env"] == [{"name": "A", "value": "x"}]
    base = {"env": [{"name": "A", "value": "x"}]}
    patch = {"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}
    assert strategic_merge(base, patch)["env"] == patch["env"]


def test_volume_source_is_replaced_not_mixed():
    base = {"volumes": [{"name": "cache", "emptyDir": {"medium": "Memory"}}]}
    patch = {"volumes": [{"name": "cache", "persistentVolumeClaim": {"claimName": "c"}}]}
    assert strategic_merge(base, patch)["volumes"] == [{"name": "cache", "persistentVolumeClaim": {"claimName": "c"}}]


def test_volume_same_source_merges():
    base = {"volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]}
    patch = {"volumes": [{"name": "dshm", "emptyDir": {"sizeLimit": "1Gi"}}]}
    assert strategic_merge(base, patch)["volumes"] == [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}]


def test_a_strategy_type_drops_the_other_types_parameters():
    # Kubernetes' retainKeys on Deployment.spec.strategy: Recreate with the base's rollingUpdate
    # would be refused by the API server ("may not be specified when strategy type is Recreate").
    rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    for field in ("deploymentStrategy", "strategy"):
        assert strategic_merge({field: rolling}, {field: {"type": "Recreate"}}) == {field: {"type": "Recreate"}}
        tweaked = strategic_merge({field: rolling}, {field: {"rollingUpdate": {"maxSurge": 2}}})
        assert tweaked == {field: {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}}
        same = strategic_merge({field: rolling}, {field: {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}})
        assert same == tweaked


def test_probe_handler_is_replaced_other_fields_merge():
    base = {"readinessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 60}}
    patch = {"readinessProbe": {"tcpSocket": {"port": 8080}}}
    assert strategic_merge(base, patch) == {"readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 60}}


def test_probe_without_handler_keeps_base_handler():
    base = {"livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 60}}
    patch = {"livenessProbe": {"periodSeconds": 10}}
    assert strategic_merge(base, patch) == {"livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10}}


def test_labels_named_value_are_not_a_one_of():
    assert strategic_merge({"labels": {"valueFrom": "a"}}, {"labels": {"value": "b"}}) == {"labels": {"valueFrom": "a", "value": "b"}}


# ------------------------------------------------------------------------------------ directives


def test_patch_delete_on_a_list_item():
    base = {"containers": [{"name": "a"}, {"name": "b"}]}
    patch = {"containers": [{"name": "a", "$patch": "delete"}]}
    assert strategic_merge(base, patch) == {"containers": [{"name": "b"}]}


def test_patch_delete_on_a_map():
    assert strategic_merge({"affinity": {"nodeAffinity": {}}, "x": 1}, {"affinity": {"$patch": "delete"}}) == {"x": 1}


def test_patch_replace_on_a_map():
    base = {"nodeSelector": {"a": "1", "b": "2"}}
    patch = {"nodeSelector": {"$patch": "replace", "c": "3"}}
    assert strategic_merge(base, patch) == {"nodeSelector": {"c": "3"}}


def test_patch_replace_on_a_keyed_list():
    base = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    patch = {"env": [{"$patch": "replace"}, {"name": "C", "value": "3"}]}
    assert strategic_merge(base, patch) == {"env": [{"name": "C", "value": "3"}]}


def test_directives_never_leak_into_patch_only_content():
    patch = {"new": {"$patch": "merge", "a": 1, "gone": {"$patch": "delete"}, "nothing": None}}
    assert strategic_merge({}, patch) == {"new": {"a": 1}}
    assert strategic_merge({}, {"env": [{"name": "X", "$patch": "delete"}]}) == {"env": []}


# ---------------------------------------------------------------------------------------- purity


def test_inputs_are_never_mutated_and_results_share_nothing():
    base = {"containers": [{"name": "c", "env": [{"name": "A", "value": "1"}]}], "nodeSelector": {"a": "1"}, "keep": {"x": [1]}}
    patch = {"containers": [{"name": "c", "env": [{"name": "B", "value": "2"}]}], "new": {"y": [2]}}
    base_copy, patch_copy = copy.deepcopy(base), copy.deepcopy(patch)
    merged = strategic_merge(base, patch)
    assert (base, patch) == (base_copy, patch_copy)
    merged["keep"]["x"].append(9)
    merged["new"]["y"].append(9)
    merged["containers"][0]["env"].append({"name": "Z"})
    assert (base, patch) == (base_copy, patch_copy)


def test_runtime_engine_config_patched_by_a_service_engine():
    runtime = {
        "annotations": {"prometheus.io/scrape": "true"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
        "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory"}}],
        "runner": {
            "name": "ome-container",
            "image": "sglang:1",
            "args": ["--tp", "1"],
            "env": [{"name": "A", "value": "1"}],
            "resources": {"limits": {"nvidia.com/gpu": 1, "cpu": 10}},
        },
        "worker": {"size": 1, "runner": {"name": "ome-container", "image": "sglang:1"}},
    }
    service = {
        "minReplicas": 2,
        "runner": {"image": "sglang:2", "args": ["--tp", "2"], "resources": {"limits": {"nvidia.com/gpu": 2}}},
        "worker": {"size": 3},
    }
    merged = strategic_merge(runtime, service)
    assert merged["minReplicas"] == 2
    assert merged["runner"] == {
        "name": "ome-container",
        "image": "sglang:2",
        "args": ["--tp", "2"],
        "env": [{"name": "A", "value": "1"}],
        "resources": {"limits": {"nvidia.com/gpu": 2, "cpu": 10}},
    }
    assert merged["worker"] == {"size": 3, "runner": {"name": "ome-container", "image": "sglang:1"}}
    assert merged["tolerations"] == runtime["tolerations"]


def test_rendering_merge_keys_come_from_the_kubernetes_definitions():
    """The field-name table rendering merges by is derived from kubernetes-validate's OpenAPI
    definitions (every list under a PodTemplateSpec with one merge key wherever its name appears);
    `ports` is the one field rendering keys by its items instead (containers and Services differ)."""
    from omegen.kube.patchmeta import pod_merge_keys
    from omegen.merge import _merge_keys

    derived = pod_merge_keys()
    for field, key in {
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
        "imagePullSecrets": "name", "env": "name", "resourceClaims": "name", "volumeMounts": "mountPath",
        "volumeDevices": "devicePath", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
    }.items():
        assert derived[field] == key and merge_key(field, [], []) == key
    assert "tolerations" not in derived and "args" not in derived  # atomic lists: replaced whole
    assert "ports" not in _merge_keys() and merge_key("ports", [{"containerPort": 1}], []) == "containerPort"


def test_overlay_merge_follows_the_object_schema():
    """With a schema position, a LeaderWorkerSet's worker template merges as a PodTemplateSpec;
    where the schema has no merge key (a CRD's own list) the patch's list replaces the base's."""
    from omegen.kube import patchmeta

    meta = patchmeta.for_object("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", "1.33")
    base = {"spec": {"leaderWorkerTemplate": {"workerTemplate": {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}}}}
    patch = {"spec": {"leaderWorkerTemplate": {"workerTemplate": {"spec": {"containers": [{"name": "b", "env": [{"name": "E", "value": "1"}]}]}}}}}
    merged = strategic_merge(base, patch, meta)
    assert merged["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"] == [
        {"name": "b", "image": "y", "env": [{"name": "E", "value": "1"}]},
        {"name": "a", "image": "x"},
    ]
    deployment = patchmeta.for_object("apps/v1", "Deployment", "1.33")
    assert deployment.child("spec").child("strategy").retain_keys()
    assert deployment.child("spec").child("template").child("spec").child("tolerations").merge_key() is None
    unknown = patchmeta.for_object("example.com/v1", "Widget", "1.33")
    assert strategic_merge({"items": [{"name": "a", "x": 1}]}, {"items": [{"name": "a"}]}, unknown) == {"items": [{"name": "a"}]}
