"""The HTML site, built by the real CLI and read back as structure: levels, movement, evidence links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .conftest import REPO, NotesWriter, run_cli

ACCOUNT = """\
---
account: Globex <Corp>
owner: Jo Park
stakeholders:
  - name: Dana Reyes
    role: CEO
    concerns: [growth]
  - name: Lee Wong
    role: CFO
---
Profile.
"""


def note(day: str, context: str, opened: str = "client", body: str = "We talked.", price: str = "false") -> str:
    return (f"---\ndate: {day}\nwith: [Dana Reyes]\ncontext: {context}\nopened_by: {opened}\nprice: {price}\n"
            f"trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}\n---\n{body}\n")


@pytest.fixture
def site(write_notes: NotesWriter, tmp_path: Path) -> Path:
    write_notes({
        "globex/account.md": ACCOUNT,
        # 2026Q1: three service conversations -> service-source
        "globex/2026-01-10-a.md": note("2026-01-10", "service", price="true"),
        "globex/2026-02-10-b.md": note("2026-02-10", "service"),
        "globex/2026-03-10-c.md": note("2026-03-10", "service"),
        # 2026Q2: strategy we opened -> ally (window 2026Q1+Q2: 3 strategy of 6)
        "globex/2026-04-10-d.md": note("2026-04-10", "strategy", "us",
                                       "# Heading\n\n<script>alert('x')</script> and **bold**"),
        "globex/2026-05-10-e.md": note("2026-05-10", "strategy"),
        "globex/2026-06-10-f.md": note("2026-06-10", "strategy"),
    })
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "out"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def test_portfolio_row_shows_level_movement_and_insights(site: Path) -> None:
    page = soup(site / "index.html")
    row = page.select_one('#accounts-table tbody tr[data-level]')
    assert row is not None
    assert row["data-level"] == "ally"
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[0] == "Globex <Corp>"  # escaped, shown as text
    assert cells[2] == "Ally"
    assert cells[3] == "up"
    assert [b.get_text() for b in row.select(".badge")] == ["single-threaded"]
    assert row.find("a")["href"] == "accounts/globex.html"
    assert page.html["lang"] == "en"


def test_review_explains_level_with_links_to_the_notes(site: Path) -> None:
    page = soup(site / "accounts" / "globex.html")
    assert page.select_one("[data-level]")["data-level"] == "ally"
    evidence = [a["href"] for a in page.select(".verdict ul.sources a.src")]
    assert "../../notes/globex/2026-04-10-d.md" in evidence
    for href in evidence:
        assert (site / "accounts" / href).resolve().is_file()
    conditions = [td.get_text(strip=True) for td in page.select(".verdict table.checks td.cond")]
    assert conditions == ["business >= 3", "strategy_share >= 0.5", "strategy_opened_by_us >= 1"]
    timeline = [li.get_text(" ", strip=True) for li in page.select("ol.timeline li")]
    assert timeline[0].startswith("2026Q1 Service Source")
    assert timeline[1].startswith("2026Q2 Ally")
    assert page.select("svg.chart[role=img]")


def test_note_bodies_are_escaped_and_headings_demoted(site: Path) -> None:
    page = soup(site / "accounts" / "globex.html")
    assert page.find("script") is None
    notes = page.select("article.note")
    assert [n.h3.get_text()[:10] for n in notes] == ["2026-06-10", "2026-05-10", "2026-04-10"]  # newest first
    note = notes[-1]
    assert "<script>alert('x')</script>" in note.get_text()
    assert note.find("h4").get_text() == "Heading"
    assert not note.find("h1")


def test_plan_lists_unmet_stakeholders_and_links_back(site: Path) -> None:
    page = soup(site / "accounts" / "globex-plan.html")
    unmet = page.find(id="unmet").find_next("ul").get_text(" ", strip=True)
    assert unmet == "Lee Wong, CFO"
    assert page.find("a", href="globex.html") is not None
    assert "no relationship plan" in page.find(id="invest").find_next("table").get_text()


def test_template_override_replaces_one_file_and_keeps_the_rest(site: Path, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "style.css").write_text("body { color: black; }\n")
    result = run_cli("build", "--notes", "notes", "--out", "out2", "--no-pdf", "--templates", "custom", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out2" / "assets" / "style.css").read_text() == "body { color: black; }\n"
    assert (tmp_path / "out2" / "accounts" / "globex.html").read_text() == (site / "accounts" / "globex.html").read_text()


def test_broken_template_fails_with_its_line(site: Path, tmp_path: Path) -> None:
    custom = tmp_path / "broken"
    custom.mkdir()
    (custom / "index.html").write_text("{% extends 'base.html' %}\n{% block main %}{{ project.nope }}{% endblock %}\n")
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", "--templates", "broken", cwd=tmp_path)
    assert result.returncode == 1
    assert "broken/index.html:2: template error:" in result.stderr
    assert "nope" in result.stderr


def test_example_stories_show_on_their_pages(tmp_path: Path) -> None:
    result = run_cli("build", "--notes", str(REPO / "notes"), "--out", "out", "--no-pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    harbor = soup(out / "accounts" / "harbor-freight-lines.html")
    assert "price-driven" in [c.get_text() for c in harbor.select("section.insight code.key")]
    northwind = soup(out / "accounts" / "northwind-bank.html")
    timeline = {li.select_one(".q").get_text(): li.select_one(".level").get_text()
                for li in northwind.select("ol.timeline li")}
    assert timeline["2025Q4"] == "Solution Provider"
    assert timeline["2026Q2"] == "Ally"
    evidence = [a.get_text() for a in northwind.select(".verdict ul.sources a.src")]
    assert any("2026-07-24-partnership-map.md" in e for e in evidence)
    hrefs = [a["href"] for a in northwind.select(".verdict ul.sources a.src")]
    assert all(os.path.isfile(out / "accounts" / h) for h in hrefs)


def test_links_in_notes_keep_only_safe_schemes(write_notes: NotesWriter, tmp_path: Path) -> None:
    from allyreport.templating import render_markdown

    html = str(render_markdown("[a](javascript:alert(1)) [b](file:///etc/passwd) [c](https://example.com) "
                               "![d](/etc/passwd) <img src=x onerror=alert(1)>"))
    page = BeautifulSoup(html, "html.parser")
    assert [a["href"] for a in page.find_all("a")] == ["https://example.com"]
    assert page.find("img") is None
