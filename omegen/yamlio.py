"""All YAML reading and writing. The only module that imports `yaml`.

Loading is safe-only (no Python object tags), reads mapping keys as the strings Kubernetes sees
(`on:` is "true"), rejects duplicate keys, and records where every node sits so a diagnostic can
name the file, line and column of a field. Dumping never writes anchors or aliases. libyaml's C
parser and emitter are used when PyYAML was built with them; the output is identical either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Safety limits: a source tree is untrusted input to a CI job.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES_PER_DOCUMENT = 1_000_000

Path = tuple  # of str (mapping keys) and int (sequence indices)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def format_path(path: Path) -> str:
    """`("spec", "supportedModelFormats", 0, "priority")` → `spec.supportedModelFormats[0].priority`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Document:
    """One YAML document: its value, where it starts, and the position of every node in it."""

    data: Any
    line: int
    column: int
    marks: dict = field(default_factory=dict, compare=False, repr=False)  # Path → (line, column), 1-based

    def mark(self, path: Path) -> tuple[int, int]:
        """The position of the node at `path`, or of its nearest ancestor that exists."""
        path = tuple(path)
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return (self.line, self.column)


class YAMLError(Exception):
    """A file that is not valid YAML (or breaks a safety limit), with its position."""

    def __init__(self, message: str, line: int = 0, column: int = 0, code: str = "yaml-syntax"):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code


def too_large() -> YAMLError:
    """The error for a file over MAX_FILE_BYTES (also checked before a file is read at all)."""
    mib, rest = divmod(MAX_FILE_BYTES, 1024 * 1024)
    limit = f"{mib} MiB" if mib and not rest else f"{MAX_FILE_BYTES} bytes"
    return YAMLError(f"file is larger than {limit}", 1, 1, code="yaml-limit")


class _Loader(_BaseLoader):
    pass


def json_key(key: Any) -> str:
    """A mapping key as Kubernetes reads it once YAML became JSON: `yes` → "true", `~` → "null", `1` → "1"."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    return str(key)


def _construct_map(loader, node):
    # SafeConstructor.construct_yaml_map, plus: a key written twice is an error (a key that a merge
    # `<<` brings in may be overridden, that is what merges are for), and keys become strings as
    # Kubernetes reads them, so `on:` and `1:` stay two keys ("true" and "1") instead of Python's one.
    data: dict = {}
    yield data
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:
            continue
        name = json_key(_key(loader, key_node))
        if name in seen:
            raise YAMLError(
                f"duplicate key {name!r} (first defined at line {seen[name].start_mark.line + 1})",
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
                code="duplicate-key",
            )
        seen[name] = key_node
    loader.flatten_mapping(node)  # merged entries first, so the mapping's own ones win
    for key_node, value_node in node.value:
        data[json_key(_key(loader, key_node))] = loader.construct_object(value_node)


def _key(loader, key_node):
    key = loader.construct_object(key_node, deep=True)
    try:
        hash(key)
    except TypeError:
        raise YAMLError("mapping key is not a scalar", key_node.start_mark.line + 1, key_node.start_mark.column + 1) from None
    return key


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _index(loader, node, path: Path, marks: dict, budget: list, at=None) -> None:
    # A mapping entry is marked at its key (where a reader looks for the field), anything else at itself.
    # Keys are recorded under their JSON name, the one diagnostics use (`yes:` is the field "true").
    budget[0] -= 1
    if budget[0] < 0:
        raise YAMLError(
            f"document has more than {MAX_NODES_PER_DOCUMENT} nodes (alias expansion?)",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
            code="yaml-limit",
        )
    at = at or node.start_mark
    marks.setdefault(path, (at.line + 1, at.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                key = key_node.value if key_node.tag == _STR else json_key(loader.construct_object(key_node))
                _index(loader, value_node, path + (key,), marks, budget, key_node.start_mark)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(loader, item, path + (i,), marks, budget)


def load_documents(text: str, *, positions: bool = True) -> Iterator[Document]:
    """Yield every document of a YAML stream. Raises `YAMLError` with a position on bad input.

    `positions=False` (omegen's own rendered text, never a user's file) skips indexing every node's
    position, which only diagnostics about sources need."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise too_large()
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            marks: dict = {}
            if positions:
                _index(loader, node, (), marks, [MAX_NODES_PER_DOCUMENT])
            data = loader.construct_document(node)
            yield Document(data, node.start_mark.line + 1, node.start_mark.column + 1, marks)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        raise YAMLError(problem, line, column) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        raise YAMLError(str(exc).splitlines()[0], line, column) from None
    except yaml.YAMLError as exc:
        raise YAMLError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except RecursionError:
        raise YAMLError("document is nested too deeply", 1, 1, code="yaml-limit") from None
    finally:
        loader.dispose()


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a reader error's offset: libyaml counts UTF-8 bytes, PyYAML characters."""
    if _BaseLoader is not yaml.SafeLoader:
        offset = len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace"))
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


class _Dumper(_BaseDumper):
    def ignore_aliases(self, data) -> bool:
        return True  # a value shared by two fields is written twice, never as an &anchor/*alias


def _represent_str(dumper, value: str):
    # Block style for multi-line strings (chat templates, scripts) keeps them readable in Git diffs.
    style = "|" if "\n" in value and value == value.strip(" ") and "\t" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    """One document, keys sorted, block style: the canonical form of every file omegen writes."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=10_000,
        indent=2,
    )


def dump_all(documents: list) -> str:
    return "".join(("---\n" if i else "") + dump(doc) for i, doc in enumerate(documents))
