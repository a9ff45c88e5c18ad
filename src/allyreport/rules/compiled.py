"""The rules as compiled: the typed, frozen records judging reads (`ruleset` makes them).

A level model, its levels and their conditions, the insights and the `people:` and `plans:`
settings: what every stage after loading sees of the rules files, and nothing of YAML.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from .coverage import PeopleRules
from .expressions import Run
from .facts import PlanRules
from .metrics import INSIGHT_ONLY

SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Condition:
    text: str
    parsed: Any  # simpleeval's pre-parsed AST
    names: frozenset[str]
    origin: str  # path:line, for errors found while evaluating
    fails: str = ""  # a message template: what the explanation says when it does not hold
    run: Run | None = field(default=None, compare=False, repr=False)  # `parsed` compiled (`expressions.compiled`)


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
    rank: int  # 0 = the highest level of its model
    source: str = ""
    idea: str = ""


@dataclass(frozen=True)
class Referral:
    """A referred account's start: `level` while `conditions` hold, when the rules give less."""

    level: Level
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class InsightCase:
    """What an insight says instead when these conditions hold (None: as the insight says)."""

    conditions: tuple[Condition, ...]
    severity: str | None
    message: str | None
    move: str | None
    steer: bool | None


@dataclass(frozen=True)
class InsightRule:
    key: str
    title: str
    severity: str
    conditions: tuple[Condition, ...]
    message: str
    move: str
    origin: str
    evidence: tuple[str, ...] = ()  # metrics whose notes are cited; default: the names in `conditions`
    critical_when: tuple[Condition, ...] = ()  # when these hold too, the insight is critical
    cases: tuple[InsightCase, ...] = ()
    steer: bool = False
    source: str = ""
    idea: str = ""
    internal: bool = False  # for the firm's eyes only: never in the share-safe variant

    @property
    def evidence_metrics(self) -> frozenset[str]:
        names = set(self.evidence) or {n for c in self.conditions for n in c.names}
        return frozenset(names - INSIGHT_ONLY)


@dataclass(frozen=True)
class LevelModel:
    key: str
    title: str
    credit: str
    window: int  # quarters: the review quarter and the ones before it
    levels: tuple[Level, ...]  # highest first; the last is the fallback
    insights: tuple[InsightRule, ...]
    referral: Referral | None = None
    lookback: int = 4  # quarters `recent_best_rank` looks back

    def height(self, level: Level) -> int:
        """Rated levels counted from the bottom: 1 = the lowest rated level, 0 = not rated."""
        if not level.rated:
            return 0
        return sum(1 for lv in self.levels[level.rank:] if lv.rated)

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """Every metric its levels' conditions read (asked for every window: worked out once)."""
        return frozenset(name for level in self.levels for c in level.conditions for name in c.names)

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
    people: PeopleRules = field(default_factory=PeopleRules)
    plans: PlanRules = field(default_factory=PlanRules)

    def insights_for(self, model: LevelModel) -> tuple[InsightRule, ...]:
        """The shared insights, then the model's own; a model's insight replaces a shared one of the same key."""
        own = {rule.key for rule in model.insights}
        return (*(r for r in self.insights if r.key not in own), *model.insights)
