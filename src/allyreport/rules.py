"""Rules are data: level models and insights read from YAML files, checked, and compiled.

The shipped models (`rules/default.yaml`) load through exactly the same code as a firm's
own rules file. Conditions are compiled once with simpleeval (a well-kept, AST-whitelisting
evaluator; no `eval`) and every name in them is checked against the metric table, so a typo
is a `rules.yaml:12: unknown metric` error, not a silent False at build time.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, StrictBool, StrictInt

from . import yamlstrict
from .diagnostics import Diagnostic
from .metrics import METRICS, signal_metric
from .schema import Text, _Strict, validate

FUNCTIONS = {"min": min, "max": max, "abs": abs, "round": round}
_CONSTANTS = {"True", "False", "None"}


# -- the file format (validated with the same strict schema machinery as the notes) --------

When = Text | tuple[Text, ...]


class LevelSpec(_Strict):
    key: Text
    title: Text | None = None
    when: When
    rated: StrictBool = True
    wins_work_by: Text | None = None
    summary: Text | None = None
    behaviour: Text | None = None
    move: Text | None = None


class InsightSpec(_Strict):
    key: Text
    title: Text | None = None
    severity: Text | None = None
    when: When | None = None
    message: Text | None = None
    move: Text | None = None
    enabled: StrictBool = True


class ModelSpec(_Strict):
    title: Text | None = None
    credit: Text | None = None
    window: StrictInt = Field(default=2, ge=1, le=8)
    levels: tuple[LevelSpec, ...] = Field(min_length=1)
    insights: tuple[InsightSpec, ...] = ()


class RulesFile(_Strict):
    default_model: Text | None = None
    signals: dict[str, Text] = Field(default_factory=dict)
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    insights: tuple[InsightSpec, ...] = ()


# -- compiled rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    text: str
    parsed: Any  # simpleeval's pre-parsed AST
    names: frozenset[str]
    origin: str  # path:line, for errors found while evaluating


@dataclass(frozen=True)
class Level:
    key: str
    title: str
    conditions: tuple[Condition, ...]
    rated: bool
    wins_work_by: str
    summary: str
    behaviour: str
    move: str
    rank: int


@dataclass(frozen=True)
class InsightRule:
    key: str
    title: str
    severity: str
    conditions: tuple[Condition, ...]
    message: str
    move: str
    origin: str


@dataclass(frozen=True)
class LevelModel:
    key: str
    title: str
    credit: str
    window: int
    levels: tuple[Level, ...]
    insights: tuple[InsightRule, ...]

    def level(self, key: str) -> Level:
        return next(level for level in self.levels if level.key == key)

    def above(self, level: Level) -> Level | None:
        """The next level up; `unrated` counts as the bottom of the rated ladder."""
        rated = [lv for lv in self.levels if lv.rated]
        if not level.rated:
            return rated[-1] if rated else None
        return self.levels[level.rank - 1] if level.rank > 0 else None


@dataclass(frozen=True)
class RuleSet:
    default_model: str
    signals: dict[str, str]
    models: dict[str, LevelModel]
    insights: tuple[InsightRule, ...]
    sources: tuple[str, ...]


SEVERITIES = ("critical", "warning", "info")


def default_rules_text() -> str:
    return resources.files("allyreport").joinpath("rules/default.yaml").read_text("utf-8")


def load_rules(extra: list[Path], shown: list[str] | None = None) -> tuple[RuleSet | None, list[Diagnostic]]:
    """The shipped rules, then each firm file merged over them, in order."""
    texts = [("allyreport/rules/default.yaml", default_rules_text())]
    for i, path in enumerate(extra):
        name = shown[i] if shown else str(path)
        try:
            texts.append((name, path.read_text("utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Diagnostic(name, 0, f"cannot read rules file: {exc}")]
    return compile_rules(texts)


def compile_rules(texts: list[tuple[str, str]]) -> tuple[RuleSet | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    parsed: list[tuple[str, RulesFile, dict[Any, int]]] = []
    for name, text in texts:
        value, lines, yaml_problems = yamlstrict.parse(text)
        if yaml_problems:
            problems += [Diagnostic(name, p.line + 1, p.message.replace("{also}", str((p.also or 0) + 1)),
                                    column=p.column + 1) for p in yaml_problems]
            continue
        spec, errors = validate(RulesFile, value if value is not None else {})
        if errors:
            problems += [Diagnostic(name, _line(lines, loc), msg) for loc, msg in errors]
            continue
        parsed.append((name, spec, lines))
    if problems:
        return None, problems
    return _merge(parsed)


def _line(lines: dict[Any, int], loc: tuple[Any, ...]) -> int:
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 0) + 1


def _merge(files: list[tuple[str, RulesFile, dict[Any, int]]]) -> tuple[RuleSet | None, list[Diagnostic]]:
    signals: dict[str, str] = {}
    default_model = ""
    models: dict[str, tuple[str, ModelSpec, dict[Any, int]]] = {}
    insights: dict[str, tuple[str, dict[str, Any], dict[Any, int], int]] = {}
    for name, spec, lines in files:
        signals.update(spec.signals)
        default_model = spec.default_model or default_model
        for key, model in spec.models.items():
            models[key] = (name, model, lines)
        for i, insight in enumerate(spec.insights):
            prior = insights.get(insight.key)
            fields = dict(prior[1]) if prior else {}
            fields.update(insight.model_dump(exclude_unset=True))
            insights[insight.key] = (name, fields, lines, i)
    names = frozenset(METRICS) | {signal_metric(s) for s in signals}
    problems: list[Diagnostic] = []
    compiled_insights = tuple(
        rule for key, (src, fields, lines, i) in insights.items() if fields.get("enabled", True)
        if (rule := _insight(key, fields, src, lines, ("insights", i), names, problems)) is not None
    )
    compiled_models = {key: _model(key, spec, src, lines, names, problems) for key, (src, spec, lines) in models.items()}
    if default_model not in compiled_models:
        problems.append(Diagnostic(files[-1][0], 1, f"default_model '{default_model}' is not a model; "
                                                    f"choose one of {', '.join(compiled_models)}"))
    if problems:
        return None, problems
    return RuleSet(default_model, signals, compiled_models, compiled_insights, tuple(f[0] for f in files)), []


def _model(key: str, spec: ModelSpec, src: str, lines: dict[Any, int], names: frozenset[str],
           problems: list[Diagnostic]) -> LevelModel:
    base = ("models", key)
    levels = []
    seen: set[str] = set()
    for i, lv in enumerate(spec.levels):
        loc = (*base, "levels", i)
        if lv.key in seen:
            problems.append(Diagnostic(src, _line(lines, (*loc, "key")), f"level '{lv.key}' appears twice in model '{key}'"))
        seen.add(lv.key)
        conditions = _conditions(lv.when, src, lines, (*loc, "when"), names, problems)
        levels.append(Level(lv.key, lv.title or lv.key, conditions, lv.rated, lv.wins_work_by or "",
                            lv.summary or "", lv.behaviour or "", lv.move or "", i))
    insights = tuple(
        rule for i, ins in enumerate(spec.insights)
        if (rule := _insight(ins.key, ins.model_dump(exclude_unset=True), src, lines, (*base, "insights", i),
                             names | {"level", "level_rank"}, problems)) is not None
    )
    return LevelModel(key, spec.title or key, spec.credit or "", spec.window, tuple(levels), insights)


def _insight(key: str, fields: dict[str, Any], src: str, lines: dict[Any, int], loc: tuple[Any, ...],
             names: frozenset[str], problems: list[Diagnostic]) -> InsightRule | None:
    missing = [f for f in ("when", "message") if not fields.get(f)]
    if missing:
        problems.append(Diagnostic(src, _line(lines, loc), f"insight '{key}' needs {' and '.join(missing)}"))
        return None
    severity = fields.get("severity") or "warning"
    if severity not in SEVERITIES:
        problems.append(Diagnostic(src, _line(lines, (*loc, "severity")),
                                   f"severity must be one of {', '.join(SEVERITIES)}, got '{severity}'"))
    message = fields["message"]
    for field_name in _format_fields(message):
        if field_name not in names:
            problems.append(Diagnostic(src, _line(lines, (*loc, "message")),
                                       f"message uses unknown metric '{field_name}'{_suggest(field_name, names)}"))
    conditions = _conditions(fields["when"], src, lines, (*loc, "when"), names | {"level", "level_rank"}, problems)
    return InsightRule(key, fields.get("title") or key, severity, conditions, message,
                       fields.get("move") or "", f"{src}:{_line(lines, loc)}")


def _format_fields(message: str) -> list[str]:
    import string

    try:
        return [field.split(":")[0].split("!")[0] for _, field, _, _ in string.Formatter().parse(message) if field]
    except ValueError:
        return ["{"]


def _conditions(when: Any, src: str, lines: dict[Any, int], loc: tuple[Any, ...], names: frozenset[str],
                problems: list[Diagnostic]) -> tuple[Condition, ...]:
    from simpleeval import SimpleEval

    items = [(when, loc)] if isinstance(when, str) else [(w, (*loc, i)) for i, w in enumerate(when)]
    evaluator = SimpleEval(functions=FUNCTIONS)
    result = []
    for text, where in items:
        origin = f"{src}:{_line(lines, where)}"
        try:
            tree = ast.parse(text, mode="eval")
            parsed = evaluator.parse(text)
        except SyntaxError as exc:
            problems.append(Diagnostic(src, _line(lines, where), f"condition '{text[:60]}' is not a valid expression: {exc.msg}"))
            continue
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - _CONSTANTS - set(FUNCTIONS)
        unknown = sorted(used - names)
        for name in unknown:
            problems.append(Diagnostic(src, _line(lines, where), f"unknown metric '{name}'{_suggest(name, names)}"))
        if not unknown:
            result.append(Condition(text, parsed, frozenset(used), origin))
    return tuple(result)


def _suggest(name: str, names: frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else "; see docs/rules.md for the metrics"
