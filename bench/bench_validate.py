#!/usr/bin/env python3
"""Time output validation per object, validators warm.

    python3 bench/bench_validate.py [--services 100] [--repeat 20] [--kubernetes-version 1.33]

Builds a realistic output set: per InferenceService the ten objects of tests/output_fixtures.py
(ServiceAccount, Role, RoleBinding, a GPU engine Deployment with its Service, HPA and PDB, a
two-pod decoder LeaderWorkerSet and its Service, the endpoint Service), spread over ten
namespaces; 100 services = 1000 objects. It validates once to compile and cache the validators,
then reports the best and median of `--repeat` timed runs of `validate_objects` (schemas + cross
checks) and of each half alone, in microseconds per object. Not a test: run it by hand and record
the numbers in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from output_fixtures import SOURCES, valid_objects  # noqa: E402

from omegen import k8s_schemas  # noqa: E402
from omegen.api import Rendered  # noqa: E402
from omegen.validate.crosscheck import cross_check  # noqa: E402
from omegen.validate.objects import check_schemas, validate_objects  # noqa: E402


def build(services: int) -> list[Rendered]:
    template = json.dumps(valid_objects())
    out = []
    for i in range(services):
        namespace = f"team-{i % 10}"
        text = template.replace('"team-a"', json.dumps(namespace)).replace("llama", f"llama{i}")
        out.extend(Rendered(obj, (namespace, f"llama{i}"), SOURCES) for obj in json.loads(text))
    return out


def timed(fn, objects, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        diagnostics = fn(objects)
        runs.append(time.perf_counter() - start)
        assert diagnostics == [], diagnostics[:3]
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--kubernetes-version", default="1.33")
    args = parser.parse_args(argv)
    version = args.kubernetes_version
    objects = build(args.services)
    kinds: dict[str, int] = {}
    for r in objects:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1

    start = time.perf_counter()
    assert validate_objects(objects, version) == []
    cold = time.perf_counter() - start

    cases = {
        "validate_objects (schema + cross)": lambda objs: validate_objects(objs, version),
        "schemas only": lambda objs: check_schemas(objs, version),
        "cross checks only": cross_check,
    }
    print(f"date: {datetime.date.today().isoformat()}")
    print(f"machine: nproc={os.cpu_count()}, {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"backend: {k8s_schemas.DEFAULT_BACKEND}; Kubernetes {version}")
    print(f"objects: {len(objects)} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    print(f"first run (loads + compiles {len(kinds)} schemas): {cold * 1000:.0f} ms")
    for label, fn in cases.items():
        runs = timed(fn, objects, args.repeat)
        best, median = min(runs), statistics.median(runs)
        print(f"{label}: best {best / len(objects) * 1e6:.1f} µs/object, median {median / len(objects) * 1e6:.1f} µs/object")
    return 0


if __name__ == "__main__":
    sys.exit(main())
