"""The estate end to end: `omegen build SRC -o OUT` as a user runs it, a no-change rebuild, one
service as an Argo CD repo server renders it, and the YAML emitter against PyYAML's.

    python3 bench/bench_estate.py [--services 1000,10000] [--repeat 3] [--compare CHECKOUT]

Every omegen run is a fresh process (`python -m omegen`), timed by wall clock with its peak RSS.
`--compare CHECKOUT` runs another checkout of omegen (a `git worktree` of an older commit, say) on
the same trees in the same run, alternating with this one, so the two are measured under the same
load: on a shared machine only ratios within one run mean much. Medians of `--repeat` runs.

In the same run, as yardsticks: the libyaml round trip of the same data (load the sources, load the
output, dump the output, with PyYAML's C loader and dumper), and `kubectl kustomize` over the
one-service output when kubectl is on PATH. A script run by hand; the numbers go in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from bench_build import make_tree  # noqa: E402  (the benchmark tree generator)


def run(checkout: Path, *args: str) -> tuple[float, float, bytes, float]:
    """(wall seconds, peak RSS in MB, stdout, CPU seconds) of `python -m omegen ARGS` importing
    `checkout`. CPU time (user + system) suffers less than wall time from a busy machine."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # cwd=checkout: `python -m` puts the working directory first on sys.path, before PYTHONPATH.
        proc = subprocess.Popen([sys.executable, "-m", "omegen", *args], cwd=checkout, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: its peak RSS
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{checkout}: omegen {' '.join(args)} failed ({proc.returncode}):\n{err.read().decode()[-2000:]}")
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read(), usage.ru_utime + usage.ru_stime


def libyaml_round_trip(src: Path, out: Path) -> float:
    """Load every source, load every output file, dump the output again: PyYAML with libyaml."""
    loader, dumper = yaml.CSafeLoader, yaml.CSafeDumper
    start = time.perf_counter()
    for path in sorted(src.rglob("*.yaml")):
        list(yaml.load_all(path.read_text(), Loader=loader))
    docs = []
    for path in sorted(out.rglob("*.yaml")):
        docs.extend(yaml.load_all(path.read_text(), Loader=loader))
    for doc in docs:
        yaml.dump(doc, Dumper=dumper, default_flow_style=False, sort_keys=True, allow_unicode=True, width=10_000)
    return time.perf_counter() - start


def emitter_vs_pyyaml(out: Path, repeat: int) -> dict:
    """yamlemit.dump against yamlio.dump_with_pyyaml over every document of an output tree."""
    from omegen import yamlemit, yamlio

    docs = []
    for path in sorted(out.rglob("*.yaml")):
        docs.extend(d.data for d in yamlio.load_documents(path.read_text(), positions=False))
    times: dict = {"pyyaml": [], "yamlemit": []}
    cold = None
    for i in range(repeat):
        for name, dump in (("pyyaml", yamlio.dump_with_pyyaml), ("yamlemit", yamlemit.dump)):
            if name == "yamlemit" and i == 0:
                yamlemit._KEYS.clear()
                yamlemit._VALUES.clear()
            start = time.perf_counter()
            for doc in docs:
                dump(doc)
            elapsed = time.perf_counter() - start
            times[name].append(elapsed)
            if name == "yamlemit" and i == 0:
                cold = elapsed
    assert all(yamlemit.dump(d) == yamlio.dump_with_pyyaml(d) for d in docs), "yamlemit differs from PyYAML"
    return {"documents": len(docs), "pyyaml": statistics.median(times["pyyaml"]), "yamlemit": statistics.median(times["yamlemit"]), "yamlemit_cold": cold}


def estate(checkouts: dict, services: int, repeat: int, tmp: Path) -> None:
    src = tmp / f"src-{services}"
    make_tree(src, services)
    rows: dict = {name: {"build": [], "rebuild": [], "rss": [], "cpu": [], "rebuild_cpu": []} for name in checkouts}
    rounds = []
    for i in range(repeat):
        for name, checkout in checkouts.items():
            out = tmp / f"out-{services}-{len(rows[name]['build'])}-{list(checkouts).index(name)}"
            wall, rss, _, cpu = run(checkout, "build", str(src), "-o", str(out))
            again, _, _, again_cpu = run(checkout, "build", str(src), "-o", str(out))
            rows[name]["build"].append(wall)
            rows[name]["rebuild"].append(again)
            rows[name]["rss"].append(rss)
            rows[name]["cpu"].append(cpu)
            rows[name]["rebuild_cpu"].append(again_cpu)
        rounds.append(libyaml_round_trip(src, out))
    trip = statistics.median(rounds)
    files = sum(1 for _ in out.rglob("*.yaml"))
    print(f"\n## {services} services ({files} output files), medians of {repeat}")
    print("| checkout | build -o (CPU) | no-change rebuild (CPU) | rebuild/build | build / libyaml round trip | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name in checkouts:
        b, r = statistics.median(rows[name]["build"]), statistics.median(rows[name]["rebuild"])
        bc, rc = statistics.median(rows[name]["cpu"]), statistics.median(rows[name]["rebuild_cpu"])
        print(f"| {name} | {b:.2f} s ({bc:.2f} s) | {r:.2f} s ({rc:.2f} s) | {r / b:.2f} | {b / trip:.2f} | {max(rows[name]['rss']):.0f} MB |")
    print(f"| libyaml round trip (in-process) | {trip:.2f} s | | | 1.00 | |")
    e = emitter_vs_pyyaml(out, repeat)
    print(
        f"\nemit {e['documents']} documents: PyYAML (C dumper) {e['pyyaml']:.3f} s, yamlemit {e['yamlemit']:.3f} s "
        f"(first, cold caches: {e['yamlemit_cold']:.3f} s): {e['pyyaml'] / e['yamlemit']:.1f}x, cold {e['pyyaml'] / e['yamlemit_cold']:.1f}x"
    )


def one_service(checkouts: dict, repeat: int, tmp: Path) -> None:
    src = tmp / "src-1"
    make_tree(src, 1)
    times: dict = {name: {"version": [], "build": [], "version_cpu": [], "build_cpu": []} for name in checkouts}
    stream = b""
    for _ in range(repeat):
        for name, checkout in checkouts.items():
            wall, _, _, cpu = run(checkout, "--version")
            times[name]["version"].append(wall)
            times[name]["version_cpu"].append(cpu)
            wall, _, stream, cpu = run(checkout, "build", str(src))
            times[name]["build"].append(wall)
            times[name]["build_cpu"].append(cpu)
    kustomize = None
    if shutil.which("kubectl"):
        app = tmp / "kustomize-1"
        app.mkdir()
        (app / "all.yaml").write_bytes(stream)
        (app / "kustomization.yaml").write_text("resources:\n- all.yaml\n")
        walls = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(["kubectl", "kustomize", str(app)], check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
        kustomize = statistics.median(walls)
    print(f"\n## one service end to end (`omegen build SRC` to stdout), medians of {repeat}")
    print("| checkout | `omegen --version` (CPU) | one-service build (CPU) | build / kubectl kustomize |")
    print("|---|---|---|---|")
    for name in checkouts:
        v, b = statistics.median(times[name]["version"]), statistics.median(times[name]["build"])
        vc, bc = statistics.median(times[name]["version_cpu"]), statistics.median(times[name]["build_cpu"])
        ratio = f"{b / kustomize:.1f}" if kustomize else "—"
        print(f"| {name} | {v * 1e3:.0f} ms ({vc * 1e3:.0f} ms) | {b * 1e3:.0f} ms ({bc * 1e3:.0f} ms) | {ratio} |")
    if kustomize:
        print(f"| kubectl kustomize over its output | | {kustomize * 1e3:.0f} ms | 1.0 |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", default="1000,10000", help="comma-separated estate sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another omegen checkout to measure in the same run")
    args = parser.parse_args()
    checkouts = {"this checkout": REPO}
    if args.compare:
        checkouts["compared: " + str(args.compare)] = args.compare.resolve()
    print(f"date: {date.today().isoformat()}, machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, PyYAML {yaml.__version__} (libyaml {yaml.__with_libyaml__})")
    with tempfile.TemporaryDirectory(prefix="omegen-bench-") as tmp:
        one_service(checkouts, max(args.repeat, 5), Path(tmp))
        for n in (int(x) for x in args.services.split(",") if x):
            estate(checkouts, n, args.repeat, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
