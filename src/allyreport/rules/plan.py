"""The review quarter and the day the review is true on (its as-of date), decided in one place.

Leads build the reports before the quarterly review, usually while the quarter still runs;
measured to the quarter's end, a promise due next week would already count as broken and a
client met last month as dormant. So every report is "as of" one date: today while the review
quarter runs (`SOURCE_DATE_EPOCH`, where set, stands for today, so builds stay reproducible),
the quarter's end once it is over. Every command asks `plan_review`; nothing else looks at the
clock. A note dated after today is no evidence of anything but a typo: it is reported
(`future_notes`) and never decides the review quarter.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.diagnostics import Diagnostic
from ..core.quarters import Quarter

Dated = tuple[int, str, int]  # a note's date (ordinal), its path and the line of its `date` key


@dataclass(frozen=True)
class Review:
    """What is reviewed: the quarter, the as-of date, and the day notes may not be later than."""

    quarter: Quarter
    as_of: dt.date  # the window's end: today while the quarter runs, else the quarter's end
    today: dt.date  # the --as-of date when given, else today
    given: bool  # `today` came from --as-of

    @property
    def so_far(self) -> bool:
        return self.as_of < self.quarter.end


def period(quarter: Quarter, as_of: dt.date) -> str:
    """What the review covers, as every page and cover says it: "2026Q4 so far: 1 October to
    1 December 2026" while the quarter runs, "2026Q3: 1 July to 30 September 2026" once it is over."""
    start, end = quarter.start, min(as_of, quarter.end)
    so_far = " so far" if end < quarter.end else ""
    return f"{quarter}{so_far}: {start.day} {start:%B} to {end.day} {end:%B %Y}"


def today() -> dt.date:
    """Today's date, or the day `SOURCE_DATE_EPOCH` (seconds since 1970, UTC) falls on."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def flag_problem(quarter: Quarter | None, as_of: dt.date | None, now: dt.date) -> str | None:
    """Why --quarter and --as-of cannot be reviewed together, or None."""
    day = as_of or now
    if quarter is not None and day < quarter.start:
        if as_of is not None:
            return f"--as-of {as_of} is before {quarter} begins ({quarter.start}); a quarter is reviewed from its start"
        return f"{quarter} has not begun on {now} (today); give --as-of, or a quarter that has begun"
    return None


def plan_review(days: Iterable[int], quarter: Quarter | None, as_of: dt.date | None,
                now: dt.date) -> Review | None:
    """The review for the notes' `days` (dates as ordinals): `quarter` if given, else the latest
    quarter with a note up to today (the --as-of date when given); as of today while that quarter
    runs, as of its end once it is over. None when no note is dated up to today and no quarter
    was asked for."""
    day = as_of or now
    if quarter is None:
        days = days if isinstance(days, list | tuple) else list(days)
        last = max(days, default=None)  # the notes' latest day; only when it is after today, the latest up to it
        if last is not None and last > day.toordinal():
            last = max((d for d in days if d <= day.toordinal()), default=None)
        if last is None:
            return None
        quarter = Quarter.of(dt.date.fromordinal(last))
    return Review(quarter, min(day, quarter.end), day, as_of is not None)


def later_notes(notes: Iterable[tuple[dt.date, str, int]], as_of: dt.date) -> tuple[Dated, ...]:
    """The notes dated after `as_of`, as `Dated`: kept with a judged account, so that a build on a
    later day can say which are still in the future without reading them again."""
    return tuple((day.toordinal(), path, line) for day, path, line in notes if day > as_of)


def future_notes(dated: Iterable[Dated], review: Review) -> list[Diagnostic]:
    """A warning at the `date` line of every note dated after today (or the --as-of date)."""
    limit = review.today.toordinal()
    after = f"the as-of date {review.today}" if review.given else f"today {review.today}"
    found = []
    for ordinal, path, line in dated:
        if ordinal > limit:
            day = dt.date.fromordinal(ordinal)
            typo = "the year" if day.year != review.today.year else "the date"
            found.append(Diagnostic(path, line, f"dated {day}, after {after}: a typo in {typo}?", "warning"))
    return found
