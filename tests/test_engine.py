"""The rules as shipped, on boundary cases written as notes: levels, trust, insights and their evidence.

Each case is a handful of notes written inline in the notes' own format. `note()` writes the
usual frontmatter so the lines are known: date 2, with 3, context 4, opened_by 5, price 6,
and whatever `extra` adds from line 7 (trust readings, actions).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allyreport.core.quarters import Quarter
from allyreport.notes.data import Account, Note, Portfolio
from allyreport.notes.schema import AccountMeta, NoteMeta
from allyreport.rules.engine import Verdict
from allyreport.rules.judge import evaluate
from allyreport.rules.metrics import Source
from allyreport.rules.ruleset import compile_rules, default_rules_text

from .conftest import NotesWriter
from .support import account, acme, insight, judge, keys, note, src

# -- the ally model: levels -------------------------------------------------------------------


def test_exactly_half_strategy_opened_by_us_is_ally(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "strategy", by="us"),
        "2026-07-15": note("2026-07-15", "strategy"),
        "2026-08-01": note("2026-08-01", "service"),
        "2026-08-15": note("2026-08-15", "service"),
    })
    assert (v.level.key, v.level.wins_work_by) == ("ally", "demonstrated alignment")
    assert [c.holds for c in v.finding.checks] == [True, True, True, True]


def test_just_under_half_strategy_is_not_ally(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "strategy", by="us"),
        "2026-07-15": note("2026-07-15", "strategy"),
        "2026-08-01": note("2026-08-01", "problem"),
        "2026-08-15": note("2026-08-15", "service"),
        "2026-09-01": note("2026-09-01", "service"),
    })
    assert (v.level.key, v.level.wins_work_by) == ("solution-provider", "perceived expertise")
    (ally, checks), = v.higher
    assert ally.key == "ally"
    assert [(c.text, c.holds, c.values) for c in checks if not c.holds] == [
        ("strategy_share >= 0.5", False, (("strategy_share", 0.4),))]


def test_ally_needs_a_strategy_conversation_we_opened(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {f"2026-07-0{d}": note(f"2026-07-0{d}", "strategy") for d in (1, 2, 3)})
    assert v.level.key == "solution-provider"
    failed = [c.text for _, checks in v.higher for c in checks if not c.holds]
    assert failed == ["strategy_opened_by_us >= 1"]


def test_social_conversations_are_not_business(write_notes: NotesWriter) -> None:
    # 2 strategy of 3 business: ally. Were the 2 social notes business, it would be 2 of 5.
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "strategy", by="us"),
        "2026-07-10": note("2026-07-10", "strategy"),
        "2026-07-20": note("2026-07-20", "service"),
        "2026-08-01": note("2026-08-01", "social"),
        "2026-08-10": note("2026-08-10", "social"),
    })
    assert (v.level.key, v.window.values["business"], v.window.values["notes"]) == ("ally", 3, 5)


def test_three_business_conversations_are_enough_to_rate(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {f"2026-07-0{d}": note(f"2026-07-0{d}", "service") for d in (1, 2, 3)})
    assert (v.level.key, v.level.wins_work_by) == ("service-source", "price")


def test_two_business_conversations_are_unrated(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "strategy", by="us"),
        "2026-07-02": note("2026-07-02", "strategy", by="us"),
        "2026-07-03": note("2026-07-03", "social"),
    })
    assert (v.level.key, v.level.rated) == ("unrated", False)
    assert v.next_level is not None
    assert v.next_level.key == "service-source"


def test_a_social_only_quarter_is_unrated_with_social_drift(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {f"2026-08-0{d}": note(f"2026-08-0{d}", "social") for d in (1, 2, 3, 4)})
    assert v.level.key == "unrated"
    assert keys(v) == {"social-drift"}  # single-threaded reads business conversations only
    assert insight(v, "social-drift")[0] == "4 of 4 conversations were social: a friendship, not a business relationship."


def test_the_window_is_the_quarter_and_the_one_before(write_notes: NotesWriter) -> None:
    # Q2's window (Q1 + Q2) holds 3 business notes, 1 of them strategy; Q3's window holds Q2's two
    # service notes and its own one: the strategy note in Q1 has left it.
    v = acme(write_notes, {
        "2026-03-31": note("2026-03-31", "strategy", by="us"),
        "2026-04-01": note("2026-04-01", "service"),
        "2026-06-30": note("2026-06-30", "service"),
        "2026-09-30": note("2026-09-30", "service"),
    })
    assert (v.window.start, v.window.end) == (dt.date(2026, 4, 1), dt.date(2026, 9, 30))
    assert [(str(h.quarter), h.level.key, h.notes) for h in v.history] == [
        ("2026Q1", "unrated", 1), ("2026Q2", "service-source", 2), ("2026Q3", "service-source", 1)]
    assert v.window.values["strategy"] == 0


# -- trust -----------------------------------------------------------------------------------


def test_trust_quotient_from_the_factor_means(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "problem", extra="""
            trust: {reliability: 6, credibility: 7, intimacy: 8, character: 9, self_orientation: 4}
            """),
        "2026-08-01": note("2026-08-01", "problem", extra="""
            trust: {reliability: 8, credibility: 7, intimacy: 6, self_orientation: 2}
            """),
    })
    t = v.trust
    assert (t.reliability, t.credibility, t.intimacy, t.character, t.self_orientation) == (7, 7, 7, 9, 3)
    assert (t.tq, t.tq_plus, t.readings) == (7.0, 10.0, 2)  # 21 / 3 and (21 + 9) / 3


def test_without_character_there_is_no_tq_plus(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "problem", extra="""
        trust: {reliability: 5, credibility: 6, intimacy: 4, self_orientation: 5}
        """)})
    assert (v.trust.tq, v.trust.tq_plus, v.trust.character) == (3.0, None, None)
    assert v.trust.weakest == "intimacy"


def test_without_readings_trust_is_empty(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "problem")})
    assert (v.trust.tq, v.trust.reliability, v.trust.readings, v.trust.weakest) == (None, None, 0, None)


COMMITMENTS = """
    actions:
      - do: Send the proposal
        by: 2026-07-10
        done: {first}
      - do: Share the benchmark
        by: 2026-07-20
        done: 2026-07-20
      - do: Intro to our data team
        by: 2026-07-20
        commitment: best-effort
      - do: Maybe a workshop
        by: 2026-07-25
        commitment: intention
    """


def test_a_commitment_done_on_its_date_is_kept(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "problem", extra=COMMITMENTS.format(first="2026-07-10"))})
    assert (v.window.values["firm_due"], v.window.values["firm_kept"], v.trust.reliability_kept) == (2, 2, 1.0)
    assert "reliability-gap" not in keys(v)


def test_a_day_late_is_missed_and_cites_the_missed_commitment(write_notes: NotesWriter) -> None:
    # Best-effort and intention, never done, are not held against us: 1 of 2 firm kept.
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "problem", extra=COMMITMENTS.format(first="2026-07-11"))})
    assert v.trust.reliability_kept == 0.5
    assert insight(v, "reliability-gap") == (
        "Kept 1 of 2 firm commitments on time (50%).", (src("2026-07-01", 8),))


def _four_of_five(write_notes: NotesWriter, kept: int) -> Verdict:
    actions = "actions:\n" + "".join(
        f"  - do: Deliverable {i}\n    by: 2026-08-0{i}\n    done: 2026-08-0{i if i <= kept else i + 1}\n"
        for i in range(1, 6))
    return acme(write_notes, {"2026-07-01": note("2026-07-01", "problem", extra=actions)})


def test_exactly_eighty_percent_kept_is_not_a_gap(write_notes: NotesWriter) -> None:
    v = _four_of_five(write_notes, kept=4)
    assert (v.trust.reliability_kept, keys(v) & {"reliability-gap"}) == (0.8, set())


def test_below_eighty_percent_kept_is_a_gap(write_notes: NotesWriter) -> None:
    v = _four_of_five(write_notes, kept=3)
    assert v.trust.reliability_kept == 0.6
    assert insight(v, "reliability-gap")[1] == (src("2026-07-01", 17),)  # the first of the two missed (4 and 5)


# -- insights --------------------------------------------------------------------------------


def test_price_on_exactly_a_third_of_business_is_price_driven(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "service", price=True),
        "2026-07-02": note("2026-07-02", "service"),
        "2026-07-03": note("2026-07-03", "problem"),
        "2026-07-04": note("2026-07-04", "social", price=True),  # social never counts, price or not
    })
    assert insight(v, "price-driven") == ("Price decided 1 of 3 business conversations.", (src("2026-07-01", 6),))


def test_price_on_a_quarter_of_business_is_not_price_driven(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {f"2026-07-0{d}": note(f"2026-07-0{d}", "service", price=d == 1) for d in (1, 2, 3, 4)})
    assert "price-driven" not in keys(v)


def _self_orientation(write_notes: NotesWriter, scores: tuple[int, int]) -> Verdict:
    return acme(write_notes, {
        f"2026-07-0{i}": note(f"2026-07-0{i}", "problem", extra=f"""
            trust: {{reliability: 5, credibility: 5, intimacy: 5, self_orientation: {s}}}
            """) for i, s in enumerate(scores, 1)})


def test_self_orientation_of_exactly_six_is_high(write_notes: NotesWriter) -> None:
    v = _self_orientation(write_notes, (5, 7))
    assert insight(v, "high-self-orientation") == (
        "Self-orientation averaged 6.0 of 10; the meetings were about us.", (src("2026-07-01", 7), src("2026-07-02", 7)))
    assert v.trust.weakest == "self_orientation"


def test_self_orientation_just_under_six_is_not_high(write_notes: NotesWriter) -> None:
    assert "high-self-orientation" not in keys(_self_orientation(write_notes, (5, 6)))


def test_no_note_in_exactly_ninety_days_is_dormant_and_cites_the_last_note(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-05-01": note("2026-05-01", "problem"), "2026-07-02": note("2026-07-02", "problem")})
    assert insight(v, "dormant") == (
        "No note in the last 90 days of the window; the last one was 90 days before its end.",
        (Source("notes/acme/2026-07-02.md", 1, dt.date(2026, 7, 2)),))


def test_a_note_eighty_nine_days_before_the_end_is_not_dormant(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-07-03": note("2026-07-03", "problem")})
    assert (v.window.values["days_since_last_note"], "dormant" in keys(v)) == (89, False)


def test_one_stakeholder_met_is_single_threaded(write_notes: NotesWriter) -> None:
    notes = {f"2026-07-0{d}": note(f"2026-07-0{d}", "problem") for d in (1, 2)}
    v = acme(write_notes, notes)
    assert insight(v, "single-threaded")[1] == (src("2026-07-01", 3), src("2026-07-02", 3))
    notes["2026-07-03"] = note("2026-07-03", "problem", who="Priya Raman")
    assert "single-threaded" not in keys(acme(write_notes, notes))


PLAN = """\
plan:
  - do: Propose phase two
    kind: sell
  - do: Host a warehouse workshop
    kind: invest
    tests: [own-time, learn, illustrate]
"""


def test_more_open_sell_than_invest_across_plan_and_notes_is_a_sales_plan(write_notes: NotesWriter) -> None:
    # Open at the end of 2026Q3: the plan's sell and invest, plus the note's sell (done only in Q4).
    notes = {"2026-07-01": note("2026-07-01", "problem", extra="""
        actions:
          - do: Pitch the analytics add-on
            kind: sell
            done: 2026-10-05
          - do: Pitch the audit
            kind: sell
            done: 2026-07-20
        """)}
    v = acme(write_notes, notes, plan=PLAN)
    assert insight(v, "sales-plan") == (
        "2 open sell action(s) and 0 investment(s) passing none of the three tests, against 1 investment(s) "
        "in the relationship.",
        (Source("notes/acme/account.md", 9, None), src("2026-07-01", 8)))
    later = acme(write_notes, notes, quarter="2026Q4", plan=PLAN)
    assert "sales-plan" not in keys(later)  # by the end of Q4 the add-on was pitched: 1 sell, 1 invest


def test_an_investment_missing_a_test_fails_the_tests(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "problem", extra="""
        actions:
          - do: Free data audit
            kind: invest
            tests: [own-time, learn]
        """)}, plan=PLAN)
    message, evidence = insight(v, "failing-tests")
    assert (message, evidence) == (
        "1 investment(s) do not pass all three tests (own time, learn, illustrate).", (src("2026-07-01", 8),))
    assert "sales-plan" not in keys(v)  # 1 sell against 2 investments


def test_declining_relevance_is_flagged_from_account_md(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {"2026-07-01": note("2026-07-01", "problem")}, relevance="declining")
    assert insight(v, "relevance-declining") == (
        "Our offerings are losing relevance to this client.", (Source("notes/acme/account.md", 4, None),))


def test_social_on_exactly_half_of_all_conversations_is_social_drift(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "social"),
        "2026-07-02": note("2026-07-02", "social"),
        "2026-07-03": note("2026-07-03", "problem"),
        "2026-07-04": note("2026-07-04", "service"),
    })
    assert insight(v, "social-drift") == (
        "2 of 4 conversations were social: a friendship, not a business relationship.",
        (src("2026-07-01", 4), src("2026-07-02", 4)))


def test_social_on_a_third_of_conversations_is_not_social_drift(write_notes: NotesWriter) -> None:
    v = acme(write_notes, {
        "2026-07-01": note("2026-07-01", "social"),
        "2026-07-03": note("2026-07-03", "problem"),
        "2026-07-04": note("2026-07-04", "service"),
    })
    assert "social-drift" not in keys(v)


# One case per shipped insight; test_fidelity's last test makes a new shipped insight without a case fail.
INSIGHT_CASES = {
    "price-driven": test_price_on_exactly_a_third_of_business_is_price_driven,
    "high-self-orientation": test_self_orientation_of_exactly_six_is_high,
    "reliability-gap": test_a_day_late_is_missed_and_cites_the_missed_commitment,
    "sales-plan": test_more_open_sell_than_invest_across_plan_and_notes_is_a_sales_plan,
    "failing-tests": test_an_investment_missing_a_test_fails_the_tests,
    "dormant": test_no_note_in_exactly_ninety_days_is_dormant_and_cites_the_last_note,
    "single-threaded": test_one_stakeholder_met_is_single_threaded,
    "relevance-declining": test_declining_relevance_is_flagged_from_account_md,
    "social-drift": test_social_on_exactly_half_of_all_conversations_is_social_drift,
}


# test_fidelity.test_every_shipped_insight_has_a_case checks these with the other modules' cases.


# -- time ------------------------------------------------------------------------------------


def _quarters(write_notes: NotesWriter, contexts: dict[str, list[str]], quarter: str = "2026Q3") -> Verdict:
    """Notes by quarter: {'2026Q1': ['service', 'strategy:us', ...]}; the model window is set to 1 quarter."""
    notes = {}
    for q, items in contexts.items():
        start = Quarter.parse(q).start
        for i, item in enumerate(items):
            day = (start + dt.timedelta(days=i)).isoformat()
            context, _, by = item.partition(":")
            notes[day] = note(day, context, by=by or "client")
    one_quarter = """
        models:
          ally-1:
            window: 1
            levels:
              - {key: ally, when: [business >= 3, strategy_share >= 0.5, strategy_opened_by_us >= 1]}
              - {key: solution-provider, when: [business >= 3, problem_share + strategy_share >= 0.5]}
              - {key: service-source, when: business >= 3}
              - {key: unrated, rated: false, when: true}
        """
    return acme(write_notes, notes, quarter=quarter, model="ally-1", rules=one_quarter)


def test_movement_up_down_same_and_new(write_notes: NotesWriter) -> None:
    contexts = {
        "2026Q1": ["service"] * 3,
        "2026Q2": ["strategy:us", "strategy", "problem"],
        "2026Q3": ["problem", "problem", "service"],
    }
    assert [(str(h.quarter), h.level.key) for h in _quarters(write_notes, contexts).history] == [
        ("2026Q1", "service-source"), ("2026Q2", "ally"), ("2026Q3", "solution-provider")]
    assert [_quarters(write_notes, contexts, q).movement for q in ("2026Q1", "2026Q2", "2026Q3")] == ["new", "up", "down"]
    contexts["2026Q4"] = ["problem", "strategy", "service"]
    v = _quarters(write_notes, contexts, "2026Q4")
    assert (v.movement, v.previous and v.previous.key) == ("same", "solution-provider")


def test_a_past_quarter_ignores_later_notes(write_notes: NotesWriter) -> None:
    contexts = {"2026Q1": ["service"] * 3, "2026Q2": ["strategy:us"] * 3}
    v = _quarters(write_notes, contexts, "2026Q1")
    assert (v.level.key, len(v.account.notes), [str(h.quarter) for h in v.history]) == ("service-source", 3, ["2026Q1"])
    assert v.window.values["days_since_last_note"] == 87  # from 2026-01-03 to 2026-03-31, not from the Q2 notes


# -- the other shipped models ----------------------------------------------------------------


GOOD_TRUST = "trust: {reliability: 8, credibility: 8, intimacy: 8, self_orientation: 4}\n"


def test_pyramid_levels(write_notes: NotesWriter) -> None:
    def level(notes: dict[str, str]) -> str:
        return acme(write_notes, notes, model="pyramid").level.key

    service = {f"2026-07-0{d}": note(f"2026-07-0{d}", "service", extra=GOOD_TRUST) for d in (1, 2, 3)}
    assert level(service) == "vendor"
    service["2026-07-04"] = note("2026-07-04", "problem")
    assert level(service) == "vendor"  # 1 of 4 is a problem: 0.25 is under a third
    service["2026-07-05"] = note("2026-07-05", "problem")
    assert level(service) == "problem-solver"  # 2 of 5
    service["2026-07-06"] = note("2026-07-06", "strategy")
    assert level(service) == "problem-solver"  # one strategy note of 6 is a count, not a share (1/6 < 1/4)
    service["2026-07-07"] = note("2026-07-07", "strategy")
    assert level(service) == "consultant"  # problem + strategy 4 of 7, strategy 2 of 7 (0.29)
    service["2026-07-08"] = note("2026-07-08", "strategy", extra="signals: [coaching]\n")
    assert level(service) == "partner"  # TQ 6 over 3 readings, nothing due, no price


def test_s_curve_levels_and_the_next_curve(write_notes: NotesWriter) -> None:
    def verdict(notes: dict[str, str], relevance: str = "steady") -> Verdict:
        return acme(write_notes, notes, model="s-curve", relevance=relevance)

    notes = {f"2026-07-0{d}": note(f"2026-07-0{d}", "problem", extra=GOOD_TRUST) for d in (1, 2, 3)}
    notes["2026-04-01"] = note("2026-04-01", "problem")  # the account began the quarter before
    assert verdict(notes).level.key == "vendor"
    notes["2026-07-04"] = note("2026-07-04", "service", extra="signals: [early-warning]\n")
    v = verdict(notes)
    assert (v.level.key, "next-curve" in keys(v)) == ("confidant", False)
    notes["2026-07-05"] = note("2026-07-05", "strategy", extra="signals: [strategy-input]\n")
    v = verdict(notes)
    assert (v.level.key, "next-curve" in keys(v)) == ("consultant", True)
    notes.update({f"2026-07-0{d}": note(f"2026-07-0{d}", "strategy") for d in (6, 7, 8)})
    notes["2026-07-09"] = note("2026-07-09", "strategy", extra="signals: [planning-invite]\n")
    assert verdict(notes).level.key == "consultant"  # strategy 5 of 10, but nothing shows the client works for us
    notes["2026-08-01"] = note("2026-08-01", "strategy", extra="signals: [reference-given]\n")
    v = verdict(notes, relevance="rising")
    assert (v.level.key, insight(v, "next-curve")[0]) == ("virtual-partner", (
        "Near the top of the curve (virtual-partner) with relevance rising: the time to start the next curve is "
        "while this one still climbs."))
    assert next(i.severity for i in v.insights if i.key == "next-curve") == "info"
    assert insight(verdict(notes), "next-curve")[0] == (
        "Near the top of the curve (virtual-partner) with relevance steady: without business relevance the curve drops.")


def test_an_account_without_notes_is_unrated_and_new(write_notes: NotesWriter, tmp_path: Path) -> None:
    v = judge(write_notes, {"acme/account.md": account()})["acme"]
    assert (v.level.key, v.movement, [str(h.quarter) for h in v.history]) == ("unrated", "new", ["2026Q3"])
    assert keys(v) == {"dormant"}


@pytest.mark.parametrize("model", ["ally", "pyramid", "s-curve"])
def test_history_runs_from_the_first_note_to_the_review_quarter(write_notes: NotesWriter, model: str) -> None:
    v = acme(write_notes, {"2025-11-03": note("2025-11-03", "service"), "2026-08-01": note("2026-08-01", "service")},
             model=model)
    assert [str(h.quarter) for h in v.history] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert [str(q) for q, _ in v.trust_history] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]


# -- properties over any mix of conversations ---------------------------------------------------

CONTEXT_MIX = st.lists(st.tuples(st.sampled_from(["service", "problem", "strategy", "social"]), st.booleans()),
                       max_size=12)


def _level_of(mix: list[tuple[str, bool]]) -> int:
    """The ally-model rank (0 = ally) of an account with these (context, opened by us) notes in 2026Q3."""
    notes = tuple(
        Note(f"notes/acme/{i}.md", "acme",
             NoteMeta(date=dt.date(2026, 7, 1) + dt.timedelta(days=i), context=context, opened_by="us" if ours else "client"),
             "", 1, {})
        for i, (context, ours) in enumerate(mix))
    acme = Account("acme", "notes/acme/account.md", AccountMeta(account="Acme", owner="Dana"), "", 1, notes, {})
    (verdict,), problems = evaluate(Portfolio("notes", (acme,)), _RULES, "ally", Quarter(2026, 3))
    assert problems == []
    return verdict.level.rank


_RULES, _ = compile_rules([("default.yaml", default_rules_text())])
assert _RULES is not None


@settings(max_examples=150, deadline=None)
@given(CONTEXT_MIX)
def test_a_social_conversation_never_changes_the_level(mix: list[tuple[str, bool]]) -> None:
    assert _level_of([*mix, ("social", True)]) == _level_of(mix)


@settings(max_examples=150, deadline=None)
@given(CONTEXT_MIX)
def test_a_strategy_conversation_we_open_never_lowers_the_level(mix: list[tuple[str, bool]]) -> None:
    assert _level_of([*mix, ("strategy", True)]) <= _level_of(mix)
