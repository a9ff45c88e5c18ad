"""output/portfolio.html: the portfolio page as one self-contained file. Read as structure
(no file it needs besides itself, its CSS and script inline, no link to another output file)
and opened alone, copied into an empty folder, in a real headless Chromium: it sorts and
filters with no request leaving the file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from .conftest import REPO, chromium_or_skip, run_cli

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(REPO / "notes", root / "notes")
    shutil.copyfile(REPO / "allyreport.toml", root / "allyreport.toml")
    result = run_cli("build", "--out", "out", "--no-pdf", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "out"


def test_portfolio_html_needs_no_other_file(built: Path) -> None:
    text = (built / "portfolio.html").read_text("utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert soup.find("link") is None
    assert all(not s.get("src") for s in soup.find_all("script"))
    assert soup.find("script").string.strip() == (built / "assets/portfolio.js").read_text("utf-8").strip()
    assert (built / "assets/style.css").read_text("utf-8").strip() in soup.find("style").string
    for tag in soup.find_all(href=True):
        assert re.match(r"#|https?:|mailto:", tag["href"]), tag
    assert not soup.find_all(src=True)
    names = [row.find("td").get_text(strip=True) for row in soup.select("#accounts-table tbody tr")]
    assert names == ["Acme Foods", "Bluefin Retail", "Harbor Freight Lines", "Meridian Insurance", "Northwind Bank",
                     "Oakridge Capital", "Vertex Pharma"]
    index = BeautifulSoup((built / "index.html").read_text("utf-8"), "html.parser")
    assert index.find("link", rel="stylesheet")["href"] == "assets/style.css"  # the site's page is as it was
    assert index.find("a", string="Northwind Bank")["href"] == "accounts/northwind-bank.html"


@pytest.mark.browser
def test_portfolio_html_works_alone_in_a_real_browser(built: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_or_skip()
    alone = tmp_path / "attachment"
    alone.mkdir()
    shutil.copyfile(built / "portfolio.html", alone / "portfolio.html")
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page: Any = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((alone / "portfolio.html").as_uri())
        assert page.locator("#filters").is_visible()  # the inline script ran
        page.select_option("#filter-level", "ally")
        shown = page.locator("#accounts-table tbody tr:visible td:first-child").all_inner_texts()
        assert sorted(shown) == ["Meridian Insurance", "Northwind Bank"]
        position = page.evaluate("getComputedStyle(document.querySelector('a.skip')).position")
        assert position == "absolute"  # the inline stylesheet applies (a browser's own style would leave it static)
        browser.close()
    assert errors == []
    assert requests == [(alone / "portfolio.html").as_uri()]
