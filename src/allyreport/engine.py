"""Evaluate the rules: a level per account per quarter, the trust quotient, and insights,
each carrying the evidence (the notes and lines) behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from simpleeval import SimpleEval

from .diagnostics import Diagnostic
from .metrics import FACTORS, Source, Window, compute, is_open
from .model import Account, Note, Portfolio
from .quarters import Quarter, span
from .rules import FUNCTIONS, Condition, InsightRule, Level, LevelModel, RuleSet


@dataclass(frozen=True)
class Check:
    """One condition as evaluated: its text, whether it held, and the metric values it read."""

    text: str
    holds: bool
    values: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Finding:
    """A level or an insight that applies, with the checks and the sources behind it."""

    checks: tuple[Check, ...]
    evidence: tuple[Source, ...]


@dataclass(frozen=True)
class QuarterLevel:
    quarter: Quarter
    level: Level
    notes: int  # notes dated in this quarter (not the window)


@dataclass(frozen=True)
class Insight:
    key: str
    title: str
    severity: str
    message: str
    move: str
    evidence: tuple[Source, ...]
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Trust:
    reliability: float | None
    credibility: float | None
    intimacy: float | None
    character: float | None
    self_orientation: float | None
    tq: float | None
    tq_plus: float | None
    reliability_kept: float | None
    readings: int

    @property
    def weakest(self) -> str | None:
        """The factor to work on: the lowest numerator factor, or self-orientation when it is high."""
        scores = {f: getattr(self, f) for f in ("reliability", "credibility", "intimacy", "character")}
        present = {f: v for f, v in scores.items() if v is not None}
        if not present:
            return None
        if self.self_orientation is not None and self.self_orientation >= 6:
            return "self_orientation"
        return min(present, key=lambda f: (present[f], f))


@dataclass(frozen=True)
class Verdict:
    """Everything the rules decided about one account for the review quarter."""

    account: Account
    model: LevelModel
    quarter: Quarter
    window: Window
    level: Level
    finding: Finding  # why this level
    higher: tuple[tuple[Level, tuple[Check, ...]], ...]  # the levels above, and what they lacked
    history: tuple[QuarterLevel, ...]  # oldest first, up to and including `quarter`
    movement: str  # up, down, same or new
    previous: Level | None
    target: Level | None
    trust: Trust
    trust_history: tuple[tuple[Quarter, Trust], ...]
    insights: tuple[Insight, ...]

    @property
    def next_level(self) -> Level | None:
        return self.model.above(self.level)


class Evaluator:
    """Holds one simpleeval instance; conditions were parsed once when the rules loaded."""

    def __init__(self) -> None:
        self._eval = SimpleEval(functions=FUNCTIONS)
        self.problems: list[Diagnostic] = []

    def holds(self, condition: Condition, values: dict[str, Any], who: str) -> bool:
        self._eval.names = values
        try:
            return bool(self._eval.eval(condition.text, previously_parsed=condition.parsed))
        except Exception as exc:  # a firm's rule can divide by zero; report it, do not crash
            path, _, line = condition.origin.rpartition(":")
            self.problems.append(Diagnostic(path, int(line), f"condition '{condition.text}' failed for {who}: {exc}"))
            return False

    def check(self, condition: Condition, values: dict[str, Any], who: str) -> Check:
        held = self.holds(condition, values, who)
        return Check(condition.text, held, tuple((n, values.get(n)) for n in sorted(condition.names)))

    def all_hold(self, conditions: Iterable[Condition], values: dict[str, Any], who: str) -> bool:
        return all(self.holds(c, values, who) for c in conditions)


def window_of(account: Account, quarter: Quarter, size: int, signals: Iterable[str]) -> Window:
    start, end = quarter.back(size - 1).start, quarter.end
    notes = [n for n in account.notes if start <= n.date <= end]
    return compute(account, notes, start, end, signals)


def choose_level(model: LevelModel, window: Window, ev: Evaluator, who: str) -> Level:
    for level in model.levels:
        if ev.all_hold(level.conditions, window.values, who):
            return level
    return model.levels[-1]


def evaluate_account(account: Account, rules: RuleSet, model: LevelModel, quarter: Quarter,
                     ev: Evaluator) -> Verdict:
    who = f"{account.slug} {quarter}"
    signals = list(rules.signals)
    first = Quarter.of(account.notes[0].date) if account.notes else quarter
    history = []
    for q in span(min(first, quarter), quarter):
        w = window_of(account, q, model.window, signals)
        count = sum(1 for n in account.notes if q.start <= n.date <= q.end)
        history.append(QuarterLevel(q, choose_level(model, w, ev, f"{account.slug} {q}"), count))
    window = window_of(account, quarter, model.window, signals)
    level = history[-1].level
    finding = _finding(level.conditions, window, ev, who)
    higher = tuple((lv, finding_checks(lv.conditions, window, ev, who)) for lv in model.levels[: level.rank])
    previous = history[-2].level if len(history) > 1 else None
    values = {**window.values, "level": level.key, "level_rank": level.rank}
    insights = tuple(
        _insight(rule, values, window, ev, who)
        for rule in (*rules.insights, *model.insights)
        if ev.all_hold(rule.conditions, values, who)
    )
    trust_history = tuple((q.quarter, trust_of(window_of(account, q.quarter, 1, ()))) for q in history)
    return Verdict(account, model, quarter, window, level, finding, higher, tuple(history),
                   _movement(previous, level), previous, _target(account, model, level), trust_of(window),
                   trust_history, insights)


def finding_checks(conditions: Iterable[Condition], window: Window, ev: Evaluator, who: str) -> tuple[Check, ...]:
    return tuple(ev.check(c, window.values, who) for c in conditions)


def _finding(conditions: tuple[Condition, ...], window: Window, ev: Evaluator, who: str) -> Finding:
    checks = finding_checks(conditions, window, ev, who)
    return Finding(checks, _evidence(window, {n for c in conditions for n in c.names}))


def _evidence(window: Window, names: Iterable[str]) -> tuple[Source, ...]:
    """One source per file: the most specific line (a key's line rather than the file's first)."""
    seen: dict[str, Source] = {}
    for name in sorted(names):
        for source in window.sources.get(name, ()):
            known = seen.get(source.path)
            if known is None or known.line == 1 or (1 < source.line < known.line):
                seen[source.path] = source
    return tuple(sorted(seen.values(), key=lambda s: (s.date or dt.date.min, s.path, s.line)))


def _insight(rule: InsightRule, values: dict[str, Any], window: Window, ev: Evaluator, who: str) -> Insight:
    checks = finding_checks(rule.conditions, window, ev, who)
    try:
        message = rule.message.format_map(values)
    except (ValueError, KeyError, TypeError) as exc:
        path, _, line = rule.origin.rpartition(":")
        ev.problems.append(Diagnostic(path, int(line), f"message of insight '{rule.key}' cannot be filled: {exc}"))
        message = rule.message
    names = {n for c in rule.conditions for n in c.names} - {"level", "level_rank"}
    return Insight(rule.key, rule.title, rule.severity, message, rule.move, _evidence(window, names), checks)


def _movement(previous: Level | None, current: Level) -> str:
    if previous is None:
        return "new"
    if previous.rank == current.rank:
        return "same"
    return "up" if current.rank < previous.rank else "down"


def _target(account: Account, model: LevelModel, level: Level) -> Level | None:
    if account.meta.target:
        matches = [lv for lv in model.levels if lv.key == account.meta.target]
        if matches:
            return matches[0]
    return model.above(level) or level


def trust_of(window: Window) -> Trust:
    v = window.values
    has = bool(v["trust_notes"])
    means = {f: (float(v[f]) if has and v[f] else None) for f in FACTORS}
    return Trust(
        **means,
        tq=float(v["tq"]) if has and v["tq"] else None,
        tq_plus=float(v["tq_plus"]) if has and v["tq_plus"] else None,
        reliability_kept=float(v["reliability_kept"]) if v["firm_due"] else None,
        readings=int(v["trust_notes"]),
    )


def evaluate(portfolio: Portfolio, rules: RuleSet, model_key: str, quarter: Quarter) -> tuple[list[Verdict], list[Diagnostic]]:
    """Judge every account for `quarter`; notes dated after it are ignored."""
    model = rules.models[model_key]
    ev = Evaluator()
    verdicts = []
    for account in portfolio.accounts:
        visible = tuple(n for n in account.notes if n.date <= quarter.end)
        if len(visible) != len(account.notes):
            account = _replace_notes(account, visible)
        verdicts.append(evaluate_account(account, rules, model, quarter, ev))
    return verdicts, ev.problems + _target_problems(portfolio, model)


def _replace_notes(account: Account, notes: tuple[Note, ...]) -> Account:
    from dataclasses import replace

    return replace(account, notes=notes)


def _target_problems(portfolio: Portfolio, model: LevelModel) -> list[Diagnostic]:
    keys = [lv.key for lv in model.levels]
    return [
        Diagnostic(a.path, a.line_of("target"),
                   f"target '{a.meta.target}' is not a level of the {model.key} model (one of {', '.join(keys)}); "
                   "using the level above the current one", "warning")
        for a in portfolio.accounts
        if a.meta.target and a.meta.target not in keys
    ]


def latest_quarter(portfolio: Portfolio) -> Quarter | None:
    last = portfolio.last_date
    return Quarter.of(last) if last else None


def open_actions(account: Account, asof: dt.date) -> list[tuple[Source, Any]]:
    """Every action still open at `asof`, from the plan and the notes, with where it was written."""
    found = [(Source(account.path, account.line_of("plan", i), None), a) for i, a in enumerate(account.meta.plan)]
    found += [(Source(n.path, n.line_of("actions", i), n.date), a)
              for n in account.notes if n.date <= asof for i, a in enumerate(n.meta.actions)]
    return [(s, a) for s, a in found if is_open(a, asof)]
