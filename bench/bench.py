"""omegen's benchmark: the estate end to end, against issue 14's targets.

    python3 bench/bench.py [--services 1,1000,10000] [--repeat 3] [--compare CHECKOUT] [--profile N]

For each N, on a generated tree (N InferenceServices over twenty namespaces, cycling through the
built-in catalog's models, auto-selected), every omegen run a fresh process (`python -m omegen`, wall
clock, CPU time and peak RSS of that process):
- `build SRC -o OUT` into a fresh OUT, with the time of each stage (OMEGEN_STAGE_TIMES);
- the same again over that OUT (a no-change rebuild);
- `--only-namespace team-0` over that OUT (a 1/20 slice);
- `--cache DIR` twice, timing the second (a no-change cached rebuild), when `build --help` has it;
- N = 1: the build to stdout, as an Argo CD repo server renders one application, and `omegen --version`.
In the same run, as yardsticks: the libyaml round trip of the same data (load the sources, load the
output, dump the output, PyYAML's C loader and dumper) and `kubectl kustomize` over OUT (N up to
1,000; for N = 1, over the stream), each as a ratio against its target. `--compare CHECKOUT` runs
another checkout on the same trees in the same run, alternating with this one: on a shared machine
only ratios within one run mean much. Medians of `--repeat` (one run at N over 1,000).
`--profile N` adds cProfile's top entries for one `build -o` at N. The numbers go in bench/README.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
NAMESPACES = 20

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

# Issue 14's targets are printed beside each ratio (the benchmark's, never a timed test's).
RSS_MAX_MB = 400


def make_tree(root: Path, services: int) -> None:
    """N services over twenty namespaces, models with a single auto-selectable winner in the catalog."""
    models = sorted(p.stem for p in (REPO / "models").glob("*.yaml") if p.stem != "llama-3-1-405b-instruct")
    for i in range(services):
        path = root / f"team-{i % NAMESPACES}" / f"svc-{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SERVICE.format(i=i, ns=i % NAMESPACES, model=models[i % len(models)], max_replicas=1 + i % 3))


class Run:
    def __init__(self, wall: float, cpu: float, rss_mb: float, stdout: bytes, stages: dict):
        self.wall, self.cpu, self.rss_mb, self.stdout, self.stages = wall, cpu, rss_mb, stdout, stages


def omegen(checkout: Path, *args: str, prefix: tuple = ()) -> Run:
    """`python -m omegen ARGS` importing `checkout`: wall, CPU (user + system), peak RSS, stage times."""
    with tempfile.TemporaryDirectory() as tmp:
        times = Path(tmp) / "stages.jsonl"
        env = dict(os.environ, PYTHONPATH=str(checkout), OMEGEN_STAGE_TIMES=str(times))
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            # cwd=checkout: `python -m` puts the working directory first on sys.path, before PYTHONPATH.
            proc = subprocess.Popen([sys.executable, *prefix, "-m", "omegen", *args], cwd=checkout, env=env, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: its peak RSS
            wall = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                err.seek(0)
                raise SystemExit(f"{checkout}: omegen {' '.join(args)} failed:\n{err.read().decode()[-2000:]}")
            out.seek(0)
            stages = json.loads(times.read_text().splitlines()[-1]) if times.exists() else {}
            return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read(), stages)


@functools.lru_cache(maxsize=None)
def has_option(checkout: Path, option: str) -> bool:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run([sys.executable, "-m", "omegen", "build", "--help"], cwd=checkout, env=env, capture_output=True, text=True)
    return option in done.stdout


def libyaml_round_trip(src: Path, out: Path) -> tuple[float, float]:
    """(wall, CPU) to load every source, load every output file, dump the output again: PyYAML with libyaml."""
    start, cpu = time.perf_counter(), time.process_time()
    for path in sorted(src.rglob("*.yaml")):
        list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
    docs = []
    for path in sorted(out.rglob("*.yaml")):
        docs.extend(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
    for doc in docs:
        yaml.dump(doc, Dumper=yaml.CSafeDumper, default_flow_style=False, sort_keys=True, allow_unicode=True, width=10_000)
    return time.perf_counter() - start, time.process_time() - cpu


def kustomize(directory: Path) -> tuple[float, float] | None:
    """(wall, CPU) of `kubectl kustomize DIRECTORY`, or None without kubectl."""
    if not shutil.which("kubectl"):
        return None
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(["kubectl", "kustomize", str(directory)], stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"kubectl kustomize {directory} failed")
        return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def median(values: list) -> float:
    return statistics.median(values) if values else float("nan")


def estate(checkouts: dict, n: int, repeat: int, tmp: Path) -> dict:
    src = tmp / f"src-{n}"
    make_tree(src, n)
    rows: dict = {name: {k: [] for k in ("build", "rebuild", "slice", "cached")} for name in checkouts}
    yardsticks: dict = {"round trip": [], "kustomize": []}
    for i in range(repeat):
        for name, checkout in checkouts.items():
            out = tmp / f"out-{n}-{i}-{list(checkouts).index(name)}"
            row = rows[name]
            row["build"].append(omegen(checkout, "build", str(src), "-o", str(out)))
            row["rebuild"].append(omegen(checkout, "build", str(src), "-o", str(out)))
            if has_option(checkout, "--only-namespace"):
                row["slice"].append(omegen(checkout, "build", str(src), "-o", str(out), "--only-namespace", "team-0"))
            if has_option(checkout, "--cache"):
                cache = tmp / f"cache-{n}-{i}-{list(checkouts).index(name)}"
                omegen(checkout, "build", str(src), "-o", str(out), "--cache", str(cache))
                row["cached"].append(omegen(checkout, "build", str(src), "-o", str(out), "--cache", str(cache)))
                shutil.rmtree(cache, ignore_errors=True)
        wall, cpu = libyaml_round_trip(src, out)
        yardsticks["round trip"].append(wall)
        yardsticks.setdefault("round trip cpu", []).append(cpu)
        if n <= 1000:
            k = kustomize(out)
            if k is not None:
                yardsticks["kustomize"].append(k[0])
                yardsticks.setdefault("kustomize cpu", []).append(k[1])
        if i < repeat - 1:  # the trees of earlier repeats are not needed again
            for index in range(len(checkouts)):
                shutil.rmtree(tmp / f"out-{n}-{i}-{index}", ignore_errors=True)
    trip, kust = median(yardsticks["round trip"]), median(yardsticks["kustomize"])
    files = sum(1 for _ in out.rglob("*.yaml"))
    print(f"\n## {n:,} services ({files:,} output files), medians of {repeat}")
    kust_cpu, trip_cpu = median(yardsticks.get("kustomize cpu", [])), median(yardsticks["round trip cpu"])
    print(f"libyaml round trip {trip:.2f} s (CPU {trip_cpu:.2f} s, in-process)" + (f", kubectl kustomize over OUT {kust:.2f} s (CPU {kust_cpu:.2f} s)" if yardsticks["kustomize"] else ""))
    print("| checkout | build -o wall (CPU) | peak RSS | build / round trip (target <= 0.6, aim 0.3) | kustomize / build (target >= 10) "
          "| no-change rebuild (CPU) | 1/20 slice (CPU), / build (target <= 0.15) | cached no-change (CPU), / build (target <= 0.10) |")
    print("|---|---|---|---|---|---|---|---|")
    summary = {}
    for name in checkouts:
        row = rows[name]
        b, bc = median([r.wall for r in row["build"]]), median([r.cpu for r in row["build"]])
        rss = max(r.rss_mb for r in row["build"])

        def cell(runs):
            if not runs:
                return "not measured"
            w, c = median([r.wall for r in runs]), median([r.cpu for r in runs])
            return f"{w:.2f} s ({c:.2f} s), {w / b:.2f} (CPU {c / bc:.2f})"

        kratio = f"{kust / b:.1f} (CPU {kust_cpu / bc:.1f})" if yardsticks["kustomize"] else "—"
        rebuild = f"{median([r.wall for r in row['rebuild']]):.2f} s ({median([r.cpu for r in row['rebuild']]):.2f} s)"
        print(f"| {name} | {b:.2f} s ({bc:.2f} s) | {rss:.0f} MB | {b / trip:.2f} (CPU {bc / trip_cpu:.2f}) | {kratio} | {rebuild} | {cell(row['slice'])} | {cell(row['cached'])} |")
        stages = [r.stages for r in row["build"] if r.stages]
        if stages:
            keys = list(stages[0])
            print(f"|   stages of {name} | " + ", ".join(f"{k} {median([s.get(k, 0) for s in stages]):.2f} s" for k in keys) + " | | | | | | |")
        summary[name] = {"build": b, "cpu": bc, "rss": rss}
    return summary


def one_service(checkouts: dict, repeat: int, tmp: Path) -> None:
    src = tmp / "src-1"
    make_tree(src, 1)
    runs: dict = {name: {"version": [], "build": []} for name in checkouts}
    stream = b""
    for _ in range(repeat):
        for name, checkout in checkouts.items():
            runs[name]["version"].append(omegen(checkout, "--version"))
            run = omegen(checkout, "build", str(src))
            runs[name]["build"].append(run)
            stream = run.stdout
    app = tmp / "kustomize-1"
    app.mkdir()
    (app / "all.yaml").write_bytes(stream)
    (app / "kustomization.yaml").write_text("resources:\n- all.yaml\n")
    kust = [k for k in (kustomize(app) for _ in range(repeat)) if k is not None]
    k, kc = median([w for w, _ in kust]), median([c for _, c in kust])
    print(f"\n## one service to stdout (an Argo CD repo server's render), medians of {repeat}")
    print("| checkout | `omegen --version` (CPU) | one-service build (CPU) | peak RSS | build / kubectl kustomize (target <= 2, aim 1) |")
    print("|---|---|---|---|---|")
    for name in checkouts:
        v, b = runs[name]["version"], runs[name]["build"]
        bw, bc = median([r.wall for r in b]), median([r.cpu for r in b])
        ratio = f"{bw / k:.1f} (CPU {bc / kc:.1f})" if kust else "—"
        print(f"| {name} | {median([r.wall for r in v]) * 1e3:.0f} ms ({median([r.cpu for r in v]) * 1e3:.0f} ms) "
              f"| {bw * 1e3:.0f} ms ({bc * 1e3:.0f} ms) | {max(r.rss_mb for r in b):.0f} MB | {ratio} |")
        stages = [r.stages for r in b if r.stages]
        if stages:
            print(f"|   stages of {name} | | " + ", ".join(f"{key} {median([s.get(key, 0) for s in stages]) * 1e3:.0f} ms" for key in stages[0]) + " | | |")
    if kust:
        print(f"| kubectl kustomize over its output | | {k * 1e3:.0f} ms ({kc * 1e3:.0f} ms) | | 1.0 |")


def profile(n: int, tmp: Path, top: int = 25) -> None:
    src, out, stats = tmp / f"profile-src-{n}", tmp / f"profile-out-{n}", tmp / f"profile-{n}.pstats"
    make_tree(src, n)
    run = omegen(REPO, "build", str(src), "-o", str(out), prefix=("-m", "cProfile", "-o", str(stats)))
    print(f"\n## cProfile of `build -o` at {n:,} services ({run.wall:.1f} s under the profiler, CPU {run.cpu:.1f} s): top {top} by own time")
    p = pstats.Stats(str(stats))
    total = p.total_tt
    rows = sorted(p.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    print("| function | own time | share | cumulative |")
    print("|---|---|---|---|")
    for (file, line, func), (_, calls, own, cumulative, _) in rows:
        where = file.replace(str(REPO) + "/", "").split("site-packages/")[-1]
        print(f"| `{where}:{line}({func})` ×{calls:,} | {own:.2f} s | {own / total:.0%} | {cumulative:.2f} s |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", default="1,1000,10000", help="comma-separated estate sizes (1 is the one-service case)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another omegen checkout to measure in the same run")
    parser.add_argument("--profile", type=int, help="also profile one build -o at this size")
    args = parser.parse_args()
    checkouts = {"this checkout": REPO}
    if args.compare:
        checkouts["compared: " + str(args.compare)] = args.compare.resolve()
    load = os.getloadavg()
    print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, PyYAML {yaml.__version__} (libyaml {yaml.__with_libyaml__}), "
          f"load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    sizes = [int(x) for x in args.services.split(",") if x]
    with tempfile.TemporaryDirectory(prefix="omegen-bench-") as tmp:
        results = {}
        for n in sizes:
            if n == 1:
                one_service(checkouts, max(args.repeat, 5), Path(tmp))
            else:
                results[n] = estate(checkouts, n, args.repeat if n <= 1000 else 1, Path(tmp))
        if 1000 in results and 10000 in results:
            print("\n## growth, 1,000 → 10,000 services (target: at most 11×)")
            for name in checkouts:
                a, b = results[1000][name], results[10000][name]
                print(f"- {name}: wall {b['build'] / a['build']:.1f}×, CPU {b['cpu'] / a['cpu']:.1f}×; peak RSS at 10,000: {b['rss']:.0f} MB (target < {RSS_MAX_MB} MB)")
        if args.profile:
            profile(args.profile, Path(tmp))
    load = os.getloadavg()
    print(f"\nload average at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
