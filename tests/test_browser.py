"""A real headless Chromium opens the built site from disk, as an account lead would."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import REPO, run_cli

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("ALLYREPORT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing but ALLYREPORT_REQUIRE_BROWSER=1 (CI must run this test)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


def test_portfolio_sorts_filters_and_links_in_a_real_browser(chromium: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    # The examples as a user has them: a notes folder and allyreport.toml side by side.
    shutil.copytree(REPO / "notes", tmp_path / "notes")
    shutil.copyfile(REPO / "allyreport.toml", tmp_path / "allyreport.toml")
    result = run_cli("build", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = (tmp_path / "out").resolve()
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(out.as_uri() + "/") else None)
        page.goto((out / "index.html").as_uri())
        rows = page.locator("#accounts-table tbody tr")
        assert rows.count() == 7
        assert page.locator("#filters").is_visible()

        page.click("#accounts-table th:has-text('TQ')")
        tqs = [float(v) for v in rows.evaluate_all("rs => rs.map(r => r.cells[4].dataset.value)")]
        assert tqs == sorted(tqs)
        page.click("#accounts-table th:has-text('TQ')")
        tqs = [float(v) for v in rows.evaluate_all("rs => rs.map(r => r.cells[4].dataset.value)")]
        assert tqs == sorted(tqs, reverse=True)

        page.select_option("#filter-level", "ally")
        visible = page.locator("#accounts-table tbody tr:visible td:first-child")
        assert sorted(visible.all_inner_texts()) == ["Meridian Insurance", "Northwind Bank"]
        page.select_option("#filter-owner", "Jo Park")
        assert visible.all_inner_texts() == ["Northwind Bank"]
        assert page.locator("#shown-count").inner_text() == "1 of 7 accounts"
        page.select_option("#filter-level", "")
        page.select_option("#filter-owner", "")
        page.screenshot(path=str(tmp_path / "portfolio.png"), full_page=True)

        page.click("text=Northwind Bank")
        assert page.locator("h1").inner_text().startswith("Northwind Bank")
        assert page.locator(".verdict [data-level]").get_attribute("data-level") == "ally"
        page.screenshot(path=str(tmp_path / "review.png"), full_page=False)
        browser.close()
    assert errors == []
    assert outside == []
    if os.environ.get("ALLYREPORT_UPDATE_SCREENSHOTS") == "1":
        for name in ("portfolio.png", "review.png"):
            shutil.copyfile(tmp_path / name, REPO / "docs" / "img" / name)
    assert (tmp_path / "portfolio.png").stat().st_size > 10_000
