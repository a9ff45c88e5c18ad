"""A strict YAML reader for frontmatter: libyaml's speed, line numbers, and none of YAML 1.1's surprises.

PyYAML's C parser composes the node tree (about 7x faster than the pure-Python one);
we then turn nodes into plain values ourselves instead of using a Constructor, so that

* every key and list item keeps the line it was written on (for `path:line` errors);
* only text, whole numbers, `true`/`false` and empty values exist: `no`, `off`, `1:30`,
  `0755`, `.nan` and dates stay text, and the schema says clearly what it expected;
* tags (`!!python/object`), anchors and aliases are refused, so an alias bomb fails on its
  first alias, in memory bounded by the text;
* a duplicate key is an error naming both lines, and keys must be text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# libyaml ships in every PyYAML wheel; the pure-Python parser is only a fallback for odd builds.
_Parser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None) or yaml.loader.BaseLoader

Path_ = tuple[str | int, ...]

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema, minus floats: the notes never need them."""


_Resolver.add_implicit_resolver(BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Resolver.add_implicit_resolver(INT, re.compile(r"^(?:0|[-+]?[1-9][0-9]*)$"), list("-+0123456789"))
_Resolver.add_implicit_resolver(NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


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


_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])[&*][^\s\[\]{},]")


def parse(text: str) -> tuple[Any, dict[Path_, int], list[YamlProblem]]:
    """Parse one YAML document; return (value, line of each key/item path, problems).

    Lines in the map are 0-based offsets into `text`; the empty path maps to the root.
    """
    if _ANCHOR.search(text):
        problem = _find_anchor(text)
        if problem:
            return None, {}, [problem]
    composer = _Composer(text)
    try:
        root = composer.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, {}, [_from_marked(exc)]
    except yaml.YAMLError as exc:  # a reader error: no mark, only a position
        return None, {}, [YamlProblem(0, 0, f"YAML error: {exc}")]
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


def _find_anchor(text: str) -> YamlProblem | None:
    """Walk the event stream (cheap, bounded) looking for an anchor, alias or tag."""
    try:
        for event in yaml.parse(text, Loader=yaml.CBaseLoader):
            mark: Any = event.start_mark
            if isinstance(event, yaml.AliasEvent):
                return YamlProblem(mark.line, mark.column, "YAML aliases (*name) are not allowed in notes")
            if getattr(event, "anchor", None):
                return YamlProblem(mark.line, mark.column, "YAML anchors (&name) are not allowed in notes")
    except yaml.MarkedYAMLError as exc:
        return _from_marked(exc)
    return None


def _value(node: Node, path: Path_, lines: dict[Path_, int], seen: set[int]) -> Any:
    if id(node) in seen:
        raise _Refused(node, "YAML aliases (*name) are not allowed in notes")
    seen.add(id(node))
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
            raise _Refused(key_node, f"keys must be text, got {_excerpt(shown)}; quote it")
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
    raise _Refused(node, f"YAML tags such as '{_excerpt(tag.replace('tag:yaml.org,2002:', '!!'))}' are not allowed")


def _check_tag(node: Node, expected: str) -> None:
    if node.tag != expected:
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _Refused(node, f"YAML tags such as '{_excerpt(shown)}' are not allowed")


_FRIENDLY = (
    ("cannot start any token", "'\\t'", "a tab character; YAML is indented with spaces"),
    ("tab character", "", "a tab character; YAML is indented with spaces"),
    ("mapping values are not allowed here", "", "an unquoted ': ' inside a value; put the value in quotes"),
    ("found undefined alias", "", "YAML aliases (*name) are not allowed in notes"),
)


def _from_marked(exc: yaml.MarkedYAMLError) -> YamlProblem:
    mark: Any = exc.problem_mark or exc.context_mark
    problem = exc.problem or str(exc)
    message = f"YAML syntax error: {problem}"
    for needle, also, friendly in _FRIENDLY:
        if needle in problem and also in problem:
            message = f"YAML syntax error: {friendly}"
            break
    else:
        if exc.context:
            message += f" ({exc.context})"
    line = mark.line if mark else 0
    column = mark.column if mark else 0
    return YamlProblem(line, column, message)


def _excerpt(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
