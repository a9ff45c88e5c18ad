"""A firm's rules file over the shipped one: overrides that change outcomes, and broken files
reported with their exact `path:line`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from allyreport.core.quarters import Quarter
from allyreport.notes.loader import load_notes
from allyreport.rules.judge import evaluate
from allyreport.rules.ruleset import compile_rules, default_rules_text

from .conftest import NotesWriter, run_cli
from .support import account, acme, insight, keys, note, problems, src

PRICE_NOTES = {
    "2026-07-01": note("2026-07-01", "service", price=True),
    "2026-07-02": note("2026-07-02", "service"),
    "2026-07-03": note("2026-07-03", "problem", who="Priya Raman"),
}


# -- overrides --------------------------------------------------------------------------------


def test_a_threshold_change_changes_the_outcome(write_notes: NotesWriter) -> None:
    assert "price-driven" in keys(acme(write_notes, PRICE_NOTES))
    stricter = """
        insights:
          - key: price-driven
            when: price_share >= 1/2
        """
    assert "price-driven" not in keys(acme(write_notes, PRICE_NOTES, rules=stricter))


def test_an_insight_is_updated_field_by_field(write_notes: NotesWriter) -> None:
    v = acme(write_notes, PRICE_NOTES, rules="""
        insights:
          - key: price-driven
            severity: critical
            move: Talk about their margins, not our rates.
        """)
    found = next(i for i in v.insights if i.key == "price-driven")
    assert (found.severity, found.move, found.message, found.evidence) == (
        "critical", "Talk about their margins, not our rates.", "Price decided 1 of 3 business conversations.",
        (src("2026-07-01", 6),))


def test_enabled_false_removes_an_insight(write_notes: NotesWriter) -> None:
    notes = {"2026-07-01": note("2026-07-01", "problem")}
    assert "single-threaded" in keys(acme(write_notes, notes))
    quiet = "insights:\n  - key: single-threaded\n    enabled: false\n"
    assert "single-threaded" not in keys(acme(write_notes, notes, rules=quiet))


def test_a_new_insight_and_a_new_signal_are_added(write_notes: NotesWriter) -> None:
    rules = """
        signals:
          board-invite: We were invited to present to the client's board.
        insights:
          - key: board-access
            title: Board access
            severity: info
            when: signal_board_invite >= 1
            message: Invited to the board {signal_board_invite} time(s).
        """
    notes = {"2026-07-01": note("2026-07-01", "strategy", extra="signals: [board-invite]\n")}
    v = acme(write_notes, notes, rules=rules)
    assert insight(v, "board-access") == ("Invited to the board 1 time(s).", (src("2026-07-01", 7),))


UNDATED_VISIT = """\
plan:
  - do: Go for a walk round the Leeds plant with Tom
    kind: invest
    tests: [own-time, learn]
"""


def test_a_firms_rules_file_can_change_the_words_of_a_vague_plan(write_notes: NotesWriter) -> None:
    """`plans.vague` is data: a firm's words make a vague plan of an undated walk round the
    plant, which the shipped words do not, and `null` leaves only intentions vague."""
    notes = {"2026-07-01": note("2026-07-01", "problem")}
    assert "vague-plan" not in keys(acme(write_notes, notes, plan=UNDATED_VISIT))
    walks = "plans:\n  vague: \\b(walk|tour)\n"
    found = acme(write_notes, notes, plan=UNDATED_VISIT, rules=walks)
    assert "vague-plan" in keys(found)
    assert found.window.values["vague_invest"] == 1
    lunch = UNDATED_VISIT.replace("Go for a walk round the Leeds plant", "Lunch")
    assert "vague-plan" in keys(acme(write_notes, notes, plan=lunch))
    assert "vague-plan" not in keys(acme(write_notes, notes, plan=lunch, rules=walks))
    assert "vague-plan" not in keys(acme(write_notes, notes, plan=lunch, rules="plans:\n  vague: null\n"))


def test_a_model_with_the_same_key_replaces_the_shipped_one(write_notes: NotesWriter) -> None:
    notes = {f"2026-07-0{d}": note(f"2026-07-0{d}", c, by="us") for d, c in ((1, "strategy"), (2, "service"), (3, "service"))}
    assert acme(write_notes, notes).level.key == "service-source"
    generous = """
        models:
          ally:
            title: Our ally model
            levels:
              - key: ally
                when: [business >= 3, strategy_share >= 0.3]
              - key: unrated
                rated: false
                when: true
        """
    v = acme(write_notes, notes, rules=generous)
    assert (v.level.key, v.model.title, [lv.key for lv in v.model.levels]) == ("ally", "Our ally model", ["ally", "unrated"])


def test_a_firms_own_model_is_chosen_by_key(write_notes: NotesWriter) -> None:
    rules = """
        models:
          engagement:
            title: Engagement
            window: 1
            levels:
              - key: engaged
                when: business >= 2
              - key: quiet
                when: true
            insights:
              - key: single-threaded
                when: stakeholders_met == 1 and level == 'engaged'
                message: Engaged, but only through one person.
        """
    v = acme(write_notes, PRICE_NOTES, model="engagement", rules=rules)
    assert (v.level.key, v.model.window, v.next_level and v.next_level.key) == ("engaged", 1, None)
    one = {k: PRICE_NOTES[k] for k in ("2026-07-01", "2026-07-02")}
    assert insight(acme(write_notes, one, model="engagement", rules=rules, relevance="rising"), "single-threaded")[0] == (
        "Engaged, but only through one person.")  # the model's own insight replaces the shared one


def test_a_model_can_be_disabled() -> None:
    texts = [("default.yaml", default_rules_text()), ("rules.yaml", "models:\n  pyramid:\n    enabled: false\n")]
    ruleset, found = compile_rules(texts)
    assert found == []
    assert ruleset is not None
    assert sorted(ruleset.models) == ["ally", "s-curve"]


# -- broken rules files ------------------------------------------------------------------------

BROKEN = {
    "not-a-mapping": ("- price-driven\n",
                      ["rules.yaml:1: a rules file is a mapping (default_model, signals, models, insights), "
                       "but this one is a list"]),
    "unknown-key": ("insights:\n  - key: price-driven\n    wen: price_share > 0.5\n",
                    ["rules.yaml:3: unknown key 'wen'; did you mean 'when'?"]),
    "window": ("models:\n  mine:\n    window: 9\n    levels:\n      - {key: a, when: 'True'}\n",
               ["rules.yaml:3: 'window' must be at most 8, got 9"]),
    "when-missing": ("models:\n  mine:\n    levels:\n      - key: a\n        title: A\n",
                     ["rules.yaml:4: 'when' is required"]),
    "when-item-not-text": ("models:\n  mine:\n    levels:\n      - key: a\n        when:\n"
                           "          - business >= 3\n          - 5\n",
                           ["rules.yaml:7: 'when' item 2 must be text, got the number 5"]),
    "unknown-metric": ("insights:\n  - key: price-driven\n    when:\n      - business >= 1\n      - price_shar >= 0.5\n",
                       ["rules.yaml:5: unknown metric 'price_shar'; did you mean 'price_share'?"]),
    "bad-expression": ("insights:\n  - key: price-driven\n    when: price_share >=\n",
                       ["rules.yaml:3: condition 'price_share >=' is not a valid expression: invalid syntax"]),
    "no-python": ("insights:\n  - key: price-driven\n    when: \"__import__('os').system('true') == 0\"\n",
                  ["rules.yaml:3: condition '__import__('os').system('true') == 0' uses Attribute, which conditions do "
                   "not allow; use metrics, numbers, 'text', comparisons, and/or/not, + - * / // %, if-else and "
                   "min/max/abs/round"]),
    "unknown-function": ("insights:\n  - key: price-driven\n    when: len(notes) > 1\n",
                         ["rules.yaml:3: condition 'len(notes) > 1' calls 'len'; conditions may call only min, max, abs, round"]),
    "text-vs-number": ("insights:\n  - key: relevance-declining\n    when: relevance > 2\n",
                       ["rules.yaml:3: 'relevance' is text; compare it with text such as 'declining'"]),
    "never-that-text": ("insights:\n  - key: relevance-declining\n    when: relevance == 'decling'\n",
                        ["rules.yaml:3: 'relevance' is never 'decling'; did you mean 'declining'?"]),
    "number-vs-text": ("insights:\n  - key: dormant\n    when: business == 'none'\n",
                       ["rules.yaml:3: 'business' is a number; it cannot equal the text 'none'"]),
    "level-in-a-level": ("models:\n  mine:\n    levels:\n      - key: a\n        when: level_rank == 0\n",
                         ["rules.yaml:5: 'level_rank' is known only in insights (the level just assigned); "
                          "a level can read previous_level and previous_rank"]),
    "message-metric": ("insights:\n  - key: price-driven\n    message: Price decided {pric_count} deals.\n",
                       ["rules.yaml:3: message uses unknown metric 'pric_count'; did you mean 'price_count'?"]),
    "message-template": ("insights:\n  - key: price-driven\n    message: Price decided {price_count deals.\n",
                         ["rules.yaml:3: message is not a valid template (expected '}' before end of string); "
                          "write {metric} for a value, {{ and }} for braces"]),
    "message-format": ("insights:\n  - key: relevance-declining\n    message: Relevance {relevance:.0%}\n",
                       ["rules.yaml:3: message cannot be filled: Unknown format code '%' for object of type 'str'"]),
    "severity": ("insights:\n  - key: price-driven\n    severity: high\n",
                 ["rules.yaml:3: severity must be one of critical, warning, info, got 'high'"]),
    "new-insight-incomplete": ("insights:\n  - key: big-deal\n    when: open_sell > 3\n",
                               ["rules.yaml:2: insight 'big-deal' needs message"]),
    "disable-unknown": ("insights:\n  - key: price-drivn\n    enabled: false\n",
                        ["rules.yaml:2: insight 'price-drivn' is disabled but no earlier rules file defines it; "
                         "did you mean 'price-driven'?"]),
    "evidence": ("insights:\n  - key: dormant\n    evidence: [days_since]\n",
                 ["rules.yaml:3: evidence names unknown metric 'days_since'; did you mean 'days_since_last_note'?"]),
    "default-model": ("default_model: alley\n",
                      ["rules.yaml:1: default_model 'alley' is not a model; did you mean 'ally'?"]),
    "duplicate-level": ("models:\n  mine:\n    levels:\n      - {key: a, when: 'True'}\n      - {key: a, when: 'True'}\n",
                        ["rules.yaml:5: level 'a' appears twice in model 'mine' (first on line 4)"]),
    "vague-pattern": ("people:\n  due_percent: 80\nplans:\n  vague: (visit|lunch\n",
                      ["rules.yaml:4: 'vague' is not a valid regular expression: "
                       "missing ), unterminated subpattern at position 0"]),
    "vague-pattern-long": ("plans:\n  vague: " + "a" * 1001 + "\n",
                           ["rules.yaml:2: 'vague' is 1,001 characters long; a pattern may have at most 1,000"]),
    "vague-key": ("plans:\n  vauge: visit\n", ["rules.yaml:2: unknown key 'vauge'"]),
    "bad-key": ("signals:\n  Board Invite: Invited to the board.\n",
                ["rules.yaml:2: signal key 'Board Invite' must be lowercase words joined by hyphens, like early-warning"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_rules_file_is_reported_with_its_line(case: str) -> None:
    text, expected = BROKEN[case]
    assert problems(text) == expected


def test_a_yaml_syntax_error_is_reported_with_line_and_column() -> None:
    found = problems("insights:\n  - key: x\n   when: [\n")
    assert len(found) == 1
    assert found[0].startswith("rules.yaml:3:4: YAML syntax error: ")


def test_every_broken_file_is_reported_at_once() -> None:
    assert problems("insights:\n  - key: dormant\n    wen: days > 90\n", "default_model: 3\n") == [
        "rules.yaml:3: unknown key 'wen'; did you mean 'when'?",
        "other.yaml:1: 'default_model' must be text, got the number 3",
    ]


def test_an_update_is_checked_where_it_was_written() -> None:
    # The message comes from the shipped file; the firm's new condition is checked on its own line.
    assert problems("insights:\n  - key: price-driven\n    title: Price\n    when: price_count > bizness\n") == [
        "rules.yaml:4: unknown metric 'bizness'; did you mean 'business'?"]


def test_the_shipped_rules_are_clean() -> None:
    assert problems() == []


# -- through the real command line -------------------------------------------------------------


def _project(tmp_path: Path, write_notes: NotesWriter, rules: str) -> Path:
    write_notes({"acme/account.md": account(), **{f"acme/{k}.md": v for k, v in PRICE_NOTES.items()}})
    (tmp_path / "allyreport.toml").write_text('rules = ["rules.yaml"]\nmodel = "ally"\n', "utf-8")
    (tmp_path / "rules.yaml").write_text(textwrap.dedent(rules).lstrip(), "utf-8")
    return tmp_path


def test_cli_reports_a_broken_rules_file(tmp_path: Path, write_notes: NotesWriter) -> None:
    root = _project(tmp_path, write_notes, "insights:\n  - key: price-driven\n    when: price_shar >= 0.5\n")
    result = run_cli("levels", cwd=root)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "rules.yaml:3: unknown metric 'price_shar'; did you mean 'price_share'?\n1 error\n"


def test_cli_model_flag_selects_a_firms_model_over_the_settings(tmp_path: Path, write_notes: NotesWriter) -> None:
    root = _project(tmp_path, write_notes, """
        models:
          engagement:
            levels:
              - {key: engaged, when: business >= 3}
              - {key: quiet, when: true}
        """)
    result = run_cli("levels", "--model", "engagement", cwd=root)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[2].split()[:3] == ["acme", "Dana", "Reyes"]
    assert " engaged " in result.stdout.splitlines()[2]


def test_a_condition_failing_at_evaluation_is_reported_once_for_all_accounts(write_notes: NotesWriter) -> None:
    ruleset, _ = compile_rules([("default.yaml", default_rules_text()),
                                ("rules.yaml", "insights:\n  - key: dormant\n    when: business / firm_due > 1\n")])
    assert ruleset is not None
    root = write_notes({f"{slug}/account.md": account() for slug in ("acme", "globex", "initech")})
    portfolio, _ = load_notes(root, "notes", ruleset.signals)
    verdicts, found = evaluate(portfolio, ruleset, "ally", Quarter.parse("2026Q3"))
    assert [d.format() for d in found] == [
        "rules.yaml:3: condition 'business / firm_due > 1' failed for acme 2026Q3 (and 2 more): division by zero"]
    assert [keys(v) for v in verdicts] == [set(), set(), set()]  # a failing condition does not hold
