"""A real headless Chromium opens the built site from disk, as an account lead would.

It also takes the README's screenshots (portfolio.png, review.png): into a scratch folder
under `make test`, into docs/img under `make screenshots`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import CHROMIUM_ARGS, screenshots_dir

pytestmark = pytest.mark.browser


class Watch:
    """Console errors, page errors and every request that leaves the output folder."""

    def __init__(self, page: Any, out: Path) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        inside = out.as_uri() + "/"
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(inside) else self.outside.append(r.url))


def visible_names(page: Any) -> list[str]:
    return list(page.locator("#accounts-table tbody tr:visible td:first-child").all_inner_texts())


def test_portfolio_sorts_filters_and_links_in_a_real_browser(chromium: str, examples_html: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = screenshots_dir(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        watch = Watch(page, examples_html)
        page.goto((examples_html / "index.html").as_uri())
        assert page.locator("#filters").is_visible()
        assert visible_names(page) == ["Acme Foods", "Bluefin Retail", "Harbor Freight Lines", "Meridian Insurance",
                                       "Northwind Bank", "Oakridge Capital", "Vertex Pharma"]
        page.screenshot(path=str(shots / "portfolio.png"), full_page=True)

        tq = page.locator("#accounts-table thead th", has_text="TQ")
        tq.locator("button").click()
        assert tq.get_attribute("aria-sort") == "ascending"
        values = page.locator("#accounts-table tbody tr").evaluate_all("rs => rs.map(r => r.cells[4].dataset.value)")
        assert [float(v) for v in values] == sorted(float(v) for v in values)
        assert visible_names(page)[0] == "Harbor Freight Lines"  # the lowest trust quotient, 2.3
        tq.locator("button").press("Enter")  # the keyboard sorts too
        assert tq.get_attribute("aria-sort") == "descending"
        assert visible_names(page)[0] == "Meridian Insurance"  # the highest, 8.3

        page.select_option("#filter-level", "ally")
        assert sorted(visible_names(page)) == ["Meridian Insurance", "Northwind Bank"]
        page.select_option("#filter-owner", "Jo Park")
        assert visible_names(page) == ["Northwind Bank"]
        assert page.locator("#shown-count").inner_text() == "1 of 7 accounts"
        page.select_option("#filter-level", "")
        page.select_option("#filter-owner", "")
        page.select_option("#filter-insight", "price-driven")
        assert sorted(visible_names(page)) == ["Harbor Freight Lines", "Oakridge Capital"]
        page.select_option("#filter-insight", "")

        page.click("#accounts-table >> text=Northwind Bank")
        assert page.url == (examples_html / "accounts" / "northwind-bank.html").as_uri()
        assert page.locator("h1").inner_text().startswith("Northwind Bank")
        assert page.locator(".verdict [data-level]").first.get_attribute("data-level") == "ally"
        page.set_viewport_size({"width": 1200, "height": 1500})
        page.screenshot(path=str(shots / "review.png"), full_page=False)

        page.click("header nav >> text=Relationship plan")
        assert page.url == (examples_html / "plans" / "northwind-bank.html").as_uri()
        assert page.locator("h1").inner_text().startswith("Northwind Bank")
        page.click("header nav >> text=Portfolio")
        assert page.url == (examples_html / "index.html").as_uri()
        browser.close()
    assert watch.errors == []
    assert watch.outside == []
    assert (shots / "portfolio.png").stat().st_size > 10_000


def test_without_javascript_the_whole_table_shows(chromium: str, examples_html: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(java_script_enabled=False)
        page.goto((examples_html / "index.html").as_uri())
        assert page.locator("#accounts-table tbody tr:visible").count() == 7
        assert not page.locator("#filters").is_visible()  # filters need the script; nothing half-works
        browser.close()


def test_people_show_on_the_review_plan_and_portfolio_in_a_real_browser(chromium: str, examples_html: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        watch = Watch(page, examples_html)
        page.goto((examples_html / "index.html").as_uri())
        coverage = page.locator("#accounts-table thead th", has_text="Coverage")
        coverage.locator("button").click()
        shares = page.locator("#accounts-table tbody tr").evaluate_all("rs => rs.map(r => r.cells[6].dataset.value)")
        assert [float(v) for v in shares] == sorted(float(v) for v in shares)
        gap = page.locator("#accounts-table thead th", has_text="Trust gap")
        gap.locator("button").click()
        gap.locator("button").click()
        assert visible_names(page)[0] == "Harbor Freight Lines"  # the largest gap: +2.5 on self-orientation
        page.goto((examples_html / "accounts" / "northwind-bank.html").as_uri())
        people = page.locator("table.people tbody tr")
        assert people.count() == 5
        assert people.nth(1).is_visible()
        assert "left 2026-09-04" in people.nth(1).inner_text().lower()  # the tag is shown in capitals
        assert page.locator("#insight-sponsor-left").is_visible()
        page.goto((examples_html / "plans" / "northwind-bank.html").as_uri())
        assert page.locator("ul.people-moves li").first.inner_text().startswith("Sofia Brandt")
        browser.close()
    assert watch.errors == []
    assert watch.outside == []
