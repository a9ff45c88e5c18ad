"""The relationship as a whole: what the levels and the sources' lessons read beside the notes.

A level has to be earned, so the rules need more than the context shares: how long the
client has been one and how long since its first business conversation (a virtual partner
is not made in a first window, a referral only starts one), whether someone introduced us,
when the profile of where the client is heading was last revisited, how long since we asked
for candid feedback, the signals recorded on social notes (rapport, which no level counts),
and the pitches we opened that ended in a tender. The thresholds stay in the rules files.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence

from ..core.quarters import Quarter
from ..notes.data import Note, Source
from ..notes.schema import Action
from .facts import Facts, PlanRules, Read

Put = tuple[str, "float | int | str", Sequence[Note | Read | Source], str]  # metric, value, evidence, the notes' key
FEEDBACK = ("feedback-asked", "feedback-given")

RELATIONSHIP_METRICS: dict[str, str] = {
    "social_signals": "signals recorded on social notes in the window (personal rapport; no level counts them)",
    "pitched_to_tender": "service or problem notes we opened (`opened_by: us`) answered with a `competitive-bid`",
    "tenure_quarters": "quarters from `since` in account.md (else the first note) to the window's end, both counted",
    "account_quarters": "quarters from the first business note to the window's end, both counted (0 before it)",
    "introduced": "1 when account.md names who introduced us (`introduced_by`), else 0",
    "profile_reviewed": "1 when account.md's `reviewed` date is on or before the window's end, else 0",
    "reviewed_on": "that `reviewed` date as text, or 'never'",
    "profile_age_days": "days from `reviewed` to the window's end (0 when not reviewed)",
    "days_since_feedback_asked": "days from the last `feedback-asked` note (else the first note) to the window's end",
    "days_since_feedback_given": "days from the last `feedback-given` note (else the first note) to the window's end",
    "feedback_asked_on": "the date of the last `feedback-asked` note on or before the window's end, or 'never'",
    "feedback_given_on": "the date of the last `feedback-given` note on or before the window's end, or 'never'",
    "previous_level": "the level of the quarter before, e.g. 'partner' ('none' in the first quarter)",
    "previous_rank": "its position in the model, 0 = the highest (the fallback's in the first quarter)",
    "recent_best_rank": "the best rank of the quarters before this one, as far back as the model's `lookback`",
    "recent_best_level": "the level of that best rank ('none' in the first quarter)",
}
TEXT = frozenset({"reviewed_on", "feedback_asked_on", "feedback_given_on", "previous_level", "recent_best_level"})


def is_vague(action: Action, rules: PlanRules) -> bool:
    """An investment without a date that is only an intention, or whose `do` the rules' words
    find (shipped: a visit, lunch or drop-in)."""
    if action.by is not None:
        return False
    return action.commitment == "intention" or (rules.vague is not None and rules.vague.search(action.do) is not None)


def history_values(previous: tuple[str, int] | None, best: tuple[str, int] | None,
                   fallback: int) -> dict[str, float | int | str]:
    """The metrics read from earlier quarters' levels: (key, rank) of the quarter before and of the
    best one within the lookback; a first quarter has neither (ranks are the fallback's)."""
    return {"previous_level": previous[0] if previous else "none", "previous_rank": previous[1] if previous else fallback,
            "recent_best_level": best[0] if best else "none", "recent_best_rank": best[1] if best else fallback}


# Three families of metrics (`metrics.FAMILIES`): `notes` are the window's, `f` the account's
# facts, gathered once; `end` the window's end.

def rapport(notes: Sequence[Read]) -> list[Put]:
    """Signals on social notes, and pitches we opened that ended in a tender."""
    social = [n for n in notes if n.context == "social" and n.signals]
    tender = [n for n in notes if n.context in ("service", "problem") and n.ours and "competitive-bid" in n.signals]
    return [("social_signals", sum(len(n.signals) for n in social), social, "signals"),
            ("pitched_to_tender", len(tender), tender, "signals")]


def feedback(f: Facts, end: dt.date) -> list[Put]:
    """Days since we last asked or gave feedback, on any note (counted from the first when never)."""
    seen = bisect.bisect_right(f.dates, end) > 0  # a note up to `end`
    found: list[Put] = []
    for signal in FEEDBACK:
        marked = f.by_signal.get(signal, ())
        last = bisect.bisect_right(marked, end, key=lambda n: n.date) - 1
        since = marked[last] if last >= 0 else (f.notes[0] if seen else None)
        name = signal.replace("-", "_")
        found.append((f"days_since_{name}", (end - since.date).days if since else 0,
                      [since] if since else [], "signals" if last >= 0 else ""))
        found.append((f"{name}_on", marked[last].date.isoformat() if last >= 0 else "never", [], ""))
    return found


def quarters_between(first: dt.date | None, end: dt.date) -> int:
    """The quarters from `first` to `end`, both counted (0 when `first` is later or unknown)."""
    if first is None or first > end:
        return 0
    a, b = Quarter.of(first), Quarter.of(end)
    return (b.year - a.year) * 4 + b.number - a.number + 1


def profile(f: Facts, end: dt.date) -> list[Put]:
    """Tenure, the first business conversation, the introduction and the profile's review."""
    account, history, first = f.account, f.notes, f.first_business
    meta = account.meta

    def at(key: str) -> list[Source]:
        return [f.cited[key]]

    since = meta.since or (history[0].date if history else None)
    reviewed = meta.reviewed if meta.reviewed is not None and meta.reviewed <= end else None
    return [
        ("tenure_quarters", quarters_between(since, end), at("since") if meta.since else list(history[:1]), ""),
        ("account_quarters", quarters_between(first.date if first else None, end), [first] if first else [], "context"),
        ("introduced", int(meta.introduced_by is not None), at("introduced_by") if meta.introduced_by else [], ""),
        ("profile_reviewed", int(reviewed is not None), at("reviewed") if reviewed else [Source(account.path, 1, None)], ""),
        ("reviewed_on", reviewed.isoformat() if reviewed else "never", [], ""),
        ("profile_age_days", (end - reviewed).days if reviewed else 0, at("reviewed") if reviewed else [], ""),
    ]
