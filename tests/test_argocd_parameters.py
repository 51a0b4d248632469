"""The plugin's parameters: where each comes from, in the documented precedence, and what is refused."""

from __future__ import annotations

import json

import pytest

from omegen.commands.argocd_parameters import Settings, param_variable, read


def params(**values) -> str:
    return json.dumps([{"name": name, "string": value} for name, value in values.items()])


def test_nothing_set_leaves_everything_to_omegen_yaml():
    assert read({}) == (Settings(), [])


def test_parameters_json_beats_param_variables_beats_plugin_env():
    env = {
        "ARGOCD_APP_PARAMETERS": params(strict="true"),
        "PARAM_STRICT": "false",
        "ARGOCD_ENV_OMEGEN_STRICT": "false",
        "PARAM_KUBERNETESVERSION": "1.31",
        "ARGOCD_ENV_OMEGEN_KUBERNETES_VERSION": "1.30",
        "ARGOCD_ENV_OMEGEN_OVERLAY": "prod",
    }
    settings, problems = read(env)
    assert problems == []
    assert settings == Settings(overlay="prod", strict=True, kubernetes_version="1.31")


def test_cluster_version_is_kept_apart_from_an_explicit_one():
    settings, _ = read({"KUBE_VERSION": "1.33.2", "ARGOCD_ENV_OMEGEN_KUBERNETES_VERSION": "1.30"})
    assert (settings.kubernetes_version, settings.cluster_version) == ("1.30", "1.33.2")


def test_param_variable_names_follow_argo_cd():
    assert param_variable("kubernetesVersion") == "PARAM_KUBERNETESVERSION"
    assert param_variable("values-files") == "PARAM_VALUES_FILES"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"ARGOCD_APP_PARAMETERS": "[{"}, "ARGOCD_APP_PARAMETERS is not JSON"),
        ({"ARGOCD_APP_PARAMETERS": '{"name": "strict"}'}, "must be a JSON list"),
        ({"ARGOCD_APP_PARAMETERS": params(strcit="true")}, "unknown parameter 'strcit'"),
        ({"ARGOCD_APP_PARAMETERS": json.dumps([{"name": "overlay", "array": ["a"]}])}, "takes a string"),
        ({"PARAM_STRICT": "maybe"}, "PARAM_STRICT: strict must be true or false"),
        ({"ARGOCD_ENV_OMEGEN_OVERLAY": "../../etc"}, "overlay must be the name of a directory"),
        ({"ARGOCD_ENV_OMEGEN_OVERLAY": "/abs"}, "overlay must be the name of a directory"),
    ],
)
def test_bad_parameters_are_errors_not_guesses(env, message):
    _, problems = read(env)
    assert len(problems) == 1 and message in problems[0].message, problems


def test_repository_root_is_the_app_directory_minus_its_source_path(tmp_path):
    from omegen.commands.argocd_parameters import repository_root

    app = tmp_path / "repo" / "apps" / "chat"
    app.mkdir(parents=True)
    assert repository_root(app, "apps/chat") == tmp_path / "repo"
    assert repository_root(app, "/apps/chat/") == tmp_path / "repo"
    assert repository_root(app, None) == app, "unknown: the app directory is the boundary"
    assert repository_root(app, "other/chat") == app, "a path that does not end the app directory is not trusted"
    assert repository_root(app, "../chat") == app


def test_the_example_application_reaches_generate_as_intended():
    """deploy/argocd/application.yaml turned into the environment the repo server builds from it
    (parameters → ARGOCD_APP_PARAMETERS and PARAM_*, plugin env → ARGOCD_ENV_*)."""
    from pathlib import Path

    from omegen import yamlio
    from omegen.commands.argocd_parameters import param_variable

    path = Path(__file__).resolve().parents[1] / "deploy" / "argocd" / "application.yaml"
    (doc,) = yamlio.load_documents(path.read_text())
    plugin = doc.data["spec"]["source"]["plugin"]
    env = {"ARGOCD_APP_PARAMETERS": json.dumps(plugin["parameters"]), "ARGOCD_APP_SOURCE_PATH": doc.data["spec"]["source"]["path"]}
    env.update({param_variable(p["name"]): p["string"] for p in plugin["parameters"]})
    env.update({f"ARGOCD_ENV_{e['name']}": e["value"] for e in plugin["env"]})
    settings, problems = read(env)
    assert problems == []
    assert settings == Settings(overlay="prod", strict=True, kubernetes_version="1.33", source_path="apps/chat")


def test_slice_parameters_take_a_string_or_an_array():
    from omegen.load.slices import make_slice

    settings, problems = read({"ARGOCD_APP_PARAMETERS": json.dumps([{"name": "onlyNamespace", "array": ["b", "a"]}, {"name": "onlySelector", "string": "team=x,!spot"}])})
    assert problems == [] and settings.slice == make_slice(["a", "b"], ["team=x,!spot"])
    settings, _ = read({"PARAM_ONLYNAMESPACE": "a, b", "PARAM_ONLYSELECTOR_0": "team=x", "PARAM_ONLYSELECTOR_1": "!spot"})
    assert settings.slice == make_slice(["a", "b"], ["team=x", "!spot"])
    settings, _ = read({"ARGOCD_ENV_OMEGEN_ONLY_NAMESPACE": "a", "ARGOCD_APP_PARAMETERS": params(onlySelector="")})
    assert settings.slice == make_slice(["a"]), "an empty string (an ApplicationSet element without a selector) sets nothing"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PARAM_ONLYNAMESPACE": "Team_A"}, "PARAM_ONLYNAMESPACE: onlyNamespace 'Team_A'"),
        ({"ARGOCD_APP_PARAMETERS": params(onlySelector="a=b=c")}, "parameter onlySelector: onlySelector 'a=b=c'"),
        ({"ARGOCD_APP_PARAMETERS": json.dumps([{"name": "onlyNamespace", "map": {"a": "b"}}])}, "takes a string or an array of strings"),
    ],
)
def test_bad_slice_parameters_are_errors(env, message):
    settings, problems = read(env)
    assert len(problems) == 1 and message in problems[0].message and problems[0].code == "invalid-parameter", problems
