"""Judging an account: the one path every command takes from notes to a verdict.

`check`, `levels` and `explain` judge every account in one process; `build` judges each
changed account in a forked worker. Both go through `judge_account`, with the review
quarter and "as of" date decided once, by `plan.plan_review`. `Project` is what judging
hands every renderer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..config.settings import Settings
from ..core.quarters import Quarter
from ..notes.data import Portfolio
from .engine import Verdict
from .plan import period
from .ruleset import LevelModel, RuleSet


@dataclass(frozen=True)
class Project:
    """Everything judged, nothing rendered: the input to every renderer."""

    settings: Settings
    portfolio: Portfolio
    rules: RuleSet
    model: LevelModel
    quarter: Quarter
    verdicts: tuple[Verdict, ...]
    as_of: dt.date  # the day the review is true on: today while the quarter runs, else its end (`plan`)

    @property
    def so_far(self) -> bool:
        """The review quarter was still running on the as-of date."""
        return self.as_of < self.quarter.end

    @property
    def period(self) -> str:
        """ "2026Q4 so far: 1 October to 1 December 2026" (`plan.period`)."""
        return period(self.quarter, self.as_of)
