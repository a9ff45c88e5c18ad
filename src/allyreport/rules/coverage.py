"""Coverage: the metrics about the people of an account, and the rules' settings they read.

A relationship with a client is a set of relationships with people: a sponsor who leaves is
the first sign of a lost account, one person carrying every conversation is a relationship
that hangs on a thread, and a key player not spoken to on their cadence drifts away. These
metrics read the stakeholders of `account.md` (influence, cadence, joined, left, successor)
beside the notes' `with`; the thresholds stay in the rules files, as for every insight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..notes.data import Account, Note, Source
from ..notes.schema import Stakeholder

SPONSORING = frozenset({"decision-maker", "sponsor", "champion"})  # whose leaving is `sponsor-left`
SPONSORS = frozenset({"decision-maker", "sponsor"})  # `no-sponsor`: none of these met
Put = tuple[str, "float | int | str", Sequence[Note | Source], str]  # metric, value, evidence, the notes' key

PEOPLE_METRICS: dict[str, str] = {
    "people_current": "stakeholders in their role at the window's end (joined by then, not yet left)",
    "influence_listed": "stakeholders with an `influence`",
    "sponsors_current": "current stakeholders who are a sponsor or decision-maker",
    "sponsors_met": "current sponsors and decision-makers met in the window",
    "sponsors_left": "sponsors, champions and decision-makers who left in the window or the one before",
    "sponsors_left_unreplaced": "of those, the ones whose successor was not met since they left (or who have none)",
    "sponsors_left_names": "who they are, e.g. 'Martin Hale (sponsor, left 2026-08-31)' (text)",
    "top_person": "the person in the most business conversations of the window (text; '' without any)",
    "top_person_share": "the share of the window's business notes that person was in (0 to 1)",
    "overdue_contacts": "current stakeholders past their cadence at the window's end (never met counts as past)",
    "due_contacts": "current stakeholders whose cadence is nearly used up (`people.due_percent`) but not past",
    "overdue_names": "who is overdue, with the days since we last spoke, e.g. 'Ben Adeyemi (120 days; every 90)' (text)",
}
TEXT = frozenset({"sponsors_left_names", "top_person", "overdue_names"})


@dataclass(frozen=True)
class PeopleRules:
    """The `people:` section of the rules files (docs/rules.md#people)."""

    cadence: dict[str, int] = field(default_factory=dict)  # influence -> days between conversations
    due_percent: int = 80  # a contact is due once this share of its cadence has passed
    held_to_target: frozenset[str] = SPONSORING  # influences held to the account's target (and no influence)


def cadence_of(person: Stakeholder, rules: PeopleRules) -> int | None:
    """Their own `cadence`, else the default for their influence; None when neither is known."""
    if person.cadence is not None:
        return person.cadence
    return rules.cadence.get(person.influence) if person.influence else None


def contact_status(days: int | None, cadence: int | None, due_percent: int) -> str | None:
    """green / due / overdue for `days` since the last contact (None: never met); None without a cadence."""
    if cadence is None:
        return None
    if days is None or days > cadence:
        return "overdue"
    return "due" if days * 100 >= cadence * due_percent else "green"


def last_contacts(notes: Sequence[Note], end: dt.date) -> dict[str, Note]:
    """Each person's latest note up to `end` (notes are oldest first)."""
    last: dict[str, Note] = {}
    for note in notes:
        if note.date > end:
            break
        for name in note.meta.with_:
            last[name] = note
    return last


def days_since(person: Stakeholder, last: Note | None, end: dt.date) -> int | None:
    """Days from the last contact to `end`; never met counts from `joined` (None without it)."""
    if last is not None:
        return (end - last.date).days
    return (end - person.joined).days if person.joined is not None else None


def people_metrics(account: Account, notes: Sequence[Note], history: Sequence[Note],
                   span: tuple[dt.date, dt.date, dt.date], rules: PeopleRules) -> list[Put]:
    """The coverage metrics of one window: `notes` in start..end (`span` is start, since, end),
    `history` every note of the account (oldest first), `since` where "the window or the one
    before" begins."""
    _, since, end = span
    listed = account.meta.stakeholders
    current = [(i, p) for i, p in enumerate(listed) if p.current(end)]
    everyone = _stakeholder_lines(account)
    found: list[Put] = [
        ("people_current", len(current), [everyone[i] for i, _ in current], ""),
        ("influence_listed", sum(1 for p in listed if p.influence), [], ""),
    ]
    found += _sponsors(account, notes, current, everyone)
    found += _departures(account, history, since, end)
    found += _threads(notes)
    found += _cadence(account, history, current, end, rules)
    return found


def _stakeholder_lines(account: Account) -> list[Source]:
    return [Source(account.path, account.line_of("stakeholders", i), None) for i in range(len(account.meta.stakeholders))]


def _sponsors(account: Account, notes: Sequence[Note], current: list[tuple[int, Stakeholder]],
              everyone: list[Source]) -> list[Put]:
    sponsors = [(i, p) for i, p in current if p.influence in SPONSORS]
    names = {p.name for _, p in sponsors}
    met = {name for n in notes for name in n.meta.with_ if name in names}
    cited = [everyone[i] for i, _ in sponsors] or [Source(account.path, account.line_of("stakeholders"), None)]
    return [("sponsors_current", len(sponsors), cited, ""),
            ("sponsors_met", len(met), [n for n in notes if met & set(n.meta.with_)], "with")]


def _departures(account: Account, history: Sequence[Note], since: dt.date, end: dt.date) -> list[Put]:
    """Who left lately, and whether we have met their successor since (up to `end`)."""
    left, unreplaced, names = [], [], []
    for i, p in enumerate(account.meta.stakeholders):
        if p.left is None or p.influence not in SPONSORING or not since <= p.left <= end:
            continue
        where = Source(account.path, account.line_of("stakeholders", i, "left"), None)
        left.append(where)
        successor = p.successor
        met = successor is not None and any(p.left <= n.date <= end and successor in n.meta.with_ for n in history)
        if not met:
            unreplaced.append(where)
        names.append(f"{p.name} ({p.influence}, left {p.left})")
    return [("sponsors_left", len(left), left, ""), ("sponsors_left_unreplaced", len(unreplaced), unreplaced, ""),
            ("sponsors_left_names", "; ".join(names), left, "")]


def _threads(notes: Sequence[Note]) -> list[Put]:
    """The one person most of the business conversations went through (ties: the first by name)."""
    business = [n for n in notes if n.meta.context != "social"]
    counts: dict[str, int] = {}
    for note in business:
        for name in set(note.meta.with_):
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return [("top_person", "", [], ""), ("top_person_share", 0.0, [], "")]
    top = min(counts, key=lambda name: (-counts[name], name))
    theirs = [n for n in business if top in n.meta.with_]
    return [("top_person", top, theirs, "with"), ("top_person_share", counts[top] / len(business), theirs, "with")]


def _cadence(account: Account, history: Sequence[Note], current: list[tuple[int, Stakeholder]], end: dt.date,
             rules: PeopleRules) -> list[Put]:
    last = last_contacts(history, end)
    overdue: list[Note | Source] = []
    due: list[Note | Source] = []
    names = []
    for i, person in current:
        cadence = cadence_of(person, rules)
        days = days_since(person, last.get(person.name), end)
        status = contact_status(days, cadence, rules.due_percent)
        met = last.get(person.name)
        cited = met or Source(account.path, account.line_of("stakeholders", i), None)
        if status == "overdue":
            overdue.append(cited)
            names.append(f"{person.name} ({'never met' if met is None else f'{days} days'}; every {cadence})")
        elif status == "due":
            due.append(cited)
    return [("overdue_contacts", len(overdue), overdue, "with"), ("due_contacts", len(due), due, "with"),
            ("overdue_names", "; ".join(names), overdue, "with")]
