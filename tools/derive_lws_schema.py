#!/usr/bin/env python3
"""Derive omegen's strict LeaderWorkerSet JSON Schema from the upstream CRD.

    python3 tools/derive_lws_schema.py [CRD.yaml] [-o schemas/]

reads the LeaderWorkerSet CustomResourceDefinition (default: the copy of kubernetes-sigs/lws
v0.10.0 in ../shared/upstream/lws/) and writes, for every served version of the CRD,
`<out>/<group>/<lowercase kind>_<version>.json`: kubeconform's -schema-location layout, e.g.
`schemas/leaderworkerset.x-k8s.io/leaderworkerset_v1.json`. Any CRD works: omegen's OME model schemas
(`schemas/ome.io/{clusterbasemodel,basemodel}_v1beta1.json`) come from OME's `config/crd/full/`
at the commit the README names.

The schema is the version's `openAPIV3Schema`, made strict the way kubeconform's
`openapi2jsonschema.py` does it: `additionalProperties: false` on every object node that declares
`properties` (the root included) unless it carries `x-kubernetes-preserve-unknown-fields`, and
`format: int-or-string` rewritten to `oneOf: [string, integer]` (the LWS CRD has none; it writes
int-or-string as `anyOf`). Keys are sorted and the file is indented by one space, so the output is
byte-identical to `shared/upstream/lws/jsonschema-strict/` for the same CRD.

omegen does not validate the pod templates with this file alone: at run time `omegen.kube.schemas`
replaces the CRD's copies of PodTemplateSpec and ObjectMeta with references to the core schemas of
the configured Kubernetes version (see there). The file is what `omegen schemas export` hands to
kubeconform.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omegen.yamlio import load_documents  # noqa: E402  (the one module allowed to import yaml)

DEFAULT_CRD = ROOT.parent / "shared" / "upstream" / "lws" / "leaderworkerset.x-k8s.io_leaderworkersets.yaml"
DEFAULT_OUT = ROOT / "schemas"


def make_strict(node):
    """A copy of an OpenAPI v3 schema with unknown fields denied wherever fields are declared."""
    if isinstance(node, list):
        return [make_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: make_strict(value) for key, value in node.items()}
    if out.get("format") == "int-or-string":
        del out["format"]
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if "properties" in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


def derive(crd: dict) -> dict:
    """`{(group, lowercase kind, version): schema}` for every served version of a CRD."""
    if crd.get("kind") != "CustomResourceDefinition":
        raise ValueError("not a CustomResourceDefinition")
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    out = {}
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        schema = version.get("schema", {}).get("openAPIV3Schema")
        if schema is None:
            raise ValueError(f"version {version['name']} has no openAPIV3Schema")
        out[(group, kind.lower(), version["name"])] = make_strict(schema)
    return out


def render(schema: dict) -> str:
    return json.dumps(schema, indent=1, sort_keys=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("crd", nargs="?", type=Path, default=DEFAULT_CRD)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    documents = [d.data for d in load_documents(args.crd.read_text(encoding="utf-8"))]
    crds = [d for d in documents if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    if not crds:
        print(f"{args.crd}: no CustomResourceDefinition found", file=sys.stderr)
        return 1
    for crd in crds:
        for (group, kind, version), schema in sorted(derive(crd).items()):
            path = args.out / group / f"{kind}_{version}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(schema), encoding="utf-8")
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
