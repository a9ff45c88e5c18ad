"""The HTML site, built by the real CLI and read back as structure: levels, movement, evidence
links, the plan's advice from the rules, escaping, template overrides and determinism."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from allyreport.core.quarters import Quarter
from allyreport.render import charts
from allyreport.rules.engine import QuarterLevel
from allyreport.rules.ruleset import RuleSet, load_rules
from allyreport.rules.trust import Trust

from .conftest import REPO, NotesWriter, run_cli

GLOBEX = """\
---
account: Globex <Corp>
owner: Jo Park
stakeholders:
  - name: Dana Reyes
    role: CEO
    concerns: [growth]
  - name: Lee Wong
    role: CFO
reviewed: 2026-05-01
---
# Profile

Globex makes things.
"""

INITECH = """\
---
account: Initech
owner: Ann Lee
stakeholders:
  - name: Chris Doe
    role: COO
plan:
  - do: Upsell the premium tier
    by: 2026-09-30
    kind: sell
  - do: Host their planners at our offsite
    kind: invest
    tests: [own-time, learn]
---
Initech buys our service.
"""


def note(day: str, context: str, opened: str = "client", body: str = "We talked.", price: str = "false",
         who: str = "Dana Reyes", actions: str = "") -> str:
    return (f"---\ndate: {day}\nwith: [{who}]\ncontext: {context}\nopened_by: {opened}\nprice: {price}\n"
            f"trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}\n{actions}---\n{body}\n")


PROMISE = "actions:\n  - do: Send the cost model\n    by: 2026-04-15\n"

NOTES = {
    "globex/account.md": GLOBEX,
    # 2026Q1: three service conversations -> service-source
    "globex/2026-01-10-a.md": note("2026-01-10", "service", price="true"),
    "globex/2026-02-10-b.md": note("2026-02-10", "service"),
    "globex/2026-03-10-c.md": note("2026-03-10", "service"),
    # 2026Q2: strategy we opened -> ally (window 2026Q1+Q2: 3 strategy of 6)
    "globex/2026-04-10-d.md": note("2026-04-10", "strategy", "us", "# Heading\n\n<script>alert('x')</script> and **bold**"),
    "globex/2026-05-10-e.md": note("2026-05-10", "strategy"),
    "globex/2026-06-10-f.md": note("2026-06-10", "strategy"),
    # Initech: price-driven service in 2026Q1, then silence; a firm promise due 2026-04-15 never kept.
    "initech/account.md": INITECH,
    "initech/2026-01-05-a.md": note("2026-01-05", "service", price="true", who="Pat Smith", actions=PROMISE),
    "initech/2026-02-05-b.md": note("2026-02-05", "service", price="true", who="Pat Smith"),
    "initech/2026-03-05-c.md": note("2026-03-05", "service", who="Pat Smith"),
}


@pytest.fixture
def site(write_notes: NotesWriter, tmp_path: Path) -> Path:
    write_notes(NOTES)
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "out"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    loaded, problems = load_rules([])
    assert loaded is not None, problems
    return loaded


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def text(tag: Tag | None) -> str:
    assert tag is not None
    return tag.get_text(" ", strip=True)


def section(page: BeautifulSoup, heading_id: str) -> Tag:
    found = page.find(id=heading_id)
    assert found is not None, heading_id
    parent = found.find_parent("section")
    assert isinstance(parent, Tag)
    return parent


# -- the portfolio -------------------------------------------------------------------------


def test_portfolio_rows_show_level_movement_tq_and_insights(site: Path) -> None:
    page = soup(site / "index.html")
    assert page.html is not None
    assert page.html["lang"] == "en"
    rows = {text(r.td): r for r in page.select("#accounts-table tbody tr")}
    assert list(rows) == ["Globex <Corp>", "Initech"]  # escaped, shown as text; sorted by name
    globex, initech = rows["Globex <Corp>"], rows["Initech"]
    assert (globex["data-level"], globex["data-owner"]) == ("ally", "Jo Park")
    cells = [text(td) for td in globex.find_all("td")]
    assert cells[2:5] == ["Ally", "up from Service Source", "6.7"]
    assert [b.get_text() for b in globex.select(".badge")] == ["single-threaded"]
    assert [a["href"] for a in globex.find_all("a", href=True) if "#" not in a["href"]] == [
        "accounts/globex.html", "plans/globex.html"]
    assert initech["data-insights"] == "price-driven reliability-gap failing-tests dormant single-threaded"
    assert [b.get_text() for b in initech.select(".badge")] == [  # by severity, then in the rules' order
        "reliability-gap", "dormant", "price-driven", "failing-tests", "single-threaded"]
    assert text(initech.find_all("td")[3]) == "same"


def test_portfolio_counts_levels_and_names_who_moved_and_who_is_at_risk(site: Path) -> None:
    page = soup(site / "index.html")
    levels = {text(r.th): [text(td) for td in r.find_all("td")] for r in page.select("table.levels tbody tr")}
    assert levels == {"Ally": ["demonstrated alignment", "1", "0", "+1"],
                      "Solution Provider": ["perceived expertise", "0", "0", "±0"],
                      "Service Source": ["price", "1", "2", "−1"],
                      "Unrated": ["—", "0", "0", "±0"]}
    moved = [text(li) for li in section(page, "moved").select("ul.moved > li")]
    assert len(moved) == 1
    assert moved[0].startswith("Globex <Corp> Service Source → Ally")
    risk = section(page, "risk").select("ul.risk > li")
    assert [text(li.a) for li in risk] == ["Initech"]
    assert [a["href"] for a in risk[0].select(":scope > ul a")] == [
        "accounts/initech.html#insight-reliability-gap", "accounts/initech.html#insight-dormant"]
    facts = {text(d.dt): text(d.dd) for d in page.select("dl.facts > div")}
    assert facts["Moved up"] == "1"
    assert facts["New"] == "0"
    assert facts["At risk"] == "1 with a critical insight"


def test_portfolio_reads_without_script_and_loads_only_its_own_assets(site: Path) -> None:
    page = soup(site / "index.html")
    assert page.find(id="filters").has_attr("hidden")  # the script shows the filters
    assert [s["src"] for s in page.find_all("script")] == ["assets/portfolio.js"]
    assert [link["href"] for link in page.find_all("link")] == ["assets/style.css"]
    assert (site / "assets" / "portfolio.js").is_file()
    assert (site / "assets" / "style.css").is_file()


# -- the account review --------------------------------------------------------------------


def test_review_explains_the_level_with_links_to_the_notes(site: Path) -> None:
    page = soup(site / "accounts" / "globex.html")
    verdict = section(page, "level")
    assert verdict.select_one("[data-level]")["data-level"] == "ally"
    assert [text(td) for td in verdict.select("table.checks td.cond")] == [
        "business >= 3", "strategy_share >= 0.5", "strategy_opened_by_us >= 1", "price_share <= 0.5"]
    assert [text(td) for td in verdict.select("table.checks td.vals")] == [
        "business = 6", "strategy_share = 0.5", "strategy_opened_by_us = 1", "price_share = 0.17"]
    links = verdict.select("ul.sources a.src")
    # every note in the window counts in `business`; the strategy notes are cited at their `context:` line,
    # the one where price decided at its `price:` line
    assert [a.get_text() for a in links] == ["notes/globex/2026-01-10-a.md:6", "notes/globex/2026-02-10-b.md:1",
                                             "notes/globex/2026-03-10-c.md:1", "notes/globex/2026-04-10-d.md:4",
                                             "notes/globex/2026-05-10-e.md:4", "notes/globex/2026-06-10-f.md:4"]
    assert links[3]["href"] == "../../notes/globex/2026-04-10-d.md"
    for a in links:
        assert (site / "accounts" / a["href"]).resolve() == (site.parent / a.get_text().rsplit(":", 1)[0]).resolve()
    assert not verdict.find(string=lambda s: s.startswith("Why not"))  # nothing above Ally


def test_review_says_why_not_each_level_above(site: Path) -> None:
    page = soup(site / "accounts" / "initech.html")
    verdict = section(page, "level")
    assert [text(h) for h in verdict.find_all("h3") if text(h).startswith("Why not")] == [
        "Why not Solution Provider", "Why not Ally"]
    assert [text(td) for td in verdict.select("table.checks")[1].select("tr.fails td.cond")] == [
        "problem_share + strategy_share >= 0.5"]


def test_review_shows_history_charts_trust_and_stakeholders(site: Path) -> None:
    page = soup(site / "accounts" / "globex.html")
    timeline = [text(li) for li in page.select("ol.timeline li")]
    assert timeline == ["2026Q1 Service Source 3 notes", "2026Q2 Ally 3 notes"]
    labels = [svg["aria-label"] for svg in page.select("svg.chart[role=img]")]
    assert labels[0] == "Level by quarter: 2026Q1 Service Source, 2026Q2 Ally."
    assert labels[1] == "Conversations by context per quarter. 2026Q1: 3 service; 2026Q2: 3 strategy."
    assert all(svg.find("title") for svg in page.select("svg.chart"))
    trust = section(page, "trust")
    assert text(trust.select_one("td.weakest")) == "6.0 weakest"
    assert "Reliability, as kept —" in text(trust)
    assert "no firm commitment fell due in the window" in text(trust)
    people = {text(r.th): [text(td) for td in r.find_all("td")] for r in page.select("table.people tbody tr")}
    # role, influence, the level of the conversations with them, target, last contact, met, share, TQ, concerns
    assert people == {"Dana Reyes": ["CEO", "—", "Ally", "Ally", "2026-06-10 no cadence", "6 of 6", "100%",
                                     "6.7 / —", "growth"],
                      "Lee Wong": ["CFO", "—", "Unrated", "Ally below", "never met no cadence", "0 of 0", "0%",
                                   "— / —", "—"]}


def test_review_lists_insights_with_their_evidence(site: Path) -> None:
    page = soup(site / "accounts" / "initech.html")
    insights = section(page, "insights").select("section.insight")
    assert [i["id"] for i in insights] == ["insight-reliability-gap", "insight-dormant", "insight-price-driven",
                                          "insight-failing-tests", "insight-single-threaded"]
    gap = insights[0]
    assert text(gap.p) == "Kept 0 of 1 firm commitments on time (0%)."
    assert [a.get_text() for a in gap.select("a.src")] == ["notes/initech/2026-01-05-a.md:9"]
    assert gap.select_one("a.src")["href"] == "../../notes/initech/2026-01-05-a.md"


def test_note_bodies_are_escaped_newest_first_and_headings_demoted(site: Path) -> None:
    page = soup(site / "accounts" / "globex.html")
    assert page.find("script") is None
    notes = page.select("article.note")
    assert [text(n.h3)[:10] for n in notes] == ["2026-06-10", "2026-05-10", "2026-04-10"]
    hostile = notes[-1]
    assert "<script>alert('x')</script>" in hostile.get_text()
    assert text(hostile.find("h4")) == "Heading"
    assert not hostile.find(["h1", "h2"])
    assert hostile.select_one("a.src")["href"] == "../../notes/globex/2026-04-10-d.md"


# -- the relationship plan -----------------------------------------------------------------


def test_plan_advice_comes_from_the_rules(site: Path, rules: RuleSet) -> None:
    ally = rules.models["ally"]
    page = soup(site / "plans" / "initech.html")
    journey = section(page, "where")
    assert [text(p) for p in journey.select("p.advice")] == [
        ally.level("service-source").move, ally.level("solution-provider").behaviour]
    assert text(journey.find("h3", string="Act like a Solution Provider")) == "Act like a Solution Provider"
    shift = journey.find("h3", string="Shift the conversation toward").find_next("ul")
    assert [text(li) for li in shift.find_all("li")] == [
        "strategy : now 0 of 3 business conversations in the window (0%)",
        "problem : now 0 of 3 business conversations in the window (0%)"]
    moves = [" ".join(li.get_text().split()) for li in section(page, "insight-moves").select("li")]
    assert moves[0] == f"critical Reliability gap: {rules_move(rules, 'reliability-gap')} why"
    assert next(li.a["href"] for li in section(page, "insight-moves").select("li")) == \
        "../accounts/initech.html#insight-reliability-gap"


def rules_move(rules: RuleSet, key: str) -> str:
    return next(i.move for i in rules.insights if i.key == key)


def test_plan_marks_tests_flags_sales_and_lists_overdue_and_unmet(site: Path) -> None:
    page = soup(site / "plans" / "initech.html")
    invest = section(page, "invest").select("tbody tr")
    assert len(invest) == 1
    assert [(li["class"][1], li.get_text(" ", strip=True)) for li in invest[0].select("li.test")] == [
        ("pass", "own-time passes"), ("pass", "learn passes"), ("fail", "illustrate fails")]
    assert text(invest[0].select_one("a.src")) == "notes/initech/account.md:11"
    sell = section(page, "sell").select("tbody tr")
    assert [text(r.td) for r in sell] == ["sales plan Upsell the premium tier"]
    overdue = [[text(td) for td in r.find_all("td")] for r in section(page, "overdue").select("tbody tr")]
    assert overdue == [["Send the cost model", "2026-04-15", "notes/initech/2026-01-05-a.md:9 2026-01-05"]]
    assert [text(li) for li in section(page, "unmet").select("li")] == ["Chris Doe , COO (never met)"]
    stale = [text(li) for li in section(page, "profile").select(".warning li")]
    assert stale == ["met in the window but not listed as stakeholders: Pat Smith",
                     "none of the listed stakeholders was met in the window"]


def test_plan_at_the_top_level_has_no_level_to_act_like(site: Path, rules: RuleSet) -> None:
    page = soup(site / "plans" / "globex.html")
    journey = section(page, "where")
    assert [text(p) for p in journey.select("p.advice")] == [rules.models["ally"].level("ally").move]
    assert [text(li) for li in journey.select("ol.ladder li.now")] == ["Ally now wins work by demonstrated alignment"]
    assert text(section(page, "unmet").li) == "Lee Wong , CFO (never met)"
    assert "matches who we meet" in text(section(page, "profile"))
    assert page.find("a", href="../accounts/globex.html") is not None


def test_every_page_links_to_the_others(site: Path) -> None:
    for path, current in (("accounts/globex.html", "Account review"), ("plans/globex.html", "Relationship plan")):
        nav = soup(site / path).select_one("header nav")
        links = {text(a): a["href"] for a in nav.find_all("a")}
        assert links == {"Our firm Relationships · 2026Q2": "../index.html", "Portfolio": "../index.html",
                         "Account review": "../accounts/globex.html", "Relationship plan": "../plans/globex.html",
                         "account.md": "../../notes/globex/account.md"}
        assert text(nav.select_one("[aria-current=page]")) == current


# -- overrides, errors, determinism --------------------------------------------------------


def test_template_override_replaces_some_files_and_keeps_the_rest(site: Path, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "style.css").write_text("body { color: black; }\n")
    (custom / "index.html").write_text('{% extends "base.html" %}\n{% block main %}<h1>Our own</h1>{% endblock %}\n')
    result = run_cli("build", "--notes", "notes", "--out", "out2", "--no-pdf", "--templates", "custom", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out2"
    assert (out / "assets" / "style.css").read_text() == "body { color: black; }\n"
    assert (out / "assets" / "portfolio.js").read_bytes() == (site / "assets" / "portfolio.js").read_bytes()
    assert text(soup(out / "index.html").h1) == "Our own"
    assert soup(out / "index.html").select_one("header nav a.brand") is not None  # base.html from the defaults
    for page in ("accounts/globex.html", "plans/initech.html"):
        assert (out / page).read_bytes() == (site / page).read_bytes()


def test_broken_template_fails_with_its_line(site: Path, tmp_path: Path) -> None:
    custom = tmp_path / "broken"
    custom.mkdir()
    (custom / "index.html").write_text("{% extends 'base.html' %}\n{% block main %}{{ project.nope }}{% endblock %}\n")
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", "--templates", "broken", cwd=tmp_path)
    assert result.returncode == 1
    assert "broken/index.html:2: template error:" in result.stderr
    assert "nope" in result.stderr


def test_same_notes_give_byte_identical_pages(site: Path, tmp_path: Path) -> None:
    result = run_cli("build", "--notes", "notes", "--out", "again", "--no-pdf", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".css", ".js"))
    again = tmp_path / "again"
    assert first == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file() and p.suffix in (".html", ".css", ".js"))
    assert len(first) == 8  # the portfolio twice: index.html and the self-contained portfolio.html
    for rel in first:
        assert (site / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_accounts_whose_slugs_end_in_plan_keep_their_own_pages(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({"acme/account.md": GLOBEX.replace("Globex <Corp>", "Acme"),
                 "acme-plan/account.md": GLOBEX.replace("Globex <Corp>", "Acme Plan"),
                 "acme/2026-01-10-a.md": note("2026-01-10", "service"),
                 "acme-plan/2026-01-10-a.md": note("2026-01-10", "service")})
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert text(soup(out / "accounts" / "acme-plan.html").h1) == "Acme Plan Account review · 2026Q1"
    assert text(soup(out / "plans" / "acme.html").h1) == "Acme Relationship plan · 2026Q1"


# -- the example notes ---------------------------------------------------------------------


def test_example_stories_show_on_their_pages(examples_html: Path) -> None:
    out = examples_html  # the examples built by the real CLI, HTML only (conftest)
    harbor = soup(out / "accounts" / "harbor-freight-lines.html")
    assert "price-driven" in [c.get_text() for c in harbor.select("section.insight code.key")]
    assert harbor.select_one(".verdict [data-level]")["data-level"] == "service-source"
    northwind = soup(out / "accounts" / "northwind-bank.html")
    timeline = {text(li.select_one(".q")): text(li.select_one(".level")) for li in northwind.select("ol.timeline li")}
    assert timeline["2026Q1"] == "Solution Provider"
    assert timeline["2026Q2"] == "Ally"
    assert timeline["2026Q3"] == "Ally"
    evidence = [a.get_text() for a in northwind.select(".verdict ul.sources a.src")]
    strategy = [e for e in evidence if e.rsplit(":", 1)[0].endswith(("northwind-bank/2026-04-24-acquisition-view.md",
                                                                    "northwind-bank/2026-07-24-partnership-map.md"))]
    assert len(strategy) == 2
    hrefs = [a["href"] for a in northwind.select(".verdict ul.sources a.src")]
    assert all(os.path.isfile(out / "accounts" / h) for h in hrefs)
    vertex = soup(out / "plans" / "vertex-pharma.html")
    # five sell actions, and the hospitality-box "investment" that passes none of the three tests
    assert len(vertex.select("#sell ~ table tbody tr .flag")) == 6


# -- charts --------------------------------------------------------------------------------


def test_charts_are_deterministic_labelled_svg() -> None:
    quarters = [Quarter(2026, 1), Quarter(2026, 2)]
    counts = [{"service": 3}, {"strategy": 2, "social": 1}]
    first = charts.context_mix(quarters, counts, prefix="mix")
    assert first == charts.context_mix(quarters, counts, prefix="mix")
    svg = BeautifulSoup(str(first), "html.parser").svg
    assert svg["role"] == "img"
    assert svg.title.get_text() == "Conversations by context per quarter"
    assert [p["id"] for p in svg.find_all("pattern")] == ["mix-hatch", "mix-dots"]
    assert [t.get_text() for t in svg.select("rect > title")] == ["2026Q1: 3 service", "2026Q2: 2 strategy", "2026Q2: 1 social"]
    assert "url(#mix-dots)" in str(first)  # social is a pattern, not only a tone


def test_trust_chart_breaks_lines_where_there_is_no_reading() -> None:
    reading = Trust(7.0, 6.0, 5.0, None, 3.0, 6.0, None, 1.0, 1)
    empty = Trust(None, None, None, None, None, None, None, None, 0)
    points = [(Quarter(2026, 1), reading), (Quarter(2026, 2), empty), (Quarter(2026, 3), reading)]
    svg = BeautifulSoup(str(charts.trust_lines(points)), "html.parser").svg
    reliability = [p for p in svg.find_all("polyline") if p.title.get_text() == "reliability"]
    assert len(reliability) == 2  # a gap, not a line through zero
    assert svg["aria-label"] == ("Trust factors per quarter, 1 to 10, 2026Q1 to 2026Q3. "
                                 "Latest: reliability 7.0, credibility 6.0, intimacy 5.0, self-orientation 3.0.")
    dashes = {p.title.get_text(): p.get("stroke-dasharray") for p in svg.find_all("polyline")}
    assert len(set(dashes.values())) == len(dashes)  # every factor has its own dash


def test_level_timeline_marks_the_review_quarter(rules: RuleSet) -> None:
    ally = rules.models["ally"]
    history = [QuarterLevel(Quarter(2026, 1), ally.level("service-source"), 3),
               QuarterLevel(Quarter(2026, 2), ally.level("ally"), 2)]
    svg = BeautifulSoup(str(charts.level_timeline(history, ally.levels)), "html.parser").svg
    assert [c.title.get_text() for c in svg.find_all("circle")] == ["2026Q1: Service Source", "2026Q2: Ally"]
    assert [c["r"] for c in svg.find_all("circle")] == ["3.5", "5.5"]
    assert [t.get_text() for t in svg.find_all("text")][:4] == ["Ally", "Solution Provider", "Service Source", "Unrated"]


def test_links_in_notes_keep_only_safe_schemes() -> None:
    from allyreport.render.templating import render_markdown

    html = str(render_markdown("[a](javascript:alert(1)) [b](file:///etc/passwd) [c](https://example.com) "
                               "![d](/etc/passwd) <img src=x onerror=alert(1)>"))
    page = BeautifulSoup(html, "html.parser")
    assert [a["href"] for a in page.find_all("a")] == ["https://example.com"]
    assert page.find("img") is None


def test_stylesheet_text_colours_keep_a_contrast_of_at_least_4_5() -> None:
    import re

    css = (REPO / "templates" / "style.css").read_text("utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def contrast(fg: str, bg: str) -> float:
        fg, bg = (c if c.startswith("#") else colours[c] for c in (fg, bg))
        high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    pairs = [("ink", "bg"), ("ink", "soft"), ("muted", "bg"), ("muted", "soft"), ("accent", "bg"), ("accent", "soft"),
             ("up", "bg"), ("crit", "bg"), ("warn", "bg"), ("warn", "warn-bg"), ("#ffffff", "accent"),
             ("#ffffff", "accent-dark")]
    assert {pair: round(contrast(*pair), 1) for pair in pairs if contrast(*pair) < 4.5} == {}


def test_every_link_on_every_page_resolves(site: Path) -> None:
    pages = {page.resolve(): soup(page) for page in sorted(site.rglob("*.html"))}
    broken = []
    for page, parsed in pages.items():
        for a in parsed.find_all(["a", "link", "script"]):
            href = str(a.get("href") or a.get("src") or "")
            target, _, anchor = href.partition("#")
            if target.startswith(("https://", "http://", "mailto:")):
                continue
            path = (page.parent / target).resolve() if target else page
            if not path.is_file() or (anchor and not pages[path].find(id=anchor)):
                broken.append(f"{page.relative_to(site.resolve())}: {href}")
    assert broken == []
