"""omegen's jinja2 templates: the skeleton compiler refuses the known escapes (and the sandboxed
environment it parses in refuses them too), values come back as JSON gives them, and a template that
fails is a diagnostic at the template and the service, never an exception."""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.sandbox
import pytest

from omegen.api import Resolution
from omegen.errors import ObjectRef, Severity
from omegen.render import skeletoncompile, skeletons
from omegen.render.service import render_service
from omegen.render.skeletons import TemplateFailure, render_template
from test_render import RUNNER, make_model, make_runtime, make_service

# Each is a way out of a jinja2 template that works in a plain Environment (most reach `os`, where
# os.getcwd() stands for an attacker's os.popen; the rest mutate a value or exhaust memory); with
# it, the error the sandbox must raise instead.
ESCAPES = [
    ("{{ ''.__class__.__mro__ }}", jinja2.exceptions.SecurityError),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", jinja2.exceptions.SecurityError),
    ("{{ ().__class__.__base__.__subclasses__() }}", jinja2.exceptions.SecurityError),
    ("{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}", jinja2.exceptions.SecurityError),
    ("{{ cycler.__init__.__globals__.os.getcwd() }}", jinja2.exceptions.SecurityError),
    ("{{ joiner.__init__.__globals__ }}", jinja2.exceptions.SecurityError),
    ("{{ namespace.__init__.__globals__ }}", jinja2.exceptions.SecurityError),
    ("{{ lipsum.__globals__['os'].getcwd() }}", jinja2.exceptions.SecurityError),
    ("{{ self.__init__.__globals__ }}", jinja2.exceptions.SecurityError),
    ("{{ self._TemplateReference__context }}", jinja2.exceptions.SecurityError),
    ("{{ dict.mro() }}", jinja2.exceptions.SecurityError),
    # the same through subscription and the attr filter
    ("{{ ''['__class__'] }}", jinja2.exceptions.SecurityError),
    ("{{ ''|attr('__class__') }}", jinja2.exceptions.SecurityError),
    ("{{ lipsum|attr('__globals__') }}", jinja2.exceptions.SecurityError),
    # format-string tricks: str.format resolves `{0.attr}` itself, outside jinja2's attribute lookup
    ("{{ '{0.__class__.__mro__}'.format('') }}", jinja2.exceptions.SecurityError),
    ("{{ '{0.__globals__}'.format(lipsum) }}", jinja2.exceptions.SecurityError),
    ("{{ '{x.__init__.__globals__}'.format_map({'x': cycler}) }}", jinja2.exceptions.SecurityError),
    ("{{ ''.format.__call__('{0.__class__}', 1) }}", jinja2.exceptions.SecurityError),
    ("{{ '%s'|format(''.__class__) }}", jinja2.exceptions.SecurityError),
    # through omegen's own filter
    ("{{ ''.__class__ | tojson }}", jinja2.exceptions.SecurityError),
    # mutation (the immutable sandbox) and a range that would exhaust memory
    ("{% set x = [] %}{{ x.append(1) }}", jinja2.exceptions.SecurityError),
    ("{% set d = {} %}{{ d.update(a=1) }}", jinja2.exceptions.SecurityError),
    ("{{ range(10**9) | list | length }}", OverflowError),
    # files outside the templates directory
    ("{% include '../workloads.py' %}", jinja2.exceptions.TemplateNotFound),
    ("{% include '/etc/passwd' %}", jinja2.exceptions.TemplateNotFound),
]


@pytest.mark.parametrize("source, refusal", ESCAPES, ids=[source for source, _ in ESCAPES])
def test_the_real_environment_refuses_the_known_escapes(source, refusal):
    template = skeletoncompile.environment().from_string(source)
    with pytest.raises(refusal):
        template.render(name="svc")


@pytest.mark.parametrize("source, refusal", ESCAPES, ids=[source for source, _ in ESCAPES])
def test_the_skeleton_compiler_refuses_the_known_escapes(source, refusal):
    # What renders a service is the compiled skeleton: an escape must not even compile (no call, no
    # filter but tojson, no `_` attribute), so nothing of it can run.
    with pytest.raises(TemplateFailure) as failure:
        skeletoncompile.compile_template("x.yaml.j2", f"a: 1\nb: {source}\n")
    assert failure.value.line == 2, failure.value


def test_the_escapes_are_escapes_outside_the_sandbox():
    # The list above means something only if each escape works without the sandbox.
    plain = jinja2.Environment(loader=jinja2.PackageLoader("omegen.render", "templates"))
    for source, refusal in ESCAPES:
        if refusal is jinja2.exceptions.TemplateNotFound:
            continue  # the loader refuses those, sandbox or not
        if "range(10**9)" in source:
            continue  # works, after a long while and a lot of memory
        source = source.replace("| tojson", "")
        assert plain.from_string(source).render(name="svc") is not None, source


def test_the_environment_is_sandboxed_and_strict():
    env = skeletoncompile.environment()
    assert isinstance(env, jinja2.sandbox.ImmutableSandboxedEnvironment)
    assert env.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.exceptions.UndefinedError):
        env.from_string("{{ nothing | tojson }}").render()


@pytest.fixture
def templates(tmp_path, monkeypatch):
    """Templates of the test's own, in front of omegen's, compiled as omegen's are."""

    def use(files: dict):
        for name, text in files.items():
            (tmp_path / name).write_text(text)
        monkeypatch.setattr(skeletons, "template_directories", [tmp_path, skeletons.TEMPLATE_DIRECTORY])
        skeletons.skeleton.cache_clear()

    yield use
    skeletons.skeleton.cache_clear()



def test_template_values_come_back_as_json_would_give_them(templates):
    # Values are put back after the skeleton is parsed: exactly JSON's view of them, never re-read as
    # YAML, so a string that looks like omegen's placeholder, or like YAML (`on`, `1e3`), stays as written.
    templates({"x.yaml.j2": "a: {{ a | tojson(2) }}\nb: {{ b | tojson }}\nc: {{ {'k': 1} | tojson }}\n"})
    values = {"a": {"n": (1, 2), "yes": "on"}, "b": "\x00omegen-value:0 1e3"}
    assert render_template("x.yaml.j2", **values) == [{"a": {"n": [1, 2], "yes": "on"}, "b": "\x00omegen-value:0 1e3", "c": {"k": 1}}]
    assert render_template("x.yaml.j2", **values) == render_template("x.yaml.j2", **values)


def test_a_failing_builtin_template_names_itself_and_its_line():
    # omegen's own service.yaml.j2, short of a value: the first line that needs it is the one named.
    lines = (Path(skeletons.__file__).parent / "templates" / "service.yaml.j2").read_text().splitlines()
    labels_line = next(i for i, line in enumerate(lines, 1) if "labels |" in line)
    with pytest.raises(TemplateFailure) as failure:
        render_template("service.yaml.j2", name="svc", namespace="ns")
    assert (failure.value.template, failure.value.line) == ("service.yaml.j2", labels_line)
    assert failure.value.where == f"omegen/render/templates/service.yaml.j2:{labels_line}"
    assert failure.value.problem == "UndefinedError: 'labels' is undefined"


def _render_with_service_template(templates, text):
    templates({"service.yaml.j2": text})
    service = make_service({})
    return render_service(Resolution(service, make_model(), make_runtime({"runner": RUNNER})))


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ("kind: Service\nname: {{ undefined_value | tojson }}\n", 2, "UndefinedError: 'undefined_value' is undefined"),
        ("kind: Service\n{% if labels.nope.deeper is none %}\nx: 1\n{% endif %}\n", 2, "UndefinedError: 'dict object' has no attribute 'nope'"),
        ("kind: Service\n\nx: {{ ''.__class__ | tojson }}\n", 3, "attribute '__class__' is not allowed in a skeleton"),
        ("kind: Service\n\nx: {{ name }}\n", 3, "every value in a skeleton is written {{ expression | tojson }}"),
        ("kind: Service\nx: a-{{ name | tojson }}\n", 2, "a value in a skeleton must be a whole YAML value"),
        ("kind: Service\nx: {{ {1: 2, 'a': 3} | tojson }}\n", 2, "TypeError: '<' not supported between instances of 'str' and 'int'"),
        ("kind: Service\n{% if %}\n", 2, "TemplateSyntaxError: Expected an expression, got 'end of statement block'"),
        ("kind: Service\nkind: again\n", 2, "its output is not YAML: duplicate key 'kind' (first defined at line 1)"),
    ],
    ids=["undefined", "undefined-key", "sandbox", "not-tojson", "part-of-a-string", "not-json", "syntax", "not-yaml"],
)
def test_a_template_error_is_a_diagnostic_at_the_template_and_the_service(templates, text, line, problem):
    objects, diagnostics = _render_with_service_template(templates, text)
    assert objects == []  # nothing of the service, not the objects rendered before the failure
    (diagnostic,) = diagnostics
    assert (diagnostic.severity, diagnostic.code, diagnostic.file, diagnostic.line) == (Severity.ERROR, "template-error", "isvc.yaml", 1)
    assert diagnostic.subject == ObjectRef("InferenceService", "svc", "ns", "ome.io/v1beta1")  # a KRM result's resourceRef
    assert diagnostic.message.startswith(
        f"InferenceService ns/svc: template omegen/render/templates/service.yaml.j2:{line} failed: {problem}"
    ), diagnostic.message
    assert diagnostic.message.endswith("this is a bug in omegen, please report it")
