"""The people on the pages and in the PDFs: the example notes built by the real command line,
the HTML read with BeautifulSoup and the PDFs read back with pypdf.

Northwind Bank's COO and sponsor, Martin Hale, left on 2026-09-04 and his successor has not
been met; Harbor Freight Lines' procurement survey rates us well below our own readings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from pypdf import PdfReader

from allyreport.rules.ruleset import load_rules

from .conftest import EXAMPLES

pytestmark = pytest.mark.skipif(not (EXAMPLES / "northwind-bank").is_dir(), reason="the example notes are not here")


@pytest.fixture
def out(examples_pdf: Path) -> Path:
    """The examples' output of 2026Q3, with PDFs (conftest's examples_pdf, built once)."""
    return examples_pdf


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def words(tag: Tag | None) -> str:
    assert tag is not None
    return " ".join(tag.get_text(" ").split())


def pdf_words(pdf: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def rows(table: Tag | None) -> dict[str, str]:
    """Each body row's text, by the name in its first cell."""
    assert table is not None
    found = {}
    for tr in table.select("tbody tr"):
        first = tr.find(["th", "td"])
        assert isinstance(first, Tag)
        name = next(first.stripped_strings)
        found[name] = words(tr)
    return found


def test_the_review_maps_each_person_with_level_target_and_contact(out: Path) -> None:
    page = soup(out / "accounts" / "northwind-bank.html")
    people = rows(page.select_one("table.people"))
    assert list(people) == ["Priya Raman", "Martin Hale", "Sofia Brandt", "Lena Vogt", "Ben Adeyemi"]
    assert "left 2026-09-04 → Sofia Brandt" in people["Martin Hale"]
    assert "joined 2026-09-07" in people["Sofia Brandt"]
    assert "never met" in people["Sofia Brandt"]
    assert "champion Ally Ally 2026-07-24 overdue every 60 days" in people["Lena Vogt"]
    assert "user Unrated" in people["Ben Adeyemi"]  # a user: not held to the account's target
    critical = page.select_one("#insight-sponsor-left")
    assert critical is not None
    assert "sev-critical" in critical["class"]
    assert "Re-qualify: meet the successor about their strategy before the next decision." in words(critical)


def test_the_review_sets_the_clients_ratings_beside_ours(out: Path) -> None:
    harbor = soup(out / "accounts" / "harbor-freight-lines.html")
    factors = rows(harbor.select_one("table.client-trust"))
    assert factors["self-orientation"] == "self-orientation 6.5 9.0 +2.5 largest"
    assert factors["intimacy"] == "intimacy 3.0 2.0 +1.0"
    history = rows(harbor.select_one("table.client-history"))
    assert list(history) == ["2026Q3"]
    northwind = rows(soup(out / "accounts" / "northwind-bank.html").select_one("table.client-history"))
    assert list(northwind) == ["2026Q1", "2026Q2", "2026Q3"]  # the January survey, then the July review
    assert "6.0 / 4.0" in northwind["2026Q2"]  # intimacy, ours / client


def test_the_plan_names_the_people_below_target_with_their_move(out: Path) -> None:
    plan = soup(out / "plans" / "northwind-bank.html")
    below = plan.find(id="people-below")
    assert below is not None
    section = below.find_parent("section")
    assert isinstance(section, Tag)
    items = [" ".join(li.get_text().split()) for li in section.select("ul.people-moves li")]
    rules, _ = load_rules([])
    assert rules is not None
    move = rules.models["ally"].level("unrated").move  # the move comes from the rules, for Sofia's level
    assert items == [f"Sofia Brandt, COO (from September 2026) (sponsor): Unrated → Ally. {move} green every 45 days"]
    overdue = [" ".join(li.get_text().split()) for li in section.select("ul.unmet li")]
    assert overdue == ["Lena Vogt, Chief Strategy Officer: last met 2026-07-24, 68 days before 2026-09-30; every 60 days."]


def test_the_portfolio_shows_coverage_and_the_trust_gap(out: Path) -> None:
    page = soup(out / "index.html")
    heads = [words(th) for th in page.select("#accounts-table thead th")]
    assert heads[5:7] == ["Trust gap", "Coverage"]
    table = rows(page.select_one("#accounts-table"))
    assert "+2.5 self-orientation" in table["Harbor Freight Lines"]
    assert "3 of 4 met · 1 overdue · sponsor left" in table["Northwind Bank"]  # Martin has left: not counted


def test_levels_json_carries_people_and_client_trust(out: Path) -> None:
    levels: list[dict[str, Any]] = json.loads((out / "levels.json").read_text("utf-8"))
    northwind = next(a for a in levels if a["slug"] == "northwind-bank")
    assert [p["name"] for p in northwind["people"]] == ["Priya Raman", "Martin Hale", "Sofia Brandt", "Lena Vogt",
                                                        "Ben Adeyemi"]
    assert northwind["client_trust"]["readings"] == 1
    assert all("people" in a and "client_trust" in a for a in levels)


def test_the_pdfs_carry_the_stakeholder_map_the_client_view_and_the_sponsor_changes(out: Path) -> None:
    review = pdf_words(out / "pdf" / "northwind-bank-review.pdf")
    people = between(review, "Stakeholder map Each person's level", "Insights")
    assert "Martin Hale COO left 2026-09-04, successor Sofia Brandt sponsor" in people
    assert "Lena Vogt Chief Strategy Officer champion Ally / Ally 2026-07-24 overdue (every 60 days)" in people
    harbor = pdf_words(out / "pdf" / "harbor-freight-lines-review.pdf")
    client = between(harbor, "As the client rates us", "Stakeholder map")
    assert "self-orientation 6.5 9.0 +2.5" in client
    plan = pdf_words(out / "pdf" / "northwind-bank-plan.pdf")
    assert "People below target" in plan
    summary = pdf_words(out / "pdf" / "portfolio-2026Q3.pdf")
    changes = between(summary, "Accounts whose sponsor left A sponsor", "Accounts without a relationship plan")
    assert "Northwind Bank Jo Park Ally CRITICAL Left: Martin Hale (sponsor, left 2026-09-04)." in changes
    assert "Harbor Freight Lines" not in changes


def test_the_plan_names_the_conversations_held_and_not_held(out: Path) -> None:
    plan = soup(out / "plans" / "northwind-bank.html")
    table = plan.select_one("table.whitespace")
    heads = [words(th) for th in table.select("thead th")] if table else []
    assert heads == ["Person", "Concerns", "operating model design", "payments advisory", "M&A integration"]
    found = rows(table)
    assert list(found) == ["Priya Raman", "Sofia Brandt", "Lena Vogt", "Ben Adeyemi"]  # Martin has left
    assert found["Ben Adeyemi"].endswith("fraud losses not held 2 not held")  # payments advisory, twice
    assert found["Priya Raman"].endswith("acquisitions 1 not held 2")  # cost-to-income; two on M&A integration
    assert "Conversations held and not held" in pdf_words(out / "pdf" / "northwind-bank-plan.pdf")
