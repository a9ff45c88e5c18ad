"""Per-account, per-window metrics: the only names a rule's condition can use.

Each metric comes with the notes behind it, so a rule that fires can cite its evidence
without knowing anything but the names in its own expression.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .model import Account, Note
from .schema import BUSINESS_CONTEXTS, CONTEXTS, TESTS, Action

FACTORS = ("reliability", "credibility", "intimacy", "character", "self_orientation")

# name -> what it means; docs/rules.md is written from this table.
METRICS: dict[str, str] = {
    "notes": "notes in the window (all contexts)",
    "business": "business notes in the window (service, problem or strategy)",
    **{c: f"{c} notes in the window" for c in CONTEXTS},
    **{f"{c}_share": f"{c} notes as a share of business notes (0 to 1)" for c in BUSINESS_CONTEXTS},
    "social_share": "social notes as a share of all notes (0 to 1)",
    "opened_by_us": "business notes whose topic we raised",
    "strategy_opened_by_us": "strategy notes whose topic we raised",
    "price_count": "business notes where price was a deciding topic",
    "price_share": "price_count as a share of business notes",
    "trust_notes": "notes with a trust reading",
    **{f: f"mean {f.replace('_', '-')} score (1-10; 0 without readings)" for f in FACTORS},
    "tq": "trust quotient (R + C + I) / S (0 without readings)",
    "tq_plus": "(R + C + I + Ch) / S (0 without character readings)",
    "firm_due": "firm commitments due in the window",
    "firm_kept": "firm commitments due in the window done by their date",
    "firm_missed": "firm commitments due in the window not done by their date",
    "reliability_kept": "firm_kept / firm_due (1 when nothing was due)",
    "open_sell": "open sell actions (plan and notes, up to the window's end)",
    "open_invest": "open invest actions (plan and notes, up to the window's end)",
    "failing_tests": "open invest actions that do not pass all three tests",
    "days_since_last_note": "days from the last note to the window's end (9999 without notes)",
    "stakeholders_met": "distinct people met in the window",
    "stakeholders_listed": "stakeholders listed in account.md",
    "relevance": "'rising', 'steady' or 'declining' (account.md)",
    "level": "the level just assigned (insights only)",
    "level_rank": "position of that level in its model, 0 = highest (insights only)",
}


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


def signal_metric(signal: str) -> str:
    return "signal_" + signal.replace("-", "_")


def _src(note: Note, *loc: str | int) -> Source:
    return Source(note.path, note.line_of(*loc) if loc else 1, note.date)


def is_open(action: Action, asof: dt.date) -> bool:
    return action.done is None or action.done > asof


def compute(account: Account, notes: Sequence[Note], start: dt.date, end: dt.date,
            signals: Iterable[str]) -> Window:
    """Metrics over `notes` (already limited to start..end); `account.notes` gives history."""
    values: dict[str, Value] = {}
    sources: dict[str, tuple[Source, ...]] = {}

    def put(name: str, value: Value, evidence: Iterable[Source] = ()) -> None:
        values[name] = value
        sources[name] = tuple(evidence)

    business = [n for n in notes if n.meta.context != "social"]
    put("notes", len(notes), (_src(n) for n in notes))
    put("business", len(business), (_src(n) for n in business))
    for context in CONTEXTS:
        chosen = [n for n in notes if n.meta.context == context]
        put(context, len(chosen), (_src(n, "context") for n in chosen))
        total = len(notes) if context == "social" else len(business)
        put(f"{context}_share", len(chosen) / total if total else 0.0, sources[context])
    ours = [n for n in business if n.meta.opened_by == "us"]
    put("opened_by_us", len(ours), (_src(n, "opened_by") for n in ours))
    ours_strategy = [n for n in ours if n.meta.context == "strategy"]
    put("strategy_opened_by_us", len(ours_strategy), (_src(n, "opened_by") for n in ours_strategy))
    priced = [n for n in business if n.meta.price]
    put("price_count", len(priced), (_src(n, "price") for n in priced))
    put("price_share", len(priced) / len(business) if business else 0.0, sources["price_count"])
    for signal in signals:
        seen = [n for n in notes if signal in n.meta.signals]
        put(signal_metric(signal), len(seen), (_src(n, "signals") for n in seen))
    _trust(notes, put)
    _commitments(account, notes, start, end, put)
    _plan(account, end, put)
    dated = [n for n in account.notes if n.date <= end]
    last = dated[-1] if dated else None
    put("days_since_last_note", (end - last.date).days if last else 9999, [_src(last)] if last else [])
    met = sorted({name for n in notes for name in n.meta.with_})
    put("stakeholders_met", len(met), (_src(n, "with") for n in notes if n.meta.with_))
    put("stakeholders_listed", len(account.meta.stakeholders))
    put("relevance", account.meta.relevance, [Source(account.path, account.line_of("relevance"), None)])
    return Window(start, end, values, sources)


def _trust(notes: Sequence[Note], put: Put) -> None:
    read = [n for n in notes if n.meta.trust is not None]
    evidence = [_src(n, "trust") for n in read]
    put("trust_notes", len(read), evidence)
    means: dict[str, float] = {}
    for factor in FACTORS:
        scores = [getattr(n.meta.trust, factor) for n in read if getattr(n.meta.trust, factor) is not None]
        means[factor] = sum(scores) / len(scores) if scores else 0.0
        put(factor, round(means[factor], 4), evidence)
    s = means["self_orientation"]
    tq = (means["reliability"] + means["credibility"] + means["intimacy"]) / s if s else 0.0
    put("tq", round(tq, 4), evidence)
    plus = tq + means["character"] / s if s and means["character"] else 0.0
    put("tq_plus", round(plus, 4), evidence)


def _commitments(account: Account, notes: Sequence[Note], start: dt.date, end: dt.date, put: Put) -> None:
    """Firm commitments due in the window, from every note up to its end (a promise made
    last quarter can fall due in this one)."""
    due: list[tuple[Note, int, Action]] = [
        (n, i, a) for n in account.notes if n.date <= end
        for i, a in enumerate(n.meta.actions)
        if a.commitment == "firm" and a.by is not None and start <= a.by <= end
    ]
    kept = [(n, i, a) for n, i, a in due if a.done is not None and a.by is not None and a.done <= a.by]
    kept_ids = {(id(n), i) for n, i, _ in kept}
    missed = [(n, i, a) for n, i, a in due if (id(n), i) not in kept_ids]
    put("firm_due", len(due), (_src(n, "actions", i) for n, i, _ in due))
    put("firm_kept", len(kept), (_src(n, "actions", i) for n, i, _ in kept))
    put("firm_missed", len(missed), (_src(n, "actions", i) for n, i, _ in missed))
    put("reliability_kept", round(len(kept) / len(due), 4) if due else 1.0,
        (_src(n, "actions", i) for n, i, _ in (missed or due)))


def _plan(account: Account, end: dt.date, put: Put) -> None:
    actions = [(Source(account.path, account.line_of("plan", i), None), a) for i, a in enumerate(account.meta.plan)]
    actions += [(_src(n, "actions", i), a) for n in account.notes if n.date <= end
                for i, a in enumerate(n.meta.actions)]
    open_ = [(s, a) for s, a in actions if is_open(a, end)]
    sell = [s for s, a in open_ if a.kind == "sell"]
    invest = [(s, a) for s, a in open_ if a.kind == "invest"]
    failing = [s for s, a in invest if not set(TESTS) <= set(a.tests)]
    put("open_sell", len(sell), sell)
    put("open_invest", len(invest), (s for s, _ in invest))
    put("failing_tests", len(failing), failing)


class Put(Protocol):
    def __call__(self, name: str, value: Value, evidence: Iterable[Source] = ()) -> None: ...
