"""Evaluate the rules: a level per account per quarter, the trust quotient, and insights,
each carrying the evidence (the notes and lines) behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from simpleeval import SimpleEval

from ..core.diagnostics import Diagnostic
from ..core.quarters import Quarter, span
from ..notes.data import Account
from . import metrics
from .expressions import FUNCTIONS
from .metrics import Source, Window, gather, is_open
from .people import CLIENT_READS, ClientTrust, Judging, Person, Whitespace, client_trust_of, people, whitespace
from .relationship import history_values
from .ruleset import Condition, InsightRule, Level, LevelModel, RuleSet
from .trust import TRUST_READS, Trust, trust_of

HISTORY_METRICS = frozenset(history_values(None, None, 0))  # previous_level, recent_best_rank, ...


@dataclass(frozen=True)
class Check:
    """One condition as evaluated: its text, whether it held, and the metric values it read."""

    text: str
    holds: bool
    values: tuple[tuple[str, Any], ...]
    reason: str = ""  # the rule's own sentence for why it does not hold ("price decided 3 of 4 …")


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
    referred: bool = False  # the level is the model's start for a referred account


@dataclass(frozen=True)
class Insight:
    key: str
    title: str
    severity: str
    message: str
    move: str
    evidence: tuple[Source, ...]
    checks: tuple[Check, ...]
    steer: bool = False  # its move replaces the level's (the plan page and explain follow it)


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
    as_of: dt.date  # the day the review is true on: the window's end (the quarter's, once it is over)
    history: tuple[QuarterLevel, ...]  # oldest first, up to and including `quarter`
    movement: str  # up, down, same or new
    previous: Level | None
    target: Level | None
    trust: Trust  # over the model's window, like every metric
    trust_history: tuple[tuple[Quarter, Trust], ...]  # each quarter's window, so the last one equals `trust`
    insights: tuple[Insight, ...]
    referred: bool = False  # the level is where a referred account starts (its first window)
    people: tuple[Person, ...] = ()  # listed stakeholders in account.md's order, then others met
    client_trust: ClientTrust | None = None  # the client's ratings beside ours, over the window
    client_history: tuple[tuple[Quarter, ClientTrust], ...] = ()  # each quarter's window, like trust_history
    whitespace: Whitespace | None = None  # offerings x people: the conversations held and not held

    @property
    def next_level(self) -> Level | None:
        return self.model.above(self.level)

    @property
    def steer(self) -> Insight | None:
        """The insight whose move replaces the level's ("the old curve is ending"), if one fired."""
        return next((i for i in self.insights if i.steer), None)

    @property
    def move(self) -> str:
        steer = self.steer
        return steer.move if steer is not None else self.level.move

    @property
    def so_far(self) -> bool:
        """The review quarter was still running on the as-of date: judged on the window so far."""
        return self.as_of < self.quarter.end

    @property
    def open_invest(self) -> int:
        """Investments in the relationship still open at the window's end."""
        return int(self.window.values.get("open_invest") or 0)


class Failure(NamedTuple):
    """A part of a rule that failed to evaluate, and for how many accounts (the first one named)."""

    origin: str  # where the rule is written, path:line
    what: str  # "condition 'x > 1'", "message of insight 'y'"
    who: str  # the first account (and quarter) it failed for
    error: str
    times: int = 1  # how many accounts (and quarters) it failed for


def _merge_into(merged: dict[tuple[str, str], Failure], failure: Failure) -> None:
    """The one failure merge: the same part of the same rule is one failure, counted."""
    first = merged.get((failure.origin, failure.what))
    merged[(failure.origin, failure.what)] = first._replace(times=first.times + failure.times) if first else failure


def failure_problems(failures: Iterable[Failure]) -> list[Diagnostic]:
    """Failures (of one account or many, in the order first seen) as diagnostics, each part of a rule once."""
    merged: dict[tuple[str, str], Failure] = {}
    for failure in failures:
        _merge_into(merged, failure)
    found = []
    for f in merged.values():
        path, _, line = f.origin.rpartition(":")
        more = f" (and {f.times - 1} more)" if f.times > 1 else ""
        found.append(Diagnostic(path, int(line), f"{f.what} failed for {f.who}{more}: {f.error}"))
    return found


class Evaluator:
    """Holds one simpleeval instance; conditions were parsed (and most compiled) once when the rules loaded.

    A condition that fails to evaluate (a firm's rule dividing by a metric that is 0) is
    reported once, with how many accounts it failed for, not once per account.
    """

    def __init__(self) -> None:
        self._eval = SimpleEval(functions=FUNCTIONS)
        self._failed: dict[tuple[str, str], Failure] = {}

    def fail(self, origin: str, what: str, who: str, error: str) -> None:
        _merge_into(self._failed, Failure(origin, what, who, error))

    @property
    def problems(self) -> list[Diagnostic]:
        return failure_problems(self._failed.values())

    def failures(self) -> tuple[Failure, ...]:
        """Each failure once, with its count: to merge with other accounts' (`failure_problems`)."""
        return tuple(self._failed.values())

    def holds(self, condition: Condition, values: dict[str, Any], who: str) -> bool:
        if condition.run is not None:  # compiled when the rules loaded; simpleeval for the rest
            try:
                return bool(condition.run(values))
            except Exception:
                pass
        self._eval.names = values
        try:
            return bool(self._eval.eval(condition.text, previously_parsed=condition.parsed))
        except Exception as exc:  # a firm's rule can divide by zero; report it, do not crash
            self.fail(condition.origin, f"condition '{condition.text}'", who, str(exc))
            return False

    def check(self, condition: Condition, values: dict[str, Any], who: str) -> Check:
        held = self.holds(condition, values, who)
        reason = "" if held or not condition.fails else self.fill(condition.fails, values, condition.origin, who)
        return Check(condition.text, held, tuple((n, values.get(n)) for n in sorted(condition.names)), reason)

    def fill(self, template: str, values: dict[str, Any], origin: str, who: str) -> str:
        """A message template filled with the metric values (the template itself if that fails)."""
        try:
            return template.format_map(values)
        except (ValueError, KeyError, TypeError) as exc:
            self.fail(origin, f"message '{template}'", who, str(exc))
            return template

    def all_hold(self, conditions: Iterable[Condition], values: dict[str, Any], who: str) -> bool:
        for condition in conditions:  # noqa: SIM110 -- a loop, not all(...): asked some 10,000 times per build
            if not self.holds(condition, values, who):
                return False
        return True


def window_of(account: Account, quarter: Quarter, size: int, signals: Iterable[str]) -> Window:
    """The metrics of `size` quarters ending with `quarter` (one-off; evaluation reuses `gather`)."""
    return metrics.window(gather(account), quarter, size, signals)


def choose_level(model: LevelModel, window: Window, ev: Evaluator, who: str) -> tuple[Level, bool]:
    """The first level, highest first, whose conditions all hold (the last level otherwise); or the
    model's referral start when its conditions hold and it is higher. True when it is the referral."""
    level = next((lv for lv in model.levels if ev.all_hold(lv.conditions, window.values, who)), model.levels[-1])
    referral = model.referral
    if referral is not None and referral.level.rank < level.rank and ev.all_hold(referral.conditions, window.values, who):
        return referral.level, True
    return level, False


@dataclass(frozen=True)
class Windows:
    """How every window of one account's judging is computed, worked out once per account: the
    level model, the review quarter and as-of date, the signals, what a window that only decides
    a level computes (`_reads`), and whether a person's level needs the earlier quarters too."""

    model: LevelModel
    quarter: Quarter
    as_of: dt.date | None
    signals: tuple[str, ...]
    brief: metrics.Detail
    people_history: bool  # `_reads_history`

    @classmethod
    def of(cls, model: LevelModel, quarter: Quarter, as_of: dt.date | None, signals: Iterable[str]) -> Windows:
        return cls(model, quarter, as_of, tuple(signals), metrics.Detail(False, _reads(model)), _reads_history(model))

    def of_facts(self, facts: metrics.Facts, evidence: bool, history: bool) -> tuple[list[Quarter], list[Window]]:
        """The window of every quarter from the first note to the review quarter (only its
        window without `history`), the last one up to the as-of date; with `evidence` the last
        one has every metric and its sources, the others (and all of them without it) only
        what a level and the trust read (`brief`)."""
        quarter, model = self.quarter, self.model
        first = Quarter.of(facts.dates[0]) if facts.dates and history else quarter
        quarters = span(min(first, quarter), quarter)
        full = metrics.Detail()
        return quarters, [metrics.window(facts, q, model.window, self.signals,
                                         full if evidence and q == quarter else self.brief, self.as_of)
                          for q in quarters]


def _reads(model: LevelModel) -> frozenset[str]:
    """What a window that only decides a level needs: the metrics its levels and referral read,
    and the ones each quarter's trust and client trust are drawn from (`trust_of`, `client_trust_of`)."""
    referral = frozenset(n for c in model.referral.conditions for n in c.names) if model.referral else frozenset()
    return model.names | referral | TRUST_READS | CLIENT_READS


def _reads_history(model: LevelModel) -> bool:
    """Whether a level (or the referral start) reads the levels of earlier quarters: only then
    does a person's level need every quarter before the review's, as the account's does."""
    names = model.names | (frozenset(n for c in model.referral.conditions for n in c.names) if model.referral else frozenset())
    return bool(names & HISTORY_METRICS)


def _history(model: LevelModel, quarters: list[Quarter], windows: list[Window], facts: metrics.Facts,
             ev: Evaluator, slug: str) -> tuple[QuarterLevel, ...]:
    """Each quarter's level, oldest first; a quarter's window first learns the levels before it."""
    history: list[QuarterLevel] = []
    fallback = len(model.levels) - 1
    for q, w in zip(quarters, windows, strict=True):
        recent = history[-model.lookback:]
        best = min(recent, key=lambda h: h.level.rank) if recent else None
        w.values.update(history_values((history[-1].level.key, history[-1].level.rank) if history else None,
                                       (best.level.key, best.level.rank) if best else None, fallback))
        level, referred = choose_level(model, w, ev, f"{slug} {q}")
        history.append(QuarterLevel(q, level, facts.count_in(q), referred))
    return tuple(history)


def evaluate_account(account: Account, rules: RuleSet, model: LevelModel, quarter: Quarter,
                     ev: Evaluator, as_of: dt.date | None = None) -> Verdict:
    """A level for every quarter from the first note to `quarter`; findings and insights for
    `quarter`, judged up to `as_of` (its end by default; earlier quarters are over: each is judged
    to its end)."""
    facts = gather(account, rules.people, rules.plans)
    plan = Windows.of(model, quarter, as_of, rules.signals)
    quarters, windows = plan.of_facts(facts, evidence=True, history=True)
    history = _history(model, quarters, windows, facts, ev, account.slug)
    who = f"{account.slug} {quarter}"
    current, level, referred = windows[-1], history[-1].level, history[-1].referred
    reached = model.referral.conditions if referred and model.referral else level.conditions
    finding = _finding(reached, current, ev, who)
    higher = tuple((lv, finding_checks(lv.conditions, current, ev, who)) for lv in model.levels[: level.rank])
    previous = history[-2].level if len(history) > 1 else None
    values = {**current.values, **metrics.level_values(level.key, level.rank, model.height(level), level.title,
                                                        level.move)}
    insights = tuple(found for rule in rules.insights_for(model)
                     if (found := _insight(rule, values, current, ev, who)) is not None)
    trust_history = tuple((h.quarter, trust_of(w)) for h, w in zip(history, windows, strict=True))
    steered = any(i.steer for i in insights) and not account.meta.target
    target = level if steered else _target(account, model, level)

    def judge(mine: metrics.Facts) -> tuple[Level, Window]:  # a person: the same windows and history, their notes
        their_quarters, their_windows = plan.of_facts(mine, evidence=False, history=plan.people_history)
        return _history(model, their_quarters, their_windows, mine, ev, account.slug)[-1].level, their_windows[-1]

    persons = people(Judging(facts, quarter, current, target, rules.people, judge, trust_of))
    return Verdict(account, model, quarter, current, level, finding, higher, current.end, history,
                   _movement(previous, level), previous, target, trust_of(current), trust_history, insights, referred,
                   persons, client_trust_of(current),
                   tuple((q, client_trust_of(w)) for q, w in zip(quarters, windows, strict=True)),
                   whitespace(persons, account.notes, account.meta.offerings, current))


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


def _insight(rule: InsightRule, values: dict[str, Any], window: Window, ev: Evaluator, who: str) -> Insight | None:
    """The insight if all its conditions hold, citing the notes behind the metrics it names."""
    if not ev.all_hold(rule.conditions, values, who):  # most insights do not fire: stop at the first miss
        return None
    checks = tuple(ev.check(c, values, who) for c in rule.conditions)
    severity, message, move, steer = rule.severity, rule.message, rule.move, rule.steer
    case = next((c for c in rule.cases if ev.all_hold(c.conditions, values, who)), None)
    if case is not None:  # the first case that holds says it differently
        severity, message, move = case.severity or severity, case.message or message, case.move or move
        steer = steer if case.steer is None else case.steer
    critical = tuple(ev.check(c, values, who) for c in rule.critical_when)
    severity = "critical" if critical and all(c.holds for c in critical) else severity
    return Insight(rule.key, rule.title, severity, ev.fill(message, values, rule.origin, who),
                   ev.fill(move, values, rule.origin, who), _evidence(window, rule.evidence_metrics),
                   checks + critical, steer)


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


def visible(account: Account, as_of: dt.date) -> Account | None:
    """The account as it stood on `as_of`: its later notes dropped; None when every note is later
    (the relationship began after the review, which it is not part of)."""
    if not account.notes or account.notes[-1].date <= as_of:  # oldest first: none is later
        return account
    notes = tuple(n for n in account.notes if n.date <= as_of)
    if account.notes and not notes:
        return None
    return account if len(notes) == len(account.notes) else replace(account, notes=notes)


def target_problem(account: Account, model: LevelModel) -> Diagnostic | None:
    if not account.meta.target or account.meta.target in (keys := [lv.key for lv in model.levels]):
        return None
    return Diagnostic(account.path, account.line_of("target"),
                      f"target '{account.meta.target}' is not a level of the {model.key} model "
                      f"(one of {', '.join(keys)}); using the level above the current one", "warning")


def open_actions(account: Account, asof: dt.date) -> list[tuple[Source, Any]]:
    """Every action still open at `asof`, from the plan and the notes, with where it was written."""
    found = [(Source(account.path, account.line_of("plan", i), None), a) for i, a in enumerate(account.meta.plan)]
    found += [(Source(n.path, n.line_of("actions", i), n.date), a)
              for n in account.notes if n.date <= asof for i, a in enumerate(n.meta.actions)]
    return [(s, a) for s, a in found if is_open(a, asof)]


def not_yet_due(v: Verdict) -> tuple[tuple[Source, Any], ...]:
    """The firm commitments open at the as-of date that fall due later in the review quarter: not
    held against us yet (metric `firm_not_yet_due`), soonest first."""
    found = [(s, a) for s, a in open_actions(v.account, v.as_of) if a.commitment == "firm" and a.by is not None
             and v.as_of < a.by <= v.quarter.end and (s.date is not None)]
    return tuple(sorted(found, key=lambda item: (item[1].by, item[0].path, item[0].line)))
