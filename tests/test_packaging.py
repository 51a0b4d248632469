"""The wheel carries everything omegen needs at run time: catalog, models, schemas, templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SERVICE = """\
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata: {name: svc, namespace: team}
spec:
  model: {name: llama-3-2-1b-instruct}
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{done.stderr}")
    (path,) = out.glob("omegen-*.whl")
    return path


def test_wheel_contains_the_shipped_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    repo_runtimes = sorted(p.name for p in (REPO / "runtimes").glob("*.yaml"))
    assert repo_runtimes, "the repository ships runtimes"
    assert sorted(Path(n).name for n in names if n.startswith("omegen/_data/runtimes/") and n.endswith(".yaml")) == repo_runtimes
    for directory in ("models", "schemas"):
        assert any(n.startswith(f"omegen/_data/{directory}/") for n in names), directory
    assert any(n.startswith("omegen/render/templates/") for n in names)
    assert "omegen/render/templates/skeletons.json" in names  # what a build renders from


def test_installed_wheel_works_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, "-c", "import omegen.commands.main, sys; print(omegen.commands.main.__file__, file=sys.stderr); omegen.commands.main.main(['runtimes'])"],
        cwd="/",
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.stderr.splitlines()[0].startswith(str(target)), "the installed copy, not the checkout, ran"
    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.splitlines()[1:] if "builtin" in line}
    assert listed == {p.stem for p in (REPO / "runtimes").glob("*.yaml")}
    assert len(listed) == 16

    # `omegen build` from another directory: the catalog, the input and output schemas and the
    # templates all come from the installed package.
    src = tmp_path / "src"
    src.mkdir()
    (src / "svc.yaml").write_text(SERVICE)
    done = subprocess.run(
        [sys.executable, "-c", "import omegen.commands.main; omegen.commands.main.main(['build', 'src'])"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stderr.startswith("omegen: 1 service → ") and done.stderr.count("\n") == 1
    assert "kind: Deployment" in done.stdout and "name: svc-engine" in done.stdout
