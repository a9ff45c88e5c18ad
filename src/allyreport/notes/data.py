"""Typed, frozen data passed between stages: the loaded notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from ..core.strict import Loc
from ..core.yamlstrict import line_at
from .schema import AccountMeta, NoteMeta


class Source(NamedTuple):
    """A place a metric came from: a note (with its date) or a line of account.md.

    A NamedTuple rather than a frozen dataclass: an account makes hundreds, and a frozen
    dataclass's __init__ costs several times more (it was a third of evaluation time)."""

    path: str
    line: int
    date: dt.date | None


@dataclass(frozen=True)
class Picture:
    """An image a note shows, checked (`pictures`): published as `name`, content-addressed."""

    src: str  # as the Markdown renderer parses it: the key the renderers look it up by
    name: str  # images/<slug>/<hash>.<ext>, inside the output folder
    mime: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Note:
    """One interaction note. `lines` maps a frontmatter key path to its 1-based file line."""

    path: str  # as the user would type it, e.g. notes/acme-foods/2026-05-14-downtime.md
    slug: str
    meta: NoteMeta
    body: str
    body_line: int
    lines: dict[Loc, int] = field(compare=False, repr=False)
    pictures: tuple[Picture, ...] = field(default=(), repr=False)  # the images its body shows

    @property
    def date(self) -> dt.date:
        return self.meta.date

    def line_of(self, *loc: str | int) -> int:
        return line_for(self.lines, loc)


@dataclass(frozen=True)
class Account:
    slug: str
    path: str  # the account.md
    meta: AccountMeta
    profile: str
    profile_line: int
    notes: tuple[Note, ...]  # oldest first
    lines: dict[Loc, int] = field(compare=False, repr=False)
    pictures: tuple[Picture, ...] = field(default=(), repr=False)  # the images the profile shows

    @property
    def name(self) -> str:
        return self.meta.account

    def line_of(self, *loc: str | int) -> int:
        return line_for(self.lines, loc)


@dataclass(frozen=True)
class Portfolio:
    notes_dir: str
    accounts: tuple[Account, ...]  # sorted by slug

    @property
    def last_date(self) -> dt.date | None:
        dates = [a.notes[-1].date for a in self.accounts if a.notes]
        return max(dates) if dates else None


def line_for(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of the longest known prefix of `loc` (a missing key points at its parent)."""
    return line_at(lines, tuple(loc), 1)
