"""All YAML reading and writing. The only module that imports `yaml`.

Loading is safe-only (no Python object tags), rejects duplicate keys, and records where every
node sits so a diagnostic can name the file, line and column of a field. libyaml's C parser and
emitter are used when PyYAML was built with them; the output is identical either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Safety limits: a source tree is untrusted input to a CI job.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES_PER_DOCUMENT = 1_000_000

Path = tuple  # of str (mapping keys) and int (sequence indices)


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


class _Loader(_BaseLoader):
    pass


def _construct_mapping_no_duplicates(loader, node, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise YAMLError(
                "mapping key is not a scalar",
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            ) from None
        if key in seen:
            first = seen[key]
            raise YAMLError(
                f"duplicate key {key!r} (first defined at line {first.start_mark.line + 1})",
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
                code="duplicate-key",
            )
        seen[key] = key_node
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(
    "tag:yaml.org,2002:map",
    lambda loader, node: _construct_map(loader, node),
)


def _construct_map(loader, node):
    # Mirrors SafeConstructor.construct_yaml_map, with the duplicate check.
    data: dict = {}
    yield data
    loader.flatten_mapping(node)
    data.update(_construct_mapping_no_duplicates(loader, node))


def _index(node, path: Path, marks: dict, budget: list, at=None) -> None:
    # A mapping entry is marked at its key (where a reader looks for the field), anything else at itself.
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
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                _index(value_node, path + (key_node.value,), marks, budget, key_node.start_mark)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, path + (i,), marks, budget)


def load_documents(text: str) -> Iterator[Document]:
    """Yield every document of a YAML stream. Raises `YAMLError` with a position on bad input."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YAMLError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", 1, 1, code="yaml-limit")
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            marks: dict = {}
            _index(node, (), marks, [MAX_NODES_PER_DOCUMENT])
            data = loader.construct_document(node)
            yield Document(data, node.start_mark.line + 1, node.start_mark.column + 1, marks)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        raise YAMLError(problem, line, column) from None
    except yaml.YAMLError as exc:
        raise YAMLError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except RecursionError:
        raise YAMLError("document is nested too deeply", 1, 1, code="yaml-limit") from None
    finally:
        loader.dispose()


def load_one(text: str) -> Any:
    """The single document of `text` (or None when it is empty)."""
    docs = list(load_documents(text))
    if len(docs) > 1:
        raise YAMLError("expected a single YAML document", docs[1].line, docs[1].column)
    return docs[0].data if docs else None


class _Dumper(_BaseDumper):
    pass


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
