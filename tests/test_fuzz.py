"""A bounded fuzz: hypothesis mutates a real source tree (types, keys, truncation, bytes) and every
build must end in exit 0 or 1, never 3 (an internal error), within a deadline.

CI runs OMEGEN_FUZZ_EXAMPLES examples (default 40). The long campaign (at least ten minutes, outside
CI) is written in tests/README.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_tree
from hostile_corpus import BASE
from omegen import yamlio
from omegen.commands import main as cli

EXAMPLES = int(os.environ.get("OMEGEN_FUZZ_EXAMPLES", "40"))
FILES = ("rt.yaml", "isvc.yaml", "model.yaml", "omegen.yaml")

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["a\n", "", "{{ .Name", "{{.Labels.x}}", "$(MODEL_PATH)", "2024-01-01", "-1", "0", "x" * 300, "é\u2028"]),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, prefix + (i,))


def _set(data, path, value):
    if not path:
        return value
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@st.composite
def mutated_tree(draw):
    files = {name: text for name, text in BASE.items()}
    name = draw(st.sampled_from(FILES))
    text = files[name]
    kind = draw(st.sampled_from(["value", "key", "delete", "truncate", "bytes", "yaml-text"]))
    if kind in ("value", "key", "delete"):
        data = next(iter(yamlio.load_documents(text))).data
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        if kind == "value":
            data = _set(data, path, draw(_values))
        elif path and kind == "delete":
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            del parent[path[-1]]
        elif path and isinstance(path[-1], str):
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            parent[draw(st.text(max_size=12))] = parent.pop(path[-1])
        files[name] = yamlio.dump(data)
    elif kind == "truncate":
        files[name] = text[: draw(st.integers(0, len(text)))]
    elif kind == "bytes":
        raw = bytearray(text.encode("utf-8"))
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(raw)))
            raw[at:at] = bytes(draw(st.lists(st.integers(0, 255), min_size=1, max_size=4)))
        files[name] = bytes(raw)
    else:  # YAML syntax that builds odd values
        line = draw(st.sampled_from(["!!set {a}", "!!binary aGk=", "&a [*a]", "<<: {}", "!!int x", ".nan", "? [a]\n: b", "2024-13-01", "~", "!!omap []"]))
        lines = text.splitlines(keepends=True)
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, f"{draw(st.sampled_from(['', '  ', '    ']))}{draw(st.sampled_from(['x: ', '- ', '']))}{line}\n")
        files[name] = "".join(lines)
    return files


def _write(root: Path, files: dict) -> Path:
    for rel, content in files.items():
        path = root / rel
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@settings(max_examples=EXAMPLES, deadline=20_000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_tree(), st.booleans())
def test_a_mutated_tree_never_crashes(files, to_tree):
    with tempfile.TemporaryDirectory(prefix="omegen-fuzz-") as tmp:
        root = write_tree(Path(tmp) / "src", {})
        root.mkdir(parents=True, exist_ok=True)
        _write(root, files)
        argv = ["build", str(root)] + (["-o", str(Path(tmp) / "out")] if to_tree else [])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main(argv)
                code = 0
            except SystemExit as exited:
                code = exited.code
        assert code in (0, 1), err.getvalue()[-3000:]
        assert "internal error" not in err.getvalue()
