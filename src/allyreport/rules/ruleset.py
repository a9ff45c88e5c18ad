"""Rules are data: level models and insights read from YAML files, checked, and compiled.

The shipped models (`rules/default.yaml`) load through exactly the same code as a firm's
own rules file. Conditions are parsed once with simpleeval (a well-kept evaluator over a
whitelisted AST; never `eval`). Everything a condition or message could get wrong is found
when the rules load, with the file and line: an unknown metric (with a did-you-mean), a
construct simpleeval would refuse, text compared with a number, a value `relevance` never
takes, a message field that is not a metric. Nothing fails silently at build time.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..core.diagnostics import Diagnostic, display_path
from ..core.strict import short
from .compiled import SEVERITIES as SEVERITIES  # the compiled rules used to live here; importers still find them
from .compiled import Condition as Condition
from .compiled import InsightCase as InsightCase
from .compiled import InsightRule as InsightRule
from .compiled import Level as Level
from .compiled import LevelModel as LevelModel
from .compiled import Referral as Referral
from .compiled import RuleSet as RuleSet
from .coverage import PeopleRules
from .expressions import Scope, check_condition, compiled, hint, message_problems, names_in, parse
from .facts import PlanRules
from .metrics import INSIGHT_ONLY, METRICS, sample_values, signal_metric
from .rulesfile import CheckSpec, Lines, Loc, ModelSpec, ReferralSpec, RulesFile, line_of, parse_rules_file

MAX_PATTERN_CHARS = 1000  # `plans.vague`: a typo must not make a pattern that takes a build's time
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# -- loading --------------------------------------------------------------------------------


def default_rules_text() -> str:
    return resources.files("allyreport").joinpath("rules/default.yaml").read_text("utf-8")


def load_rules(extra: list[Path], shown: list[str] | None = None) -> tuple[RuleSet | None, list[Diagnostic]]:
    """The shipped rules, then each firm file merged over them, in order."""
    texts = [("allyreport/rules/default.yaml", default_rules_text())]
    for i, path in enumerate(extra):
        name = shown[i] if shown else display_path(path)
        try:
            texts.append((name, path.read_text("utf-8")))
        except FileNotFoundError:
            return None, [Diagnostic(name, 0, "rules file not found (paths in allyreport.toml are relative to it)")]
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Diagnostic(name, 0, f"cannot read rules file: {exc}")]
    return compile_rules(texts)


def compile_rules(texts: list[tuple[str, str]]) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Parse and validate every file (reporting all of their problems), then merge and compile."""
    problems: list[Diagnostic] = []
    parsed: list[tuple[str, RulesFile, Lines]] = []
    for name, text in texts:
        spec, lines, found = parse_rules_file(name, text)
        problems += found
        if spec is not None:
            parsed.append((name, spec, lines))
    if problems:
        return None, problems
    return _Compiler(parsed).run()


# -- merging and compiling ------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """One field as last written, remembering which file and line wrote it."""

    value: Any
    src: str
    lines: Lines
    loc: Loc

    def line(self, *more: Any) -> int:
        return line_of(self.lines, (*self.loc, *more))

    def where(self, *more: Any) -> str:
        return f"{self.src}:{self.line(*more)}"


def _fields(spec: BaseModel, src: str, lines: Lines, loc: Loc) -> dict[str, _Field]:
    return {name: _Field(value, src, lines, (*loc, name)) for name, value in spec.model_dump(exclude_unset=True).items()}


class _Compiler:
    """Merges the files in order, then compiles; every problem becomes a Diagnostic."""

    def __init__(self, files: list[tuple[str, RulesFile, Lines]]) -> None:
        self.files = files
        self.problems: list[Diagnostic] = []
        self.signals: dict[str, str] = {}
        self.models: dict[str, tuple[str, ModelSpec, Lines]] = {}
        self.insights: dict[str, dict[str, _Field]] = {}
        self.default: _Field | None = None
        self.people: dict[str, Any] = {}
        self.vague: _Field | None = None  # `plans.vague`, as last written

    def report(self, src: str, line: int, message: str) -> None:
        self.problems.append(Diagnostic(src, line, message))

    def run(self) -> tuple[RuleSet | None, list[Diagnostic]]:
        for src, spec, lines in self.files:
            self._merge(src, spec, lines)
        names = frozenset(METRICS) | {signal_metric(s) for s in self.signals}
        sample = sample_values(self.signals)
        every_level = frozenset(lv.key for _, m, _ in self.models.values() for lv in m.levels)
        shared = Scope(names, sample, every_level)
        insights = tuple(rule for fields in self.insights.values() if _enabled(fields)
                         if (rule := self._insight(fields, shared)) is not None)
        models = {key: self._model(key, src, spec, lines, names - INSIGHT_ONLY, sample)
                  for key, (src, spec, lines) in self.models.items()}
        default = self.default.value if self.default else ""
        if default not in models and self.default is not None:
            self.report(self.default.src, self.default.line(),
                        f"default_model '{default}' is not a model{hint(default, frozenset(models), 'models')}")
        plans = self._plans()
        if self.problems:
            return None, self.problems
        return RuleSet(default, self.signals, models, insights, tuple(f[0] for f in self.files), self._people(),
                       plans), []

    def _people(self) -> PeopleRules:
        held = self.people.get("held_to_target")
        return PeopleRules({**self.people.get("cadence", {})}, self.people.get("due_percent", 80),
                           frozenset(held) if held is not None else PeopleRules().held_to_target)

    def _plans(self) -> PlanRules:
        """`plans.vague` compiled (case ignored); a pattern that does not compile is reported at its line."""
        if self.vague is None or self.vague.value is None:
            return PlanRules()
        pattern, where = str(self.vague.value), self.vague
        if len(pattern) > MAX_PATTERN_CHARS:
            self.report(where.src, where.line(), f"'vague' is {len(pattern):,} characters long; "
                                                 f"a pattern may have at most {MAX_PATTERN_CHARS:,}")
            return PlanRules()
        try:
            return PlanRules(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            self.report(where.src, where.line(), f"'vague' is not a valid regular expression: {exc}")
            return PlanRules()

    def _merge(self, src: str, spec: RulesFile, lines: Lines) -> None:
        for signal in spec.signals:
            self._check_key(signal, "signal", src, line_of(lines, ("signals", signal)))
        self.signals.update(spec.signals)
        if spec.people is not None:  # cadences merge influence by influence; the rest, last file wins
            given = spec.people.model_dump(exclude_unset=True)
            cadence = {**self.people.get("cadence", {}), **given.pop("cadence", {})}
            self.people.update(given, cadence=cadence)
        if spec.plans is not None and "vague" in spec.plans.model_fields_set:  # the last file to give it wins
            self.vague = _Field(spec.plans.vague, src, lines, ("plans", "vague"))
        if spec.default_model:
            self.default = _Field(spec.default_model, src, lines, ("default_model",))
        for key, model in spec.models.items():
            line = line_of(lines, ("models", key))
            self._check_key(key, "model", src, line)
            if model.enabled:
                self.models[key] = (src, model, lines)
            elif self.models.pop(key, None) is None:
                self.report(src, line, f"model '{key}' is disabled but no earlier rules file defines it"
                                       f"{hint(key, frozenset(self.models), 'models')}")
        seen: dict[str, int] = {}
        for i, insight in enumerate(spec.insights):
            fields = _fields(insight, src, lines, ("insights", i))
            line = fields["key"].line()
            if insight.key in seen:
                self.report(src, line, f"insight '{insight.key}' appears twice in this file (first on line {seen[insight.key]})")
            seen[insight.key] = line
            self._check_key(insight.key, "insight", src, line)
            if insight.key not in self.insights and not insight.enabled:
                self.report(src, line, f"insight '{insight.key}' is disabled but no earlier rules file defines it"
                                       f"{hint(insight.key, frozenset(self.insights), 'insights')}")
            self.insights[insight.key] = {**self.insights.get(insight.key, {}), **fields}

    def _check_key(self, key: str, what: str, src: str, line: int) -> None:
        if not KEY.fullmatch(key):
            self.report(src, line, f"{what} key '{short(key)}' must be lowercase words joined by hyphens, "
                                   "like early-warning")

    def _model(self, key: str, src: str, spec: ModelSpec, lines: Lines, names: frozenset[str],
               sample: dict[str, Any]) -> LevelModel:
        base: Loc = ("models", key)
        if not spec.levels:
            self.report(src, line_of(lines, base), f"model '{key}' needs at least one level")
        levels: list[Level] = []
        seen: dict[str, int] = {}
        level_scope = Scope(names, sample, frozenset(lv.key for lv in spec.levels))
        for i, lv in enumerate(spec.levels):
            field = _Field(lv.when, src, lines, (*base, "levels", i, "when"))
            line = line_of(lines, (*base, "levels", i, "key"))
            self._check_key(lv.key, "level", src, line)
            if lv.key in seen:
                self.report(src, line, f"level '{lv.key}' appears twice in model '{key}' (first on line {seen[lv.key]})")
            seen.setdefault(lv.key, line)
            conditions = self._conditions(field, level_scope)
            levels.append(Level(lv.key, lv.title or lv.key, conditions, lv.rated, lv.wins_work_by or "",
                                lv.summary or "", lv.behaviour or "", lv.move or "", i, lv.source or "", lv.idea or ""))
        scope = Scope(names | INSIGHT_ONLY, sample, frozenset(seen))
        insights = []
        for i, ins in enumerate(spec.insights):
            fields = _fields(ins, src, lines, (*base, "insights", i))
            if ins.enabled and (rule := self._insight(fields, scope)) is not None:
                insights.append(rule)
        referral = self._referral(spec.referral, levels, level_scope, _Field(None, src, lines, (*base, "referral")))
        return LevelModel(key, spec.title or key, spec.credit or "", spec.window, tuple(levels), tuple(insights),
                          referral, spec.lookback)

    def _referral(self, spec: ReferralSpec | None, levels: list[Level], scope: Scope, at: _Field) -> Referral | None:
        if spec is None:
            return None
        level = next((lv for lv in levels if lv.key == spec.level), None)
        if level is None:
            keys = frozenset(lv.key for lv in levels)
            self.report(at.src, at.line("level"), f"referral level '{spec.level}' is not a level of this model"
                                                  f"{hint(spec.level, keys, 'levels')}")
            return None
        when = _Field(spec.when, at.src, at.lines, (*at.loc, "when"))
        return Referral(level, self._conditions(when, scope))

    def _insight(self, fields: dict[str, _Field], scope: Scope) -> InsightRule | None:
        key = fields["key"]
        missing = [f for f in ("when", "message") if f not in fields or not fields[f].value]
        if missing:
            self.report(key.src, key.line(), f"insight '{key.value}' needs {' and '.join(missing)}")
            return None
        value = {name: f.value for name, f in fields.items()}
        severity = value.get("severity") or "warning"
        if severity not in SEVERITIES:
            self.report(fields["severity"].src, fields["severity"].line(),
                        f"severity must be one of {', '.join(SEVERITIES)}, got '{severity}'")
        message = fields["message"]
        for problem in message_problems(message.value, scope):
            self.report(message.src, message.line(), problem)
        if "evidence" in fields:
            for i, name in enumerate(value["evidence"] or ()):
                if name not in scope.names:
                    self.report(fields["evidence"].src, fields["evidence"].line(i),
                                f"evidence names unknown metric '{name}'{hint(name, scope.names)}")
        if "move" in fields:
            self._template(fields["move"], scope)
        scope = Scope(scope.names | INSIGHT_ONLY, scope.sample, scope.levels)
        conditions = self._conditions(fields["when"], scope)
        critical = self._conditions(fields["critical_when"], scope) if value.get("critical_when") else ()
        cases = tuple(self._case(case, fields["cases"], i, scope) for i, case in enumerate(value.get("cases") or ()))
        return InsightRule(key.value, value.get("title") or key.value, severity, conditions, message.value,
                           value.get("move") or "", key.where(), tuple(value.get("evidence") or ()), critical,
                           cases, bool(value.get("steer")), value.get("source") or "", value.get("idea") or "",
                           bool(value.get("internal")))

    def _template(self, field: _Field, scope: Scope, *more: Any) -> None:
        for problem in message_problems(field.value, scope):
            self.report(field.src, field.line(*more), problem)

    def _case(self, case: dict[str, Any], field: _Field, i: int, scope: Scope) -> InsightCase:
        severity = case.get("severity")
        if severity is not None and severity not in SEVERITIES:
            self.report(field.src, field.line(i, "severity"),
                        f"severity must be one of {', '.join(SEVERITIES)}, got '{severity}'")
        for name in ("message", "move"):
            if case.get(name):
                self._template(_Field(case[name], field.src, field.lines, (*field.loc, i, name)), scope)
        when = _Field(case["when"], field.src, field.lines, (*field.loc, i, "when"))
        return InsightCase(self._conditions(when, scope), severity, case.get("message"), case.get("move"),
                           case.get("steer"))

    def _conditions(self, field: _Field, scope: Scope) -> tuple[Condition, ...]:
        result = []
        for i, item in enumerate(field.value):
            where = (i,) if field.lines.get((*field.loc, i)) is not None else ()
            line = field.line(*where)
            text, fails = _condition_parts(item)
            problems = check_condition(text, scope)
            if fails:
                problems += message_problems(fails, scope)
            for problem in problems:
                self.report(field.src, line, problem)
            if not problems:
                names = frozenset(names_in(ast.parse(text.strip(), mode="eval")))
                parsed = parse(text)
                result.append(Condition(text, parsed, names, f"{field.src}:{line}", fails, compiled(parsed)))
        return tuple(result)


def _condition_parts(item: Any) -> tuple[str, str]:
    """A `when` item: an expression, or `{check: expression, fails: sentence}` (a dict once merged)."""
    if isinstance(item, str):
        return item, ""
    if isinstance(item, CheckSpec):
        return item.check, item.fails
    return str(item["check"]), str(item.get("fails") or "")


def _enabled(fields: dict[str, _Field]) -> bool:
    """Enabled unless a file said `enabled: false` and no later file said `enabled: true`."""
    return "enabled" not in fields or bool(fields["enabled"].value)
