"""What `allyreport serve` watches besides the notes, and what it leaves alone: the settings'
extra stylesheet, the rules files, the templates, a settings edit that names other files, the
date (a session that runs past midnight reviews as of the new day), and the folders a build
skips at any depth. The real server in a subprocess, files edited on disk while it runs."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from allyreport.serve.watch import Watcher

from .conftest import Events, NotesWriter, Served
from .support import ACCOUNT, tree_hash

NOTE = """\
---
date: {date}
with: [Dana Reyes]
context: strategy
opened_by: us
trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}
---
{body}
"""


def portfolio(write_notes: NotesWriter, days: tuple[str, ...] = ("2026-05-06", "2026-06-10", "2026-07-08")) -> Path:
    files: dict[str, str | bytes] = {}
    for slug in ("acme", "globex"):
        files[f"{slug}/account.md"] = ACCOUNT.format(name=slug.title())
        for day in days:
            files[f"{slug}/{day}-meeting.md"] = NOTE.format(date=day, body=f"We met {slug} on {day}.")
    return write_notes(files)


def reloaded(events: Events, token: str) -> str:
    fresh = events.next()
    assert fresh != token
    return fresh


@pytest.fixture
def serving(write_notes: NotesWriter, tmp_path: Path) -> Iterator[list[Served]]:
    """The servers a test starts, each stopped (and its exit checked) at the end."""
    portfolio(write_notes)
    started: list[Served] = []
    yield started
    for server in started:
        if server.proc.poll() is None:
            assert server.stop() == 0, "".join(server.err)


def test_an_edit_to_the_extra_stylesheet_redoes_the_assets_not_the_accounts(serving: list[Served],
                                                                              tmp_path: Path) -> None:
    (tmp_path / "brand.css").write_text("body { color: teal; }\n", "utf-8")
    (tmp_path / "allyreport.toml").write_text('extra_css = "brand.css"\n', "utf-8")
    server = Served(tmp_path, "--notes", "notes", "--out", "out")
    serving.append(server)
    assert server.request("/assets/extra.css")[2] == b"body { color: teal; }\n"
    events = server.events()
    token = events.next()
    before = tree_hash(tmp_path / "out")
    (tmp_path / "brand.css").write_text("body { color: navy; }\n", "utf-8")
    reloaded(events, token)
    assert server.request("/assets/extra.css")[2] == b"body { color: navy; }\n"
    after = tree_hash(tmp_path / "out")
    changed = {name for name in after if after[name] != before.get(name)}
    assert "assets/extra.css" in changed
    assert not {n for n in changed if n.startswith(("accounts/", "plans/"))}  # the pages link it; they are as they were
    events.close()


def test_an_edit_to_a_rules_file_judges_again(serving: list[Served], tmp_path: Path) -> None:
    (tmp_path / "allyreport.toml").write_text('rules = ["firm.yaml"]\n', "utf-8")
    (tmp_path / "firm.yaml").write_text("insights:\n  - key: single-threaded\n    enabled: false\n", "utf-8")
    server = Served(tmp_path, "--notes", "notes", "--out", "out")
    serving.append(server)

    def keys() -> set[str]:
        return {i["key"] for e in json.loads(server.page("/levels.json")) for i in e["insights"]}

    assert "single-threaded" not in keys()
    events = server.events()
    token = events.next()
    (tmp_path / "firm.yaml").write_text("insights:\n  - key: single-threaded\n    enabled: true\n", "utf-8")
    token = reloaded(events, token)
    assert "single-threaded" in keys()
    assert "rebuilt 2026Q3: 2 accounts in" in "".join(server.out)  # the rules change every account's verdict
    (tmp_path / "firm.yaml").write_text("insights: [\n", "utf-8")  # a broken rules file: shown, the pages kept
    reloaded(events, token)
    page = server.page("/")
    assert "allyreport-problems" in page
    assert "firm.yaml:" in page
    events.close()


def test_an_edit_to_a_template_redoes_what_uses_it(serving: list[Served], tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parent.parent / "src" / "allyreport" / "templates" / "review.html"
    (tmp_path / "tpl").mkdir()
    review = tmp_path / "tpl" / "review.html"
    review.write_text(shipped.read_text("utf-8"), "utf-8")
    server = Served(tmp_path, "--notes", "notes", "--out", "out", "--templates", "tpl")
    serving.append(server)
    events = server.events()
    token = events.next()
    review.write_text(shipped.read_text("utf-8").replace(
        "{% block main %}", '{% block main %}<p id="firm-marker">Reviewed by the firm</p>', 1), "utf-8")
    token = reloaded(events, token)
    assert 'id="firm-marker"' in server.page("/accounts/acme.html")
    assert 'id="firm-marker"' in server.page("/accounts/globex.html")
    (tmp_path / "tpl" / "style.css").write_text("body { color: teal; }\n", "utf-8")  # a new file shadows the shipped one
    reloaded(events, token)
    assert server.request("/assets/style.css")[2] == b"body { color: teal; }\n"
    events.close()


def test_a_settings_edit_that_names_a_stylesheet_watches_it_from_then_on(serving: list[Served],
                                                                        tmp_path: Path) -> None:
    (tmp_path / "allyreport.toml").write_text('firm = "Teal & Co"\n', "utf-8")
    (tmp_path / "styles").mkdir()  # a folder nothing watched before
    brand = tmp_path / "styles" / "brand.css"
    brand.write_text("body { color: teal; }\n", "utf-8")
    server = Served(tmp_path, "--notes", "notes", "--out", "out")
    serving.append(server)
    assert server.request("/assets/extra.css")[0] == 404
    events = server.events()
    token = events.next()
    (tmp_path / "allyreport.toml").write_text('firm = "Teal & Co"\nextra_css = "styles/brand.css"\n', "utf-8")
    token = reloaded(events, token)
    assert server.request("/assets/extra.css")[2] == b"body { color: teal; }\n"
    brand.write_text("body { color: navy; }\n", "utf-8")
    token = reloaded(events, token)
    assert server.request("/assets/extra.css")[2] == b"body { color: navy; }\n"
    brand.unlink()  # the settings now name a file that is not there: said, the last good pages kept
    reloaded(events, token)
    page = server.page("/")
    assert "allyreport.toml:2: extra_css &#x27;styles/brand.css&#x27; does not exist" in page
    events.close()


CLOCK = """\
import datetime as dt
import sys
from pathlib import Path

import allyreport.rules.plan as plan

clock = Path(sys.argv.pop(1))
plan.today = lambda: dt.date.fromisoformat(clock.read_text("utf-8").strip())  # the test moves this clock

from allyreport.cli.main import run  # noqa: E402

run()
"""


def test_a_session_past_midnight_reviews_as_of_the_new_day(write_notes: NotesWriter, tmp_path: Path) -> None:
    portfolio(write_notes, ("2026-10-06", "2026-11-10", "2026-11-30"))  # 2026Q4, under way
    clock = tmp_path / "today"
    clock.write_text("2026-12-01\n", "utf-8")
    (tmp_path / "clock.py").write_text(CLOCK, "utf-8")
    server = Served(tmp_path, "--notes", "notes", "--out", "out", command=(sys.executable, "clock.py", str(clock)))
    try:
        assert {e["as_of"] for e in json.loads(server.page("/levels.json"))} == {"2026-12-01"}
        events = server.events()
        token = events.next()
        clock.write_text("2026-12-02\n", "utf-8")  # midnight: nothing saved, the date alone moves
        reloaded(events, token)
        assert {e["as_of"] for e in json.loads(server.page("/levels.json"))} == {"2026-12-02"}
        assert "today is 2026-12-02: the review is built again as of it" in "".join(server.out)
        events.close()
    finally:
        assert server.stop() == 0
    assert {e["as_of"] for e in json.loads((tmp_path / "out" / "levels.json").read_text("utf-8"))} == {"2026-12-02"}


# -- what is never watched --------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "watched"), [
    ("notes/acme/2026-07-01.md", True),
    ("notes/acme/calls/2026-07-01.md", True),
    ("notes/acme/assets/org.png", True),
    ("notes/_drafts/2026-07-01.md", False),
    ("notes/acme/_drafts/2026-07-01.md", False),  # the build skips `_` folders at every depth
    ("notes/acme/calls/_old/2026-07-01.md", False),
    ("notes/acme/_scratch.md", False),
    ("notes/acme/.hidden/2026-07-01.md", False),
    ("notes/acme/calls/.2026-07-01.md.swp", False),
    ("notes/.git/index", False),
    ("tpl/_row.html", True),  # a template's name may start with `_`
    ("tpl/partials/_card.html", True),
    ("tpl/.review.html.swp", False),
    ("elsewhere/2026-07-01.md", False),
])
def test_what_the_watcher_reports(tmp_path: Path, path: str, watched: bool) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "tpl").mkdir()
    watcher = Watcher(tmp_path / "notes", [], tmp_path / "tpl")
    try:
        assert watcher._in_folders(str(tmp_path / path)) is watched
    finally:
        watcher.close()


def test_saves_under_skipped_folders_at_any_depth_are_never_reported(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = portfolio(write_notes)
    watcher = Watcher(notes, [], None)
    try:
        watcher.wait_ready()
        for name in ("acme/_drafts/2026-07-09.md", "acme/calls/_old/2026-07-09.md", "_archive/x/2026-07-09.md",
                     "acme/calls/.hidden/2026-07-09.md"):
            (notes / name).parent.mkdir(parents=True, exist_ok=True)
            (notes / name).write_text(NOTE.format(date="2026-07-09", body="Skipped."), "utf-8")
        time.sleep(0.5)  # well past the watcher's grouping delay: anything reported is waiting
        real = notes / "acme" / "calls" / "2026-07-09.md"
        real.write_text(NOTE.format(date="2026-07-09", body="Read."), "utf-8")
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        while str(real) not in seen and time.monotonic() < deadline:
            changes = watcher.next(timeout=1)
            seen |= set(changes.notes) if changes else set()
        assert str(real) in seen
        assert seen <= {str(real), str(real.parent)}  # the new file, and the folder it appeared in
    finally:
        watcher.close()


def test_the_watcher_names_only_what_it_was_told(tmp_path: Path) -> None:
    """classify: a style file is a template; one gone is a settings problem."""
    (tmp_path / "notes").mkdir()
    style = tmp_path / "brand.css"
    style.write_text("body {}\n", "utf-8")
    watcher = Watcher(tmp_path / "notes", [tmp_path / "allyreport.toml"], None, [style])
    try:
        changes = watcher.classify({str(style)})
        assert (changes.config, changes.templates) == (False, True)
        os.remove(style)
        changes = watcher.classify({str(style)})
        assert (changes.config, changes.templates) == (True, True)
        changes = watcher.classify({str(tmp_path / "allyreport.toml")})
        assert (changes.config, changes.templates) == (True, False)
    finally:
        watcher.close()

