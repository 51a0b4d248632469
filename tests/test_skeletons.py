"""The compiled skeletons: the shipped file is the templates' compilation, the data path gives what
the jinja2 text path gives over every golden case and upstream sample (every branch of every
template taken at least once), an edited template is compiled when used, and a build imports no
jinja2."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from omegen import pipeline
from omegen.api import Resolution
from omegen.errors import has_errors
from omegen.render import skeletoncompile, skeletons, workloads
from omegen.render.service import render_service
from omegen.resolve import select

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
TEMPLATES = sorted(p.name for p in skeletons.TEMPLATE_DIRECTORY.glob("*.yaml.j2"))


def test_the_shipped_skeletons_are_the_templates_compiled():
    # After editing a template: python -m omegen.render.skeletoncompile
    assert skeletons.COMPILED.read_text(encoding="utf-8") == skeletoncompile.compiled_text(), (
        "render/templates/skeletons.json is stale: run python -m omegen.render.skeletoncompile"
    )


@pytest.fixture
def compared(monkeypatch):
    """Every render goes both ways, data and jinja2 text, and must agree; returns the variants taken."""
    taken: dict = defaultdict(set)
    texts = {name: (skeletons.TEMPLATE_DIRECTORY / name).read_text(encoding="utf-8") for name in TEMPLATES}

    def both(template, /, **values):
        data = skeletons.render_template(template, **values)
        assert data == skeletoncompile.render_with_jinja(template, texts[template], **values), template
        # equal as data, and as output: the same key order everywhere
        assert repr(data) == repr(skeletoncompile.render_with_jinja(template, texts[template], **values)), template
        taken[template].add(skeletons.variant(template, **values))
        return data

    monkeypatch.setattr(workloads, "render_template", both)
    return taken


def _render_corpus(upstream_load=None) -> int:
    rendered = 0
    for case in sorted(p for p in CASES.iterdir() if (p / "src").is_dir()):
        rendered += len(pipeline.build(case / "src").objects)
    rendered += len(pipeline.build(REPO / "examples" / "quickstart").objects)
    if upstream_load is not None:
        sources, _ = upstream_load
        for key in sorted(sources.services):
            service = sources.services[key]
            resolution = select.resolve(service, sources)
            if resolution.runtime is None or has_errors(resolution.diagnostics):
                runtime = service.runtime_name and sources.runtime("ClusterServingRuntime", service.runtime_name)
                if not runtime:
                    continue
                resolution = Resolution(service, sources.model_for(service), runtime)
            rendered += len(render_service(resolution)[0])
    return rendered


def test_the_data_path_gives_what_the_text_path_gave_on_the_golden_cases(compared):
    assert _render_corpus() > 50
    assert set(compared) == set(TEMPLATES)


def test_the_data_path_gives_what_the_text_path_gave_on_the_upstream_samples(compared, upstream_load):
    assert _render_corpus(upstream_load) > 500


BRANCHES = {
    # Values that take the branches the corpus may not: each template's every combination.
    "deployment.yaml.j2": [{"replicas": None}, {"replicas": 3}],
    "leaderworkerset.yaml.j2": [{"replicas": None}, {"replicas": 2}],
    "service.yaml.j2": [{"load_balancer_ip": None}, {"load_balancer_ip": "10.0.0.1"}],
    "poddisruptionbudget.yaml.j2": [{"budget": {}}, {"budget": {"minAvailable": 1}}, {"budget": {"maxUnavailable": "50%"}}, {"budget": {"minAvailable": 1, "maxUnavailable": 1}}],
    "router-rbac.yaml.j2": [{"create_service_account": True}, {"create_service_account": False}],
    "horizontalpodautoscaler.yaml.j2": [{}],
}
COMMON = {
    "name": "svc", "namespace": "ns", "labels": {"app": "svc", "b": "on"}, "annotations": {"x": "1e3"},
    "selector": {"app": "svc"}, "strategy": {"type": "Recreate"}, "pod": {"containers": [{"name": "c", "args": ["yes", None, []]}]},
    "size": 2, "leader_labels": {"a": "b"}, "worker_labels": {"a": "c"}, "worker_annotations": {},
    "leader_pod": {"containers": [{"name": "l"}]}, "worker_pod": {"containers": [{"name": "w", "volumes": [{"emptyDir": {}}]}]},
    "type": "LoadBalancer", "ports": [{"port": 80}], "target": {"kind": "Deployment", "name": "svc"},
    "min_replicas": 1, "max_replicas": 3, "metrics": [{"type": "Resource"}], "service_account": "sa",
}


def test_every_branch_of_every_template_gives_what_the_text_path_gave(compared):
    assert set(BRANCHES) == set(TEMPLATES)  # a new template needs its branches here
    for template, cases in BRANCHES.items():
        for values in cases:
            workloads.render_template(template, **{**COMMON, **values})
        assert compared[template] == set(skeletons.skeleton(template).variants), template


def test_an_edited_template_is_compiled_when_used(monkeypatch):
    # A template that differs from skeletons.json (edited, not yet recompiled) renders as written.
    monkeypatch.setattr(skeletons, "_shipped", lambda: {name: {"sha256": "0" * 64} for name in TEMPLATES})
    skeletons.skeleton.cache_clear()
    try:
        values = {**COMMON, "load_balancer_ip": None}
        assert skeletons.render_template("service.yaml.j2", **values)[0]["spec"]["type"] == "LoadBalancer"
    finally:
        skeletons.skeleton.cache_clear()


def test_a_build_imports_no_template_engine():
    code = (
        "import sys\n"
        "from omegen import pipeline\n"
        f"build = pipeline.run(pipeline.Options(src={str(REPO / 'examples' / 'quickstart')!r}))\n"
        "assert build.ok and build.stream\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'jinja2'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_rendered_values_share_their_strings_with_the_inputs():
    # Memory: 10,000 services must fit in 400 MB, so a filled hole keeps the value's own strings
    # (JSON's round trip made a copy of each), while its dicts and lists are the render's own.
    labels = {"app": "svc-" + "x" * 40}
    values = {**COMMON, "labels": labels, "load_balancer_ip": None}
    (service,) = skeletons.render_template("service.yaml.j2", **values)
    assert service["metadata"]["labels"] == labels and service["metadata"]["labels"] is not labels
    assert service["metadata"]["labels"]["app"] is labels["app"]
