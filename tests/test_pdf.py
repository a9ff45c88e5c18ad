"""The PDFs, printed by the real WeasyPrint and read back with pypdf (text, metadata, tags,
outlines, links) and pypdfium2 (pages rendered to pixels): both install with pip, so the
suite needs nothing from the system beyond what `make reports` needs.

Three accounts written inline cover the portfolio's stories: Northwind Bank moves up to
Ally, Harbor Freight Lines moves down to Service Source on price, Bluefin Retail went
quiet and has no relationship plan. They are built once for the module (the real CLI, one
job); a second build with two jobs must give byte-identical PDFs.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from allyreport.bench.corpus import generate
from allyreport.build.pipeline import judge
from allyreport.config.options import Options
from allyreport.config.settings import load_settings
from allyreport.render.documents import LIST_CAP, PdfJob, documents, summarize
from allyreport.render.printer import FONT_DIR, Printer, RefusedFetch, captured, check_url, make_setup
from allyreport.render.templating import DEFAULT_TEMPLATES

from .conftest import EXAMPLES, run_cli, screenshots_dir

pytestmark = pytest.mark.pdf

ACCOUNTS = {
    "northwind-bank/account.md": """
        ---
        account: Northwind Bank
        owner: Dana Reyes
        industry: banking
        relevance: rising
        stakeholders:
          - name: Tom Berg
            role: CEO
        plan:
          - do: Run a half-day workshop on their branch strategy
            kind: invest
            tests: [own-time, learn, illustrate]
        ---
        A regional bank with a new CEO who wants to rethink the branch network.
        """,
    "harbor-freight-lines/account.md": """
        ---
        account: Harbor Freight Lines
        owner: Lars Berg
        stakeholders:
          - name: Mei Chen
            role: Head of Procurement
        plan:
          - do: Propose the next framework contract
            kind: sell
        ---
        A freight operator that buys on price.
        """,
    "bluefin-retail/account.md": """
        ---
        account: Bluefin Retail
        owner: Ines Costa
        ---
        A retailer we have not spoken to in months.
        """,
}
TRUST = "trust: {reliability: 7, credibility: 8, intimacy: 6, character: 7, self_orientation: 3}\n"
RATE_CARD = "actions:\n  - do: Send the revised rate card\n    by: 2026-08-01\n"


def note(day: str, context: str, who: str, by: str = "client", price: bool = False, extra: str = "") -> str:
    return (f"---\ndate: {day}\nwith: [{who}]\ncontext: {context}\nopened_by: {by}\n"
            f"price: {'true' if price else 'false'}\n{extra}---\nWe discussed the {context} at hand.\n")


def portfolio_notes() -> dict[str, str]:
    """Two quarters of problem talk, then a strategic quarter (Northwind) or a price quarter (Harbor)."""
    files = {rel: textwrap.dedent(text).lstrip() for rel, text in ACCOUNTS.items()}
    earlier = [("01-12", "problem"), ("02-09", "problem"), ("03-02", "service"), ("04-14", "problem"), ("05-20", "service")]
    for day, context in [*earlier, ("07-08", "strategy"), ("08-12", "strategy"), ("09-10", "strategy")]:
        files[f"northwind-bank/2026-{day}-{context}.md"] = note(
            f"2026-{day}", context, "Tom Berg", "us" if context == "strategy" else "client", extra=TRUST)
    for day, context in [*earlier, ("07-09", "service"), ("08-05", "service"), ("09-02", "service")]:
        files[f"harbor-freight-lines/2026-{day}-{context}.md"] = note(
            f"2026-{day}", context, "Mei Chen", price=day >= "07", extra=RATE_CARD if day == "07-09" else "")
    for day in ("01-20", "02-03", "02-24"):
        files[f"bluefin-retail/2026-{day}-service.md"] = note(f"2026-{day}", "service", "Omar Haddad")
    return files


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    return root


def build(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli("build", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three accounts, built once: the output folder."""
    cwd = tmp_path_factory.mktemp("pdfs")
    write_tree(cwd / "notes", portfolio_notes())
    build(cwd, "--notes", "notes", "--out", "out", "--jobs", "1")
    return cwd / "out"


def text(pdf: Path) -> str:
    """The PDF's text in drawing order (each page's header and footer last), whitespace collapsed."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)


def layout_text(pdf: Path, page: int = 0) -> str:
    """One page's text in reading order by position (so a contents line reads label, leaders, page number)."""
    return " ".join(PdfReader(pdf).pages[page].extract_text(extraction_mode="layout").split())


def in_order(words: str, *pieces: str) -> bool:
    """Every piece appears, each after the one before (table cells may be read column-first)."""
    at = 0
    for piece in pieces:
        found = words.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def between(words: str, start: str, end: str) -> str:
    return words[words.index(start): words.index(end, words.index(start))]


def info(pdf: Path) -> dict[str, str]:
    """What a PDF viewer's document properties show: the info dictionary, tagging, pages and page size."""
    reader = PdfReader(pdf)
    meta, root = reader.metadata, reader.trailer["/Root"]
    assert meta is not None
    assert meta.creation_date is not None
    assert meta.modification_date is not None
    box = reader.pages[0].mediabox
    mark_info = root["/MarkInfo"].get_object() if "/MarkInfo" in root else {}
    tree = root["/StructTreeRoot"].get_object() if "/StructTreeRoot" in root else {}
    marked = bool(mark_info.get("/Marked", False)) and "/K" in tree  # marked content, and a tag tree that holds it
    return {"Title": meta.title or "", "Author": meta.author or "", "Subject": meta.subject or "",
            "CreationDate": meta.creation_date.isoformat(), "ModDate": meta.modification_date.isoformat(),
            "Tagged": "yes" if marked else "no", "Pages": str(len(reader.pages)),
            "Page size": f"{float(box.width):g} x {float(box.height):g} pts"}


def render_page(pdf: Path, index: int, png: Path) -> None:
    """One page as a PNG at 90 dpi, drawn by PDFium."""
    import pypdfium2

    pypdfium2.PdfDocument(pdf)[index].render(scale=90 / 72).to_pil().save(png, optimize=True)


def ink(pdf: Path) -> list[float]:
    """Each page rendered to pixels at 72 dpi: the share of the body's pixels (below the running
    header, above the footer) that are not near-white."""
    import pypdfium2

    shares = []
    for page in pypdfium2.PdfDocument(pdf):
        image = page.render(scale=1).to_pil().convert("L")
        body = image.crop((0, image.height // 10, image.width, image.height * 9 // 10))
        shares.append(sum(body.histogram()[:200]) / (body.width * body.height))
    return shares


def outline(pdf: Path) -> list[str]:
    """The top-level bookmarks."""
    return [item.title for item in PdfReader(pdf).outline if not isinstance(item, list)]


# -- what a reader gets ---------------------------------------------------------------------


def test_every_account_gets_a_review_and_a_plan_and_the_quarter_a_summary(site: Path) -> None:
    names = sorted(p.name for p in (site / "pdf").iterdir())
    assert names == ["bluefin-retail-plan.pdf", "bluefin-retail-review.pdf", "harbor-freight-lines-plan.pdf",
                     "harbor-freight-lines-review.pdf", "northwind-bank-plan.pdf", "northwind-bank-review.pdf",
                     "pack-2026Q3.pdf", "portfolio-2026Q3.pdf"]


def test_review_states_level_quarter_insights_and_cover(site: Path) -> None:
    words = text(site / "pdf/harbor-freight-lines-review.pdf")
    assert ("Account review · 2026Q3 Harbor Freight Lines LEVEL Service Source down from Solution Provider "
            "WINS WORK BY price TRUST QUOTIENT — 0 readings TARGET Solution Provider") in words
    # the as-of date: the quarter's end, since 2026Q3 is over (never the build date)
    assert "Account owner Lars Berg As of 30 September 2026 Period 2026Q3: 1 July to 30 September 2026" in words
    for key, title in [("price-driven", "Price-driven"), ("reliability-gap", "Reliability gap"),
                       ("sales-plan", "A sales plan, not a relationship plan"), ("single-threaded", "Single-threaded")]:
        assert f"{title} " in words
        assert f" {key} " in words
    assert "Kept 0 of 1 firm commitments on time (0%)." in words
    assert in_order(between(words, "Not Solution Provider", "Not Ally"), "not met", "problem_share + strategy_share >= 0.5",
                    "problem_share = 0.2, strategy_share = 0")


def test_review_has_running_header_page_numbers_and_bookmarks(site: Path) -> None:
    pdf = site / "pdf/northwind-bank-review.pdf"
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages]
    assert 2 <= len(pages) <= 12
    assert "Northwind Bank · Account review · 2026Q3 Our firm As of 30 September 2026" in pages[1]
    assert f"page 2 of {len(pages)}" in pages[1]
    assert "page 1 of" not in pages[0]  # the cover has no header or footer
    assert outline(pdf) == ["Summary", "Why Ally", "What it would take to move up", "Trust", "Stakeholder map", "Insights",
                            "The notes behind this review"]


def test_table_of_contents_links_jump_inside_the_pdf(site: Path) -> None:
    reader = PdfReader(site / "pdf/northwind-bank-review.pdf")
    links = [a.get_object() for a in reader.pages[0]["/Annots"]]
    targets = {"summary", "why", "next", "trust", "people", "insights", "notes"}
    assert {link["/Dest"] for link in links} == targets  # label, leader and page number each link
    names = reader.trailer["/Root"]["/Names"]["/Dests"]["/Names"]
    assert targets <= set(names[::2])
    toc = layout_text(site / "pdf/northwind-bank-review.pdf")
    assert in_order(toc, "1. Summary . .", ". 2 2. Why Ally", "5. Stakeholder map . .",
                    "7. The notes behind this review . .", ". 5")


def test_evidence_links_jump_to_the_cited_notes(site: Path) -> None:
    reader = PdfReader(site / "pdf/harbor-freight-lines-review.pdf")
    dests = {a.get_object()["/Dest"] for page in reader.pages for a in page.get("/Annots", [])}
    names = reader.trailer["/Root"]["/Names"]["/Dests"]["/Names"][::2]
    assert dests <= set(names)
    words = text(site / "pdf/harbor-freight-lines-review.pdf")
    cited = words[words.rindex("The notes behind this review"):]  # the section, not its line in the contents
    # the window's five business notes (behind `business >= 3` and the insights), oldest first
    assert {d for d in dests if d.startswith("note-")} == {f"note-{i}" for i in range(5)}
    assert in_order(cited, "14 April 2026", "20 May 2026", "9 July 2026", "5 August 2026", "2 September 2026")


def test_metadata_language_tags_and_page_size(site: Path) -> None:
    meta = info(site / "pdf/northwind-bank-plan.pdf")
    assert meta["Title"] == "Northwind Bank: relationship plan, 2026Q3"
    assert meta["Author"] == "Dana Reyes"
    assert meta["Subject"].startswith("Relationship plan of Northwind Bank for 2026Q3")
    assert meta["CreationDate"] == meta["ModDate"] == "2026-09-30T00:00:00"  # the as-of date: 2026Q3 is over
    assert meta["Tagged"] == "yes"  # /MarkInfo /Marked true, and a /StructTreeRoot
    assert meta["Page size"] == "595.276 x 841.89 pts"  # A4
    assert PdfReader(site / "pdf/northwind-bank-plan.pdf").trailer["/Root"]["/Lang"] == "en"


def test_plan_lists_investments_sales_and_overdue_commitments(site: Path) -> None:
    words = text(site / "pdf/harbor-freight-lines-plan.pdf")
    assert "No open investment: this account has no relationship plan." in words
    assert "More sales actions than investments" in words
    assert "Propose the next framework contract — firm notes/harbor-freight-lines/account.md:8" in words
    unwrapped = words.replace("- ", "-")  # a long path may wrap after one of its hyphens
    assert "Send the revised rate card 2026-08-01 overdue firm notes/harbor-freight-lines/2026-07-09-service.md:8" in unwrapped
    assert "Run a half-day workshop on their branch strategy — firm passes all three" in text(
        site / "pdf/northwind-bank-plan.pdf")


def test_portfolio_names_who_moved_and_why(site: Path) -> None:
    words = text(site / "pdf/portfolio-2026Q3.pdf")
    up, down = between(words, "Moved up (1)", "Moved down"), between(words, "Moved down (2)", "Top risks")
    # up: the conditions Ally adds to Solution Provider's, not `business >= 3` that both share
    assert in_order(up, "Northwind Bank", "Dana Reyes", "Solution Provider", "Ally",
                    "strategy_share >= 0.5 (strategy_share = 0.6); strategy_opened_by_us >= 1 (strategy_opened_by_us = 3)")
    assert "business >= 3" not in up
    assert in_order(down, "Harbor Freight", "Lars Berg", "Solution", "Service",
                    "problem_share + strategy_share >= 0.5 (problem_share = 0.2, strategy_share = 0)",
                    "Bluefin Retail", "Ines", "Service Source", "Unrated", "business >= 3 (business = 0)")


def test_portfolio_ranks_risks_critical_first_and_lists_accounts_without_a_plan(site: Path) -> None:
    words = text(site / "pdf/portfolio-2026Q3.pdf")
    risks = between(words, "Top risks INSIGHT", "The accounts most at risk")
    order = [risks.index(f" {key} ") for key in ("dormant", "reliability-gap", "single-threaded", "price-driven")]
    assert order == sorted(order)  # critical (by count, then key) before warnings (by count, then key)
    assert "Single-threaded single-threaded WARNING 2 Meet a second stakeholder" in risks
    no_plan = between(words, "Accounts without a relationship plan No open", "Appendix")
    assert "Harbor Freight Lines Lars Berg Service Source 1 Bluefin Retail Ines Costa Unrated 0" in no_plan  # highest level first
    assert outline(site / "pdf/portfolio-2026Q3.pdf") == [
        "At a glance", "Who moved, and why", "Top risks", "Accounts whose sponsor left", "Accounts without a relationship plan",
        "Appendix: every account"]


def test_portfolio_level_distribution_and_change(site: Path) -> None:
    words = text(site / "pdf/portfolio-2026Q3.pdf")
    assert in_order(between(words, "Levels this quarter", "Most frequent"), "Ally", "demonstrated alignment", "1", "0", "+1",
                    "Solution Provider", "perceived expertise", "0", "2", "−2", "Service Source", "price", "1", "1", "±0",
                    "Unrated", "—", "1", "0", "+1")


def test_no_pdf_embeds_a_file(site: Path) -> None:
    for pdf in (site / "pdf").iterdir():
        names = PdfReader(pdf).trailer["/Root"].get("/Names")
        assert names is None or "/EmbeddedFiles" not in names.get_object(), pdf.name


def test_every_page_renders_with_something_on_it(site: Path) -> None:
    """Drawn by a second PDF engine (PDFium), no page is blank below its running header: a page
    break gone wrong shows here."""
    for pdf in sorted((site / "pdf").iterdir()):
        shares = ink(pdf)
        assert len(shares) == len(PdfReader(pdf).pages), pdf.name
        assert min(shares) > 0.002, (pdf.name, shares)


def test_two_builds_give_identical_bytes_whatever_the_jobs(site: Path) -> None:
    cwd = site.parent
    build(cwd, "--notes", "notes", "--out", "again", "--jobs", "2")
    for pdf in (site / "pdf").iterdir():
        assert (cwd / "again/pdf" / pdf.name).read_bytes() == pdf.read_bytes(), pdf.name


def test_letter_page_size_from_settings(site: Path) -> None:
    cwd = site.parent
    (cwd / "letter.toml").write_text('page_size = "Letter"\npdf_variant = "pdf/a-3b"\n', "utf-8")
    build(cwd, "--config", "letter.toml", "--notes", "notes", "--out", "letter", "--jobs", "1")
    meta = info(cwd / "letter/pdf/portfolio-2026Q3.pdf")
    assert meta["Page size"] == "612 x 792 pts"  # Letter
    assert meta["Tagged"] == "yes"
    xmp = PdfReader(cwd / "letter/pdf/portfolio-2026Q3.pdf").trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp
    assert b'pdfaid:conformance="B"' in xmp


def test_portfolio_stays_short_at_many_accounts(tmp_path: Path) -> None:
    """Each list up front shows 15 accounts and says how many more; the appendix has them all."""
    generate(tmp_path / "notes", accounts=90, notes=12)
    settings, _ = load_settings(None, tmp_path)
    assert settings is not None
    project = judge(settings, Options(notes=tmp_path / "notes", out=tmp_path / "out")).project
    assert project is not None
    ups = sorted(v.account.name for v in project.verdicts if v.movement == "up")
    no_plan = [v for v in project.verdicts if v.window.values["open_invest"] == 0]
    assert len(ups) > LIST_CAP
    jobs, problems = documents(project, None)
    portfolio = next(jobs)
    assert (portfolio.name, problems) == ("pdf/portfolio-2026Q3.pdf", [])
    soup = BeautifulSoup(portfolio.html, "html.parser")
    up_rows = soup.select("#moved table.movers")[0].select("tbody tr")
    assert sorted(row.td.get_text() for row in up_rows) == sorted(
        m.verdict.account.name for m in summarize(project).up.shown)
    assert len(up_rows) == LIST_CAP
    assert f"… and {len(ups) - LIST_CAP} more moved up; the appendix lists every account." in soup.get_text()
    assert len(soup.select("#no-plan tbody tr")) == min(len(no_plan), LIST_CAP)
    assert len(soup.select("#appendix tbody tr")) == 90


# -- safety: nothing is read but the templates and fonts; failures fail the build -----------


ROOTS = (str(DEFAULT_TEMPLATES.resolve()), str(FONT_DIR))


@pytest.mark.parametrize(("url", "message"), [
    ("http://example.com/style.css",
     "refused to fetch http://example.com/style.css: a report reads only the templates and fonts, never the network"),
    ("https://127.0.0.1/x.png",
     "refused to fetch https://127.0.0.1/x.png: a report reads only the templates and fonts, never the network"),
    ("file://evil.example/etc/passwd",
     "refused to fetch file://evil.example/etc/passwd: a report reads only the templates and fonts, never the network"),
    ("data:text/css,body{}",
     "refused to fetch data:text/css,body{}: a report reads only the templates and fonts, never the network"),
    ("file:///etc/passwd", "refused to read /etc/passwd: outside the templates and fonts folders"),
    (DEFAULT_TEMPLATES.resolve().as_uri() + "/../../../../etc/passwd",
     "refused to read /etc/passwd: outside the templates and fonts folders"),
])
def test_fetcher_refuses_the_network_and_files_elsewhere(url: str, message: str) -> None:
    with pytest.raises(RefusedFetch) as refused:
        check_url(url, ROOTS)
    assert str(refused.value) == message


def test_fetcher_follows_links_before_deciding_and_reads_regular_files_only(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    (root / "sub").mkdir(parents=True)
    (root / "print.css").write_text("body {}", "utf-8")
    (root / "big.css").write_bytes(b" " * 2048)
    (root / "passwd.css").symlink_to("/etc/passwd")
    roots = (str(root.resolve()),)
    assert check_url((root / "print.css").as_uri(), roots) == (root / "print.css").resolve()
    assert check_url(FONT_DIR.joinpath("OpenSans-Regular.ttf").as_uri(), ROOTS).name == "OpenSans-Regular.ttf"
    cases = {(root / "passwd.css").as_uri(): "refused to read /etc/passwd: outside the templates and fonts folders",
             (root / "sub").as_uri(): f"refused to read {root.resolve() / 'sub'}: not a regular file",
             (root / "gone.css").as_uri(): f"cannot read {root.resolve() / 'gone.css'}: no such file"}
    for url, message in cases.items():
        with pytest.raises(RefusedFetch, match=f"^{re.escape(message)}$"):
            check_url(url, roots)
    with pytest.raises(RefusedFetch, match=r"larger than 0 MiB$"):
        check_url((root / "big.css").as_uri(), roots, max_bytes=1024)


def test_a_network_image_fails_the_print_without_a_connection(tmp_path: Path) -> None:
    printer = Printer(make_setup("A4", "pdf/ua-1", None))
    job = PdfJob("pdf/x.pdf", '<html lang="en"><title>x</title><img src="http://127.0.0.1:9/logo.png" alt="logo"></html>')
    assert [d.format() for d in printer.print(job, tmp_path / "x.pdf")] == [
        "pdf/x.pdf: refused to fetch http://127.0.0.1:9/logo.png: "
        "a report reads only the templates and fonts, never the network"]


def test_weasyprint_errors_become_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"not an image")
    printer = Printer(make_setup("A4", "pdf/ua-1", tmp_path))
    job = PdfJob("pdf/x.pdf", '<html lang="en"><title>x</title><img src="broken.png" alt="logo"></html>')
    [problem] = printer.print(job, tmp_path / "x.pdf")
    assert problem.path == "pdf/x.pdf"
    assert problem.message.startswith(f"WeasyPrint: Failed to load image at '{(tmp_path / 'broken.png').as_uri()}'")
    logger = logging.getLogger("weasyprint")
    logger.setLevel(logging.CRITICAL)  # an application that silenced WeasyPrint does not silence the build
    with captured("pdf/y.pdf", ()) as problems:
        logger.warning("Font-face 'Open Sans' cannot be loaded")
        logger.warning("Ignored `foo: bar` at 1:1, unknown property.")
    assert logger.level == logging.CRITICAL
    logger.setLevel(logging.NOTSET)
    assert [d.format() for d in problems] == ["pdf/y.pdf: WeasyPrint: Font-face 'Open Sans' cannot be loaded"]


def test_override_with_a_missing_stylesheet_fails_the_build_and_keeps_the_output(site: Path) -> None:
    cwd = site.parent
    custom = cwd / "custom/pdf"
    custom.mkdir(parents=True, exist_ok=True)
    (custom / "portfolio.html").write_text(
        '<!doctype html>\n<html lang="en">\n<link rel="stylesheet" href="brand.css">\n<title>x</title>\n</html>\n', "utf-8")
    shutil.copytree(site, cwd / "kept")
    result = run_cli("build", "--notes", "notes", "--out", "kept", "--templates", "custom", "--jobs", "2", cwd=cwd)
    assert result.returncode == 1
    missing = (cwd / "custom/brand.css").resolve()
    assert result.stderr.splitlines()[0] == (
        f"custom/pdf/portfolio.html:3: cannot read {missing}: no such file (printing pdf/portfolio-2026Q3.pdf)")
    assert (cwd / "kept/pdf/portfolio-2026Q3.pdf").read_bytes() == (site / "pdf/portfolio-2026Q3.pdf").read_bytes()
    shutil.rmtree(cwd / "custom")


def test_template_error_is_reported_at_its_line(site: Path) -> None:
    cwd = site.parent
    (cwd / "broken/pdf").mkdir(parents=True)
    (cwd / "broken/pdf/plan.html").write_text('{% extends "pdf/base.html" %}\n{% block content %}\n{{ v.budget }}\n'
                                              '{% endblock %}\n', "utf-8")
    result = run_cli("build", "--notes", "notes", "--out", "broken-out", "--templates", "broken", "--jobs", "1", cwd=cwd)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "broken/pdf/plan.html:3: template error: 'allyreport.rules.engine.Verdict object' has no attribute 'budget'")
    assert not (cwd / "broken-out").exists()


# -- the example notes ----------------------------------------------------------------------


@pytest.mark.skipif(len(list(EXAMPLES.glob("*/account.md"))) < 7, reason="the example notes are not all written yet")
def test_example_notes_give_sane_pdfs(examples_pdf: Path, tmp_path: Path) -> None:
    out = examples_pdf  # the examples and allyreport.toml, built with `--jobs 2`
    levels = json.loads((out / "levels.json").read_text("utf-8"))
    assert len(levels) == 7
    for account in levels:
        review = out / "pdf" / f"{account['slug']}-review.pdf"
        words = text(review)
        assert f"{account['name']} LEVEL {account['level_title']}" in words
        assert all(f" {i['key']} " in words and i["title"] in words for i in account["insights"])
        meta = info(review)
        assert 2 <= int(meta["Pages"]) <= 12
        assert meta["Tagged"] == "yes"
        assert (out / "pdf" / f"{account['slug']}-plan.pdf").stat().st_size > 10_000
    portfolio = out / f"pdf/portfolio-{levels[0]['quarter']}.pdf"
    summary = text(portfolio)
    assert all(account["name"] in summary for account in levels)
    assert "Example & Partners" in summary  # the settings file beside the notes was found
    cover = screenshots_dir(tmp_path) / "portfolio-pdf.png"  # the README's picture of the PDF
    render_page(portfolio, 0, cover)
    assert cover.stat().st_size > 10_000
