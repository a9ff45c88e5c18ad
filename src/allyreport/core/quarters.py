"""Calendar quarters, written `2026Q3` everywhere (flags, JSON, pages)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

# The years a note, a --quarter or any date may be in: wide enough for any relationship, and
# far from the ends of what Python's dates hold (a quarter before 0001Q1 or after 9999Q4 cannot
# be computed). Documented in docs/notes-format.md (Limits).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def year_problem(year: int) -> str | None:
    """Why a date in `year` is refused, if it is."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"is outside the years {FIRST_YEAR} to {LAST_YEAR} that allyreport accepts"


_PATTERN = re.compile(r"(\d{4})[Qq]([1-4])")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _PATTERN.fullmatch(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not a quarter; write it like 2026Q3")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> dt.date:
        return _bounds(self.year, self.number)[0]

    @property
    def end(self) -> dt.date:
        return _bounds(self.year, self.number)[1]

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def back(self, count: int) -> Quarter:
        """The quarter `count` quarters earlier (`count` >= 0)."""
        if count <= 0:
            return self
        index = self.year * 4 + self.number - 1 - count
        return Quarter(index // 4, index % 4 + 1)


@functools.lru_cache(maxsize=1024)
def _bounds(year: int, number: int) -> tuple[dt.date, dt.date]:
    """A quarter's first and last day (judging asks for them thousands of times per account)."""
    start = dt.date(year, 3 * number - 2, 1)
    following = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
    return start, following - dt.timedelta(days=1)


def span(first: Quarter, last: Quarter) -> list[Quarter]:
    quarters = []
    quarter = first
    while quarter <= last:
        quarters.append(quarter)
        quarter = quarter.next()
    return quarters
