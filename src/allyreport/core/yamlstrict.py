"""A strict YAML reader for frontmatter: libyaml's speed, line numbers, and none of YAML 1.1's surprises.

PyYAML's C parser composes the node tree (about 7x faster than the pure-Python one);
we then turn nodes into plain values ourselves instead of using a Constructor, so that

* every key and list item keeps the line it was written on (for `path:line` errors);
* only text, whole numbers, `true`/`false` and empty values exist: `no`, `off`, `1:30`,
  `0755`, `.nan` and dates stay text, and the schema says clearly what it expected;
* tags (`!!python/object`), anchors and aliases are refused before a node is built, so an
  alias bomb fails on its first anchor, in memory bounded by the text;
* a duplicate key is an error naming both lines, and keys must be text;
* libyaml's terse syntax errors are reworded for a note writer ("a tab character; indent
  YAML with spaces") and placed on the line to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# libyaml ships in every PyYAML wheel; the pure-Python parser is only a fallback for odd builds.
_Parser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None) or yaml.loader.BaseLoader
_Loader: Any = getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader

Path_ = tuple[str | int, ...]

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"


_BOOLS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_INT = re.compile(r"0|[-+]?[1-9][0-9]*")
_DIGITS = frozenset("-+0123456789")
MAX_DEPTH = 32  # notes nest four levels deep; this only stops pathological input


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema, minus floats: the notes never need them.

    `resolve` runs for every node of every note, so it is a few set and regex look-ups
    instead of PyYAML's generic resolver table.
    """

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:  # plain (unquoted) scalar
                if value in _NULLS:
                    return NULL
                if value in _BOOLS:
                    return BOOL
                if value[0] in _DIGITS and _INT.fullmatch(value):
                    return INT
            return STR
        return SEQ if kind is SequenceNode else MAP


class _Composer(_Parser, _Resolver):  # type: ignore[misc]
    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        _Resolver.__init__(self)


@dataclass(frozen=True)
class YamlProblem:
    """A problem at a 0-based line/column of the YAML text."""

    line: int
    column: int
    message: str
    also: int | None = None  # another 0-based line the message names as "{also}"


class _Refused(Exception):
    def __init__(self, node: Node, message: str, also: int | None = None) -> None:
        super().__init__(message)
        self.problem = YamlProblem(node.start_mark.line, node.start_mark.column, message, also)


def line_at(lines: dict[Path_, int], path: Path_, default: int) -> int:
    """The line of the longest prefix of `path` that has one (a missing key is reported at its
    parent), else `default`: the one way every file's errors find their line."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, default)


# Cheap pre-checks on the text: only when one matches is the event stream walked.
_MARKERS = re.compile(r"(?:^|[\s\[{,:-])[&*!][^\s\[\]{},]?")
# libyaml counts these as line breaks, editors do not: line numbers would drift.
_ODD_BREAKS = re.compile("[\x85\u2028\u2029\ufeff]")


def parse(text: str) -> tuple[Any, dict[Path_, int], list[YamlProblem]]:
    """Parse one YAML document; return (value, line of each key/item path, problems).

    Lines in the map are 0-based offsets into `text`; the empty path maps to the root.
    """
    problem = _precheck(text)
    if problem:
        return None, {}, [problem]
    composer = _Composer(text)
    try:
        root = composer.get_single_node()
    except yaml.YAMLError as exc:
        return None, {}, [_from_error(exc, text)]
    finally:
        composer.dispose()
    if root is None:
        return None, {(): 0}, []
    lines: dict[Path_, int] = {(): root.start_mark.line}
    try:
        value = _value(root, (), lines, set())
    except _Refused as exc:
        return None, {}, [exc.problem]
    return value, lines, []


def _precheck(text: str) -> YamlProblem | None:
    odd = _ODD_BREAKS.search(text)
    if odd:
        line = text.count("\n", 0, odd.start())
        column = odd.start() - (text.rfind("\n", 0, odd.start()) + 1)
        name = "byte-order mark" if odd.group() == "\ufeff" else "line separator"
        return YamlProblem(line, column, f"stray {name} U+{ord(odd.group()):04X}; remove it or use a plain line break")
    if _MARKERS.search(text):
        return _find_anchor(text)
    return None


def _find_anchor(text: str) -> YamlProblem | None:
    """Walk the event stream (cheap, bounded) looking for an anchor, alias or tag."""
    try:
        for event in yaml.parse(text, Loader=_Loader):
            mark: Any = event.start_mark
            if isinstance(event, yaml.AliasEvent):
                return YamlProblem(mark.line, mark.column, "YAML aliases (*name) are not allowed; write the value out")
            if getattr(event, "anchor", None):
                return YamlProblem(mark.line, mark.column, "YAML anchors (&name) are not allowed; write the value out")
            tag = getattr(event, "tag", None)
            if tag:
                return YamlProblem(mark.line, mark.column, _tag_message(tag))
    except yaml.YAMLError as exc:
        return _from_error(exc, text)
    return None


def _value(node: Node, path: Path_, lines: dict[Path_, int], seen: set[int]) -> Any:
    # An alias reuses a node: `seen` stops an alias bomb the pre-check somehow missed.
    if id(node) in seen:
        raise _Refused(node, "YAML aliases (*name) are not allowed; write the value out")
    seen.add(id(node))
    if len(path) > MAX_DEPTH:
        raise _Refused(node, f"nested more than {MAX_DEPTH} levels deep; notes need only a few")
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if isinstance(node, SequenceNode):
        _check_tag(node, SEQ)
        items = []
        for index, child in enumerate(node.value):
            lines[(*path, index)] = child.start_mark.line
            items.append(_value(child, (*path, index), lines, seen))
        return items
    if isinstance(node, MappingNode):
        _check_tag(node, MAP)
        return _mapping(node, path, lines, seen)
    raise _Refused(node, "unsupported YAML node")  # pragma: no cover


def _mapping(node: MappingNode, path: Path_, lines: dict[Path_, int], seen: set[int]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
            shown = key_node.value if isinstance(key_node, ScalarNode) else "a list or mapping"
            raise _Refused(key_node, f"keys must be text, got {_excerpt(shown) or 'nothing'}; quote it")
        key = key_node.value
        if key in result:
            first = lines[(*path, key)]
            raise _Refused(key_node, f"duplicate key '{_excerpt(key)}' (first on line {{also}})", first)
        lines[(*path, key)] = key_node.start_mark.line
        result[key] = _value(value_node, (*path, key), lines, seen)
    return result


def _scalar(node: ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == STR:
        return text
    if tag == NULL:
        return None
    if tag == BOOL:
        return text.lower() == "true"
    if tag == INT:
        return int(text)
    raise _Refused(node, _tag_message(tag))


def _check_tag(node: Node, expected: str) -> None:
    if node.tag != expected:
        raise _Refused(node, _tag_message(node.tag))


def _tag_message(tag: str) -> str:
    shown = _excerpt(tag.replace("tag:yaml.org,2002:", "!!"))
    return f"YAML tags such as '{shown}' are not allowed; write the plain value"


def _from_error(exc: yaml.YAMLError, text: str) -> YamlProblem:
    if isinstance(exc, yaml.MarkedYAMLError):
        return _from_marked(exc, text)
    # A reader error (a character YAML does not allow) has only an offset into the text.
    offset = getattr(exc, "position", 0)
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    char = getattr(exc, "character", "")
    code = f" U+{char:04X}" if isinstance(char, int) else ""
    return YamlProblem(line, column, f"YAML syntax error: a character YAML does not allow{code}; remove it")


def _from_marked(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    """libyaml's message, said the way a note writer understands it, at the offending line."""
    problem = exc.problem or str(exc)
    mark: Any = exc.problem_mark or exc.context_mark
    line, column = (mark.line, mark.column) if mark else (0, 0)
    char = _char_at(text, line, column)
    friendly = _friendly(problem, exc.context or "", char)
    if friendly is None:
        context = f" ({exc.context})" if exc.context else ""
        return YamlProblem(line, column, f"YAML syntax error: {problem}{context}")
    message, use_context = friendly
    if use_context and exc.context_mark is not None:
        line, column = exc.context_mark.line, exc.context_mark.column
    return YamlProblem(line, column, f"YAML syntax error: {message}")


def _friendly(problem: str, context: str, char: str) -> tuple[str, bool] | None:
    """(message, whether the context mark is the better position), or None to keep libyaml's."""
    if "tab character" in problem or (char == "\t" and "cannot start any token" in problem):
        return "a tab character; indent YAML with spaces", False
    if "cannot start any token" in problem:
        return f"a value cannot start with '{char}'; put the value in quotes", False
    if "mapping values are not allowed" in problem:
        return "an unquoted ': ' inside a value; put the value in quotes (or fix this line's indentation)", False
    if "could not find expected ':'" in problem:
        return "this line is not 'key: value'; is a ':' missing?", True
    if "end of stream" in problem and "quoted scalar" in context:
        return "a quoted value is never closed; add the closing quote", True
    if "expected ',' or ']'" in problem:
        return "a '[' list is not closed with ']', or an item in it needs quotes", True
    if "expected ',' or '}'" in problem:
        return "a '{' mapping is not closed with '}', or a value in it needs quotes", True
    if "did not find expected key" in problem:
        return "expected a 'key: value' line here; check the indentation, or put the value in quotes", False
    if "did not find expected '-' indicator" in problem:
        return "expected a '- item' line here; check the indentation", False
    if "maximum nesting depth" in problem:
        return f"nested more than {MAX_DEPTH} levels deep; notes need only a few", False
    if "undefined alias" in problem:
        return "YAML aliases (*name) are not allowed; write the value out", False
    return None


def _char_at(text: str, line: int, column: int) -> str:
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    return text[start + column: start + column + 1]


def _excerpt(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
