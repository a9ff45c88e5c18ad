"""Judging an account: the one path every command takes from notes to a verdict.

`check`, `levels` and `explain` judge every account in one process (`evaluate`); `build`
judges each changed account in a forked worker (`build.account`). Both go through
`judge_account`, with the review quarter and as-of date decided once before
(`rules.plan.plan_review`); the rules' failures are merged once (`engine.failure_problems`).
`Project` is what judging hands every renderer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from ..config.settings import Settings, SettingsSpec
from ..core.diagnostics import Diagnostic
from ..core.quarters import Quarter
from ..notes.data import Account, Portfolio
from ..notes.share import shareable
from .engine import Evaluator, Verdict, evaluate_account, target_problem, visible
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


def judge_account(account: Account, project: Project, ev: Evaluator) -> tuple[Verdict | None, list[Diagnostic]]:
    """THE way an account is judged, for `project`'s rules, level model, review quarter and as-of
    date: its verdict from the notes up to the as-of date (`engine.visible`, the one note filter),
    and its problems (a target that is not a level of the model). No verdict for an account whose
    relationship began after that day: it is not part of the review. In the share-safe variant it
    is judged as if the private parts had never been written (`notes.share`), and without the
    insights meant for the firm only."""
    safe, model, rules = project.settings.spec.share_safe, project.model, project.rules
    account = shareable(account) if safe else account
    found = [problem] if (problem := target_problem(account, model)) is not None else []
    as_of = min(project.as_of, project.quarter.end)
    seen = visible(account, as_of)
    if seen is None:
        return None, found
    verdict = evaluate_account(seen, rules, model, project.quarter, ev, as_of)
    if safe:
        internal = {rule.key for rule in (*rules.insights, *model.insights) if rule.internal}
        verdict = replace(verdict, insights=tuple(i for i in verdict.insights if i.key not in internal))
    return verdict, found


def evaluate(portfolio: Portfolio, rules: RuleSet, model_key: str, quarter: Quarter, as_of: dt.date | None = None,
             settings: Settings | None = None) -> tuple[list[Verdict], list[Diagnostic]]:
    """Every account of a loaded portfolio judged in one process for `quarter` as of `as_of` (its
    end by default): the verdicts, then the rules' failures (each once, counted) and the
    accounts' problems."""
    project = Project(settings or Settings(SettingsSpec(), Path("."), None), portfolio, rules,
                      rules.models[model_key], quarter, (), min(as_of or quarter.end, quarter.end))
    ev = Evaluator()
    verdicts, problems = [], []
    for account in portfolio.accounts:
        verdict, found = judge_account(account, project, ev)
        problems += found
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts, ev.problems + problems
