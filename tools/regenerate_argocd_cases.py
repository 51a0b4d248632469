"""Rewrite tests/argocd/<case>/{expected.yaml, stderr.txt, errors.txt} from the plugin's current
output. Read every changed line before committing: these files are the contract under test."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from argocd_contract import check_out, generate, read_env  # noqa: E402

for case in sorted((TESTS / "argocd").iterdir()):
    with tempfile.TemporaryDirectory() as tmp:
        app = check_out(case, Path(tmp))
        done = generate(app, read_env(case / "env.txt"), Path(tmp) / "home")
        done.stderr = done.stderr.replace(str(tmp).encode(), b"<tmp>")
    for name in ("expected.yaml", "stderr.txt", "errors.txt"):
        (case / name).unlink(missing_ok=True)
    if done.returncode == 0:
        (case / "expected.yaml").write_bytes(done.stdout)
        if done.stderr:
            (case / "stderr.txt").write_bytes(done.stderr)
    else:
        assert not done.stdout, f"{case.name}: a failed generate printed on stdout"
        (case / "errors.txt").write_bytes(done.stderr)
    print(f"{case.name}: exit {done.returncode}")
