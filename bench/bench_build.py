"""End-to-end build time: load + resolve + render + validate for N services over the built-in catalog.

    python3 bench/bench_build.py [--services 200] [--repeat 3]

Writes a temporary source tree of N InferenceServices (spread over ten namespaces, cycling through
the catalog's models, all auto-selected) and times `pipeline.build` on it, then the YAML stream.
A script run by hand; the numbers go in bench/README.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from omegen import pipeline
from omegen.emit import tree as emit
from omegen.resources import data_dir

SERVICE = """\
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata:
  name: svc-{i}
  namespace: team-{ns}
spec:
  model:
    name: {model}
  engine:
    minReplicas: 1
    maxReplicas: {max_replicas}
"""


def make_tree(root: Path, services: int) -> None:
    # Models with a single auto-selectable winner in the catalog (see runtimes/README.md).
    models = sorted(p.stem for p in data_dir("models").glob("*.yaml") if p.stem != "llama-3-1-405b-instruct")
    for i in range(services):
        path = root / f"team-{i % 10}" / f"svc-{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SERVICE.format(i=i, ns=i % 10, model=models[i % len(models)], max_replicas=1 + i % 3))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_tree(root, args.services)
        pipeline.build(root)  # warm: schemas compiled, templates loaded
        builds, streams = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = pipeline.build(root)
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            emit.stream(result.objects)
            streams.append(time.perf_counter() - start)
        if not result.ok:
            print("\n".join(d.as_text() for d in result.diagnostics if d.severity.label == "error"), file=sys.stderr)
            return 1
    print(f"date: {date.today().isoformat()}")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"services: {args.services}, objects: {len(result.objects)}")
    print(f"build: best {min(builds) * 1e3:.0f} ms, median {statistics.median(builds) * 1e3:.0f} ms "
          f"({min(builds) / args.services * 1e3:.2f} ms/service)")
    print(f"emit stream: best {min(streams) * 1e3:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
