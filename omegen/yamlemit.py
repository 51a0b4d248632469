"""A fast writer of omegen's canonical YAML, byte for byte what PyYAML's C dumper writes as `yamlio` calls it.

Covers the JSON data model omegen emits: dicts with str keys, lists, str, int, float, bool, None,
with a dict or a list at the root. Keys sorted, block style, two-space indentation, indentless
sequences under a key, `{}`/`[]` for empty containers, no anchors, unicode written as is, width
10,000. The quoting rules follow libyaml's scalar analysis and style choice (emitter.c) and PyYAML's
implicit resolvers (resolver.py); tests compare against PyYAML itself.

Anything outside what this module proves exact raises `Unsupported`, and `yamlio` then dumps that
document with PyYAML: another type or a subclass, a non-str key, a key that is multi-line or over
128 bytes (PyYAML writes it as a `? ` complex key), a root scalar, U+0085/U+2028/U+2029 or a lone
surrogate, a float whose text PyYAML would tag, and any scalar long enough to reach the width (where
libyaml folds lines). Imports no yaml: `yamlio` stays the only module that does.
"""

from __future__ import annotations

import re

__all__ = ["Unsupported", "dump", "wants_literal"]


class Unsupported(Exception):
    """The document holds something this emitter does not prove exact; dump it with PyYAML."""


def wants_literal(value: str) -> bool:
    """Block style (`|`) for multi-line strings (chat templates, scripts), readable in Git diffs.

    The one place the rule lives: yamlio's PyYAML representer asks it too."""
    return "\n" in value and value == value.strip(" ") and "\t" not in value


# PyYAML's implicit resolvers (yaml/resolver.py), indexed by first character as PyYAML looks them
# up: a string that one of these matches cannot be written plain, or it would read back as a
# bool/int/float/null/timestamp/merge/value.
_BOOL = re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    re.X,
)
_MERGE = re.compile(r"^(?:<<)$")
_NULL = re.compile(r"^(?: ~ |null|Null|NULL | )$", re.X)
_TIMESTAMP = re.compile(
    r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
     (?:[Tt]|[ \t]+)[0-9][0-9]?
     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    re.X,
)
_VALUE = re.compile(r"^(?:=)$")
_YAML = re.compile(r"^(?:!|&|\*)$")
_RESOLVERS: dict = {}
for _regex, _first in (
    (_BOOL, "yYnNtTfFoO"),
    (_FLOAT, "-+0123456789."),
    (_INT, "-+0123456789"),
    (_MERGE, "<"),
    (_NULL, "~nN"),
    (_TIMESTAMP, "0123456789"),
    (_VALUE, "="),
    (_YAML, "!&*"),
):
    for _c in _first:
        _RESOLVERS.setdefault(_c, []).append(_regex)


def _reads_back_as_str(value: str) -> bool:
    """PyYAML's `resolve(ScalarNode, value, (True, False)) == str`: may the value be written plain?"""
    if not value:
        return False  # the empty plain scalar is null
    for regex in _RESOLVERS.get(value[0], ()):
        if regex.match(value):
            return False
    return True


# libyaml's IS_PRINTABLE (on UTF-8 bytes) as code points: tab, CR, NEL, BOM and everything past
# the BMP are not printable, so they force double quotes and are escaped there. ASCII strings (nearly
# all) are checked by a small regex; a big character class would cost milliseconds to compile.
_ASCII_NOT_PRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f]")


def _printable(ch: str) -> bool:
    c = ord(ch)
    return c == 0x0A or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)


def _has_special(value: str) -> bool:
    if value.isascii():
        return _ASCII_NOT_PRINTABLE.search(value) is not None
    return not all(map(_printable, value))


def _awkward(value: str) -> bool:
    """Line breaks other than LF that libyaml writes raw inside literal and single-quoted scalars, and
    lone surrogates (PyYAML fails to encode them): left to PyYAML."""
    return not value.isascii() and any(ch in "\x85\u2028\u2029" or "\ud800" <= ch <= "\udfff" for ch in value)


# Strings every rule below lets through plain (given they read back as str): the common case.
_SIMPLE = re.compile(r"[A-Za-z0-9_/.][A-Za-z0-9_./=+\-]*\Z")

_ESCAPES = {
    "\x00": "\\0", "\x07": "\\a", "\x08": "\\b", "\t": "\\t", "\n": "\\n", "\x0b": "\\v",
    "\x0c": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\",
}  # fmt: skip

# A scalar this long (with its indentation) could pass libyaml's width, where it folds lines.
_MAX_SCALAR = 9_000
_MAX_KEY_BYTES = 128  # past this libyaml writes a `? ` complex key

PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"


def _analyze(value: str) -> tuple[bool, bool, bool]:
    """libyaml's yaml_emitter_analyze_scalar for a non-empty value in block context:
    (plain allowed, single-quoted allowed, block allowed). Multi-line-ness is `"\\n" in value`."""
    block_indicators = value.startswith(("---", "..."))
    special = _has_special(value)
    line_breaks = "\n" in value or "\r" in value
    first = value[0]
    followed = len(value) == 1 or value[1] in " \t\r\n"
    if first in "#,[]{}&*!|>'\"%@`":
        block_indicators = True
    elif first in "?:-" and followed:
        block_indicators = True
    if not block_indicators:
        # After the first character: `: ` (or `:` at the end) and ` #` are indicators.
        if ": " in value or ":\t" in value or ":\n" in value or ":\r" in value or value.endswith(":"):
            block_indicators = True
        elif " #" in value or "\t#" in value or "\n#" in value or "\r#" in value:
            block_indicators = True
    leading_space = first == " "
    leading_break = first in "\n\r"
    trailing_space = value[-1] == " "
    trailing_break = value[-1] in "\n\r"
    break_space = "\n " in value or "\r " in value
    space_break = " \n" in value or " \r" in value
    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space:
        plain = single = False
    if space_break or special:
        plain = single = block = False
    if line_breaks or block_indicators:
        plain = False
    return plain, single, block


def _style(value: str, key: bool) -> str:
    """The style libyaml's yaml_emitter_select_scalar_style settles on for a str."""
    if not value:
        return SINGLE  # reads back as null when plain
    if _SIMPLE.match(value) and not value.startswith("..."):
        return PLAIN if _reads_back_as_str(value) else SINGLE
    plain, single, block = _analyze(value)
    if not key and wants_literal(value):
        return LITERAL if block else DOUBLE
    if plain and _reads_back_as_str(value):
        return PLAIN
    return SINGLE if single else DOUBLE


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch != "\n" and _printable(ch):
        return ch
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _double(value: str) -> str:
    return '"' + "".join(map(_escape, value)) + '"'


def _single(value: str, indent: str) -> str:
    # libyaml writes each run of n line breaks as n+1 of them, then the indentation.
    text = value.replace("'", "''")
    if "\n" in text:
        text = re.sub("\n+", lambda m: "\n" * (len(m.group()) + 1) + indent, text)
    return "'" + text + "'"


def _literal(value: str, indent: str) -> tuple[str, bool]:
    """` |` with its hints, then the lines; and whether the chomping was `+` (keep)."""
    hints = "2" if value[0] in " \n" else ""
    keep = False
    if value[-1] != "\n":
        hints += "-"
    elif len(value) == 1 or value[-2] == "\n":
        hints += "+"
        keep = True
    body = "\n".join(indent + line if line else "" for line in value.split("\n"))
    return " |" + hints + "\n" + body + ("" if value[-1] == "\n" else "\n"), keep


def _scalar(value, indent: str) -> tuple[str, bool]:
    """A value after its key's `:` or its item's `-`: the text with its leading space and final
    line break, and whether it was a `|+` literal. `indent` is where continuation lines start."""
    kind = type(value)
    if kind is str:
        if _awkward(value):
            raise Unsupported("line separator or surrogate")
        style = _style(value, key=False)
        if style == PLAIN:
            text = value
        elif style == SINGLE:
            text = _single(value, indent)
        elif style == DOUBLE:
            text = _double(value)
        else:
            return _literal(value, indent)
        if len(text) + len(indent) > _MAX_SCALAR:
            raise Unsupported("scalar near the line width")
        return " " + text + "\n", False
    if value is None:
        return " null\n", False
    if kind is bool:
        return (" true\n" if value else " false\n"), False
    if kind is int:
        return " " + str(value) + "\n", False
    if kind is float:
        return " " + _float(value) + "\n", False
    raise Unsupported(f"type {kind.__name__}")


def _float(value: float) -> str:
    # SafeRepresenter.represent_float; PyYAML tags any result its float resolver would not read back.
    if value != value:
        return ".nan"
    if value == float("inf"):
        return ".inf"
    if value == float("-inf"):
        return "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    if not _FLOAT.match(text):
        raise Unsupported("float PyYAML would tag")
    return text


_KEYS: dict = {}  # key → its text with the colon
_VALUES: dict = {}  # one-line str value → its text (the same wherever it stands)
_CACHE_LIMIT = 200_000


def _key(key) -> str:
    if type(key) is not str:
        raise Unsupported("non-str key")
    if "\n" in key or "\r" in key or _awkward(key) or len(key.encode("utf-8")) > _MAX_KEY_BYTES:
        raise Unsupported("complex key")
    style = _style(key, key=True)
    text = key if style == PLAIN else _single(key, "") if style == SINGLE else _double(key)
    if len(_KEYS) >= _CACHE_LIMIT:
        _KEYS.clear()
    _KEYS[key] = text + ":"
    return text + ":"


class _Writer:
    __slots__ = ("out", "keep")

    def __init__(self) -> None:
        self.out: list = []
        self.keep = False  # the last literal was `|+`: libyaml then ends the stream with `...`

    def value(self, value, indent: str) -> str:
        if type(value) is str and "\n" not in value:
            text = _VALUES.get(value)
            if text is None:
                text, _ = _scalar(value, indent)
                if len(text) < 1_000:  # short: no indentation can bring it near the width
                    if len(_VALUES) >= _CACHE_LIMIT:
                        _VALUES.clear()
                    _VALUES[value] = text
            return text
        text, keep = _scalar(value, indent)
        if type(value) is str and text.startswith(" |"):
            self.keep = keep
        return text

    def mapping(self, data: dict, indent: str, lead: str) -> None:
        out = self.out
        keys = _KEYS
        inner = indent + "  "
        for key in sorted(data):
            value = data[key]
            out.append(lead)
            lead = indent
            out.append(keys.get(key) or _key(key))
            kind = type(value)
            if kind is dict:
                if value:
                    out.append("\n")
                    self.mapping(value, inner, inner)
                else:
                    out.append(" {}\n")
            elif kind is list:
                if value:
                    out.append("\n")
                    self.sequence(value, indent, indent)  # indentless under a key
                else:
                    out.append(" []\n")
            else:
                out.append(self.value(value, inner))

    def sequence(self, data: list, indent: str, lead: str) -> None:
        out = self.out
        inner = indent + "  "
        for value in data:
            out.append(lead)
            lead = indent
            kind = type(value)
            if kind is dict:
                if value:
                    out.append("- ")
                    self.mapping(value, inner, "")
                else:
                    out.append("- {}\n")
            elif kind is list:
                if value:
                    out.append("- ")
                    self.sequence(value, inner, "")
                else:
                    out.append("- []\n")
            else:
                out.append("-")
                out.append(self.value(value, inner))


def dump(data) -> str:
    """One document as yamlio.dump writes it, or `Unsupported`."""
    kind = type(data)
    if kind is dict and not data:
        return "{}\n"
    if kind is list and not data:
        return "[]\n"
    writer = _Writer()
    try:
        if kind is dict:
            writer.mapping(data, "", "")
        elif kind is list:
            writer.sequence(data, "", "")
        else:
            raise Unsupported("root scalar")
    except RecursionError:
        raise Unsupported("nested too deeply") from None
    if writer.keep:
        writer.out.append("...\n")
    return "".join(writer.out)
