"""What every window of an account reads, gathered once per account: the types at the bottom of the rules.

An account is judged for every quarter from its first note (its history) and once more for
each person in its notes, so anything that does not depend on the window is worked out here,
once (`gather`): the notes' dates (a window is a slice of the notes), every action with where it was written, the first
business conversation and the notes carrying each signal. A window (`metrics.window`) then
reads that index instead of scanning every note again. `Sink` collects a window's values.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from ..core.quarters import Quarter
from ..notes.data import Account, Note, Source
from ..notes.schema import Action
from .coverage import PeopleRules

Value = float | int | str


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    values: dict[str, Value]
    sources: Mapping[str, tuple[Source, ...]]  # metric -> the notes and lines behind it (`Evidence`)


@dataclass(frozen=True)
class Written:
    """One action with where it was written; `made` is the note's date, None for the plan."""

    action: Action
    source: Source
    made: dt.date | None


@dataclass(frozen=True)
class Facts:
    """One account gathered once: its notes (oldest first) and every action with where it was
    written; what the windows read of them besides is worked out on first use, once."""

    account: Account
    notes: tuple[Note, ...]  # oldest first (the loader sorts them)
    dates: tuple[dt.date, ...]
    actions: tuple[Written, ...]  # the plan's, then each note's
    people: PeopleRules  # the rules' `people:` settings (cadence per influence)
    cited: dict[str, Source]  # account.md's lines the windows cite, by key (`CITED`)

    def between(self, start: dt.date, end: dt.date) -> tuple[Note, ...]:
        """The notes dated `start` to `end`, both included (a window, a quarter)."""
        return self.notes[bisect.bisect_left(self.dates, start):bisect.bisect_right(self.dates, end)]

    def in_quarter(self, quarter: Quarter) -> tuple[Note, ...]:
        return self.between(quarter.start, quarter.end)

    @functools.cached_property
    def firm(self) -> tuple[Written, ...]:
        """Of `actions`, the firm commitments with a date made in a note: what reliability reads."""
        return tuple(w for w in self.actions
                     if w.made is not None and w.action.commitment == "firm" and w.action.by is not None)

    @functools.cached_property
    def first_business(self) -> Note | None:
        """The first note that is not social."""
        return next((n for n in self.notes if n.meta.context != "social"), None)

    @functools.cached_property
    def by_signal(self) -> dict[str, tuple[Note, ...]]:
        """Signal -> the notes carrying it, oldest first."""
        found: dict[str, list[Note]] = {}
        for note in self.notes:
            for signal in dict.fromkeys(note.meta.signals):
                found.setdefault(signal, []).append(note)
        return {s: tuple(ns) for s, ns in found.items()}


@dataclass(frozen=True)
class Span:
    """Where a window lies: its start, where the window before it starts (`since`), its end (the
    quarter's, or the as-of date while the quarter runs), the quarter's end, and the signals."""

    start: dt.date
    since: dt.date
    end: dt.date
    quarter_end: dt.date
    signals: tuple[str, ...]


def is_open(action: Action, asof: dt.date) -> bool:
    """Open at `asof`: not done, or done only later (so a past review sees it as it was)."""
    return action.done is None or action.done > asof


CITED = ("since", "introduced_by", "reviewed", "relevance")


def gather(account: Account, people: PeopleRules | None = None) -> Facts:
    actions = [Written(a, Source(account.path, account.line_of("plan", i), None), None)
               for i, a in enumerate(account.meta.plan)]
    for note in account.notes:
        if note.meta.actions:
            actions += [Written(a, Source(note.path, note.line_of("actions", i), note.date), note.date)
                        for i, a in enumerate(note.meta.actions)]
    cited = {key: Source(account.path, account.line_of(key), None) for key in CITED}
    return Facts(account, account.notes, tuple(n.date for n in account.notes), tuple(actions), people or PeopleRules(),
                 cited)


def narrow(facts: Facts, notes: Sequence[Note]) -> Facts:
    """What `gather` gives for the same account holding only `notes` (a subset, oldest first),
    taken from what was gathered already: one person's conversations (`people`)."""
    paths = {n.path for n in notes}
    actions = tuple(w for w in facts.actions if w.made is None or w.source.path in paths)
    mine = tuple(notes)
    return Facts(replace(facts.account, notes=mine), mine, tuple(n.date for n in mine), actions, facts.people, facts.cited)


class Evidence(Mapping[str, tuple[Source, ...]]):
    """The sources behind each metric of a window, made when first read: a review window has
    some 270 metrics, and only those its level and its insights name are ever cited."""

    def __init__(self) -> None:
        self._given: dict[str, tuple[Sequence[Note | Source], str]] = {}
        self._made: dict[str, tuple[Source, ...]] = {}

    def give(self, name: str, evidence: Sequence[Note | Source], key: str) -> None:
        self._given[name] = (evidence, key)

    def __getitem__(self, name: str) -> tuple[Source, ...]:
        made = self._made.get(name)
        if made is None:
            evidence, key = self._given[name]
            made = self._made[name] = tuple(
                e if isinstance(e, Source) else Source(e.path, e.line_of(key) if key else 1, e.date) for e in evidence)
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._given)

    def __len__(self) -> int:
        return len(self._given)


class Sink:
    """Collects metric values and, when wanted, the evidence behind each one."""

    def __init__(self, wanted: bool) -> None:
        self.values: dict[str, Value] = {}
        self.sources = Evidence()
        self.wanted = wanted

    def put(self, name: str, value: Value, evidence: Sequence[Note | Source] = (), key: str = "") -> None:
        """`evidence` is notes (cited at `key`'s line, or the file's first line) or ready sources;
        kept as given (a family never changes a list it has put)."""
        self.values[name] = value
        if self.wanted:
            self.sources.give(name, evidence, key)
