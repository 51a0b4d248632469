"""The build cache (`--cache DIR`): a build whose inputs are unchanged reuses the earlier one, its
output byte-identical to a build without the cache; any input that changes, however small, is a
miss; an entry that is not whole is ignored. Real trees, real builds; a counter on the render stage
tells a hit (nothing rendered) from a miss."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import omegen_yaml, run_cli, write_tree
from omegen import pipeline
from omegen.cache import key as cache_key
from omegen.cache import store
from omegen.load.slices import make_slice
from omegen.render import service as render_service
from test_slices import service

RUNTIME = """\
apiVersion: ome.io/v1beta1
kind: ClusterServingRuntime
metadata:
  name: team-runtime
spec:
  supportedModelFormats:
    - name: safetensors
      version: "1.0.0"
      modelFramework: {name: transformers, version: "4.43.0"}
      modelArchitecture: LlamaForCausalLM
      autoSelect: true
      priority: 9
  modelSizeRange: {min: 1B, max: 9B}
  engineConfig:
    runner:
      name: ome-container
      image: registry.example.com/vllm:v1
      resources:
        limits: {nvidia.com/gpu: 1}
"""

MODEL = """\
apiVersion: ome.io/v1beta1
kind: ClusterBaseModel
metadata:
  name: team-model
  namespace: ignored  # a cluster-scoped object: a warning, kept through the cache
spec:
  vendor: meta
  modelFormat: {name: safetensors, version: "1.0.0"}
  modelFramework: {name: transformers, version: "4.43.0"}
  modelArchitecture: LlamaForCausalLM
  modelParameterSize: 8B
  storage:
    storageUri: hf://meta-llama/Llama-3.1-8B
    path: /models/llama
"""

PROD = omegen_yaml(
    """
    resources: [../base]
    namePrefix: prod-
    patches:
      - path: replicas.yaml
        target: {kind: InferenceService, name: chat}
    """
)
REPLICAS = """\
- op: replace
  path: /spec/engine/maxReplicas
  value: 3
"""


@pytest.fixture
def estate(tmp_path):
    return write_tree(
        tmp_path / "repo",
        {
            "base/omegen.yaml": omegen_yaml("defaultNamespace: team-a\n"),
            "base/runtimes/team.yaml": RUNTIME,
            "base/models/team.yaml": MODEL,
            "base/services/chat.yaml": service("chat", "team-a", model="team-model"),
            "base/services/code.yaml": service("code", "team-b", {"tier": "gold"}),
            "base/services/plain.yaml": service("plain"),
            "prod/omegen.yaml": PROD,
            "prod/replicas.yaml": REPLICAS,
        },
    )


@pytest.fixture
def renders(monkeypatch):
    """How many services the render stage rendered (0: the build came from the cache)."""
    count = []
    real = render_service.render_service
    monkeypatch.setattr(render_service, "render_service", lambda resolution, **kw: (count.append(1), real(resolution, **kw))[1])
    return count


def build(options):
    result = pipeline.run(options)
    assert result.ok, [d.as_text() for d in result.diagnostics]
    return result


def tree(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def outcome(result) -> tuple:
    return result.stream, [d.as_text() for d in result.diagnostics], [(r.service, r.obj) for r in result.objects]


def test_a_cached_build_is_the_build(estate, tmp_path, renders):
    cache = tmp_path / "cache"
    for src, extra in ((estate / "base", {}), (estate / "prod", {"root": estate})):
        plain = build(pipeline.Options(src=src, **extra))
        first = build(pipeline.Options(src=src, cache=cache, **extra))
        renders.clear()
        again = build(pipeline.Options(src=src, cache=cache, **extra))
        assert renders == [], "nothing changed: nothing is rendered again"
        assert outcome(plain) == outcome(first) == outcome(again)
        assert any(d.severity.label == "warning" for d in again.diagnostics), "warnings are kept"
    # -o: the same tree, written from the cache into a fresh OUT
    build(pipeline.Options(src=estate / "base", out=tmp_path / "with", cache=cache))
    renders.clear()
    build(pipeline.Options(src=estate / "base", out=tmp_path / "again", cache=cache))
    assert len(renders) == 3, "another OUT is another key: its first build renders"
    build(pipeline.Options(src=estate / "base", out=tmp_path / "without"))
    assert tree(tmp_path / "with") == tree(tmp_path / "without") == tree(tmp_path / "again")
    renders.clear()
    build(pipeline.Options(src=estate / "base", out=tmp_path / "with", cache=cache))
    assert renders == [] and tree(tmp_path / "with") == tree(tmp_path / "without")


def flip(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


# Each input of a build, changed: (what, how). Every one must be a miss whose output is what a build
# without the cache makes.
SOURCE_FLIPS = {
    "the service's own document": lambda r: flip(r / "base/services/plain.yaml", "maxReplicas: 1", "maxReplicas: 2"),
    "a label of a service": lambda r: flip(r / "base/services/code.yaml", "tier: gold", "tier: silver"),
    "its model": lambda r: flip(r / "base/models/team.yaml", "/models/llama", "/models/llama-v2"),
    "a candidate runtime": lambda r: flip(r / "base/runtimes/team.yaml", "vllm:v1", "vllm:v2"),
    "a new runtime": lambda r: (r / "base/runtimes/other.yaml").write_text(RUNTIME.replace("team-runtime", "other-runtime").replace("priority: 9", "priority: 10")),
    "a new service": lambda r: (r / "base/services/new.yaml").write_text(service("new", "team-a")),
    "a removed service": lambda r: (r / "base/services/plain.yaml").unlink(),
    "a renamed file": lambda r: (r / "base/models/team.yaml").rename(r / "base/models/renamed.yaml"),  # its warning names it
    "defaultNamespace": lambda r: flip(r / "base/omegen.yaml", "defaultNamespace: team-a", "defaultNamespace: team-c"),
    "syncWaves": lambda r: flip(r / "base/omegen.yaml", "defaultNamespace: team-a", "defaultNamespace: team-a\nsyncWaves: true"),
    "emitModels": lambda r: flip(r / "base/omegen.yaml", "defaultNamespace: team-a", "defaultNamespace: team-a\nemitModels: false"),
    "webhooks": lambda r: flip(r / "base/omegen.yaml", "defaultNamespace: team-a", "defaultNamespace: team-a\nwebhooks: cluster"),
    "kubernetesVersion": lambda r: flip(r / "base/omegen.yaml", "defaultNamespace: team-a", "defaultNamespace: team-a\nkubernetesVersion: \"1.31\""),
    "silence": lambda r: flip(r / "base/omegen.yaml", "defaultNamespace: team-a", "defaultNamespace: team-a\nsilence: [{codes: [ignored-field]}]"),
    "an overlay's transform": lambda r: flip(r / "prod/omegen.yaml", "namePrefix: prod-", "namePrefix: live-"),
    "an overlay's patch file": lambda r: flip(r / "prod/replicas.yaml", "value: 3", "value: 4"),
}

# Inputs that happen to make no difference to this estate's output: the miss is what is checked.
SAME_OUTPUT = {"kubernetesVersion", "silence", "webhooks"}


@pytest.mark.parametrize("what", sorted(SOURCE_FLIPS))
def test_every_input_changed_is_a_miss(what, estate, tmp_path, renders):
    options = pipeline.Options(src=estate / "prod", root=estate, cache=tmp_path / "cache")
    before = build(options)
    renders.clear()
    assert outcome(build(options)) == outcome(before) and renders == [], "unchanged: a hit"
    SOURCE_FLIPS[what](estate)
    after = pipeline.run(options)
    assert renders, f"{what} changed, yet nothing was rendered again"
    fresh = pipeline.run(replace(options, cache=None))
    assert outcome(after) == outcome(fresh)
    if what not in SAME_OUTPUT:
        assert outcome(after) != outcome(before), f"{what}: the flip changes the output (else it proves nothing)"


OPTION_FLIPS = {
    "--strict": {"strict": True},
    "--no-builtin-runtimes": {"builtin": False},
    "--kubernetes-version": {"kubernetes_version": "1.31"},
    "the cluster's version": {"cluster_version": "1.31.4"},
    "a slice": {"slice": make_slice(["team-a"])},
    "another selector": {"slice": make_slice([], ["tier=gold"])},
    "validate instead of build": {"write": False},
}


@pytest.mark.parametrize("what", sorted(OPTION_FLIPS))
def test_every_option_changed_is_a_miss(what, estate, tmp_path, renders):
    options = pipeline.Options(src=estate / "base", cache=tmp_path / "cache")
    build(options)
    renders.clear()
    changed = replace(options, **OPTION_FLIPS[what])
    after = pipeline.run(changed)
    assert renders, f"{what}: a different request, yet nothing was rendered"
    assert outcome(after) == outcome(pipeline.run(replace(changed, cache=None)))


def test_omegens_own_code_is_in_the_key(estate, tmp_path, renders, monkeypatch):
    options = pipeline.Options(src=estate / "base", cache=tmp_path / "cache")
    build(options)
    monkeypatch.setattr(cache_key, "fingerprint", lambda: "another omegen")
    renders.clear()
    build(options)
    assert renders, "a build by other code never reuses this one's output"


def test_the_fingerprint_covers_every_file_of_the_package(tmp_path, monkeypatch):
    package = write_tree(tmp_path / "omegen", {"a.py": "x = 1\n", "render/templates/t.yaml": "a: b\n", "__pycache__/a.cpython.pyc": "junk"})
    monkeypatch.setattr(cache_key, "_PACKAGE", package)
    monkeypatch.setattr(cache_key, "data_dir", lambda name: package / name)
    prints = []
    for change in (None, ("render/templates/t.yaml", "a: c\n"), ("a.py", "x = 2\n"), ("new.py", "")):
        if change:
            (package / change[0]).write_text(change[1])
        cache_key.fingerprint.cache_clear()
        prints.append(cache_key.fingerprint())
    (package / "__pycache__/a.cpython.pyc").write_text("other junk")
    cache_key.fingerprint.cache_clear()
    prints.append(cache_key.fingerprint())
    cache_key.fingerprint.cache_clear()
    assert len(set(prints[:4])) == 4, "every file's bytes are in it"
    assert prints[4] == prints[3], "compiled bytecode is not (it follows the sources)"


def test_an_entry_that_is_not_whole_is_ignored(estate, tmp_path, renders):
    cache = tmp_path / "cache"
    options = pipeline.Options(src=estate / "base", cache=cache)
    expected = outcome(build(replace(options, cache=None)))
    build(options)
    (entry,) = list(cache.rglob("*.json"))
    good = entry.read_bytes()
    spoiled = {
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "not JSON": b"\x00\xff garbage",
        "body changed": good.replace(b"registry.example.com", b"registry.evil.example"),
        "another format": good.replace(b"omegen-cache/1", b"omegen-cache/0", 1),
    }
    for what, data in spoiled.items():
        entry.write_bytes(data)
        renders.clear()
        assert outcome(build(options)) == expected, what
        assert renders, f"{what}: the entry was trusted"
        assert entry.read_bytes() == good, f"{what}: the rebuild replaced the entry"
    # An entry filed under another key (a whole, valid entry, for other inputs) is not this build's.
    other = pipeline.Options(src=estate / "base", cache=cache, strict=True)
    key = cache_key.build_key(other, other.src)
    store.path_of(cache, key).parent.mkdir(parents=True, exist_ok=True)
    store.path_of(cache, key).write_bytes(good)
    renders.clear()
    pipeline.run(other)
    assert renders, "an entry is only ever read for the key in its header"


def test_a_cache_that_cannot_be_written_never_fails_a_build(estate, tmp_path, renders):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    result = build(pipeline.Options(src=estate / "base", cache=blocked / "cache"))
    assert result.stream and blocked.read_text() == "not a directory"


def test_a_failed_build_is_not_cached(estate, tmp_path):
    flip(estate / "base/services/chat.yaml", "minReplicas: 1", "minReplicas: many")
    cache = tmp_path / "cache"
    assert not pipeline.run(pipeline.Options(src=estate / "base", cache=cache)).ok
    assert not list(cache.rglob("*.json"))


def test_check_compares_out_afresh(estate, tmp_path, capsys):
    src, out, cache = estate / "base", tmp_path / "out", tmp_path / "cache"
    assert run_cli(["build", str(src), "-o", str(out), "--cache", str(cache), "-q"], capsys)[0] == 0
    (out / "team-a/chat.yaml").write_text((out / "team-a/chat.yaml").read_text() + "# edited by hand\n")
    code, _, err = run_cli(["build", str(src), "-o", str(out), "--check", "--cache", str(cache)], capsys)
    assert code == 1 and "team-a/chat.yaml is not up to date" in err
    code, _, _ = run_cli(["build", str(src), "-o", str(out), "--cache", str(cache), "-q"], capsys)
    assert code == 0 and "edited by hand" not in (out / "team-a/chat.yaml").read_text()


def test_omegen_cache_in_the_environment(estate, tmp_path, capsys, monkeypatch, renders):
    monkeypatch.setenv("OMEGEN_CACHE", str(tmp_path / "env-cache"))
    code, first, _ = run_cli(["build", str(estate / "base")], capsys)
    assert code == 0 and list((tmp_path / "env-cache").rglob("*.json"))
    renders.clear()
    code, second, err = run_cli(["validate", str(estate / "base")], capsys)
    assert code == 0 and renders, "validate is another request"
    renders.clear()
    code, again, _ = run_cli(["build", str(estate / "base")], capsys)
    assert code == 0 and again == first and renders == []
