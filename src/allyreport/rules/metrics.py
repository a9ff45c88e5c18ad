"""Per-account, per-window metrics: the only names a rule's condition can use.

Each metric comes with the notes behind it (its `sources`), so a rule that fires can cite
its evidence knowing nothing but the names in its own expression. An account's notes,
actions and source lines are gathered once (`facts.gather`) and every quarter's window is
then computed from that index, so a history of eight quarters costs eight small windows, not
eight scans of every note. The metrics come in families (`FAMILIES`); a window that only
decides a level (an earlier quarter, a person) computes only the families its level and its
trust read (`Detail.names`), the review window all of them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..core.quarters import Quarter
from ..notes.data import Account
from ..notes.data import Source as Source  # where it used to live; tests and firms import it from here
from ..notes.schema import BUSINESS_CONTEXTS, CONTEXTS, TESTS, AccountMeta
from .coverage import PEOPLE_METRICS, people_metrics
from .coverage import TEXT as PEOPLE_TEXT
from .facts import FACTORS as FACTORS
from .facts import RATED as RATED
from .facts import Facts as Facts  # Facts, Window, gather ... used to live here; the engine and tests import them from here
from .facts import Read, Sink, Span
from .facts import Value as Value
from .facts import Window as Window
from .facts import Written as Written
from .facts import gather as gather
from .facts import is_open as is_open
from .facts import narrow as narrow
from .relationship import RELATIONSHIP_METRICS, feedback, history_values, is_vague, profile, rapport
from .relationship import TEXT as RELATIONSHIP_TEXT

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
    "client_ratings": "notes with a client rating (`client_rating`): trust as the client scores us",
    **{f"client_{f}": f"mean {f.replace('_', '-')} score of the client ratings (1 to 10; 0 without ratings)"
       for f in RATED},
    "client_tq": "trust quotient (R + C + I) / S from the client ratings' means (0 without ratings)",
    "trust_gap": "the largest amount by which our own reading beats the client's on one factor, in points "
                 "(self minus client; for self-orientation, client minus self); 0 unless both were read",
    "trust_gap_factor": "the factor of that gap, 'reliability', 'credibility', 'intimacy' or 'self-orientation' "
                        "('' without a gap)",
    "firm_due": "firm commitments falling due in the window (up to the as-of date), from any note up to its end",
    "firm_kept": "firm commitments due in the window and done on or before their date",
    "firm_missed": "firm commitments due in the window not done by their date",
    "firm_not_yet_due": "firm commitments open at the as-of date and due later in the review quarter (0 once it is over)",
    "reliability_kept": "firm_kept / firm_due (1 when nothing firm fell due)",
    "delivered": "deliver actions done in the window (repeat work, from the plan and the notes)",
    "open_sell": "sell actions open at the window's end (account plan and notes)",
    "open_invest": "invest actions open at the window's end that pass at least one of the three tests",
    "open_untested": "invest actions open at the window's end that pass none of the tests: sales in disguise",
    "failing_tests": "open invest actions that do not pass all three tests (own-time, learn, illustrate)",
    "vague_invest": "open invest actions without a `by` date that are an `intention` or whose `do` the rules' "
                    "`plans.vague` finds (shipped: a visit, lunch, coffee or drop-in)",
    "days_since_last_note": "days from the last note to the window's end, the as-of date (9999 without notes)",
    "stakeholders_met": "distinct people met in the window (`with`)",
    "stakeholders_listed": "stakeholders listed in account.md",
    "relevance": "'rising', 'steady' or 'declining', from account.md",
    **PEOPLE_METRICS,
    **RELATIONSHIP_METRICS,
    "level": "the level just assigned, e.g. 'ally' (insights only)",
    "level_rank": "position of that level in its model, 0 = the highest (insights only)",
    "level_height": "rated levels from the bottom: 1 = the lowest rated level, 0 = unrated (insights only)",
    "level_title": "the title of the level just assigned (insights only)",
    "level_move": "the `move` of the level just assigned (insights only)",
}
# Metrics whose value is text; a condition compares them with text only.
TEXT_METRICS = (frozenset({"relevance", "level", "trust_gap_factor", "level_title", "level_move"}) | PEOPLE_TEXT
                | RELATIONSHIP_TEXT)
INSIGHT_ONLY = frozenset({"level", "level_rank", "level_height", "level_title", "level_move"})


Family = Callable[[Facts, Sequence[Read], Span, Sink], None]  # puts a few metrics of one window


@dataclass(frozen=True)
class Detail:
    """What a window is computed with: the notes behind each metric (`sources`: only the review
    window cites evidence), and which metrics (`names`: only the families of metrics that give
    these; None, every one). A history quarter or a person needs only what its level and trust read."""

    sources: bool = True
    names: frozenset[str] | None = None


def signal_metric(signal: str) -> str:
    return "signal_" + signal.replace("-", "_")


def window(facts: Facts, quarter: Quarter, size: int, signals: Iterable[str],
           detail: Detail = Detail(), as_of: dt.date | None = None) -> Window:
    """The metrics of the `size` quarters ending with `quarter`, up to `as_of` when it falls inside
    `quarter` (a review while the quarter runs: the window so far), with the `detail` asked for."""
    first = quarter.back(size - 1)
    last = quarter.end
    end = min(last, as_of) if as_of is not None else last
    span = Span(first.start, first.back(size).start, end, last, signals if isinstance(signals, tuple) else tuple(signals))
    return _compute(facts, facts.between(first.start, end), span, detail)


def sample_values(signals: Iterable[str] = ()) -> dict[str, Value]:
    """Every metric with a value of its real type (an account without notes), for checking rules."""
    values = dict(window(gather(_EMPTY), Quarter(2000, 1), 1, signals).values)
    return {**values, **history_values(None, None, 0), **level_values("unrated", 0, 0, "Unrated", "")}


def level_values(key: str, rank: int, height: int, title: str, move: str) -> dict[str, Value]:
    """The insight-only metrics of the level just assigned."""
    return {"level": key, "level_rank": rank, "level_height": height, "level_title": title, "level_move": move}


def _compute(f: Facts, notes: Sequence[Read], span: Span, detail: Detail) -> Window:
    """Every family of metrics over the window's `notes`, or only those giving `detail.names`."""
    sink = Sink(detail.sources)
    for family in FAMILIES if detail.names is None else _families(detail.names, span.signals):
        family(f, notes, span, sink)
    return Window(span.start, span.end, sink.values, sink.sources)


@functools.cache
def _families(names: frozenset[str], signals: tuple[str, ...]) -> tuple[Family, ...]:
    """The families that give any of `names`, in `FAMILIES`' order."""
    return tuple(family for family, gives in zip(FAMILIES, family_names(signals), strict=True) if gives & names)


@functools.cache
def family_names(signals: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """The metrics each family gives (in `FAMILIES`' order), as computed for an account without notes."""
    facts, found = gather(_EMPTY), []
    span = Span(dt.date(2000, 1, 1), dt.date(1999, 10, 1), dt.date(2000, 3, 31), dt.date(2000, 3, 31), signals)
    for family in FAMILIES:
        sink = Sink(False)
        family(facts, (), span, sink)
        found.append(frozenset(sink.values))
    return tuple(found)


_SHARES = tuple(f"{c}_share" for c in CONTEXTS)  # each window puts them: named once


def _contexts(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    """Counts and shares by context of conversation; shares of business notes, social of all."""
    by_context: dict[str, list[Read]] = {c: [] for c in CONTEXTS}
    for note in notes:
        by_context[note.context].append(note)
    business = [n for n in notes if n.context != "social"]
    sink.put("notes", len(notes), notes)
    sink.put("business", len(business), business)
    for (context, chosen), share in zip(by_context.items(), _SHARES, strict=True):
        sink.put(context, len(chosen), chosen, "context")
        total = len(notes) if context == "social" else len(business)
        sink.put(share, len(chosen) / total if total else 0.0, chosen, "context")
    ours = [n for n in business if n.ours]
    sink.put("opened_by_us", len(ours), ours, "opened_by")
    ours_strategy = [n for n in ours if n.context == "strategy"]
    sink.put("strategy_opened_by_us", len(ours_strategy), ours_strategy, "opened_by")
    priced = [n for n in business if n.price]
    sink.put("price_count", len(priced), priced, "price")
    sink.put("price_share", len(priced) / len(business) if business else 0.0, priced, "price")


def _signals(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    """Signals count on business notes only: social time builds no business level (the social
    ones are `social_signals`, personal rapport)."""
    carrying: dict[str, list[Read]] = {}
    for n in notes:
        if n.signals and n.context != "social":
            for signal in dict.fromkeys(n.signals):  # a note counts once for a signal written twice
                carrying.setdefault(signal, []).append(n)
    for signal in span.signals:
        seen = carrying.get(signal, [])
        sink.put(signal_metric(signal), len(seen), seen, "signals")


def _trust(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    """Factor means over the readings; TQ and TQ+ from the means (not a mean of per-note TQs);
    then the client's ratings beside them (`_client_trust`)."""
    read = [n for n in notes if n.trust is not None]
    sink.put("trust_notes", len(read), read, "trust")
    columns = zip(*[n.trust for n in read], strict=True) if read else [() for _ in FACTORS]
    means: dict[str, float] = {}
    for factor, column in zip(FACTORS, columns, strict=True):
        scored = len(column) - column.count(None)  # only character may be left out; a score is 1 to 10
        means[factor] = sum(filter(None, column)) / scored if scored else 0.0
        sink.put(factor, means[factor], read, "trust")
    s = means["self_orientation"]
    numerator = means["reliability"] + means["credibility"] + means["intimacy"]
    sink.put("tq", numerator / s if s else 0.0, read, "trust")
    sink.put("tq_plus", (numerator + means["character"]) / s if s and means["character"] else 0.0, read, "trust")
    _client_trust(notes, sink)


def _client_trust(notes: Sequence[Read], sink: Sink) -> None:
    """The client's own ratings beside ours: their means, their TQ, and where we flatter ourselves most."""
    rated = [n for n in notes if n.client is not None]
    sink.put("client_ratings", len(rated), rated, "client_rating")
    if not rated:  # what the means below come to without ratings: every one 0, no gap
        for factor in RATED:
            sink.put(f"client_{factor}", 0.0, rated, "client_rating")
        for name, value in (("client_tq", 0.0), ("trust_gap", 0.0), ("trust_gap_factor", "")):
            sink.put(name, value, rated, "client_rating")
        return
    columns = zip(*[n.client for n in rated], strict=True)
    means = {f: sum(column) / len(rated) for f, column in zip(RATED, columns, strict=True)}
    for factor in RATED:
        sink.put(f"client_{factor}", means[factor], rated, "client_rating")
    s = means["self_orientation"]
    sink.put("client_tq", (means["reliability"] + means["credibility"] + means["intimacy"]) / s if s else 0.0,
             rated, "client_rating")
    gaps = {f: gap for f in RATED if (gap := trust_gap(f, sink.values[f], means[f])) is not None}
    worst = min(gaps, key=lambda f: (-gaps[f], RATED.index(f)), default="")
    sink.put("trust_gap", max(gaps[worst], 0.0) if worst else 0.0, rated, "client_rating")
    sink.put("trust_gap_factor", worst.replace("_", "-") if worst and gaps[worst] > 0 else "", rated, "client_rating")


def trust_gap(factor: str, ours: Value, theirs: float) -> float | None:
    """How much better our own reading of `factor` is than the client's (None unless both exist).
    Self-orientation is better when lower, so there the gap is the client's score minus ours."""
    if not ours or not theirs:
        return None
    return theirs - float(ours) if factor == "self_orientation" else float(ours) - theirs


def _commitments(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    """Firm commitments due in the window, from every note up to its end (a promise made last
    quarter can fall due in this one). Best-effort and intentions are never held against us."""
    start, end = span.start, span.end
    due = [w for w in f.firm if w.made is not None and w.made <= end and w.action.by is not None
           and start <= w.action.by <= end]
    kept = [w for w in due if w.action.done is not None and w.action.by is not None and w.action.done <= w.action.by]
    kept_ids = {id(w) for w in kept}
    missed = [w for w in due if id(w) not in kept_ids]
    sink.put("firm_due", len(due), [w.source for w in due])
    sink.put("firm_kept", len(kept), [w.source for w in kept])
    sink.put("firm_missed", len(missed), [w.source for w in missed])
    sink.put("reliability_kept", len(kept) / len(due) if due else 1.0, [w.source for w in (missed or due)])


def _not_yet_due(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    """Firm commitments falling due after the as-of date but within the review quarter, still open:
    not held against us yet, and listed so the review says what is coming."""
    end = span.end
    pending = [w for w in f.firm if w.made is not None and w.made <= end and w.action.by is not None
               and end < w.action.by <= span.quarter_end and is_open(w.action, end)]
    sink.put("firm_not_yet_due", len(pending), [w.source for w in pending])


def _plan(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    """The plan as it stood at the window's end. An investment that passes none of the three
    tests is not an investment: it is counted apart (`open_untested`), for the sales plan."""
    start, end = span.start, span.end
    known = [w for w in f.actions if w.made is None or w.made <= end]
    done = [w.source for w in known if w.action.kind == "deliver" and w.action.done is not None
            and start <= w.action.done <= end]
    sink.put("delivered", len(done), done)
    open_ = [w for w in known if is_open(w.action, end)]
    sell = [w.source for w in open_ if w.action.kind == "sell"]
    invest = [w for w in open_ if w.action.kind == "invest"]
    failing = [w.source for w in invest if not set(TESTS) <= set(w.action.tests)]
    sink.put("open_sell", len(sell), sell)
    sink.put("open_invest", sum(1 for w in invest if w.action.tests), [w.source for w in invest if w.action.tests])
    sink.put("open_untested", sum(1 for w in invest if not w.action.tests),
             [w.source for w in invest if not w.action.tests])
    sink.put("failing_tests", len(failing), failing)
    vague = [w.source for w in invest if is_vague(w.action, f.plans)]
    sink.put("vague_invest", len(vague), vague)


def _recency(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    last = bisect.bisect_right(f.dates, span.end) - 1
    sink.put("days_since_last_note", (span.end - f.dates[last]).days if last >= 0 else 9999,
             [f.notes[last]] if last >= 0 else [])


def _stakeholders(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    sink.put("stakeholders_met", len({name for n in notes for name in n.with_}), [n for n in notes if n.with_], "with")
    account = f.account
    sink.put("stakeholders_listed", len(account.meta.stakeholders))
    sink.put("relevance", account.meta.relevance, [f.cited["relevance"]])


def _coverage(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    window = (span.start, span.since, span.end)
    for name, value, evidence, key in people_metrics(f.account, [n.note for n in notes], f.notes, window, f.people):
        sink.put(name, value, evidence, key)


def _rapport(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    for name, value, evidence, key in rapport(notes):
        sink.put(name, value, evidence, key)


def _feedback(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    for name, value, evidence, key in feedback(f, span.end):
        sink.put(name, value, evidence, key)


def _profile(f: Facts, notes: Sequence[Read], span: Span, sink: Sink) -> None:
    for name, value, evidence, key in profile(f, span.end):
        sink.put(name, value, evidence, key)


# In the order their metrics are put (the review window's values keep this order).
FAMILIES: tuple[Family, ...] = (
    _contexts, _signals, _trust, _commitments, _not_yet_due, _plan, _recency, _stakeholders, _coverage, _rapport,
    _feedback, _profile)
_EMPTY = Account("sample", "sample/account.md", AccountMeta(account="Sample", owner="Sample"), "", 1, (), {})


def markdown_table(signals: Iterable[str]) -> str:
    """The metric table of docs/rules.md, generated so that it cannot drift from METRICS."""
    rows = ["| metric | meaning |", "|---|---|"]
    rows += [f"| `{name}` | {meaning} |" for name, meaning in METRICS.items()]
    rows += [f"| `{signal_metric(s)}` | notes in the window carrying the `{s}` signal |" for s in signals]
    return "\n".join(rows) + "\n"
