"""`allyreport levels` and `explain` through the real command line: the JSON contract of
docs/output.md, past quarters, other models, and the example notes' stories."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from allyreport.rules import rulesdoc
from allyreport.rules.metrics import METRICS, markdown_table
from allyreport.rules.ruleset import compile_rules, default_rules_text

from .conftest import EXAMPLES, REPO, NotesWriter, run_cli
from .support import account, note

TRUST = "trust: {reliability: 6, credibility: 7, intimacy: 5, character: 7, self_orientation: 4}\n"
ACME = {
    "acme/account.md": account(more="reviewed: 2026-06-15\n"),
    "acme/2026-04-10.md": note("2026-04-10", "strategy", by="us", extra=TRUST),
    "acme/2026-05-10.md": note("2026-05-10", "problem", extra=TRUST),
    "acme/2026-07-01.md": note("2026-07-01", "problem", who="Priya Raman", extra=TRUST + (
        "actions:\n  - do: Send the downtime analysis\n    by: 2026-07-20\n    done: 2026-07-21\n"
        "client_rating: {reliability: 6, credibility: 6, intimacy: 4, self_orientation: 5, source: review}\n")),
    "acme/2026-08-01.md": note("2026-08-01", "service", price=True),
    "acme/2026-09-01.md": note("2026-09-01", "service"),
    "acme/2026-10-02.md": note("2026-10-02", "strategy", by="us"),  # after 2026Q3: a later review's
}


def levels(root: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli("levels", "--json", *args, cwd=root)
    assert (result.returncode, result.stderr) == (0, "")
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_levels_json_contract(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(ACME)
    (acme,) = levels(tmp_path, "--quarter", "2026Q3")
    assert {k: acme[k] for k in ("slug", "name", "model", "quarter", "level", "wins_work_by", "movement", "previous")} == {
        "slug": "acme", "name": "Acme Foods", "model": "ally", "quarter": "2026Q3", "level": "solution-provider",
        "wins_work_by": "perceived expertise", "movement": "up", "previous": "unrated"}
    assert acme["history"] == [{"quarter": "2026Q2", "level": "unrated", "notes": 2},
                               {"quarter": "2026Q3", "level": "solution-provider", "notes": 3}]
    assert acme["trust"] == {"reliability": 6.0, "credibility": 7.0, "intimacy": 5.0, "character": 7.0,
                             "self_orientation": 4.0, "tq": 4.5, "tq_plus": 6.25, "reliability_kept": 0.0,
                             "weakest": "intimacy", "readings": 3}
    assert acme["window"] == {"start": "2026-04-01", "end": "2026-09-30", "quarters": 2}
    assert (acme["next_level"]["key"], acme["target"]) == ("ally", "ally")
    assert acme["explanation"]["not_higher"] == [{"level": "ally", "failed": [
        {"condition": "strategy_share >= 0.5", "holds": False, "values": {"strategy_share": 0.2}}]}]
    assert [(i["key"], i["severity"], i["message"], i["evidence"]) for i in acme["insights"]] == [
        ("reliability-gap", "critical", "Kept 0 of 1 firm commitments on time (0%).",
         [{"path": "notes/acme/2026-07-01.md", "line": 9, "date": "2026-07-01"}]),
        # Tom Berg was in 4 of the 5 business conversations (Priya Raman in one).
        ("single-threaded", "warning", "Tom Berg was in 80% of the business conversations in the window; the "
         "relationship hangs on one person.",
         [{"path": f"notes/acme/{day}.md", "line": 3, "date": day}
          for day in ("2026-04-10", "2026-05-10", "2026-08-01", "2026-09-01")]),
    ]


# -- the documentation cannot drift from the code (`make golden` rewrites both) -----------------

UPDATE = bool(os.environ.get("ALLYREPORT_UPDATE_GOLDEN"))


def _between(path: Path, start: str, end: str, replacement: str | None) -> str:
    """The text of `path` between two markers; with `replacement` (and `make golden`), rewrite it first."""
    text = path.read_text("utf-8")
    head, rest = text.split(start, 1)
    if replacement is not None and UPDATE:
        text = head + start + replacement + end + rest.split(end, 1)[1]
        path.write_text(text, "utf-8")
    return text.split(start, 1)[1].split(end, 1)[0]


def test_docs_output_md_example_is_what_levels_writes(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(ACME)
    (written,) = levels(tmp_path, "--quarter", "2026Q3")
    example = _between(REPO / "docs" / "output.md", "```json\n", "```", json.dumps(written, indent=2) + "\n")
    assert json.loads(example) == written


def test_docs_rules_md_carries_the_generated_metric_table() -> None:
    ruleset, _ = compile_rules([("default.yaml", default_rules_text())])
    assert ruleset is not None
    table = markdown_table(ruleset.signals)
    assert _between(REPO / "docs" / "rules.md", "<!-- metrics:start -->\n", "<!-- metrics:end -->", table) == table
    assert all(f"`{name}`" in (REPO / "docs" / "rules.md").read_text("utf-8") for name in METRICS)


def test_docs_rules_md_carries_the_generated_levels_and_insights() -> None:
    # Every level of every model and every insight: its conditions, source and idea (rulesdoc).
    ruleset, _ = compile_rules([("default.yaml", default_rules_text())])
    assert ruleset is not None
    tables = rulesdoc.markdown(ruleset)
    assert _between(REPO / "docs" / "rules.md", "<!-- rules:start -->\n", "<!-- rules:end -->", tables) == tables
    every = [*(lv for m in ruleset.models.values() for lv in m.levels), *ruleset.insights,
             *(r for m in ruleset.models.values() for r in m.insights)]
    assert [item.key for item in every if not (item.source and item.idea)] == []


def test_review_quarter_defaults_to_the_latest_note(write_notes: NotesWriter, tmp_path: Path) -> None:
    # The review quarter defaults to the latest note's (2026Q4); --quarter 2026Q3 ignores that note.
    write_notes(ACME)
    (latest,) = levels(tmp_path)
    (past,) = levels(tmp_path, "--quarter", "2026Q3")
    assert (latest["quarter"], [h["quarter"] for h in latest["history"]]) == ("2026Q4", ["2026Q2", "2026Q3", "2026Q4"])
    assert (past["quarter"], past["history"][-1]["quarter"], past["trust"]["readings"]) == ("2026Q3", "2026Q3", 3)


def test_model_flag_overrides_the_settings(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(ACME)
    (tmp_path / "allyreport.toml").write_text('model = "s-curve"\n', "utf-8")
    assert [(a["model"], a["level"]) for a in levels(tmp_path, "--quarter", "2026Q3")] == [("s-curve", "vendor")]
    assert [(a["model"], a["level"]) for a in levels(tmp_path, "--quarter", "2026Q3", "--model", "pyramid")] == [
        ("pyramid", "problem-solver")]  # one strategy note of five is not a strategy share of a quarter


def test_explain_says_why_which_notes_why_not_higher_and_what_to_change(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(ACME)
    result = run_cli("explain", "acme", "--quarter", "2026Q3", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    out = result.stdout
    expected = [
        "Acme Foods (acme), 2026Q3: solution-provider — Solution Provider",
        "wins work by: perceived expertise",
        "Why solution-provider:",
        "  ✓ business >= 3    (business = 5)",
        "  ✓ problem_share + strategy_share >= 0.5    (problem_share = 0.4, strategy_share = 0.2)",
        "Notes behind it:",
        "  notes/acme/2026-04-10.md:4 (2026-04-10)",
        "Not ally, because:",
        "  ✗ strategy_share >= 0.5    (strategy_share = 0.2)",
        "What would have to change to reach ally: every ✗ under 'Not ally' would have to hold.",
        "History: 2026Q2 unrated → 2026Q3 solution-provider",
        "Movement: up from unrated",
        "  [critical] reliability-gap: Kept 0 of 1 firm commitments on time (0%).",
        "      notes/acme/2026-07-01.md:9",
    ]
    lines = out.splitlines()
    assert [line for line in expected if line not in lines] == []
    assert "  Act like the level you wish to become (Ally): Bring your own reading" in out


def test_explain_an_unknown_account_is_a_usage_error(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(ACME)
    result = run_cli("explain", "acme-food", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "allyreport: no account 'acme-food' in notes; did you mean 'acme'?\n"


def test_levels_table(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(ACME)
    result = run_cli("levels", "--quarter", "2026Q3", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "Ally model, 2026Q3",
        "account  owner       level              move  TQ   insights",
        "acme     Dana Reyes  solution-provider  ↑ up  4.5  reliability-gap, single-threaded",
    ]


# -- the example notes in notes/ ----------------------------------------------------------------

STORIES = {
    # slug: (level in 2026Q3, insights that must be raised)
    "harbor-freight-lines": ("service-source", {"price-driven", "no-sponsor", "trust-blind-spot"}),
    "acme-foods": ("solution-provider", set()),
    "northwind-bank": ("ally", {"sponsor-left", "overdue-contacts"}),
    "meridian-insurance": ("ally", {"relevance-declining", "stale-profile"}),
    "oakridge-capital": (None, {"social-drift", "comfort-not-trust"}),
    "vertex-pharma": (None, {"sales-plan", "failing-tests", "vague-plan"}),
    "bluefin-retail": (None, {"dormant", "reliability-gap"}),
}
examples = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="the example notes are not in notes/ yet")


@pytest.fixture(scope="module")
def example_levels() -> dict[str, dict[str, Any]]:
    result = run_cli("levels", "--json", "--quarter", "2026Q3", cwd=REPO)
    assert result.returncode == 0, result.stderr
    return {a["slug"]: a for a in json.loads(result.stdout)}


@examples
def test_examples_are_the_seven_stories(example_levels: dict[str, dict[str, Any]]) -> None:
    assert sorted(example_levels) == sorted(STORIES)


@examples
@pytest.mark.parametrize("slug", sorted(STORIES))
def test_example_story(example_levels: dict[str, dict[str, Any]], slug: str) -> None:
    level, raised = STORIES[slug]
    found = example_levels[slug]
    if level is not None:
        assert found["level"] == level
    assert raised <= {i["key"] for i in found["insights"]}
    for item in found["insights"]:
        assert item["evidence"], item["key"]  # every insight cites its notes
        assert all(e["path"].startswith(f"notes/{slug}/") for e in item["evidence"])


# The same stories read by the other two models (2026Q3): levels are earned, so the warm but
# unproven accounts stay low, Acme's single strategy note makes no consultant, and Northwind
# climbs the S-curve one position at a time.
MODEL_STORIES = {
    "pyramid": {"harbor-freight-lines": "vendor", "acme-foods": "problem-solver", "northwind-bank": "partner",
                "meridian-insurance": "trusted-advisor", "vertex-pharma": "problem-solver"},
    "s-curve": {"harbor-freight-lines": "vendor", "acme-foods": "vendor", "northwind-bank": "virtual-partner",
                "meridian-insurance": "confidant", "vertex-pharma": "vendor"},
}


@examples
@pytest.mark.parametrize("model", sorted(MODEL_STORIES))
def test_example_stories_in_the_other_models(model: str) -> None:
    result = run_cli("levels", "--json", "--quarter", "2026Q3", "--model", model, cwd=REPO)
    assert result.returncode == 0, result.stderr
    found = {a["slug"]: a["level"] for a in json.loads(result.stdout)}
    assert {slug: found[slug] for slug in MODEL_STORIES[model]} == MODEL_STORIES[model]


@examples
def test_northwind_climbs_the_s_curve_one_position_at_a_time() -> None:
    result = run_cli("levels", "--json", "--quarter", "2026Q3", "--model", "s-curve", cwd=REPO)
    (northwind,) = [a for a in json.loads(result.stdout) if a["slug"] == "northwind-bank"]
    assert [h["level"] for h in northwind["history"]][-4:] == ["confidant", "confidant", "consultant", "virtual-partner"]


@examples
def test_northwind_became_an_ally_under_the_new_ceo(example_levels: dict[str, dict[str, Any]]) -> None:
    history = {h["quarter"]: h["level"] for h in example_levels["northwind-bank"]["history"]}
    assert (history["2026Q2"], history["2026Q3"]) == ("ally", "ally")
    assert history["2025Q4"] != "ally"


@examples
def test_explain_acme_foods_is_a_solution_provider_not_an_ally() -> None:
    result = run_cli("explain", "acme-foods", "--quarter", "2026Q3", cwd=REPO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Acme Foods (acme-foods), 2026Q3: solution-provider")
    assert "Not ally, because:" in lines
    assert any(line.startswith("  ✗ strategy") for line in lines[lines.index("Not ally, because:"):])


def test_past_quarter_leaves_out_accounts_that_began_later(write_notes: NotesWriter, tmp_path: Path) -> None:
    acc = "---\naccount: {0}\nowner: Jo\n---\n"
    note = "---\ndate: {0}\ncontext: service\n---\n"
    write_notes({"old/account.md": acc.format("Old"), "old/2026-02-02-a.md": note.format("2026-02-02"),
                 "new/account.md": acc.format("New"), "new/2026-08-03-a.md": note.format("2026-08-03")})
    result = run_cli("levels", "--notes", "notes", "--quarter", "2026Q1", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [a["slug"] for a in json.loads(result.stdout)] == ["old"]


@examples
def test_northwinds_coo_left_and_his_successor_is_not_met_yet(example_levels: dict[str, dict[str, Any]]) -> None:
    northwind = example_levels["northwind-bank"]
    left = next(i for i in northwind["insights"] if i["key"] == "sponsor-left")
    assert (left["severity"], left["message"]) == (
        "critical", "Left: Martin Hale (sponsor, left 2026-09-04). Successor not met since: 1 of 1.")
    assert left["evidence"] == [{"path": "notes/northwind-bank/account.md", "line": 18, "date": None}]  # `left:`
    people = {p["name"]: p for p in northwind["people"]}
    assert (people["Martin Hale"]["current"], people["Martin Hale"]["successor"]) == (False, "Sofia Brandt")
    assert (people["Sofia Brandt"]["contact"], people["Sofia Brandt"]["last_contact"]) == ("green", None)
    assert (people["Lena Vogt"]["contact"], people["Lena Vogt"]["days_since_contact"]) == ("overdue", 68)


@examples
def test_two_example_accounts_carry_the_clients_own_ratings(example_levels: dict[str, dict[str, Any]]) -> None:
    harbor, northwind = example_levels["harbor-freight-lines"], example_levels["northwind-bank"]
    assert (harbor["client_trust"]["gap"], harbor["client_trust"]["gap_factor"]) == (2.5, "self_orientation")
    assert "trust-blind-spot" not in {i["key"] for i in northwind["insights"]}
    gaps = {h["quarter"]: h["gap"] for h in northwind["client_trust"]["history"] if h["readings"]}
    assert gaps == {"2026Q1": 1.5, "2026Q2": 2.0, "2026Q3": 0.56}  # the survey's intimacy gap, closed by July
