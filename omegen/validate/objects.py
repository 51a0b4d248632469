"""The validate stage: every emitted object checked before it reaches Git.

`validate_objects` runs two kinds of checks and returns their findings as Diagnostics:

- the strict JSON Schema of each object's kind for the configured Kubernetes version (unknown fields
  rejected), see `omegen.kube.schemas` — code `output-schema`;
- the cross-object and naming rules no schema expresses, see `omegen.validate.crosscheck` — codes
  `output-selector`, `output-port`, `output-target`, `output-name`, `output-duplicate`.

Each finding is one line naming the object, the field path and the problem, located at the
InferenceService the object was rendered for, e.g.

    services/llama.yaml:3:1: error[output-schema]: Deployment team-a/llama-engine:
    spec.template.spec.containers[0].resources.limits.cpu: expected string or number, got array
    (from runtime runtimes/vllm.yaml:12)

(one line in reality). kubeconform, when a user has it, is run separately (`omegen.validate.kubeconform`).
"""

from __future__ import annotations

from omegen.api import Rendered
from omegen.validate.crosscheck import cross_check
from omegen.validate.sizes import check_sizes
from omegen.errors import Diagnostic, error
from omegen.kube.schemas import DEFAULT_BACKEND, checker
from omegen.kube.versions import UnsupportedVersion, normalize_version, supported_versions
from omegen.validate.wording import object_diagnostic

SCHEMA = "output-schema"
VERSION = "kubernetes-version"

__all__ = ["validate_objects", "check_schemas", "supported_versions", "SCHEMA", "VERSION"]


def validate_objects(objects: list[Rendered], kubernetes_version: str = "1.33") -> list[Diagnostic]:
    """Schema and cross-object checks of every output object; `[]` when all is well."""
    try:
        version = normalize_version(kubernetes_version)
    except UnsupportedVersion as exc:
        return [error(VERSION, str(exc))]
    return check_schemas(objects, version) + cross_check(objects) + check_sizes(objects)


def check_schemas(objects: list[Rendered], kubernetes_version: str = "1.33", backend: str = DEFAULT_BACKEND) -> list[Diagnostic]:
    """Only the JSON Schema checks (`backend` lets tests exercise the pure-Python fallback)."""
    version = normalize_version(kubernetes_version)
    out: list[Diagnostic] = []
    for rendered in objects:
        obj = rendered.obj
        if not isinstance(obj, dict):
            out.append(object_diagnostic(SCHEMA, rendered, (), "is not a mapping"))
            continue
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not api_version or not isinstance(kind, str) or not kind:
            missing = "apiVersion" if not isinstance(api_version, str) or not api_version else "kind"
            out.append(object_diagnostic(SCHEMA, rendered, (missing,), "missing"))
            continue
        compiled = checker(api_version, kind, version, backend)
        if compiled is None:
            out.append(
                object_diagnostic(SCHEMA, rendered, (), f"no schema for apiVersion {api_version} kind {kind} in Kubernetes {version}")
            )
            continue
        try:
            issues = compiled.check(obj)
        except (ValueError, TypeError) as exc:  # a value JSON cannot hold (a set, bytes, ...)
            out.append(object_diagnostic(SCHEMA, rendered, (), f"cannot be checked: {' '.join(str(exc).split())}"))
            continue
        for issue in issues:
            out.append(object_diagnostic(SCHEMA, rendered, issue.path, issue.message))
    return out
