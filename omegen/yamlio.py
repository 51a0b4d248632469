"""All YAML reading and writing. The only module that imports `yaml`.

Loading is safe-only (no Python object tags), reads mapping keys as the strings Kubernetes sees
(`on:` is "true"), rejects duplicate keys, and records where every node sits so a diagnostic can
name the file, line and column of a field. It builds only values JSON can hold, as Kubernetes'
YAML → JSON reading does: a timestamp (`2024-01-01`) or `!!binary` stays the string it was written
as; `!!set`, `!!omap`, `!!pairs`, `.nan`/`.inf` and a scalar its tag cannot read (`!!int x`,
`2024-02-30`) are a `YAMLError` at that node, never a constructor exception; a syntax error is
placed at the mistake (`yamlsyntax`). Dumping never writes anchors or aliases. libyaml's C
parser and emitter are used when PyYAML was built with them; the output is identical either way.
Dumping goes through `yamlemit` (the same bytes, about ten times faster); a document it does not
prove exact is dumped by PyYAML instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml

from omegen import yamlemit, yamlsyntax

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Safety limits: a source tree is untrusted input to a CI job.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES_PER_DOCUMENT = 1_000_000
# Deeper than any Kubernetes object (the deepest CRD schema upstream is 34 levels), and far enough
# below Python's recursion limit that every recursive walk after loading (merge, copy, schema
# checks, dumping) is safe.
MAX_DEPTH = 100

Path = tuple  # of str (mapping keys) and int (sequence indices)
_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_MERGE = _TAG + "merge"


def format_source_path(path: Path) -> str:
    """`("spec", "models", 0, "name")` → `spec.models[0].name`, plainly dotted (output: wording.format_output_path)."""
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


_Loader.add_constructor(_TAG + "map", _construct_map)


def _node_error(node, message: str, code: str = "yaml-value") -> YAMLError:
    return YAMLError(message, node.start_mark.line + 1, node.start_mark.column + 1, code=code)


def _checked_scalar(tag: str, construct):
    # PyYAML's scalar constructors raise ValueError/KeyError/AttributeError... on a value their tag
    # cannot read (`!!int x`, `!!bool maybe`, `2024-02-30`): one located error instead.
    def checked(loader, node):
        try:
            value = construct(loader, node)
        except yaml.YAMLError:
            raise
        except Exception:  # noqa: BLE001 - whatever the constructor's own failure is
            raise _node_error(node, f"{_shown(node.value)} is not a valid !!{tag}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise _node_error(node, f"{_shown(node.value)} is not a number JSON can hold (NaN and infinities are not)")
        return value

    return checked


def _as_written(loader, node) -> str:
    # What Kubernetes' YAML reader makes of an unquoted timestamp: the text itself.
    return node.value


def _binary_text(loader, node) -> str:
    loader.construct_yaml_binary(node)  # raises (→ a located error) when it is not base64
    return "".join(node.value.split())  # a JSON []byte is its base64 text


def _not_json(kind: str, instead: str):
    def refuse(loader, node):
        raise _node_error(node, f"!!{kind} has no JSON equivalent: {instead}")

    return refuse


for _tag, _construct in (
    ("int", yaml.constructor.SafeConstructor.construct_yaml_int),
    ("float", yaml.constructor.SafeConstructor.construct_yaml_float),
    ("bool", yaml.constructor.SafeConstructor.construct_yaml_bool),
    ("null", yaml.constructor.SafeConstructor.construct_yaml_null),
    ("timestamp", lambda loader, node: (loader.construct_yaml_timestamp(node), _as_written(loader, node))[1]),
    ("binary", _binary_text),
):
    _Loader.add_constructor(_TAG + _tag, _checked_scalar(_tag, _construct))
_Loader.add_constructor(_TAG + "set", _not_json("set", "write a list, or a map of keys to values"))
_Loader.add_constructor(_TAG + "omap", _not_json("omap", "write a map (keys are unordered in JSON) or a list"))
_Loader.add_constructor(_TAG + "pairs", _not_json("pairs", "write a map or a list of maps"))


def _shown(text: str, limit: int = 40) -> str:
    """A short, escaped prefix of a value for a message (a source may hold a 5 MB scalar)."""
    text = str(text)
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)


def _spend(budget: list, node, count: int = 1) -> None:
    budget[0] -= count
    if budget[0] < 0:
        raise YAMLError(
            f"document has more than {MAX_NODES_PER_DOCUMENT} nodes (alias or merge-key expansion?)",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
            code="yaml-limit",
        )


def _index(loader, node, path: Path, marks: dict, budget: list, at=None) -> None:
    # A mapping entry is marked at its key (where a reader looks for the field), anything else at itself.
    # Keys are recorded under their JSON name, the one diagnostics use (`yes:` is the field "true").
    # Iterative (an explicit stack), so a deeply nested document cannot exhaust Python's stack here.
    stack = [(node, path, at)]
    while stack:
        node, path, at = stack.pop()
        _spend(budget, node)
        if len(path) > MAX_DEPTH:  # also what stops an alias to its own ancestor (`x: &a [*a]`)
            raise YAMLError(f"value nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1, node.start_mark.column + 1, code="yaml-limit")
        if marks is not None:
            at = at or node.start_mark
            marks.setdefault(path, (at.line + 1, at.column + 1))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                if key_node.tag == _MERGE:
                    _count_merged(value_node, budget)
                elif isinstance(key_node, yaml.ScalarNode):
                    key = key_node.value if key_node.tag == _STR else json_key(loader.construct_object(key_node))
                    stack.append((value_node, path + (key,), key_node.start_mark))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (i,), None) for i, item in reversed(list(enumerate(node.value))))


def _count_merged(node, budget: list) -> None:
    """Charge the entries a `<<` merge copies in (PyYAML's flatten_mapping copies them, recursively,
    before anything is built): `<<: [*a, *a, ...]` nested a few levels deep is an exponential bomb
    that no alias count sees."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            _spend(budget, node)
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            _spend(budget, node, len(node.value))
            stack.extend(value for key, value in node.value if key.tag == _MERGE)


def load_documents(text: str, *, positions: bool = True) -> Iterator[Document]:
    """Yield every document of a YAML stream. Raises `YAMLError` with a position on bad input.

    `positions=False` skips recording every node's position (which only diagnostics about a
    source's fields need); the size, node and depth limits hold either way."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise too_large()
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            marks: dict = {}
            # The limits hold for every text (a KRM function's stdin is as untrusted as a file);
            # `positions=False` only skips recording where each node is.
            _index(loader, node, (), marks if positions else None, [MAX_NODES_PER_DOCUMENT])
            data = loader.construct_document(node)
            _check_depth(data, marks, (node.start_mark.line + 1, node.start_mark.column + 1))
            yield Document(data, node.start_mark.line + 1, node.start_mark.column + 1, marks)
    except yaml.MarkedYAMLError as exc:
        line, column, problem = yamlsyntax.locate(text, exc.problem_mark, exc.context_mark, exc.problem, exc.context)
        raise YAMLError(problem, line, column) from None
    except yaml.reader.ReaderError as exc:
        line, column = yamlsyntax.position(text, exc.position, byte_offsets=_BaseLoader is not yaml.SafeLoader)
        raise YAMLError(str(exc).splitlines()[0], line, column) from None
    except yaml.YAMLError as exc:
        raise YAMLError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except RecursionError:
        raise YAMLError("document is nested too deeply", 1, 1, code="yaml-limit") from None
    finally:
        loader.dispose()


def _check_depth(data: Any, marks: dict, start: tuple) -> None:
    """A `YAMLError` at the first value nested deeper than MAX_DEPTH (aliases and merges included:
    it walks the values as built, iteratively)."""
    stack = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            line, column = Document(None, *start, marks).mark(path)
            raise YAMLError(f"value nested more than {MAX_DEPTH} levels deep", line, column, code="yaml-limit")
        if isinstance(value, dict):
            stack.extend((v, path + (k,)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(value))


class _Dumper(_BaseDumper):
    def ignore_aliases(self, data) -> bool:
        return True  # a value shared by two fields is written twice, never as an &anchor/*alias


def _represent_str(dumper, value: str):
    style = "|" if yamlemit.wants_literal(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


@dataclass(frozen=True)
class Verbatim:
    """A value as it was read, written back with its own styles (quotes, flow collections): a KRM
    function hands foreign items back untouched, so kpt rewrites nothing in a user's file."""

    node: Any = field(compare=False, repr=False)


def sequence_items(text: str, key: str) -> list[Verbatim]:
    """The entries of the sequence under `key` in a one-document stream's root mapping, as read;
    [] when there is no such sequence. Call only on text `load_documents` accepted."""
    root = yaml.compose(text, Loader=_Loader)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key and isinstance(value_node, yaml.SequenceNode):
            return [Verbatim(item) for item in value_node.value]
    return []


_Dumper.add_representer(Verbatim, lambda dumper, verbatim: verbatim.node)


def dump(data: Any) -> str:
    """One document, keys sorted, block style: the canonical form of every file omegen writes."""
    try:
        return yamlemit.dump(data)
    except yamlemit.Unsupported:
        return dump_with_pyyaml(data)


def dump_with_pyyaml(data: Any) -> str:
    """`dump` by PyYAML alone: the definition of the canonical form, which `yamlemit` reproduces."""
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
