"""Relationships are with people: the coverage insights at their boundaries, with the notes
written inline. The review quarter is 2026Q3: the window runs 2026-04-01 to 2026-09-30, and
the window before it from 2025-10-01.
"""

from __future__ import annotations

import datetime as dt

import pytest

from allyreport.notes.loader import load_notes
from allyreport.rules.engine import Insight, Verdict
from allyreport.rules.metrics import Source

from .conftest import NotesWriter
from .support import judge, keys, problems

NW = """\
---
account: Northwind Bank
owner: Jo Park
stakeholders:
  - name: Martin Hale
    influence: sponsor
{martin}  - name: Sofia Brandt
    influence: sponsor
    joined: 2026-09-01
  - name: Ben Adeyemi
    influence: user
---
Profile.
"""


def nw(day: str, who: str, context: str = "problem", extra: str = "") -> str:
    return f"---\ndate: {day}\nwith: [{who}]\ncontext: {context}\n{extra}---\nWhat we discussed.\n"


def northwind(write_notes: NotesWriter, notes: dict[str, str], martin: str = "", text: str = NW,
              rules: str | None = None) -> Verdict:
    files = {"nw/account.md": text.format(martin=martin)}
    files.update({f"nw/{day}-{i}.md": body for i, (day, body) in enumerate(notes.items())})
    return judge(write_notes, files, rules=rules)["nw"]


def found(v: Verdict, key: str) -> Insight:
    return next(i for i in v.insights if i.key == key)


ACCOUNT_MD = "notes/nw/account.md"
LEFT = "    left: 2026-08-31\n    successor: Sofia Brandt\n"


# -- sponsor-left ---------------------------------------------------------------------------------


def test_a_sponsor_who_left_with_no_successor_met_since_is_critical(write_notes: NotesWriter) -> None:
    v = northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Martin Hale"), "2026-08-20": nw("2026-08-20", "Ben Adeyemi")},
                  martin=LEFT)
    left = found(v, "sponsor-left")
    assert (left.severity, left.message, left.move) == (
        "critical", "Left: Martin Hale (sponsor, left 2026-08-31). Successor not met since: 1 of 1.",
        "Re-qualify: meet the successor about their strategy before the next decision.")
    assert left.evidence == (Source(ACCOUNT_MD, 7, None),)  # the `left:` line


def test_meeting_the_successor_on_the_day_the_sponsor_left_makes_it_a_warning(write_notes: NotesWriter) -> None:
    notes = {"2026-07-01": nw("2026-07-01", "Martin Hale"), "2026-08-31": nw("2026-08-31", "Sofia Brandt")}
    left = found(northwind(write_notes, notes, martin=LEFT), "sponsor-left")
    assert (left.severity, left.message) == (
        "warning", "Left: Martin Hale (sponsor, left 2026-08-31). Successor not met since: 0 of 1.")
    before = {"2026-07-01": nw("2026-07-01", "Martin Hale"), "2026-08-30": nw("2026-08-30", "Sofia Brandt")}
    assert found(northwind(write_notes, before, martin=LEFT), "sponsor-left").severity == "critical"


def test_a_sponsor_who_left_in_the_window_before_still_counts(write_notes: NotesWriter) -> None:
    notes = {"2026-07-01": nw("2026-07-01", "Ben Adeyemi")}
    assert "sponsor-left" in keys(northwind(write_notes, notes, martin="    left: 2025-10-01\n"))
    assert "sponsor-left" not in keys(northwind(write_notes, notes, martin="    left: 2025-09-30\n"))
    later = northwind(write_notes, notes, martin="    left: 2026-10-01\n")  # after the review quarter
    assert "sponsor-left" not in keys(later)


def test_a_user_who_leaves_is_not_a_sponsor_change(write_notes: NotesWriter) -> None:
    text = NW.replace("influence: user", "influence: user\n    left: 2026-08-01")
    v = northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Martin Hale")}, text=text)
    assert "sponsor-left" not in keys(v)


# -- no-sponsor -----------------------------------------------------------------------------------


def test_no_current_sponsor_met_in_the_window_is_no_sponsor(write_notes: NotesWriter) -> None:
    v = northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Ben Adeyemi")})
    no = found(v, "no-sponsor")
    # Martin and Sofia (who joined on 2026-09-01: current at the window's end)
    assert no.message == "No current sponsor or decision-maker was met in the window (2 listed in account.md)."
    assert no.evidence == (Source(ACCOUNT_MD, 5, None),)  # one line per file: the first
    assert "no-sponsor" not in keys(northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Martin Hale")}))


def test_meeting_only_a_sponsor_who_has_since_left_is_no_sponsor(write_notes: NotesWriter) -> None:
    v = northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Martin Hale")}, martin=LEFT)
    assert "no-sponsor" in keys(v)
    assert found(v, "no-sponsor").evidence == (Source(ACCOUNT_MD, 9, None),)  # Sofia, the current sponsor


def test_an_account_that_records_no_influence_is_not_judged_on_sponsors(write_notes: NotesWriter) -> None:
    text = NW.replace("    influence: sponsor\n", "").replace("    influence: user\n", "")
    assert "no-sponsor" not in keys(northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Ben Adeyemi")}, text=text))


# -- single-threaded ------------------------------------------------------------------------------


def _threads(write_notes: NotesWriter, martin: int, others: int) -> Verdict:
    notes = {f"2026-07-{d + 1:02d}": nw(f"2026-07-{d + 1:02d}", "Martin Hale") for d in range(martin)}
    notes |= {f"2026-08-{d + 1:02d}": nw(f"2026-08-{d + 1:02d}", "Ben Adeyemi") for d in range(others)}
    notes["2026-09-01"] = nw("2026-09-01", "Ben Adeyemi", "social")  # social: not a business conversation
    return northwind(write_notes, notes)


def test_one_person_in_more_than_seventy_percent_of_business_is_single_threaded(write_notes: NotesWriter) -> None:
    v = _threads(write_notes, 8, 3)  # 8 of 11: 73%
    single = found(v, "single-threaded")
    assert single.message == ("Martin Hale was in 73% of the business conversations in the window; the "
                              "relationship hangs on one person.")
    assert single.evidence == tuple(Source(f"notes/nw/2026-07-{d:02d}-{d - 1}.md", 3, dt.date(2026, 7, d))
                                    for d in range(1, 9))


def test_exactly_seventy_percent_is_not_single_threaded(write_notes: NotesWriter) -> None:
    v = _threads(write_notes, 7, 3)
    assert (v.window.values["top_person_share"], "single-threaded" in keys(v)) == (0.7, False)


# -- overdue-contacts -----------------------------------------------------------------------------


def test_a_sponsor_last_met_forty_six_days_before_the_end_is_overdue(write_notes: NotesWriter) -> None:
    # Sponsor cadence 45 days (the shipped default); the window ends 2026-09-30.
    notes = {"2026-08-15": nw("2026-08-15", "Martin Hale"), "2026-09-20": nw("2026-09-20", "Sofia Brandt, Ben Adeyemi")}
    v = northwind(write_notes, notes)
    overdue = found(v, "overdue-contacts")
    assert overdue.message == "Past their cadence at the window's end: Martin Hale (46 days; every 45)."
    assert overdue.evidence == (Source("notes/nw/2026-08-15-0.md", 3, dt.date(2026, 8, 15)),)
    assert (v.window.values["overdue_contacts"], v.window.values["due_contacts"]) == (1, 0)


def test_forty_five_days_is_due_not_overdue(write_notes: NotesWriter) -> None:
    notes = {"2026-08-16": nw("2026-08-16", "Martin Hale"), "2026-09-20": nw("2026-09-20", "Sofia Brandt, Ben Adeyemi")}
    v = northwind(write_notes, notes)
    assert ("overdue-contacts" in keys(v), v.window.values["due_contacts"]) == (False, 1)
    green = northwind(write_notes, {"2026-08-26": nw("2026-08-26", "Martin Hale"),  # 35 days: under 80% of 45
                                    "2026-09-20": nw("2026-09-20", "Sofia Brandt, Ben Adeyemi")})
    assert green.window.values["due_contacts"] == 0
    due = northwind(write_notes, {"2026-08-25": nw("2026-08-25", "Martin Hale"),  # 36 days: 80% of 45
                                  "2026-09-20": nw("2026-09-20", "Sofia Brandt, Ben Adeyemi")})
    assert due.window.values["due_contacts"] == 1


def test_never_met_is_overdue_and_a_newcomer_is_measured_from_joining(write_notes: NotesWriter) -> None:
    # Sofia joined 2026-09-01: 29 days by the end, within her 45. Ben (user, 90 days) was never met.
    v = northwind(write_notes, {"2026-09-20": nw("2026-09-20", "Martin Hale")})
    assert found(v, "overdue-contacts").message == "Past their cadence at the window's end: Ben Adeyemi (never met; every 90)."
    assert found(v, "overdue-contacts").evidence == (Source(ACCOUNT_MD, 10, None),)


def test_own_cadence_wins_and_a_firm_can_change_the_defaults(write_notes: NotesWriter) -> None:
    notes = {"2026-09-01": nw("2026-09-01", "Martin Hale, Ben Adeyemi"),
             "2026-09-20": nw("2026-09-20", "Sofia Brandt, Ben Adeyemi")}
    assert "overdue-contacts" not in keys(northwind(write_notes, notes))
    own = northwind(write_notes, notes, martin="    cadence: 28\n")
    assert found(own, "overdue-contacts").message == "Past their cadence at the window's end: Martin Hale (29 days; every 28)."
    firm = northwind(write_notes, notes, rules="people:\n  cadence:\n    user: 9\n")  # the sponsors keep 45
    assert found(firm, "overdue-contacts").message == "Past their cadence at the window's end: Ben Adeyemi (10 days; every 9)."


def test_people_without_influence_or_cadence_are_never_due(write_notes: NotesWriter) -> None:
    text = NW.replace("    influence: user\n", "")
    v = northwind(write_notes, {"2026-09-20": nw("2026-09-20", "Martin Hale, Sofia Brandt")}, text=text)
    assert "overdue-contacts" not in keys(v)


# -- trust-blind-spot -----------------------------------------------------------------------------

OURS = "trust: {reliability: 8, credibility: 8, intimacy: 7, self_orientation: 3}\n"


def _rated(write_notes: NotesWriter, rating: str) -> Verdict:
    return northwind(write_notes, {
        "2026-07-01": nw("2026-07-01", "Martin Hale", extra=OURS),
        "2026-08-01": nw("2026-08-01", "Martin Hale", extra=OURS + f"client_rating: {{{rating}, source: survey}}\n"),
    })


def test_our_reading_two_points_above_the_clients_is_a_blind_spot(write_notes: NotesWriter) -> None:
    v = _rated(write_notes, "reliability: 8, credibility: 7, intimacy: 5, self_orientation: 3")
    spot = found(v, "trust-blind-spot")
    assert spot.message == "Our own trust readings put intimacy 2.0 points better than the client's 1 rating(s) do."
    assert spot.evidence == (Source("notes/nw/2026-08-01-1.md", 6, dt.date(2026, 8, 1)),)


def test_one_point_is_not_a_blind_spot(write_notes: NotesWriter) -> None:
    v = _rated(write_notes, "reliability: 7, credibility: 7, intimacy: 6, self_orientation: 4")
    assert (v.window.values["trust_gap"], "trust-blind-spot" in keys(v)) == (1.0, False)


def test_the_client_seeing_us_as_more_self_oriented_is_a_blind_spot(write_notes: NotesWriter) -> None:
    v = _rated(write_notes, "reliability: 9, credibility: 9, intimacy: 8, self_orientation: 5")
    assert (v.window.values["trust_gap_factor"], v.window.values["trust_gap"]) == ("self-orientation", 2.0)
    assert "trust-blind-spot" in keys(v)


def test_without_a_client_rating_there_is_no_gap(write_notes: NotesWriter) -> None:
    v = northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Martin Hale", extra=OURS)})
    assert (v.window.values["trust_gap"], v.window.values["client_ratings"], "trust-blind-spot" in keys(v)) == (
        0.0, 0, False)


# One case per insight this module adds; with test_engine's, one per shipped insight.
PEOPLE_INSIGHT_CASES = {
    "sponsor-left": test_a_sponsor_who_left_with_no_successor_met_since_is_critical,
    "no-sponsor": test_no_current_sponsor_met_in_the_window_is_no_sponsor,
    "single-threaded": test_one_person_in_more_than_seventy_percent_of_business_is_single_threaded,
    "overdue-contacts": test_a_sponsor_last_met_forty_six_days_before_the_end_is_overdue,
    "trust-blind-spot": test_our_reading_two_points_above_the_clients_is_a_blind_spot,
}


# -- the `people:` section of a rules file --------------------------------------------------------


def test_people_settings_are_checked_with_their_line() -> None:
    assert problems("people:\n  cadence:\n    sponser: 10\n  due_percent: 0\n") == [
        "rules.yaml:3: a key of 'cadence' must be one of decision-maker, sponsor, champion, user or gatekeeper, "
        "got 'sponser'; did you mean 'sponsor'?",
        "rules.yaml:4: 'due_percent' must be at least 1, got 0",
    ]
    assert problems("insights:\n  - key: sponsor-left\n    critical_when: sponsors_lefts >= 1\n") == [
        "rules.yaml:3: unknown metric 'sponsors_lefts'; did you mean 'sponsors_left'?"]


def test_a_firm_can_make_sponsor_left_always_critical(write_notes: NotesWriter) -> None:
    notes = {"2026-07-01": nw("2026-07-01", "Martin Hale"), "2026-09-02": nw("2026-09-02", "Sofia Brandt")}
    firm = "insights:\n  - key: sponsor-left\n    severity: critical\n"
    assert found(northwind(write_notes, notes, martin=LEFT, rules=firm), "sponsor-left").severity == "critical"


# test_fidelity.test_every_shipped_insight_has_a_case checks PEOPLE_INSIGHT_CASES with the others.


# -- each person judged on their own --------------------------------------------------------------

TWO = """\
---
account: {name}
owner: Jo Park
target: ally
stakeholders:
  - name: Martin Hale
    influence: sponsor
  - name: Ben Adeyemi
    influence: user
---
Profile.
"""
TRUST = "trust: {{reliability: {0}, credibility: 7, intimacy: 5, self_orientation: 4}}\n"


def _two_people() -> dict[str, str]:
    """Martin: three strategy conversations we opened. Ben: two problems. Both: one strategy talk."""
    martin = {day: nw(day, "Martin Hale", "strategy", "opened_by: us\n" + TRUST.format(8))
              for day in ("2026-04-10", "2026-05-12", "2026-07-08")}
    ben = {day: nw(day, "Ben Adeyemi", "problem", TRUST.format(6)) for day in ("2026-06-02", "2026-08-19")}
    both = {"2026-09-03": nw("2026-09-03", "Martin Hale, Ben Adeyemi", "strategy", TRUST.format(7))}
    return {**martin, **ben, **both}


@pytest.mark.parametrize("model", ["ally", "pyramid", "s-curve"])  # the pyramid's levels read earlier quarters'
def test_a_persons_level_is_the_account_rules_applied_to_their_notes(write_notes: NotesWriter, model: str) -> None:
    notes = _two_people()
    text = TWO if model == "ally" else TWO.replace("target: ally\n", "")
    files = {f"{slug}/account.md": text.format(name=slug) for slug in ("nw", "only-martin", "only-ben")}
    for i, (day, text) in enumerate(notes.items()):
        files[f"nw/{day}-{i}.md"] = text
        for slug, name in (("only-martin", "Martin Hale"), ("only-ben", "Ben Adeyemi")):
            if name in text.split("\n")[2]:  # the `with:` line
                files[f"{slug}/{day}-{i}.md"] = text
    verdicts = judge(write_notes, files, model=model)
    martin, ben = verdicts["nw"].people
    alone = {"Martin Hale": verdicts["only-martin"], "Ben Adeyemi": verdicts["only-ben"]}
    for p in (martin, ben):
        assert (p.level, p.trust, p.client) == (alone[p.name].level, alone[p.name].trust, alone[p.name].client_trust)
    if model == "ally":
        assert [(p.name, p.level.key) for p in (martin, ben)] == [("Martin Hale", "ally"),
                                                                  ("Ben Adeyemi", "solution-provider")]
        assert verdicts["nw"].level.key == "ally"  # the account as a whole: 4 strategy of 6 business conversations


def test_a_person_below_target_their_contact_and_share(write_notes: NotesWriter) -> None:
    v = judge(write_notes, {"nw/account.md": TWO.format(name="Northwind"),
                            **{f"nw/{day}.md": text for day, text in _two_people().items()}})["nw"]
    martin, ben = v.people
    assert (martin.target and martin.target.key, martin.below_target, martin.contact, martin.days) == (
        "ally", False, "green", 27)  # last met 2026-09-03, 27 days before the window's end; every 45
    assert (ben.target, ben.below_target, ben.contact, ben.cadence) == (None, False, "green", 90)  # a user: no target
    assert (martin.met_window, martin.business_share, ben.business_share) == (4, 4 / 6, 3 / 6)
    assert martin.evidence[0] == Source("notes/nw/2026-04-10.md", 3, dt.date(2026, 4, 10))


def test_someone_met_but_not_listed_is_shown_after_the_stakeholders(write_notes: NotesWriter) -> None:
    v = northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Martin Hale, Zoe Park")})
    assert [(p.name, p.listed, p.target) for p in v.people][-1] == ("Zoe Park", False, None)
    assert [p.name for p in v.people] == ["Martin Hale", "Sofia Brandt", "Ben Adeyemi", "Zoe Park"]


def test_a_person_who_left_has_no_cadence_and_no_target(write_notes: NotesWriter) -> None:
    v = northwind(write_notes, {"2026-07-01": nw("2026-07-01", "Martin Hale")}, martin=LEFT)
    martin = v.people[0]
    assert (martin.current, martin.contact, martin.target, martin.met_window) == (False, None, None, 1)


# -- whitespace: offerings x people ---------------------------------------------------------------

OFFERED = NW.replace("---\nProfile.", "offerings: [payments advisory, M&A integration]\n---\nProfile.")


def test_the_whitespace_counts_the_conversations_held_per_offering_and_person(write_notes: NotesWriter) -> None:
    v = northwind(write_notes, {
        "2026-03-31": nw("2026-03-31", "Ben Adeyemi", extra="offerings: [M&A integration]\n"),  # before the window
        "2026-04-01": nw("2026-04-01", "Ben Adeyemi", extra="offerings: [payments advisory]\n"),
        "2026-09-30": nw("2026-09-30", "Martin Hale, Ben Adeyemi", extra="offerings: [payments advisory]\n"),
    }, text=OFFERED)
    ws = v.whitespace
    assert ws is not None
    assert [(p.name, counts) for p, counts in ws.rows] == [
        ("Martin Hale", (1, 0)), ("Sofia Brandt", (0, 0)), ("Ben Adeyemi", (2, 0))]
    assert [(p.name, o) for p, o in ws.not_held] == [
        ("Martin Hale", "M&A integration"), ("Sofia Brandt", "payments advisory"), ("Sofia Brandt", "M&A integration"),
        ("Ben Adeyemi", "M&A integration")]


def test_an_offering_account_md_does_not_list_is_a_warning(write_notes: NotesWriter) -> None:
    root = write_notes({"nw/account.md": OFFERED.format(martin=""),
                        "nw/2026-07-01.md": nw("2026-07-01", "Ben Adeyemi", extra="offerings: [payment advisory]\n")})
    _, diagnostics = load_notes(root, "notes")
    assert [d.format() for d in diagnostics] == [
        "notes/nw/2026-07-01.md:5: warning: 'payment advisory' is not one of the offerings in notes/nw/account.md; "
        "did you mean 'payments advisory'?"]
