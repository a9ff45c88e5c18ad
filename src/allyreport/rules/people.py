"""Each person judged on their own: the level of the conversations with them, their cadence,
and trust as read in their notes, ours and the client's.

An Ally strategy is made real one person at a time, so a stakeholder gets what an account
gets, computed the same way: the notes that person was in go through the same metrics and
the same level rules as the account's (`people`), so a person's level is exactly what the
account would be judged if those were all its notes. Everything the pages, the PDFs and
levels.json say about people comes from the `Person` records made here, and nowhere else:
one place to filter (a share-safe copy leaves private stakeholders out there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.quarters import Quarter
from ..notes.data import Note, Source
from ..notes.schema import Stakeholder
from . import metrics
from .coverage import PeopleRules, cadence_of, contact_status, days_since, last_contacts
from .facts import Read
from .metrics import RATED, Window
from .trust import Trust

if TYPE_CHECKING:
    from .ruleset import Level


@dataclass(frozen=True)
class ClientTrust:
    """The client's own ratings over a window beside our readings: the outside-in view of trust."""

    readings: int
    client: dict[str, float | None]  # factor -> the client's mean (reliability ... self_orientation)
    ours: dict[str, float | None]  # the same factors from our own trust readings
    client_tq: float | None
    gap: float  # the largest amount our reading beats theirs by (0 when none does)
    gap_factor: str | None

    def gap_of(self, factor: str) -> float | None:
        """Ours minus theirs (theirs minus ours for self-orientation): positive when we flatter ourselves."""
        ours, theirs = self.ours.get(factor), self.client.get(factor)
        if ours is None or theirs is None:
            return None
        return theirs - ours if factor == "self_orientation" else ours - theirs


CLIENT_READS = frozenset({"client_ratings", "trust_notes", *RATED, *(f"client_{f}" for f in RATED), "client_tq",
                          "trust_gap", "trust_gap_factor"})  # what client_trust_of reads


def client_trust_of(window: Window) -> ClientTrust:
    v = window.values
    rated = bool(v["client_ratings"])
    read = bool(v["trust_notes"])
    return ClientTrust(int(v["client_ratings"]),
                       {f: float(v[f"client_{f}"]) if rated else None for f in RATED},
                       {f: float(v[f]) if read and v[f] else None for f in RATED},
                       float(v["client_tq"]) if rated and v["client_tq"] else None,
                       float(v["trust_gap"]), str(v["trust_gap_factor"]).replace("-", "_") or None)


@dataclass(frozen=True)
class Person:
    """One person as the reports show them: listed in account.md (`stakeholder`) or only met."""

    name: str
    stakeholder: Stakeholder | None  # None: named in notes but not listed in account.md
    current: bool  # in their role at the window's end
    level: Level  # of the conversations with them, over the model's window
    target: Level | None  # the account's target, for current stakeholders held to it (`people.held_to_target`)
    cadence: int | None
    contact: str | None  # green, due or overdue at the window's end; None without a cadence
    last: dt.date | None  # the last note naming them, up to the review quarter's end
    days: int | None  # days from that contact (or from joining) to the window's end
    met_quarter: int
    met_window: int
    met_total: int
    business_share: float  # of the account's business notes in the window, the share they were in
    trust: Trust  # our readings in their notes
    client: ClientTrust
    evidence: tuple[Source, ...]  # their notes in the window

    @property
    def listed(self) -> bool:
        return self.stakeholder is not None

    @property
    def role(self) -> str:
        return (self.stakeholder.role if self.stakeholder else None) or ""

    @property
    def concerns(self) -> tuple[str, ...]:
        return self.stakeholder.concerns if self.stakeholder else ()

    @property
    def influence(self) -> str | None:
        return self.stakeholder.influence if self.stakeholder else None

    @property
    def below_target(self) -> bool:
        return self.target is not None and self.level.rank > self.target.rank


@dataclass(frozen=True)
class Judging:
    """What judging one person needs from the account's evaluation (`engine.evaluate_account`)."""

    facts: metrics.Facts  # the account's notes and actions, gathered once
    quarter: Quarter
    window: Window  # the account's own, for the business share
    target: Level | None
    rules: PeopleRules
    judge: Callable[[metrics.Facts], tuple[Level, Window]]  # the account's levels and history, on other facts
    trust_of: Callable[[Window], Trust]


def people(j: Judging) -> tuple[Person, ...]:
    """Everyone listed in account.md (in its order), then anyone met who is not listed, by name."""
    account = j.facts.account
    known = {s.name for s in account.meta.stakeholders}
    theirs: dict[str, list[Read]] = {}  # each person's notes, found in one pass over the account's
    for note in j.facts.reads:
        for name in dict.fromkeys(note.with_):
            theirs.setdefault(name, []).append(note)
    last = last_contacts(account.notes, j.window.end)
    return tuple(person(j, name, stakeholder, theirs.get(name, []), last.get(name))
                 for name, stakeholder in [*((s.name, s) for s in account.meta.stakeholders),
                                           *((name, None) for name in sorted(set(theirs) - known))])


def person(j: Judging, name: str, stakeholder: Stakeholder | None, mine: Sequence[Read], last: Note | None) -> Person:
    """One person: the model's level over the notes they were in (`metrics.narrow`: the same
    metrics as the account's), their cadence and their trust readings."""
    theirs = metrics.narrow(j.facts, mine)
    level, window = j.judge(theirs)
    end = j.window.end
    current = stakeholder.current(end) if stakeholder else True
    held = stakeholder is not None and (stakeholder.influence is None or stakeholder.influence in j.rules.held_to_target)
    cadence = cadence_of(stakeholder, j.rules) if stakeholder and current else None
    days = days_since(stakeholder, last, end) if stakeholder else (end - last.date).days if last else None
    start = j.window.start
    in_window = [n for n in mine if start <= n.date <= end]
    business = int(j.window.values["business"])
    return Person(name, stakeholder, current, level, j.target if current and held else None,
                  cadence, contact_status(days, cadence, j.rules.due_percent), last.date if last else None, days,
                  theirs.count_in(j.quarter), len(in_window), len(mine),
                  _share(in_window, business), j.trust_of(window), client_trust_of(window),
                  tuple(Source(n.note.path, n.note.line_of("with"), n.date) for n in in_window))


def _share(notes: Sequence[Read], business: int) -> float:
    mine = sum(1 for n in notes if n.context != "social")
    return mine / business if business else 0.0


@dataclass(frozen=True)
class Whitespace:
    """The offerings of account.md against the people we deal with: which conversations the notes
    of the window show (`offerings:` in a note naming the person), and which were never held."""

    offerings: tuple[str, ...]
    rows: tuple[tuple[Person, tuple[int, ...]], ...]  # current listed people: notes per offering, in the window

    @property
    def not_held(self) -> tuple[tuple[Person, str], ...]:
        return tuple((p, o) for p, counts in self.rows for o, n in zip(self.offerings, counts, strict=True) if not n)


def whitespace(found: Sequence[Person], notes: Sequence[Note], offerings: Sequence[str], window: Window) -> Whitespace:
    """`notes` oldest first; only those in the window count."""
    seen = [n for n in notes if window.start <= n.date <= window.end and n.meta.offerings]
    rows = tuple((p, tuple(sum(1 for n in seen if p.name in n.meta.with_ and o in n.meta.offerings) for o in offerings))
                 for p in found if p.listed and p.current)
    return Whitespace(tuple(offerings), rows)
