"""Rule expressions checked before any account is evaluated, and the evaluator that runs them.

A condition is parsed once (simpleeval's whitelisted AST; never `eval`). Everything it could
get wrong is found here, when the rules load: syntax, a construct simpleeval would refuse, an
unknown metric (with a did-you-mean), text compared with a number, a value `relevance` never
takes. Messages are templates whose fields must be plain metric names and fill with values of
the real types.
"""

from __future__ import annotations

import ast
import itertools
import re
import string
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpleeval
from simpleeval import SimpleEval

from ..core.strict import did_you_mean, short
from ..notes import schema
from .metrics import INSIGHT_ONLY, TEXT_METRICS

FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs, "round": round}


@dataclass(frozen=True)
class Scope:
    """What a condition or message may name: metrics, their sample values, and the level keys."""

    names: frozenset[str]
    sample: dict[str, Any]
    levels: frozenset[str]


_EVALUATOR = SimpleEval(functions=FUNCTIONS)
_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Compare, ast.Eq, ast.NotEq, ast.Lt,
            ast.LtE, ast.Gt, ast.GtE, ast.IfExp, ast.Call, ast.Name, ast.Load, ast.Constant)
_ALLOWED_TEXT = "metrics, numbers, 'text', comparisons, and/or/not, + - * / // %, if-else and min/max/abs/round"
RELEVANCE = frozenset(typing.get_args(schema.Relevance))
LEVEL_NAMES = frozenset({"previous_level", "recent_best_level"})  # a level key, or 'none' in a first quarter


def parse(text: str) -> Any:
    """simpleeval's pre-parsed form of a condition already checked by `check_condition`."""
    return _EVALUATOR.parse(text)


Run = Callable[[dict[str, Any]], Any]
_OPERATORS = SimpleEval().operators  # simpleeval's own: the same results, the same limits on long text


def compiled(tree: Any) -> Run | None:
    """A checked condition's pre-parsed tree as nested Python closures over the metric values,
    each node doing exactly what simpleeval's evaluator does for it, without its per-node
    dispatch (judging is a few thousand conditions per account). None for a construct it does
    not cover: simpleeval runs those. A run that raises is run again by simpleeval, whose
    error the diagnostic quotes (`engine.Evaluator.holds`)."""
    try:
        return _closure(tree.value if isinstance(tree, ast.Expr) else tree)
    except _Uncovered:
        return None


class _Uncovered(Exception):
    pass


def _closure(node: ast.AST) -> Run:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str | bytes) and len(value) > simpleeval.MAX_STRING_LENGTH:
            raise _Uncovered
        return lambda names: value
    if isinstance(node, ast.Name):
        key = node.id
        return lambda names: names[key]  # a missing name raises: simpleeval then says what it says
    if isinstance(node, ast.BoolOp):
        return _boolop(isinstance(node.op, ast.And), [_closure(v) for v in node.values])
    if isinstance(node, ast.UnaryOp | ast.BinOp) and type(node.op) not in _OPERATORS:
        raise _Uncovered
    if isinstance(node, ast.UnaryOp):
        unary, operand = _OPERATORS[type(node.op)], _closure(node.operand)
        return lambda names: unary(operand(names))
    if isinstance(node, ast.BinOp):
        binary, left, right = _OPERATORS[type(node.op)], _closure(node.left), _closure(node.right)
        return lambda names: binary(left(names), right(names))
    if isinstance(node, ast.Compare):
        return _compare(node)
    if isinstance(node, ast.IfExp):
        test, body, orelse = _closure(node.test), _closure(node.body), _closure(node.orelse)
        return lambda names: body(names) if test(names) else orelse(names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and not node.keywords:
        function = FUNCTIONS[node.func.id]
        args = [_closure(a) for a in node.args]
        return lambda names: function(*(a(names) for a in args))
    raise _Uncovered


def _boolop(conjunction: bool, parts: list[Run]) -> Run:
    """`and` / `or` as simpleeval's: the value of the operand that decided (False for none)."""
    def run(names: dict[str, Any]) -> Any:
        result: Any = False
        for part in parts:
            result = part(names)
            if bool(result) is not conjunction:
                break
        return result

    return run


def _compare(node: ast.Compare) -> Run:
    """A chain `a < b <= c`, each comparison on the operand before it, stopping at the first false one."""
    if any(type(op) not in _OPERATORS for op in node.ops):
        raise _Uncovered
    first = _closure(node.left)
    steps = [(_OPERATORS[type(op)], _closure(comp)) for op, comp in zip(node.ops, node.comparators, strict=True)]
    if len(steps) == 1:  # most conditions are one comparison, most of them a metric against a number
        compare, operand = steps[0]
        left, right = node.left, node.comparators[0]
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant):
            key, value = left.id, right.value
            return lambda names: compare(names[key], value)
        return lambda names: compare(first(names), operand(names))

    def run(names: dict[str, Any]) -> Any:
        right, result = first(names), True
        for compare, operand in steps:
            if not result:
                break
            left, right = right, operand(names)
            result = compare(left, right)
        return result

    return run


def names_in(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(FUNCTIONS)


# Limits on what a rules file may ask for (docs/rules.md, Limits): rules are the firm's own, but a
# typo must not hang a build or fill a disk. Checked when the rules load, before any account.
MAX_CONDITION_CHARS = 2_000
MAX_CONDITION_DEPTH = 32  # of the expression's tree: `a and (b or (c and ...))`
MAX_MESSAGE_CHARS = 2_000
MAX_FORMAT_WIDTH = 100  # a field's width or precision in a message, as in {trust:>8.1f}


def _depth(tree: ast.AST) -> int:
    """How deeply the expression nests (iteratively: a deep tree cannot exhaust the stack)."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def check_condition(text: str, scope: Scope) -> list[str]:
    """Everything wrong with one condition, found before any account is evaluated."""
    quoted = f"condition '{short(text, 60)}'"
    if len(text) > MAX_CONDITION_CHARS:
        return [f"{quoted} is {len(text):,} characters long; a condition may have at most {MAX_CONDITION_CHARS:,}"]
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        return [f"{quoted} is not a valid expression: {exc.msg}"]
    except (RecursionError, MemoryError):
        tree = None
    if tree is None or _depth(tree) > MAX_CONDITION_DEPTH:
        return [f"{quoted} nests more than {MAX_CONDITION_DEPTH} levels deep; split it into several conditions"]
    refused = [type(node).__name__ for node in ast.walk(tree) if not isinstance(node, _ALLOWED)]
    if refused:
        return [f"{quoted} uses {refused[0]}, which conditions do not allow; use {_ALLOWED_TEXT}"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                                               and not node.keywords):
            called = node.func.id if isinstance(node.func, ast.Name) else "?"
            return [f"{quoted} calls '{called}'; conditions may call only {', '.join(FUNCTIONS)}"]
    problems = [f"'{n}' is known only in insights (the level just assigned); a level can read "
                "previous_level and previous_rank" if n in INSIGHT_ONLY else f"unknown metric '{n}'{hint(n, scope.names)}"
                for n in sorted(names_in(tree) - scope.names)]
    problems += [p for node in ast.walk(tree) if isinstance(node, ast.Compare) for p in _compare_problems(node, scope)]
    if not problems:
        try:
            _EVALUATOR.names = dict(scope.sample)
            _EVALUATOR.eval(text, previously_parsed=_EVALUATOR.parse(text))
        except TypeError as exc:
            problems.append(f"{quoted} mixes text and numbers: {exc}")
        except Exception:  # e.g. a division by a metric that is 0 for an empty account: fine if guarded
            pass
    return problems


def _compare_problems(node: ast.Compare, scope: Scope) -> list[str]:
    """`relevance == 'decling'` or `business == 'three'` would be silently False; refuse them."""
    operands = [node.left, *node.comparators]
    problems = []
    for a, b in itertools.pairwise(operands):
        for name, other in ((a, b), (b, a)):
            if not (isinstance(name, ast.Name) and isinstance(other, ast.Constant)):
                continue
            text = isinstance(other.value, str)
            allowed = (RELEVANCE if name.id == "relevance" else scope.levels if name.id == "level"
                       else scope.levels | {"none"} if name.id in LEVEL_NAMES and scope.levels else frozenset())
            if name.id in TEXT_METRICS and not text:
                problems.append(f"'{name.id}' is text; compare it with text such as '{min(allowed, default='x')}'")
            elif name.id in TEXT_METRICS and allowed and other.value not in allowed:
                problems.append(f"'{name.id}' is never '{other.value!s}'{hint(str(other.value), allowed, name.id)}")
            elif name.id not in TEXT_METRICS and name.id in scope.names and text:
                problems.append(f"'{name.id}' is a number; it cannot equal the text '{other.value!s}'")
    return problems


def message_problems(message: str, scope: Scope) -> list[str]:
    """Message fields must be plain metric names, and the message must fill with real values."""
    allowed = scope.names | INSIGHT_ONLY
    if len(message) > MAX_MESSAGE_CHARS:
        return [f"message is {len(message):,} characters long; a message may have at most {MAX_MESSAGE_CHARS:,}"]
    try:
        parsed = [(field, spec) for _, field, spec, _ in string.Formatter().parse(message) if field is not None]
    except ValueError as exc:
        return [f"message is not a valid template ({exc}); write {{metric}} for a value, {{{{ and }}}} for braces"]
    fields = [field for field, _ in parsed]
    problems = [_spec_problem(field, spec) for field, spec in parsed if spec]
    if any(problems):
        return [p for p in problems if p]
    problems = []
    for field in fields:
        if not re.fullmatch(r"[A-Za-z_]\w*", field):
            problems.append(f"message field '{{{field}}}' must be a metric name, like {{business}}")
        elif field not in allowed:
            problems.append(f"message uses unknown metric '{field}'{hint(field, allowed)}")
    if not problems:
        try:
            message.format_map(scope.sample)
        except (ValueError, TypeError) as exc:
            problems.append(f"message cannot be filled: {exc}")
    return problems


def _spec_problem(field: str, spec: str) -> str:
    """A format spec within bounds: `{business:>5000000}` would write megabytes per insight."""
    if "{" in spec:
        return f"message field '{{{field}:{spec}}}' nests a field in its format; write a plain format like :>8.1f"
    widest = max((int(n) for n in re.findall(r"\d+", spec)), default=0)
    if widest > MAX_FORMAT_WIDTH:
        return (f"message field '{{{field}:{short(spec, 20)}}}' asks for a width or precision of {widest:,}; "
                f"at most {MAX_FORMAT_WIDTH}")
    return ""


def hint(name: str, names: frozenset[str], what: str = "metrics") -> str:
    """did-you-mean when a name is close; else where to look (the metrics) or the choices."""
    if close := did_you_mean(name, names):
        return close
    return "; see docs/rules.md for the metrics" if what == "metrics" else f"; {what}: {', '.join(sorted(names))}"
