"""A real headless Chromium on `allyreport serve`: the page reloads itself when a note is saved,
shows a broken note's problems over the last good page, and recovers on the next good save."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import CHROMIUM_ARGS, REPO, Served

pytestmark = pytest.mark.browser
SECONDS = 120_000  # ms a wait may take on a busy machine; the speed itself is measured in `make bench`


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The example notes and settings, served as a user serves them."""
    shutil.copytree(REPO / "notes", tmp_path / "notes")
    shutil.copyfile(REPO / "allyreport.toml", tmp_path / "allyreport.toml")
    server = Served(tmp_path, "--out", "out")
    yield server
    if server.proc.poll() is None:
        assert server.stop() == 0


def test_a_saved_note_reloads_the_open_page_with_its_new_content(chromium: str, served: Served,
                                                                  tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    note = sorted((tmp_path / "notes" / "northwind-bank").glob("2026-0[789]-*.md"))[-1]
    original = note.read_text("utf-8")
    base = f"http://127.0.0.1:{served.port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/accounts/northwind-bank.html")
        assert page.locator("h1").inner_text().startswith("Northwind Bank")
        # a save before the page's EventSource connects is not lost: the event it then gets first
        # is the new build's token, which differs from the one the page was served with
        marker = "The board asked us to present the Q4 plan in person."
        assert marker not in page.content()

        note.write_text(original.rstrip("\n") + f"\n\n{marker}\n", "utf-8")
        page.wait_for_function(f"document.body.innerText.includes({marker!r})", timeout=SECONDS)
        assert page.locator("#allyreport-problems").count() == 0

        note.write_text(original.replace("\n---\n", "\ncontext: [\n---\n", 1), "utf-8")  # a YAML error
        page.wait_for_selector("#allyreport-problems", timeout=SECONDS)
        problems = page.locator("#allyreport-problems pre").inner_text()
        assert problems.startswith(f"notes/northwind-bank/{note.name}:")
        assert page.locator("h1").inner_text().startswith("Northwind Bank")  # the last good page, underneath

        note.write_text(original, "utf-8")
        page.wait_for_function("!document.getElementById('allyreport-problems')", timeout=SECONDS)
        assert marker not in page.locator("main").inner_text()
        browser.close()
    assert errors == []
    assert "__allyreport" not in (tmp_path / "out" / "accounts" / "northwind-bank.html").read_text("utf-8")

