"""Per-account, per-window metrics: the only names a rule's condition can use.

Each metric comes with the notes behind it (its `sources`), so a rule that fires can cite
its evidence knowing nothing but the names in its own expression. An account's notes,
actions and source lines are gathered once (`gather`) and every quarter's window is then
computed from that index, so a history of eight quarters costs eight small windows, not
eight scans of every note.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .model import Account, Note
from .quarters import Quarter
from .schema import BUSINESS_CONTEXTS, CONTEXTS, TESTS, AccountMeta, Action

FACTORS = ("reliability", "credibility", "intimacy", "character", "self_orientation")

# name -> what it means. docs/rules.md carries this table (a test keeps the two identical).
METRICS: dict[str, str] = {
    "notes": "notes in the window, all contexts",
    "business": "business notes in the window (service, problem or strategy; social is not business)",
    **{c: f"{c} notes in the window" for c in CONTEXTS},
    **{f"{c}_share": f"{c} notes as a share of business notes (0 to 1; 0 without business notes)"
       for c in BUSINESS_CONTEXTS},
    "social_share": "social notes as a share of all notes (0 to 1; 0 without notes)",
    "opened_by_us": "business notes whose topic we raised (`opened_by: us`)",
    "strategy_opened_by_us": "strategy notes whose topic we raised",
    "price_count": "business notes where price was a deciding topic (`price: true`)",
    "price_share": "price_count as a share of business notes (0 without business notes)",
    "trust_notes": "notes with a trust reading",
    **{f: f"mean {f.replace('_', '-')} score of the trust readings (1 to 10; 0 without readings)" for f in FACTORS},
    "tq": "trust quotient (R + C + I) / S from the factor means (0 without readings)",
    "tq_plus": "(R + C + I + Ch) / S, character included (0 without character readings)",
    "firm_due": "firm commitments falling due in the window, from any note up to its end",
    "firm_kept": "firm commitments due in the window and done on or before their date",
    "firm_missed": "firm commitments due in the window not done by their date",
    "reliability_kept": "firm_kept / firm_due (1 when nothing firm fell due)",
    "open_sell": "sell actions open at the window's end (account plan and notes)",
    "open_invest": "invest actions open at the window's end (account plan and notes)",
    "failing_tests": "open invest actions that do not pass all three tests (own-time, learn, illustrate)",
    "days_since_last_note": "days from the last note to the window's end (9999 without notes)",
    "stakeholders_met": "distinct people met in the window (`with`)",
    "stakeholders_listed": "stakeholders listed in account.md",
    "relevance": "'rising', 'steady' or 'declining', from account.md",
    "level": "the level just assigned, e.g. 'ally' (insights only)",
    "level_rank": "position of that level in its model, 0 = the highest (insights only)",
}
SIGNAL_METRIC = "one per signal of the vocabulary: notes in the window carrying that signal"
# Metrics whose value is text; a condition compares them with text only.
TEXT_METRICS = frozenset({"relevance", "level"})
INSIGHT_ONLY = frozenset({"level", "level_rank"})


@dataclass(frozen=True)
class Source:
    """A place a metric came from: a note (with its date) or a line of account.md."""

    path: str
    line: int
    date: dt.date | None


Value = float | int | str


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    values: dict[str, Value]
    sources: dict[str, tuple[Source, ...]]


@dataclass(frozen=True)
class Written:
    """One action with where it was written; `made` is the note's date, None for the plan."""

    action: Action
    source: Source
    made: dt.date | None


_NOTE_KEYS = ("context", "opened_by", "price", "signals", "trust", "with")


@dataclass(frozen=True)
class Facts:
    """One account gathered once: its notes by quarter, every action, every source line."""

    account: Account
    notes: tuple[Note, ...]  # oldest first
    dates: tuple[dt.date, ...]
    by_quarter: dict[Quarter, tuple[Note, ...]]
    at: dict[tuple[int, str], Source]  # (id(note), key) -> the line that key is written on
    actions: tuple[Written, ...]
    relevance: Source

    def src(self, note: Note, key: str = "") -> Source:
        return self.at[(id(note), key)]


def signal_metric(signal: str) -> str:
    return "signal_" + signal.replace("-", "_")


def is_open(action: Action, asof: dt.date) -> bool:
    """Open at `asof`: not done, or done only later (so a past review sees it as it was)."""
    return action.done is None or action.done > asof


def gather(account: Account) -> Facts:
    notes = account.notes
    at: dict[tuple[int, str], Source] = {}
    by_quarter: dict[Quarter, list[Note]] = {}
    actions = [Written(a, Source(account.path, account.line_of("plan", i), None), None)
               for i, a in enumerate(account.meta.plan)]
    for note in notes:
        at[(id(note), "")] = Source(note.path, 1, note.date)
        for key in _NOTE_KEYS:
            at[(id(note), key)] = Source(note.path, note.line_of(key), note.date)
        by_quarter.setdefault(Quarter.of(note.date), []).append(note)
        actions += [Written(a, Source(note.path, note.line_of("actions", i), note.date), note.date)
                    for i, a in enumerate(note.meta.actions)]
    return Facts(account, notes, tuple(n.date for n in notes), {q: tuple(ns) for q, ns in by_quarter.items()}, at,
                 tuple(actions), Source(account.path, account.line_of("relevance"), None))


def window(facts: Facts, quarter: Quarter, size: int, signals: Iterable[str]) -> Window:
    """The metrics of the `size` quarters ending with `quarter`."""
    first = quarter.back(size - 1)
    notes = [n for q in _quarters(first, quarter) for n in facts.by_quarter.get(q, ())]
    return _compute(facts, notes, first.start, quarter.end, signals)


def _quarters(first: Quarter, last: Quarter) -> Iterable[Quarter]:
    while first <= last:
        yield first
        first = first.next()


def compute(account: Account, notes: Sequence[Note], start: dt.date, end: dt.date,
            signals: Iterable[str]) -> Window:
    """Metrics over `notes` (already limited to start..end); `account.notes` gives history."""
    return _compute(gather(account), notes, start, end, signals)


def sample_values(signals: Iterable[str] = ()) -> dict[str, Value]:
    """Every metric with a value of its real type (an account without notes), for checking rules."""
    empty = Account("sample", "sample/account.md", AccountMeta(account="Sample", owner="Sample"), "", 1, (), {})
    values = dict(window(gather(empty), Quarter(2000, 1), 1, signals).values)
    return {**values, "level": "unrated", "level_rank": 0}


def _compute(f: Facts, notes: Sequence[Note], start: dt.date, end: dt.date, signals: Iterable[str]) -> Window:
    values: dict[str, Value] = {}
    sources: dict[str, tuple[Source, ...]] = {}

    def put(name: str, value: Value, evidence: Iterable[Source] = ()) -> None:
        values[name] = value
        sources[name] = tuple(evidence)

    _contexts(f, notes, put)
    for signal in signals:
        seen = [f.src(n, "signals") for n in notes if signal in n.meta.signals]
        put(signal_metric(signal), len(seen), seen)
    _trust(f, notes, put)
    _commitments(f, start, end, put)
    _plan(f, end, put)
    last = bisect.bisect_right(f.dates, end) - 1
    put("days_since_last_note", (end - f.dates[last]).days if last >= 0 else 9999,
        [f.src(f.notes[last])] if last >= 0 else [])
    met = {name for n in notes for name in n.meta.with_}
    put("stakeholders_met", len(met), (f.src(n, "with") for n in notes if n.meta.with_))
    put("stakeholders_listed", len(f.account.meta.stakeholders))
    put("relevance", f.account.meta.relevance, [f.relevance])
    return Window(start, end, values, sources)


def _contexts(f: Facts, notes: Sequence[Note], put: Put) -> None:
    """Counts and shares by context of conversation; shares of business notes, social of all."""
    business = [n for n in notes if n.meta.context != "social"]
    put("notes", len(notes), (f.src(n) for n in notes))
    put("business", len(business), (f.src(n) for n in business))
    for context in CONTEXTS:
        chosen = [f.src(n, "context") for n in notes if n.meta.context == context]
        put(context, len(chosen), chosen)
        total = len(notes) if context == "social" else len(business)
        put(f"{context}_share", len(chosen) / total if total else 0.0, chosen)
    ours = [n for n in business if n.meta.opened_by == "us"]
    put("opened_by_us", len(ours), (f.src(n, "opened_by") for n in ours))
    ours_strategy = [f.src(n, "opened_by") for n in ours if n.meta.context == "strategy"]
    put("strategy_opened_by_us", len(ours_strategy), ours_strategy)
    priced = [f.src(n, "price") for n in business if n.meta.price]
    put("price_count", len(priced), priced)
    put("price_share", len(priced) / len(business) if business else 0.0, priced)


def _trust(f: Facts, notes: Sequence[Note], put: Put) -> None:
    """Factor means over the readings; TQ and TQ+ from the means (not a mean of per-note TQs)."""
    read = [n for n in notes if n.meta.trust is not None]
    evidence = [f.src(n, "trust") for n in read]
    put("trust_notes", len(read), evidence)
    means: dict[str, float] = {}
    for factor in FACTORS:
        scores = [s for n in read if (s := getattr(n.meta.trust, factor)) is not None]
        means[factor] = sum(scores) / len(scores) if scores else 0.0
        put(factor, means[factor], evidence)
    s = means["self_orientation"]
    numerator = means["reliability"] + means["credibility"] + means["intimacy"]
    put("tq", numerator / s if s else 0.0, evidence)
    put("tq_plus", (numerator + means["character"]) / s if s and means["character"] else 0.0, evidence)


def _commitments(f: Facts, start: dt.date, end: dt.date, put: Put) -> None:
    """Firm commitments due in the window, from every note up to its end (a promise made last
    quarter can fall due in this one). Best-effort and intentions are never held against us."""
    due = [w for w in f.actions if w.made is not None and w.made <= end and w.action.commitment == "firm"
           and w.action.by is not None and start <= w.action.by <= end]
    kept = [w for w in due if w.action.done is not None and w.action.by is not None and w.action.done <= w.action.by]
    kept_ids = {id(w) for w in kept}
    missed = [w for w in due if id(w) not in kept_ids]
    put("firm_due", len(due), (w.source for w in due))
    put("firm_kept", len(kept), (w.source for w in kept))
    put("firm_missed", len(missed), (w.source for w in missed))
    put("reliability_kept", len(kept) / len(due) if due else 1.0, (w.source for w in (missed or due)))


def _plan(f: Facts, end: dt.date, put: Put) -> None:
    open_ = [w for w in f.actions if (w.made is None or w.made <= end) and is_open(w.action, end)]
    sell = [w.source for w in open_ if w.action.kind == "sell"]
    invest = [w for w in open_ if w.action.kind == "invest"]
    failing = [w.source for w in invest if not set(TESTS) <= set(w.action.tests)]
    put("open_sell", len(sell), sell)
    put("open_invest", len(invest), (w.source for w in invest))
    put("failing_tests", len(failing), failing)


def markdown_table(signals: Iterable[str]) -> str:
    """The metric table of docs/rules.md, generated so that it cannot drift from METRICS."""
    rows = ["| metric | meaning |", "|---|---|"]
    rows += [f"| `{name}` | {meaning} |" for name, meaning in METRICS.items()]
    rows += [f"| `{signal_metric(s)}` | {SIGNAL_METRIC} (`{s}`) |" for s in signals]
    return "\n".join(rows) + "\n"


class Put(Protocol):  # the shape of `put` inside _compute, for the helpers' annotations
    def __call__(self, name: str, value: Value, evidence: Iterable[Source] = ()) -> None: ...
