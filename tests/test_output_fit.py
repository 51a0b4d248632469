"""Output every client reads without surprises: never a YAML anchor or alias (kustomize fails on
"unknown anchor"), block style, one object per document, the same bytes run after run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from omegen import pipeline, yamlio
from omegen.api import Rendered
from omegen.emit import resourcelist, tree
from omegen.load.resourcelist import read_request

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
ANCHOR = re.compile(r"(^|[\s:-])[&*]id\d+")


def shared_objects():
    """Two objects sharing one dict and one list, as a renderer reusing a value would make them."""
    labels = {"app": "chat", "tier": "serving"}
    ports = [{"name": "http", "port": 8080}]
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "chat", "namespace": "a", "labels": labels}, "spec": {"ports": ports, "selector": labels}}
    other = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "chat-2", "namespace": "a", "labels": labels}, "spec": {"ports": ports, "selector": labels}}
    return [Rendered(service, ("a", "chat")), Rendered(other, ("a", "chat"))]


def test_shared_values_are_written_out_in_every_printer():
    objects = shared_objects()
    stream = tree.stream(objects)
    files = tree.plan_tree(objects).files
    request = read_request(yamlio.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": []}))
    krm = yamlio.dump(resourcelist.response(request, objects, [], ok=True))
    for text in [stream, krm, *files.values()]:
        assert not ANCHOR.search(text), text
        assert "&" not in text and "*" not in text
    assert stream.count("app: chat") == 4, "labels written out in both objects, metadata and selector"


def test_quickstart_stream_is_block_style_one_object_per_document():
    build = pipeline.run(pipeline.Options(src=QUICKSTART))
    assert build.ok
    docs = list(yamlio.load_documents(build.stream))
    assert len(docs) == len(build.objects)
    for doc in docs:
        assert isinstance(doc.data, dict) and {"apiVersion", "kind", "metadata"} <= set(doc.data)
        assert not doc.data["kind"].endswith("List")
    # Flow style only for empty collections ({} and []), which block style cannot write.
    flow = [line for line in build.stream.splitlines() if re.search(r"(: |- )[\[{](?![\]}])", line)]
    assert flow == []
    assert not ANCHOR.search(build.stream)


def test_the_stream_is_byte_identical_across_processes():
    outputs = set()
    for seed in ("0", "1", "12345"):
        done = subprocess.run(
            [sys.executable, "-m", "omegen", "build", str(QUICKSTART)],
            env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
