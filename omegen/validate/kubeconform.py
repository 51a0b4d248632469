"""kubeconform, for users who have it, and omegen's schemas in the layout kubeconform reads.

kubeconform (a Go binary, not installable from PyPI) validates the rendered YAML stream against the
Kubernetes schemas it downloads (`-schema-location default`) and against ours for custom resources
(LeaderWorkerSet), which `export_schemas` writes in kubeconform's CRD layout
`<dir>/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json` — kubeconform lower-cases
`ResourceKind`, so the LWS schema is `leaderworkerset.x-k8s.io/leaderworkerset_v1.json`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from omegen import yamlio
from omegen.api import Rendered
from omegen.errors import Diagnostic, ObjectRef, error
from omegen.validate.wording import format_output_path, object_diagnostic
from omegen.safeget import as_dict
from omegen.resources import data_dir

CODE = "kubeconform"
SCHEMA_LOCATION = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
TIMEOUT_SECONDS = 300

# A schema file in kubeconform's CRD layout: <group with a dot>/<lowercase kind>_<version>.json
_LAYOUT = re.compile(r"^[a-z0-9]+_v[0-9]+[a-z0-9]*\.json$")


def export_schemas(directory: Path) -> list[Path]:
    """Write omegen's own schemas (custom resources such as LeaderWorkerSet) under `directory` in
    kubeconform's `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json` layout; return the
    files written, sorted."""
    directory = Path(directory)
    written = []
    for source in _own_schema_files():
        target = directory / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        written.append(target)
    return sorted(written)


def _own_schema_files() -> list[Path]:
    root = data_dir("schemas")
    if not root.is_dir():
        return []
    return sorted(
        path
        for group in root.iterdir()
        if group.is_dir() and "." in group.name
        for path in group.iterdir()
        if path.is_file() and _LAYOUT.fullmatch(path.name)
    )


def kubeconform_version(kubernetes_version: str) -> str:
    """kubeconform wants a full version: `1.33` → `1.33.0`; `v1.33.2` → `1.33.2`."""
    text = str(kubernetes_version).strip().lstrip("v")
    return text + ".0" if re.fullmatch(r"\d+\.\d+", text) else text


def command(executable: str, kubernetes_version: str, schema_dir: Path) -> list[str]:
    return [
        executable,
        "-strict",
        "-output",
        "json",
        "-kubernetes-version",
        kubeconform_version(kubernetes_version),
        "-schema-location",
        "default",
        "-schema-location",
        f"{Path(schema_dir)}/{SCHEMA_LOCATION}",
    ]


def run_kubeconform(
    stream: str,
    executable: str,
    kubernetes_version: str,
    schema_dir: Path,
    objects: Optional[list[Rendered]] = None,
) -> list[Diagnostic]:
    """Run kubeconform on a rendered YAML stream; its findings as `kubeconform` diagnostics.

    `objects` (optional) are the Rendered objects of the stream: a finding about one of them is then
    located at its InferenceService, like omegen's own checks. A missing or failing executable is an
    error diagnostic, never an exception."""
    resolved = shutil.which(executable) if executable else None
    if not resolved:
        return [
            error(
                CODE,
                f"kubeconform executable {executable!r} not found: install kubeconform or pass its path "
                "(omegen's own schema checks ran without it)",
            )
        ]
    argv = command(resolved, kubernetes_version, schema_dir)
    try:
        proc = subprocess.run(argv, input=stream, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return [error(CODE, f"kubeconform did not finish within {TIMEOUT_SECONDS} s")]
    except OSError as exc:
        return [error(CODE, f"cannot run kubeconform {resolved!r}: {exc.strerror or exc}")]
    return parse_output(proc.stdout, proc.returncode, proc.stderr, objects or [])


def check_objects(objects: list[Rendered], executable: str, kubernetes_version: str) -> list[Diagnostic]:
    """kubeconform over the rendered objects, with omegen's own schemas (LWS) exported beside its defaults."""
    with tempfile.TemporaryDirectory(prefix="omegen-schemas-") as schema_dir:
        export_schemas(Path(schema_dir))
        stream = yamlio.dump_all([r.obj for r in objects])
        return run_kubeconform(stream, executable, kubernetes_version, Path(schema_dir), objects=objects)


def parse_output(stdout: str, returncode: int, stderr: str = "", objects: Optional[list[Rendered]] = None) -> list[Diagnostic]:
    """Map kubeconform's `-output json` report to diagnostics."""
    try:
        report = json.loads(stdout) if stdout.strip() else {"resources": []}
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        detail = _first_line(stderr) or _first_line(stdout) or f"exit code {returncode}"
        return [error(CODE, f"kubeconform failed: {detail}")]
    out: list[Diagnostic] = []
    for resource in report.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        status = str(resource.get("status", "")).lower().removeprefix("status")
        if status in ("valid", "skipped", "empty", ""):
            continue
        kind, name = str(resource.get("kind") or ""), str(resource.get("name") or "")
        rendered = _find(objects or [], kind, name, str(resource.get("version") or ""))
        findings = [e for e in resource.get("validationErrors") or [] if isinstance(e, dict)]
        if not findings:
            findings = [{"path": "", "msg": resource.get("msg") or status}]
        for finding in findings:
            path = _pointer_to_path(str(finding.get("path") or ""))
            what = " ".join(str(finding.get("msg") or status).split())
            if rendered is not None:
                out.append(object_diagnostic(CODE, rendered, path, what))
            else:
                subject = f"{kind} {name}".strip() or "a document"
                field = format_output_path(path)
                ref = ObjectRef(kind, name, "", str(resource.get("version") or "")) if kind and name else None
                out.append(error(CODE, f"{subject}: {field}: {what}" if field else f"{subject}: {what}", field=field, subject=ref))
    if not out and returncode not in (0, None):
        out.append(error(CODE, f"kubeconform failed: {_first_line(stderr) or f'exit code {returncode}'}"))
    return out


def _find(objects: list[Rendered], kind: str, name: str, api_version: str) -> Optional[Rendered]:
    for rendered in objects:
        obj = as_dict(rendered.obj)
        if obj.get("kind") == kind and rendered.name == name and (not api_version or obj.get("apiVersion") == api_version):
            return rendered
    return None


def _pointer_to_path(pointer: str) -> tuple:
    """`/spec/template/spec/containers/0/image` → ("spec", "template", "spec", "containers", 0, "image")."""
    parts = []
    for raw in pointer.strip("/").split("/") if pointer.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isascii() and part.isdigit() else part)
    return tuple(parts)


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


__all__ = ["run_kubeconform", "export_schemas", "parse_output", "command", "kubeconform_version"]
