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
    as_of: dt.date  # the last note up to the quarter's end: the date every document is "as of"
