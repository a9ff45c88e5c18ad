"""docs/notes-format.md does not lie: its examples load as it says, its messages are the real ones.

The example `account.md` and note must load cleanly; every "Common mistakes" example written
as a note (a ```markdown block followed by a ```text block) must give exactly the messages
shown; the signal table must match the shipped rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import pytest

from allyreport.core.diagnostics import sort_key
from allyreport.core.quarters import Quarter
from allyreport.notes.loader import load_notes
from allyreport.rules.plan import Review, future_notes, later_notes
from allyreport.rules.ruleset import load_rules

from .conftest import REPO
from .support import Writer

DOC = (REPO / "docs" / "notes-format.md").read_text("utf-8")
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
NOTE_PATH = "acme-foods/2026-03-05-downtime.md"
TODAY = dt.date(2026, 12, 1)  # the day the doc's examples were written on
REVIEW = Review(Quarter.of(TODAY), TODAY, TODAY, given=False)


def section(title: str, level: str = "##") -> str:
    start = DOC.index(f"\n{level} {title}\n")
    end = DOC.find(f"\n{level} ", start + 1)
    return DOC[start: end if end > 0 else len(DOC)]


def first_markdown(text: str) -> str:
    return next(body for lang, body in BLOCK.findall(text) if lang == "markdown")


ACCOUNT = first_markdown(section("account.md"))
NOTE = first_markdown(section("A note"))


def mistakes() -> list[tuple[str, str, list[str]]]:
    """(heading, note, messages) for each note example under "Common mistakes"."""
    found = []
    for part in section("Common mistakes").split("\n### ")[1:]:
        heading = part.split("\n", 1)[0]
        blocks = BLOCK.findall(part)
        for (lang, body), (next_lang, shown) in itertools.pairwise(blocks):
            if (lang, next_lang) == ("markdown", "text"):
                found.append((heading, body, shown.splitlines()))
    return found


def check(write_notes: Writer, note: str, path: str = NOTE_PATH) -> list[str]:
    """What `allyreport check` says of `note` at `path`, on the day the doc was written."""
    rules, problems = load_rules([])
    assert rules is not None, problems
    root = write_notes({"acme-foods/account.md": ACCOUNT, path: note})
    portfolio, diagnostics = load_notes(root, "notes", rules.signals)
    dated = ((n.date, n.path, n.line_of("date")) for a in portfolio.accounts for n in a.notes)
    diagnostics += future_notes(later_notes(dated, TODAY), REVIEW)
    return [d.format() for d in sorted(diagnostics, key=sort_key)]


def shown_path(expected: list[str]) -> str:
    """The note's path as the doc's messages name it (a note's file is named after its date)."""
    named = re.match(r"notes/(acme-foods/\d{4}-\d\d-\d\d-[\w-]+\.md):", expected[0]) if expected else None
    return str(named.group(1)) if named else NOTE_PATH


def test_the_examples_load_cleanly(write_notes: Writer) -> None:
    assert check(write_notes, NOTE) == []


def test_every_common_mistake_is_documented_with_a_tested_example() -> None:
    assert len(mistakes()) >= 14


def case_id(index: int, heading: str) -> str:
    return f"{index}-" + re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


@pytest.mark.parametrize(("note", "expected"), [(n, e) for _, n, e in mistakes()],
                         ids=[case_id(i, h) for i, (h, _, _) in enumerate(mistakes())])
def test_common_mistake_gives_the_documented_messages(write_notes: Writer, note: str, expected: list[str]) -> None:
    assert check(write_notes, note, shown_path(expected)) == expected


def test_signal_table_matches_the_shipped_rules() -> None:
    rules, _ = load_rules([])
    assert rules is not None
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+?) \|$", section("Signals"), re.MULTILINE)
    assert dict(rows) == rules.signals


def test_the_doc_is_linked_from_the_readme() -> None:
    assert "docs/notes-format.md" in (REPO / "README.md").read_text("utf-8")
    assert Path(REPO / "docs" / "rules.md").read_text("utf-8").count("notes-format.md") >= 1
