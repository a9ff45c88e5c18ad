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
from dataclasses import dataclass, replace

from ..core.quarters import Quarter
from ..notes.data import Account, Note
from ..notes.data import Source as Source  # where it used to live; tests and firms import it from here
from ..notes.schema import BUSINESS_CONTEXTS, CONTEXTS, TESTS, AccountMeta, Action
from .coverage import PEOPLE_METRICS, PeopleRules, people_metrics
from .coverage import TEXT as PEOPLE_TEXT
from .relationship import RELATIONSHIP_METRICS, history_values, is_vague, relationship_metrics
from .relationship import TEXT as RELATIONSHIP_TEXT

FACTORS = ("reliability", "credibility", "intimacy", "character", "self_orientation")
RATED = ("reliability", "credibility", "intimacy", "self_orientation")  # what a client rating scores

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
    "vague_invest": "open invest actions without a `by` date that are an `intention` or a visit, lunch, "
                    "coffee or drop-in",
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


@dataclass(frozen=True)
class Facts:
    """One account gathered once: its notes by quarter and every action with where it was written."""

    account: Account
    notes: tuple[Note, ...]  # oldest first
    dates: tuple[dt.date, ...]
    by_quarter: dict[Quarter, tuple[Note, ...]]
    actions: tuple[Written, ...]  # the plan's, then each note's
    people: PeopleRules  # the rules' `people:` settings (cadence per influence)


def signal_metric(signal: str) -> str:
    return "signal_" + signal.replace("-", "_")


def is_open(action: Action, asof: dt.date) -> bool:
    """Open at `asof`: not done, or done only later (so a past review sees it as it was)."""
    return action.done is None or action.done > asof


def gather(account: Account, people: PeopleRules | None = None) -> Facts:
    by_quarter: dict[Quarter, list[Note]] = {}
    actions = [Written(a, Source(account.path, account.line_of("plan", i), None), None)
               for i, a in enumerate(account.meta.plan)]
    for note in account.notes:
        by_quarter.setdefault(Quarter.of(note.date), []).append(note)
        actions += [Written(a, Source(note.path, note.line_of("actions", i), note.date), note.date)
                    for i, a in enumerate(note.meta.actions)]
    return Facts(account, account.notes, tuple(n.date for n in account.notes),
                 {q: tuple(ns) for q, ns in by_quarter.items()}, tuple(actions), people or PeopleRules())


def narrow(facts: Facts, notes: Sequence[Note]) -> Facts:
    """What `gather` gives for the same account holding only `notes` (a subset, oldest first),
    taken from what was gathered already: one person's conversations (`people`)."""
    kept = {id(n) for n in notes}
    by_quarter = {q: mine for q, ns in facts.by_quarter.items() if (mine := tuple(n for n in ns if id(n) in kept))}
    paths = {n.path for n in notes}
    actions = tuple(w for w in facts.actions if w.made is None or w.source.path in paths)
    return Facts(replace(facts.account, notes=tuple(notes)), tuple(notes), tuple(n.date for n in notes), by_quarter,
                 actions, facts.people)


def window(facts: Facts, quarter: Quarter, size: int, signals: Iterable[str],
           detail: tuple[bool, bool] = (True, True), as_of: dt.date | None = None) -> Window:
    """The metrics of the `size` quarters ending with `quarter`, up to `as_of` when it falls inside
    `quarter` (a review while the quarter runs: the window so far); `sources=False` skips the
    evidence (a history quarter needs only its level), `people=False` the coverage metrics
    (`PEOPLE_METRICS`: only for a window whose level conditions do not name them). `detail`:
    sources, people."""
    sources, people = detail
    first = quarter.back(size - 1)
    end = min(quarter.end, as_of) if as_of is not None else quarter.end
    notes = [n for q in _quarters(first, quarter) for n in facts.by_quarter.get(q, ()) if n.date <= end]
    return _compute(facts, notes, (first.start, first.back(size).start, end), signals, (sources, people),
                    quarter.end)


def _quarters(first: Quarter, last: Quarter) -> Iterable[Quarter]:
    while first <= last:
        yield first
        first = first.next()


def compute(account: Account, notes: Sequence[Note], start: dt.date, end: dt.date,
            signals: Iterable[str]) -> Window:
    """Metrics over `notes` (already limited to start..end); `account.notes` gives history."""
    return _compute(gather(account), notes, (start, start - (end - start), end), signals, (True, True), end)


def sample_values(signals: Iterable[str] = ()) -> dict[str, Value]:
    """Every metric with a value of its real type (an account without notes), for checking rules."""
    empty = Account("sample", "sample/account.md", AccountMeta(account="Sample", owner="Sample"), "", 1, (), {})
    values = dict(window(gather(empty), Quarter(2000, 1), 1, signals).values)
    return {**values, **history_values(None, None, 0), **level_values("unrated", 0, 0, "Unrated", "")}


def level_values(key: str, rank: int, height: int, title: str, move: str) -> dict[str, Value]:
    """The insight-only metrics of the level just assigned."""
    return {"level": key, "level_rank": rank, "level_height": height, "level_title": title, "level_move": move}


class _Sink:
    """Collects metric values and, when wanted, the sources behind each one."""

    def __init__(self, wanted: bool) -> None:
        self.values: dict[str, Value] = {}
        self.sources: dict[str, tuple[Source, ...]] = {}
        self.wanted = wanted

    def put(self, name: str, value: Value, evidence: Iterable[Note | Source] = (), key: str = "") -> None:
        """`evidence` is notes (cited at `key`'s line, or the file's first line) or ready sources."""
        self.values[name] = value
        if self.wanted:
            self.sources[name] = tuple(
                e if isinstance(e, Source) else Source(e.path, e.line_of(key) if key else 1, e.date) for e in evidence)


def _compute(f: Facts, notes: Sequence[Note], span: tuple[dt.date, dt.date, dt.date], signals: Iterable[str],
             wanted: tuple[bool, bool], quarter_end: dt.date) -> Window:
    """`span`: the window's start, where the window before it starts, and the window's end (the
    quarter's, or the as-of date while the quarter runs); `wanted`: the sources, and the coverage
    metrics."""
    start, since, end = span
    sink = _Sink(wanted[0])
    _contexts(notes, sink)
    # Signals count on business notes only: social time builds no business level (the social
    # ones are `social_signals`, personal rapport).
    business = [n for n in notes if n.meta.context != "social" and n.meta.signals]
    for signal in signals:
        seen = [n for n in business if signal in n.meta.signals]
        sink.put(signal_metric(signal), len(seen), seen, "signals")
    _trust(notes, sink)
    _client_trust(notes, sink)
    _commitments(f, start, end, sink)
    _not_yet_due(f, end, quarter_end, sink)
    _plan(f, start, end, sink)
    last = bisect.bisect_right(f.dates, end) - 1
    sink.put("days_since_last_note", (end - f.dates[last]).days if last >= 0 else 9999,
             [f.notes[last]] if last >= 0 else [])
    sink.put("stakeholders_met", len({name for n in notes for name in n.meta.with_}),
             [n for n in notes if n.meta.with_], "with")
    account = f.account
    sink.put("stakeholders_listed", len(account.meta.stakeholders))
    sink.put("relevance", account.meta.relevance, [Source(account.path, account.line_of("relevance"), None)])
    found = people_metrics(account, notes, f.notes, (start, since, end), f.people) if wanted[1] else []
    for name, value, evidence, key in (*found, *relationship_metrics(account, notes, f.notes, f.dates, end)):
        sink.put(name, value, evidence, key)
    return Window(start, end, sink.values, sink.sources)


def _contexts(notes: Sequence[Note], sink: _Sink) -> None:
    """Counts and shares by context of conversation; shares of business notes, social of all."""
    business = [n for n in notes if n.meta.context != "social"]
    sink.put("notes", len(notes), notes)
    sink.put("business", len(business), business)
    for context in CONTEXTS:
        chosen = [n for n in notes if n.meta.context == context]
        sink.put(context, len(chosen), chosen, "context")
        total = len(notes) if context == "social" else len(business)
        sink.put(f"{context}_share", len(chosen) / total if total else 0.0, chosen, "context")
    ours = [n for n in business if n.meta.opened_by == "us"]
    sink.put("opened_by_us", len(ours), ours, "opened_by")
    ours_strategy = [n for n in ours if n.meta.context == "strategy"]
    sink.put("strategy_opened_by_us", len(ours_strategy), ours_strategy, "opened_by")
    priced = [n for n in business if n.meta.price]
    sink.put("price_count", len(priced), priced, "price")
    sink.put("price_share", len(priced) / len(business) if business else 0.0, priced, "price")


def _trust(notes: Sequence[Note], sink: _Sink) -> None:
    """Factor means over the readings; TQ and TQ+ from the means (not a mean of per-note TQs)."""
    read = [n for n in notes if n.meta.trust is not None]
    sink.put("trust_notes", len(read), read, "trust")
    means: dict[str, float] = {}
    for factor in FACTORS:
        scores = [s for n in read if (s := getattr(n.meta.trust, factor)) is not None]
        means[factor] = sum(scores) / len(scores) if scores else 0.0
        sink.put(factor, means[factor], read, "trust")
    s = means["self_orientation"]
    numerator = means["reliability"] + means["credibility"] + means["intimacy"]
    sink.put("tq", numerator / s if s else 0.0, read, "trust")
    sink.put("tq_plus", (numerator + means["character"]) / s if s and means["character"] else 0.0, read, "trust")


def _client_trust(notes: Sequence[Note], sink: _Sink) -> None:
    """The client's own ratings beside ours: their means, their TQ, and where we flatter ourselves most."""
    rated = [n for n in notes if n.meta.client_rating is not None]
    sink.put("client_ratings", len(rated), rated, "client_rating")
    means = {f: sum(getattr(n.meta.client_rating, f) for n in rated) / len(rated) if rated else 0.0 for f in RATED}
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


def _commitments(f: Facts, start: dt.date, end: dt.date, sink: _Sink) -> None:
    """Firm commitments due in the window, from every note up to its end (a promise made last
    quarter can fall due in this one). Best-effort and intentions are never held against us."""
    due = [w for w in f.actions if w.made is not None and w.made <= end and w.action.commitment == "firm"
           and w.action.by is not None and start <= w.action.by <= end]
    kept = [w for w in due if w.action.done is not None and w.action.by is not None and w.action.done <= w.action.by]
    kept_ids = {id(w) for w in kept}
    missed = [w for w in due if id(w) not in kept_ids]
    sink.put("firm_due", len(due), [w.source for w in due])
    sink.put("firm_kept", len(kept), [w.source for w in kept])
    sink.put("firm_missed", len(missed), [w.source for w in missed])
    sink.put("reliability_kept", len(kept) / len(due) if due else 1.0, [w.source for w in (missed or due)])


def _not_yet_due(f: Facts, end: dt.date, quarter_end: dt.date, sink: _Sink) -> None:
    """Firm commitments falling due after the as-of date but within the review quarter, still open:
    not held against us yet, and listed so the review says what is coming."""
    pending = [w for w in f.actions if w.made is not None and w.made <= end and w.action.commitment == "firm"
               and w.action.by is not None and end < w.action.by <= quarter_end and is_open(w.action, end)]
    sink.put("firm_not_yet_due", len(pending), [w.source for w in pending])


def _plan(f: Facts, start: dt.date, end: dt.date, sink: _Sink) -> None:
    """The plan as it stood at the window's end. An investment that passes none of the three
    tests is not an investment: it is counted apart (`open_untested`), for the sales plan."""
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
    vague = [w.source for w in invest if is_vague(w.action)]
    sink.put("vague_invest", len(vague), vague)


def markdown_table(signals: Iterable[str]) -> str:
    """The metric table of docs/rules.md, generated so that it cannot drift from METRICS."""
    rows = ["| metric | meaning |", "|---|---|"]
    rows += [f"| `{name}` | {meaning} |" for name, meaning in METRICS.items()]
    rows += [f"| `{signal_metric(s)}` | notes in the window carrying the `{s}` signal |" for s in signals]
    return "\n".join(rows) + "\n"
