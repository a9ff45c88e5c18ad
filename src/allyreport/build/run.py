"""One build's context, made once and handed to every stage (pelican hands each generator its
`context` and `settings` once), and the one function that decides what is reviewed.

`Run` is what the survey leaves: the settings, options, the last build's record and the keys.
`Work` is what the planning stage adds before any account is judged: the rules, the level
model and the review (in `project`), the last build's account records, where to stage.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.options import Options
from ..config.settings import Settings
from ..core.diagnostics import Diagnostic, display_path, errors_only
from ..core.progress import Progress
from ..core.quarters import Quarter
from ..rules.plan import Review, plan_review, today
from .keys import Templates, combine
from .state import AccountRecord, State
from .stats import StatIndex
from .survey import Survey

if TYPE_CHECKING:
    from ..rules.judge import Project
    from .memory import Memory


NO_NOTES = "no notes yet; nothing to report"  # a notes folder without a dated note: nothing to judge
NOTHING = Review(Quarter(1970, 1), dt.date(1970, 3, 31), dt.date(1970, 3, 31), False)  # no notes: judged all the same


def review_of(options: Options, days: Iterable[int]) -> Review | None:
    """The review quarter and as-of date for the notes' `days` (ordinals), by `plan.plan_review`:
    what every command reviews (check, levels and explain through `rebuild.judge_all`, build
    through `rebuild.plan`, and the no-op check)."""
    quarter = Quarter.parse(options.quarter) if options.quarter else None
    return plan_review(days, quarter, options.as_of, options.today or today())


def nothing(options: Options, any_notes: bool) -> Diagnostic:
    """Why there is no review: no notes at all, or none dated up to today."""
    shown = display_path(options.notes).rstrip("/")
    if not any_notes:
        return Diagnostic(shown, 0, NO_NOTES)
    day = options.as_of or options.today or today()
    return Diagnostic(shown, 0, f"no note is dated up to {day}; nothing to report")


@dataclass
class Outcome:
    """What a build or a judging command did: the judged project, every problem, what was written."""

    project: Project | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    accounts: int = 0
    quarter: str = ""
    reused: bool = False  # nothing changed: the previous output stands
    unchanged: int = 0  # accounts whose pages were reused

    @property
    def ok(self) -> bool:
        return (self.project is not None or self.reused) and not errors_only(self.diagnostics)


@dataclass(frozen=True)
class Run:
    """One build of one output folder, as the survey left it."""

    settings: Settings
    options: Options
    progress: Progress
    memory: Memory | None  # what a long-running process kept from its last build (`memory.Memory`)
    index: StatIndex
    state: State | None  # the last build's record, when its global key still holds
    key: str  # the global key (`keys.global_key`)
    templates: Templates
    whole: str  # the global key, the layout's problems and every account's input key
    survey: Survey

    @property
    def accounts_key(self) -> str:
        """What every account's output key starts from: the global key and the accounts' templates."""
        return combine(self.key, self.templates.accounts)

    @property
    def warm(self) -> bool:
        """A long-running process kept the last build's state: the output is as it published it."""
        return self.memory is not None and self.memory.kept() and self.state is not None


@dataclass(frozen=True)
class Work:
    """What every account's judging and rendering shares, decided before any account is judged."""

    project: Project  # settings, rules, model and the review; nothing judged yet
    review: Review
    previous: dict[str, AccountRecord]  # the last build's account records
    accounts_key: str  # what every account's output key starts from
    in_place: bool  # the output holds exactly what the last build recorded: update it in place
    stage: Path  # the staging folder (a full copy, or what changes)
    prints: Path  # where the PDFs' HTML waits for the printers

    def output_key(self, input_key: str) -> str:
        """An account's output key: the global and templates' key, its input key and the review (the
        quarter and the as-of date, which every page and PDF shows)."""
        return _combined(self.accounts_key, input_key, str(self.review.quarter), self.review.as_of.isoformat())


@functools.lru_cache(maxsize=1 << 16)
def _combined(*parts: str) -> str:
    """`combine`, remembered: a process that builds again (serve) works each account's key out once."""
    return combine(*parts)
