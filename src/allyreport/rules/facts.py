"""What every window of an account reads, gathered once per account: the types at the bottom of the rules.

An account is judged for every quarter from its first note (its history) and once more for
each person in its notes, so anything that does not depend on the window is worked out here,
once (`gather`): what each note says that the metrics read (`Read`: its context, trust
scores, people, ...; a window is a slice of these), every action with where it was written,
the first business conversation and the notes carrying each signal. A window
(`metrics.window`) then reads that index instead of the notes' objects again, and a person's
facts are picked from it (`narrow`). `Sink` collects a window's values.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from ..core.quarters import Quarter
from ..notes.data import Account, Note, Source
from ..notes.schema import Action
from .coverage import PeopleRules

Value = float | int | str
FACTORS = ("reliability", "credibility", "intimacy", "character", "self_orientation")
RATED = ("reliability", "credibility", "intimacy", "self_orientation")  # what a client rating scores
_FACTORS_OF = operator.attrgetter(*FACTORS)
_RATED_OF = operator.attrgetter(*RATED)


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    values: dict[str, Value]
    sources: Mapping[str, tuple[Source, ...]]  # metric -> the notes and lines behind it (`Evidence`)


class Written(NamedTuple):
    """One action with where it was written; `made` is the note's date, None for the plan."""

    action: Action
    source: Source
    made: dt.date | None


@dataclass(frozen=True)
class PlanRules:
    """The `plans:` section of the rules files (docs/rules.md#plans): what makes an open
    investment without a date a "vague plan to go and see someone" (`vague_invest`)."""

    vague: re.Pattern[str] | None = None  # found in an action's `do` (case ignored); None: only intentions


class Read(NamedTuple):
    """One note as the windows read it, read once per account (`gather`): the window's metrics
    count these, not the note's objects, and cite `note` when their evidence is asked for."""

    note: Note
    date: dt.date
    context: str
    ours: bool  # `opened_by: us`
    price: bool
    signals: tuple[str, ...]
    trust: tuple[int | None, ...] | None  # the scores in `FACTORS`' order
    client: tuple[int, ...] | None  # the client's, in `RATED`' order
    with_: tuple[str, ...]
    actions: tuple[Written, ...]  # the note's own, with where each was written


@dataclass(frozen=True)
class Facts:
    """One account gathered once: its notes (oldest first) and every action with where it was
    written; what the windows read of them besides is worked out on first use, once."""

    account: Account
    notes: tuple[Note, ...]  # oldest first (the loader sorts them)
    dates: tuple[dt.date, ...]
    actions: tuple[Written, ...]  # the plan's, then each note's
    people: PeopleRules  # the rules' `people:` settings (cadence per influence)
    plans: PlanRules  # the rules' `plans:` settings (what makes a plan vague)
    cited: dict[str, Source]  # account.md's lines the windows cite, by key (`CITED`)
    reads: tuple[Read, ...]  # `notes` as the windows read them, in the same order

    def between(self, start: dt.date, end: dt.date) -> tuple[Read, ...]:
        """The notes dated `start` to `end`, both included (a window, a quarter), as read."""
        return self.reads[bisect.bisect_left(self.dates, start):bisect.bisect_right(self.dates, end)]

    def count_in(self, quarter: Quarter) -> int:
        """How many notes are dated in `quarter`."""
        return bisect.bisect_right(self.dates, quarter.end) - bisect.bisect_left(self.dates, quarter.start)

    @functools.cached_property
    def firm(self) -> tuple[Written, ...]:
        """Of `actions`, the firm commitments with a date made in a note: what reliability reads."""
        return tuple(w for w in self.actions
                     if w.made is not None and w.action.commitment == "firm" and w.action.by is not None)

    @functools.cached_property
    def first_business(self) -> Note | None:
        """The first note that is not social."""
        return next((r.note for r in self.reads if r.context != "social"), None)

    @functools.cached_property
    def by_signal(self) -> dict[str, tuple[Note, ...]]:
        """Signal -> the notes carrying it, oldest first."""
        found: dict[str, list[Note]] = {}
        for r in self.reads:
            for signal in dict.fromkeys(r.signals):
                found.setdefault(signal, []).append(r.note)
        return {s: tuple(ns) for s, ns in found.items()}


class Span(NamedTuple):
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


def read(note: Note) -> Read:
    """What the metrics read of `note`, read once."""
    meta, date = note.meta, note.meta.date
    actions = tuple(Written(a, Source(note.path, note.line_of("actions", i), date), date)
                    for i, a in enumerate(meta.actions)) if meta.actions else ()
    return Read(note, date, meta.context, meta.opened_by == "us", meta.price, meta.signals,
                _FACTORS_OF(meta.trust) if meta.trust is not None else None,
                _RATED_OF(meta.client_rating) if meta.client_rating is not None else None, meta.with_, actions)


def gather(account: Account, people: PeopleRules | None = None, plans: PlanRules | None = None) -> Facts:
    """`account`'s facts, for the rules' `people:` and `plans:` settings (none given: the defaults)."""
    reads = tuple(read(note) for note in account.notes)
    cited = {key: Source(account.path, account.line_of(key), None) for key in CITED}
    return _facts(account, _plan(account), reads, (people or PeopleRules(), plans or PlanRules()), cited)


def narrow(facts: Facts, reads: Sequence[Read]) -> Facts:
    """What `gather` gives for the same account holding only the notes of `reads` (a subset,
    oldest first), taken from what was gathered already: one person's conversations (`people`)."""
    plan = facts.actions[:len(facts.account.meta.plan)]
    mine = tuple(reads)
    return _facts(replace(facts.account, notes=tuple(r.note for r in mine)), plan, mine, (facts.people, facts.plans),
                  facts.cited)


def _plan(account: Account) -> tuple[Written, ...]:
    return tuple(Written(a, Source(account.path, account.line_of("plan", i), None), None)
                 for i, a in enumerate(account.meta.plan))


def _facts(account: Account, plan: tuple[Written, ...], reads: tuple[Read, ...], rules: tuple[PeopleRules, PlanRules],
           cited: dict[str, Source]) -> Facts:
    """The facts of `account`, whose notes are those of `reads`: the plan's actions, then each note's."""
    actions = plan + tuple(w for r in reads if r.actions for w in r.actions)
    return Facts(account, account.notes, tuple(r.date for r in reads), actions, *rules, cited, reads)


Cited = Note | Read | Source  # what a metric's evidence is given as: notes (or as read) cited at a key, or sources


def _source(cited: Cited, key: str) -> Source:
    if isinstance(cited, Source):
        return cited
    note = cited.note if isinstance(cited, Read) else cited
    return Source(note.path, note.line_of(key) if key else 1, note.date)


class Evidence(Mapping[str, tuple[Source, ...]]):
    """The sources behind each metric of a window, made when first read: a review window has
    some 270 metrics, and only those its level and its insights name are ever cited."""

    def __init__(self) -> None:
        self._given: dict[str, tuple[Sequence[Cited], str]] = {}
        self._made: dict[str, tuple[Source, ...]] = {}

    def give(self, name: str, evidence: Sequence[Cited], key: str) -> None:
        self._given[name] = (evidence, key)

    def __getitem__(self, name: str) -> tuple[Source, ...]:
        made = self._made.get(name)
        if made is None:
            evidence, key = self._given[name]
            made = self._made[name] = tuple(_source(e, key) for e in evidence)
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

    def put(self, name: str, value: Value, evidence: Sequence[Cited] = (), key: str = "") -> None:
        """`evidence` is notes (cited at `key`'s line, or the file's first line) or ready sources;
        kept as given (a family never changes a list it has put)."""
        self.values[name] = value
        if self.wanted:
            self.sources.give(name, evidence, key)
