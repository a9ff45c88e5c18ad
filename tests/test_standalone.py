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

from .conftest import CHROMIUM_ARGS


def test_portfolio_html_needs_no_other_file(examples_html: Path) -> None:
    text = (examples_html / "portfolio.html").read_text("utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert soup.find("link") is None
    assert all(not s.get("src") for s in soup.find_all("script"))
    assert soup.find("script").string.strip() == (examples_html / "assets/portfolio.js").read_text("utf-8").strip()
    assert (examples_html / "assets/style.css").read_text("utf-8").strip() in soup.find("style").string
    for tag in soup.find_all(href=True):
        assert re.match(r"#|https?:|mailto:", tag["href"]), tag
    assert not soup.find_all(src=True)
    names = [row.find("td").get_text(strip=True) for row in soup.select("#accounts-table tbody tr")]
    assert names == ["Acme Foods", "Bluefin Retail", "Harbor Freight Lines", "Meridian Insurance", "Northwind Bank",
                     "Oakridge Capital", "Vertex Pharma"]
    index = BeautifulSoup((examples_html / "index.html").read_text("utf-8"), "html.parser")
    assert index.find("link", rel="stylesheet")["href"] == "assets/style.css"  # the site's page is as it was
    assert index.find("a", string="Northwind Bank")["href"] == "accounts/northwind-bank.html"


@pytest.mark.browser
def test_portfolio_html_works_alone_in_a_real_browser(chromium: str, examples_html: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    alone = tmp_path / "attachment"
    alone.mkdir()
    shutil.copyfile(examples_html / "portfolio.html", alone / "portfolio.html")
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
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
