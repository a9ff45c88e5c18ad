"""Levels that must be earned, and the lessons of the sources, each at its boundary.

Every case is notes written inline (see `note()` in test_engine: date on line 2, with 3,
context 4, opened_by 5, price 6, then `extra`), judged by the shipped rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from allyreport.rules.engine import Verdict
from allyreport.rules.metrics import Source
from allyreport.rules.ruleset import compile_rules, default_rules_text

from .conftest import NotesWriter, run_cli
from .support import account, acme, insight, keys, note
from .test_engine import INSIGHT_CASES
from .test_people import PEOPLE_INSIGHT_CASES


def trust(r: int = 8, c: int = 8, i: int = 8, s: int = 4) -> str:
    return f"trust: {{reliability: {r}, credibility: {c}, intimacy: {i}, self_orientation: {s}}}\n"


def failed(v: Verdict, level: str) -> list[tuple[str, str]]:
    """The conditions `level` lacked, with the rule's reason for each."""
    checks = next(checks for lv, checks in v.higher if lv.key == level)
    return [(c.text, c.reason) for c in checks if not c.holds]


def level_of(write_notes: NotesWriter, notes: dict[str, str], model: str, **fields: str) -> str:
    return acme(write_notes, notes, model=model, **fields).level.key


# -- the pyramid: partner and trusted advisor need real trust ------------------------------------

def partner_notes(tq_trust: str, *, price: int = 0, actions: str = "") -> dict[str, str]:
    """Four business notes in 2026Q3: strategy half of them, coaching from the client, one trust reading."""
    return {
        "2026-07-01": note("2026-07-01", "problem", price=price >= 1, extra=tq_trust + actions),
        "2026-07-08": note("2026-07-08", "problem", price=price >= 2),
        "2026-07-15": note("2026-07-15", "strategy", price=price >= 3),
        "2026-07-22": note("2026-07-22", "strategy", extra="signals: [coaching]\n"),
    }


def test_partner_at_the_trust_floor_and_just_under_it(write_notes: NotesWriter) -> None:
    at_floor = acme(write_notes, partner_notes(trust(8, 8, 8, 6)), model="pyramid")  # 24 / 6 = 4.0
    assert (at_floor.level.key, at_floor.trust.tq) == ("partner", 4.0)
    under = acme(write_notes, partner_notes(trust(8, 8, 7, 6)), model="pyramid")  # 23 / 6 = 3.83
    assert under.level.key == "consultant"
    assert failed(under, "partner") == [("tq >= 4", "the trust quotient is 3.83, under the floor of 4")]


def test_comfort_with_commitments_missed_is_not_a_partner(write_notes: NotesWriter) -> None:
    # The review's case: TQ 2.5 with 0 of 3 firm commitments kept read as Partner.
    missed = "actions:\n" + "".join(f"  - do: Report {d}\n    by: 2026-07-1{d}\n" for d in (1, 2, 3))
    v = acme(write_notes, partner_notes(trust(5, 5, 5, 6), actions=missed), model="pyramid")
    assert v.level.key == "consultant"
    assert failed(v, "partner") == [("tq >= 4", "the trust quotient is 2.50, under the floor of 4"),
                                    ("reliability_kept >= 0.8", "0 of 3 firm commitments were kept")]


def test_a_price_driven_window_is_no_partnership(write_notes: NotesWriter) -> None:
    # Price decided 1 of 4 (under a third): partner. 2 of 4: price-driven, so consultant.
    assert level_of(write_notes, partner_notes(trust(), price=1), "pyramid") == "partner"
    v = acme(write_notes, partner_notes(trust(), price=2), model="pyramid")
    assert (v.level.key, "price-driven" in keys(v)) == ("consultant", True)
    assert failed(v, "partner") == [("price_share < 1/3", "price decided 2 of 4 business conversations")]


def test_trusted_advisor_is_a_partnership_sustained_for_two_windows(write_notes: NotesWriter) -> None:
    advisor = "signals: [personal-confidence]\n" + trust(8, 8, 9, 4)
    notes = partner_notes(trust())
    notes["2026-07-29"] = note("2026-07-29", "strategy", extra=advisor)
    first = acme(write_notes, notes, model="pyramid")  # the account's first quarter: no window before it
    assert first.level.key == "partner"
    assert failed(first, "trusted-advisor") == [(
        "previous_level == 'partner' or previous_level == 'trusted-advisor'",
        "the quarter before was none; the trust has to hold for two windows in a row")]
    notes["2026-10-05"] = note("2026-10-05", "strategy", extra=advisor)
    later = acme(write_notes, notes, quarter="2026Q4", model="pyramid")
    assert [(str(h.quarter), h.level.key) for h in later.history] == [("2026Q3", "partner"), ("2026Q4", "trusted-advisor")]


def test_consultant_needs_a_strategy_share_not_one_strategy_note(write_notes: NotesWriter) -> None:
    notes = {f"2026-07-0{d}": note(f"2026-07-0{d}", "problem") for d in range(1, 8)}
    notes["2026-07-08"] = note("2026-07-08", "strategy")
    v = acme(write_notes, notes, model="pyramid")  # 1 of 8 strategy: a count of one
    assert v.level.key == "problem-solver"
    assert failed(v, "consultant") == [("strategy_share >= 0.25", "only 1 of 8 business conversations were about strategy")]
    notes["2026-07-09"] = note("2026-07-09", "strategy")
    notes.pop("2026-07-07")
    assert level_of(write_notes, notes, "pyramid") == "consultant"  # exactly 2 of 8


# -- the S-curve: above vendor through performance -------------------------------------------------

def curve_notes(reading: str, *, signal: str = "early-warning", actions: str = "") -> dict[str, str]:
    return {
        "2026-07-01": note("2026-07-01", "problem", extra=reading + actions),
        "2026-07-08": note("2026-07-08", "problem"),
        "2026-07-15": note("2026-07-15", "strategy", extra=f"signals: [{signal}]\n"),
    }


def test_confidant_at_the_trust_floor_and_just_under_it(write_notes: NotesWriter) -> None:
    assert level_of(write_notes, curve_notes(trust(6, 6, 6, 6)), "s-curve") == "confidant"  # 18 / 6 = 3.0
    v = acme(write_notes, curve_notes(trust(6, 6, 5, 6)), model="s-curve")  # 17 / 6 = 2.83
    assert v.level.key == "vendor"
    assert failed(v, "confidant") == [("tq >= 3", "the trust quotient is 2.83, under the floor of 3")]


def five_due(kept: int) -> str:
    return "actions:\n" + "".join(
        f"  - do: Deliverable {i}\n    by: 2026-08-0{i}\n    done: 2026-08-0{i if i <= kept else i + 1}\n"
        for i in range(1, 6))


def test_a_miss_is_critical_at_vendor_and_a_warning_at_consultant(write_notes: NotesWriter) -> None:
    confidant = acme(write_notes, curve_notes(trust(), actions=five_due(4)), model="s-curve")
    assert confidant.level.key == "vendor"  # below consultant no miss is forgiven
    assert failed(confidant, "confidant") == [(
        "reliability_kept >= 1", "4 of 5 firm commitments were kept; below consultant a miss is not forgiven")]
    gap = next(i for i in confidant.insights if i.key == "reliability-gap")
    assert (gap.severity, gap.message) == ("critical", "Kept 4 of 5 firm commitments on time (80%).")
    consultant = acme(write_notes, curve_notes(trust(), signal="strategy-input", actions=five_due(4)), model="s-curve")
    gap = next(i for i in consultant.insights if i.key == "reliability-gap")
    assert (consultant.level.key, gap.severity) == ("consultant", "warning")
    assert gap.move.startswith("At Consultant a miss is tolerated")


def vp_notes() -> dict[str, str]:
    return {
        "2026-07-01": note("2026-07-01", "strategy", extra=trust() + "signals: [strategy-input]\n"),
        "2026-07-08": note("2026-07-08", "strategy", extra="signals: [planning-invite]\n"),
        "2026-07-15": note("2026-07-15", "problem", extra="signals: [advocacy]\n"),
    }


def test_virtual_partner_is_not_reached_in_the_first_window(write_notes: NotesWriter) -> None:
    first = acme(write_notes, vp_notes(), model="s-curve")
    assert first.level.key == "consultant"
    assert failed(first, "virtual-partner") == [(
        "account_quarters >= 2", "this is the account's first window; a virtual partnership is reached over time")]
    notes = {**vp_notes(), "2026-05-04": note("2026-05-04", "problem")}  # the first conversation a quarter earlier
    assert level_of(write_notes, notes, "s-curve") == "virtual-partner"


def test_virtual_partner_is_mutual(write_notes: NotesWriter) -> None:
    notes = {**vp_notes(), "2026-05-04": note("2026-05-04", "problem")}
    notes["2026-07-15"] = note("2026-07-15", "problem")  # the client's advocacy gone
    v = acme(write_notes, notes, model="s-curve")
    assert v.level.key == "consultant"
    assert [text for text, _ in failed(v, "virtual-partner")] == [
        "signal_reference_given + signal_referral_made + signal_coaching + signal_advocacy >= 1"]


# -- social time builds no business level; price caps the top ------------------------------------

ALL_SIGNALS = ("signals: [reference-given, coaching, advocacy, planning-invite, early-warning, strategy-input, "
               "personal-confidence]\n")


@pytest.mark.parametrize(("model", "plain", "with_business_signals"), [
    ("ally", "solution-provider", "solution-provider"),
    ("pyramid", "consultant", "partner"),
    ("s-curve", "vendor", "consultant"),
])
def test_signals_on_a_social_note_raise_no_level(write_notes: NotesWriter, model: str, plain: str,
                                                 with_business_signals: str) -> None:
    notes = {
        "2026-07-01": note("2026-07-01", "problem", extra=trust()),
        "2026-07-08": note("2026-07-08", "strategy"),
        "2026-07-15": note("2026-07-15", "problem"),
    }
    assert level_of(write_notes, notes, model) == plain
    notes["2026-08-01"] = note("2026-08-01", "social", extra=ALL_SIGNALS)
    v = acme(write_notes, notes, model=model)
    assert (v.level.key, v.window.values["social_signals"], v.window.values["signal_coaching"]) == (plain, 7, 0)
    notes["2026-08-01"] = note("2026-08-01", "problem", extra=ALL_SIGNALS)  # the same moment, about business
    assert level_of(write_notes, notes, model) == with_business_signals


def top_notes(priced: int) -> dict[str, str]:
    """An account that would be at the top of every model, with price deciding `priced` of 4."""
    signals = "signals: [strategy-input, planning-invite, coaching, personal-confidence]\n"
    notes = {"2026-02-02": note("2026-02-02", "problem")}  # an older account: not its first window
    for i, day in enumerate(("2026-07-01", "2026-07-08", "2026-07-15", "2026-07-22")):
        notes[day] = note(day, "strategy", by="us", price=i < priced, extra=signals + trust(8, 8, 9, 3))
    return notes


@pytest.mark.parametrize(("model", "top", "half", "capped"), [
    ("ally", "ally", "ally", "solution-provider"),
    ("pyramid", "partner", "consultant", "problem-solver"),
    ("s-curve", "virtual-partner", "virtual-partner", "confidant"),
])
def test_price_deciding_most_conversations_caps_every_model(write_notes: NotesWriter, model: str, top: str,
                                                            half: str, capped: str) -> None:
    assert level_of(write_notes, top_notes(0), model) == top
    assert level_of(write_notes, top_notes(2), model) == half  # exactly half is not most
    v = acme(write_notes, top_notes(3), model=model)
    assert v.level.key == capped
    for _, checks in v.higher:  # every level above names price as a reason it is out of reach
        assert "price decided 3 of 4 business conversations" in {c.reason for c in checks if not c.holds}


def test_explain_and_levels_json_say_price_is_why(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({"acme/account.md": account(), **{f"acme/{d}.md": t for d, t in top_notes(3).items()}})
    result = run_cli("explain", "acme", "--quarter", "2026Q3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[lines.index("Not ally, because:") + 1] == (
        "  ✗ price_share <= 0.5    (price_share = 0.75): price decided 3 of 4 business conversations")
    result = run_cli("levels", "--json", "--quarter", "2026Q3", cwd=tmp_path)
    (entry,) = json.loads(result.stdout)
    assert entry["explanation"]["not_higher"] == [{"level": "ally", "failed": [{
        "condition": "price_share <= 0.5", "holds": False, "values": {"price_share": 0.75},
        "reason": "price decided 3 of 4 business conversations"}]}]
    assert {k: entry["metrics"][k] for k in ("price_count", "account_quarters", "social_signals", "reviewed_on")} == {
        "price_count": 3, "account_quarters": 3, "social_signals": 0, "reviewed_on": "never"}


# -- comfort is not trust ----------------------------------------------------------------------------

def comfortable(signal: str = "") -> dict[str, str]:
    extra = f"signals: [{signal}]\n" if signal else ""
    return {
        "2026-07-01": note("2026-07-01", "service", extra=trust(7, 7, 7, 4)),
        "2026-07-08": note("2026-07-08", "service", extra=extra),
        "2026-07-15": note("2026-07-15", "service"),
    }


def test_comfort_without_evidence_of_trust(write_notes: NotesWriter) -> None:
    # Two signs of comfort: eight quarters a client (since 2024Q4) and intimacy 7.
    v = acme(write_notes, comfortable(), more="since: 2024-10-01\n")
    message, evidence = insight(v, "comfort-not-trust")
    assert message == (
        "The relationship is comfortable (0 of 3 conversations social, intimacy 7.0, 8 quarters a client, "
        "0 deliveries in the window) but shows no sign of trust: no early warning, planning invitation, strategy "
        "question, reference, referral or confidence.")
    assert [(e.path, e.line) for e in evidence] == [("notes/acme/account.md", 8), ("notes/acme/2026-07-01.md", 7)]


def test_one_sign_of_comfort_or_any_evidence_of_trust_is_not_comfort_not_trust(write_notes: NotesWriter) -> None:
    assert "comfort-not-trust" not in keys(acme(write_notes, comfortable(), more="since: 2025-01-01\n"))  # 7 quarters
    for signal in ("early-warning", "referred-elsewhere"):
        assert "comfort-not-trust" not in keys(acme(write_notes, comfortable(signal), more="since: 2024-10-01\n"))


# -- the S-curve's drop ----------------------------------------------------------------------------

def fallen(last: str) -> dict[str, str]:
    """Consultant in 2025Q3 only (a strategy question on problem work), vendor from 2025Q4 to `last`."""
    notes = {f"2025-07-0{d}": note(f"2025-07-0{d}", "problem", extra=trust() if d == 1 else
                                   "signals: [strategy-input]\n" if d == 2 else "") for d in (1, 2, 3)}
    for q, month in (("2025", 10), ("2026", 1), ("2026", 4), ("2026", 7), ("2026", 10)):
        if f"{q}-{month:02d}" > last:
            break
        notes.update({f"{q}-{month:02d}-0{d}": note(f"{q}-{month:02d}-0{d}", "service") for d in (1, 2, 3, 4)})
    return notes


def test_a_fall_from_consultant_four_quarters_back_says_change_the_offering(write_notes: NotesWriter) -> None:
    v = acme(write_notes, fallen("2026-07"), model="s-curve", relevance="declining")
    assert [h.level.key for h in v.history] == ["consultant", "vendor", "vendor", "vendor", "vendor"]
    found = next(i for i in v.insights if i.key == "next-curve")
    assert (found.severity, found.message) == (
        "warning", "Down from consultant within the last four quarters, with relevance declining: the old curve is ending.")
    assert v.move == found.move
    assert v.move.startswith("Change or add an offering; the old curve is ending.")
    assert v.target == v.level  # not "climb to confidant again"
    later = acme(write_notes, fallen("2026-10"), quarter="2026Q4", model="s-curve", relevance="declining")
    assert "next-curve" not in keys(later)  # five quarters back: out of the lookback
    assert "next-curve" not in keys(acme(write_notes, fallen("2026-07"), model="s-curve"))  # relevance steady


def test_next_curve_at_consultant_whatever_the_relevance(write_notes: NotesWriter) -> None:
    notes = curve_notes(trust(), signal="strategy-input")
    for relevance, severity in (("rising", "info"), ("steady", "warning"), ("declining", "warning")):
        v = acme(write_notes, notes, model="s-curve", relevance=relevance)
        assert (v.level.key, next(i.severity for i in v.insights if i.key == "next-curve")) == ("consultant", severity)


# -- a referral lets you start high ----------------------------------------------------------------

INTRODUCED = "introduced_by: {name: Ann Lee, role: CFO of the parent group}\n"


@pytest.mark.parametrize(("model", "start"), [("ally", "solution-provider"), ("pyramid", "consultant"),
                                              ("s-curve", "confidant")])
def test_a_referral_is_rated_from_its_first_conversation(write_notes: NotesWriter, model: str, start: str) -> None:
    notes = {"2026-08-03": note("2026-08-03", "service")}
    v = acme(write_notes, notes, model=model, more=INTRODUCED)
    assert (v.level.key, v.referred) == (start, True)
    assert [c.text for c in v.finding.checks] == ["introduced >= 1", "account_quarters <= 1", "business >= 1"]
    assert level_of(write_notes, notes, model) == "unrated"  # without the introduction
    notes["2026-10-05"] = note("2026-10-05", "service")  # the second window: the normal rules (2 of 3 needed)
    later = acme(write_notes, notes, quarter="2026Q4", model=model, more=INTRODUCED)
    assert (later.level.key, later.referred, later.history[0].referred) == ("unrated", False, True)


def test_explain_says_the_account_started_through_a_referral(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({"acme/account.md": account(more=INTRODUCED), "acme/2026-08-03.md": note("2026-08-03", "problem")})
    result = run_cli("explain", "acme", "--quarter", "2026Q3", "--model", "pyramid", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("  started high through a referral by Ann Lee (CFO of the parent group): rated from the first business "
            "conversation; from the next window on, the normal rules apply") in result.stdout.splitlines()


# -- a relationship plan judged by substance -----------------------------------------------------------

ONLY_FAILING = """\
plan:
  - do: Lunch with Tom to catch up
    kind: invest
  - do: Send Priya our benchmark
    by: 2026-10-15
    kind: invest
"""


def test_a_plan_of_only_failing_investments_is_a_sales_plan(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "problem")}, plan=ONLY_FAILING)
    assert (v.window.values["open_invest"], v.window.values["open_untested"]) == (0, 2)
    assert insight(v, "sales-plan")[0] == (
        "0 open sell action(s) and 2 investment(s) passing none of the three tests, against 0 investment(s) in the "
        "relationship.")
    failing = next(i for i in v.insights if i.key == "failing-tests")
    assert failing.severity == "warning"
    assert insight(v, "vague-plan") == (
        "1 investment(s) are visits, lunches or intentions without a date: going to see someone in the hope that a "
        "job comes of it.", (acme_plan_line(9),))


def acme_plan_line(line: int) -> Source:
    return Source("notes/acme/account.md", line, None)


def test_a_dated_visit_is_not_vague_but_an_undated_intention_is(write_notes: NotesWriter) -> None:
    plan = """\
plan:
  - do: Visit the Leeds plant with Tom
    by: 2026-10-20
    kind: invest
    tests: [own-time, learn]
"""
    assert "vague-plan" not in keys(acme(write_notes, {"2026-07-01": note("2026-07-01", "problem")}, plan=plan))
    plan = plan.replace("    by: 2026-10-20\n", "    commitment: intention\n").replace("Visit the Leeds plant", "Map the line")
    assert "vague-plan" in keys(acme(write_notes, {"2026-07-01": note("2026-07-01", "problem")}, plan=plan))


def test_dormant_and_unrated_moves_name_a_conversation_not_a_frequency() -> None:
    ruleset, _ = compile_rules([("default.yaml", default_rules_text())])
    assert ruleset is not None
    moves = [r.move for r in ruleset.insights if r.key == "dormant"]
    moves += [m.level("unrated").move for m in ruleset.models.values()]
    for move in moves:
        assert "conversation about" in move
        assert not any(word in move.split() for word in ("every", "month", "monthly", "week", "three", "frequency"))


# -- allies are kept: profile and feedback; business development at each level ---------------------------

@pytest.mark.parametrize(("reviewed", "stale"), [("2026-03-31", True), ("2026-04-01", False)])
def test_a_profile_older_than_two_quarters_is_stale(write_notes: NotesWriter, reviewed: str, stale: bool) -> None:
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "service")}, more=f"reviewed: {reviewed}\n")
    assert ("stale-profile" in keys(v)) == stale
    if stale:
        assert insight(v, "stale-profile") == (
            "The profile of where the client is heading was last revisited on 2026-03-31, 183 days before the "
            "window's end.", (acme_plan_line(8),))


def test_a_missing_profile_review_is_stale_from_solution_provider_up(write_notes: NotesWriter) -> None:
    service = {f"2026-07-0{d}": note(f"2026-07-0{d}", "service") for d in (1, 2, 3)}
    assert "stale-profile" not in keys(acme(write_notes, service))  # service source
    problems = {f"2026-07-0{d}": note(f"2026-07-0{d}", "problem") for d in (1, 2, 3)}
    assert insight(acme(write_notes, problems), "stale-profile")[0] == (
        "account.md has no `reviewed:` date: at Solution Provider the profile of where the client is heading should "
        "be revisited at least every two quarters.")


@pytest.mark.parametrize(("asked", "fires"), [("2025-09-30", True), ("2025-10-01", False)])
def test_a_year_at_the_top_without_asking_for_feedback(write_notes: NotesWriter, asked: str, fires: bool) -> None:
    notes = {f"2026-07-0{d}": note(f"2026-07-0{d}", "problem") for d in (1, 2, 3)}
    notes[asked] = note(asked, "social", extra="signals: [feedback-asked]\n")  # asked over dinner still counts
    v = acme(write_notes, notes)
    assert ("no-feedback" in keys(v)) == fires
    if fires:
        assert insight(v, "no-feedback")[0] == (
            "365 days without asking this client for candid feedback on our work (feedback we gave them last "
            "recorded: never).")


def test_feedback_never_asked_is_not_told_as_a_date(write_notes: NotesWriter) -> None:
    """No note records feedback: the insight and the explanation say so, never "last asked N days ago"."""
    notes = {f"2026-07-0{d}": note(f"2026-07-0{d}", "problem") for d in (1, 2, 3)}
    notes["2025-09-30"] = note("2025-09-30", "social", extra="signals: [feedback-given]\n")
    v = acme(write_notes, notes)
    assert insight(v, "no-feedback")[0] == (
        "No note records asking this client for candid feedback on our work, in 365 days since the first note "
        "(feedback we gave them last recorded: 2025-09-30).")
    assert (v.window.values["feedback_asked_on"], v.window.values["feedback_given_on"]) == ("never", "2025-09-30")


def test_a_pitch_we_opened_that_went_to_tender(write_notes: NotesWriter) -> None:
    notes = {f"2026-07-0{d}": note(f"2026-07-0{d}", "service") for d in (1, 2)}
    notes["2026-07-03"] = note("2026-07-03", "service", by="us", extra="signals: [competitive-bid]\n")
    v = acme(write_notes, notes)
    found = next(i for i in v.insights if i.key == "pitch-to-tender")
    assert (found.message, found.move) == (
        "1 pitch(es) we opened on a service or problem went to a tender: as a Service Source, telling the client what "
        "it needs is met with \"says who?\" or \"what's your point?\".", v.level.move)
    notes["2026-07-03"] = note("2026-07-03", "service", extra="signals: [competitive-bid]\n")  # the client's tender
    assert "pitch-to-tender" not in keys(acme(write_notes, notes))


# One case per shipped insight (shared or a model's own), here, in test_engine or in test_people.
FIDELITY_CASES = {
    "comfort-not-trust": test_comfort_without_evidence_of_trust,
    "vague-plan": test_a_plan_of_only_failing_investments_is_a_sales_plan,
    "stale-profile": test_a_profile_older_than_two_quarters_is_stale,
    "no-feedback": test_a_year_at_the_top_without_asking_for_feedback,
    "pitch-to-tender": test_a_pitch_we_opened_that_went_to_tender,
    "next-curve": test_a_fall_from_consultant_four_quarters_back_says_change_the_offering,
}


def test_every_shipped_insight_has_a_case() -> None:
    ruleset, _ = compile_rules([("default.yaml", default_rules_text())])
    assert ruleset is not None
    shipped = {r.key for r in ruleset.insights} | {r.key for m in ruleset.models.values() for r in m.insights}
    assert sorted(INSIGHT_CASES.keys() | PEOPLE_INSIGHT_CASES.keys() | FIDELITY_CASES.keys()) == sorted(shipped)


# -- what the pages say ----------------------------------------------------------------------------

def test_the_pages_say_referral_ally_behaviour_and_the_new_curve(write_notes: NotesWriter, tmp_path: Path) -> None:
    files = {f"fallen/{d}.md": t for d, t in fallen("2026-07").items()}
    files["fallen/account.md"] = account(relevance="declining").replace("Acme Foods", "Fallen")
    files["referred/account.md"] = account(plan=ONLY_FAILING, more=INTRODUCED).replace("Acme Foods", "Referred")
    files["referred/2026-08-03.md"] = note("2026-08-03", "problem", extra="signals: [referred-elsewhere]\n")
    files["referred/2026-08-20.md"] = note("2026-08-20", "social", extra="signals: [personal-confidence]\n")
    write_notes(files)
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", "--model", "s-curve",
                     "--quarter", "2026Q3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    review = " ".join((tmp_path / "out" / "accounts" / "referred.html").read_text("utf-8").split())
    assert ("Started at Confidant through a referral by Ann Lee (CFO of the parent group): rated from the first "
            "business conversation. From the next window on, the normal rules apply.") in review
    assert "<strong>Ally behaviour:</strong> we sent the client to another firm 1 time in the window" in review
    assert "Personal rapport: 1 signal on social notes in the window." in review
    plan = " ".join((tmp_path / "out" / "plans" / "fallen.html").read_text("utf-8").split())
    assert '<p class="advice">Change or add an offering; the old curve is ending.' in plan
    assert "Act like a" not in plan  # not the next rung of the same curve
    plan = " ".join((tmp_path / "out" / "plans" / "referred.html").read_text("utf-8").split())
    sales = plan.split('id="sell"')[1].split("</section>")[0]
    assert "Lunch with Tom to catch up <span class=\"quiet\">(invest, passing none of the three tests)</span>" in sales
    assert "No open investment in this relationship." in plan


def test_the_review_pdf_says_the_referral_and_that_price_is_why(write_notes: NotesWriter, tmp_path: Path) -> None:
    files = {f"priced/{d}.md": t for d, t in top_notes(3).items()}
    files["priced/account.md"] = account().replace("Acme Foods", "Priced")
    files["referred/account.md"] = account(more=INTRODUCED).replace("Acme Foods", "Referred")
    files["referred/2026-08-03.md"] = note("2026-08-03", "problem")
    write_notes(files)
    result = run_cli("build", "--notes", "notes", "--out", "out", "--model", "pyramid", "--quarter", "2026Q3",
                     "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    def words(name: str) -> str:
        pdf = tmp_path / "out" / "pdf" / f"{name}-review.pdf"
        return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)

    assert ("Started at Consultant through a referral by Ann Lee (CFO of the parent group): rated from the first "
            "business conversation.") in words("referred")
    assert "price decided 3 of 4 business conversations" in words("priced")
