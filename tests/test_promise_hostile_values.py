"""docs/promises.md, "Hostile values": every value outside what allyreport accepts gets a
located error (path:line) or a usage error, never an internal error; what a note hides stays
hidden; what the layout skips is skipped at every depth; paths print escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import support
from .conftest import NotesWriter, run_cli
from .support import tree_hash

ACCOUNT = support.ACCOUNT.format(name="Acme")

NOTE = """\
---
date: {date}
with: [Dana Reyes]
context: strategy
opened_by: us
---
{body}
"""


def built(write_notes: NotesWriter, tmp_path: Path, files: dict[str, str | bytes]) -> dict[str, str]:
    write_notes({"acme/account.md": ACCOUNT, "acme/2026-07-08.md": NOTE.format(date="2026-07-08", body="Plans."),
                 **files})
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tree_hash(tmp_path / "out")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_dates_outside_the_years_accepted_are_located_errors(write_notes: NotesWriter, tmp_path: Path,
                                                             day: str) -> None:
    before = built(write_notes, tmp_path, {})
    write_notes({f"acme/{day}.md": NOTE.format(date=day, body="Odd.")})
    for command in (["check"], ["build", "--out", "out", "--no-pdf"], ["levels"]):
        result = run_cli(*command, "--notes", "notes", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr == (f"notes/acme/{day}.md:2: 'date': {day} is outside the years 1900 to 2999 "
                                 "that allyreport accepts\n1 error\n")
    assert tree_hash(tmp_path / "out") == before


@pytest.mark.parametrize("quarter", ["0000Q1", "9999Q4", "1899Q4"])
def test_quarter_outside_the_years_accepted_is_a_usage_error(write_notes: NotesWriter, tmp_path: Path,
                                                             quarter: str) -> None:
    before = built(write_notes, tmp_path, {})
    for command in (["check"], ["build", "--out", "out", "--no-pdf"], ["levels"], ["explain", "acme"]):
        result = run_cli(*command, "--notes", "notes", "--quarter", quarter, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr == (f"allyreport: --quarter {quarter} is outside the years 1900 to 2999 "
                                 "that allyreport accepts\n")
    assert tree_hash(tmp_path / "out") == before


def test_note_date_outside_the_years_accepted_is_a_usage_error(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACCOUNT})
    result = run_cli("note", "acme", "--notes", "notes", "--date", "0001-01-01", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "allyreport: --date 0001-01-01 is outside the years 1900 to 2999 that allyreport accepts\n"
    assert sorted(p.name for p in (tmp_path / "notes" / "acme").iterdir()) == ["account.md"]


def test_html_comment_in_a_note_is_never_shown_and_check_warns_once(write_notes: NotesWriter, tmp_path: Path) -> None:
    body = "Agreed the pilot.\n<!-- do not share: SECRET-MARGIN -->\nNext step.\n<!-- also\nSECRET-TWO -->"
    built(write_notes, tmp_path, {"acme/2026-07-20.md": NOTE.format(date="2026-07-20", body=body)})
    result = run_cli("check", "notes", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ("notes/acme/2026-07-20.md:8: warning: an HTML comment (<!-- ... -->) is never shown: "
                             "it is left out of the pages, PDFs and every other output\n")
    page = (tmp_path / "out" / "accounts" / "acme.html").read_text()
    assert "Agreed the pilot." in page
    assert "Next step." in page
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert b"SECRET" not in path.read_bytes(), path


def test_underscore_and_dot_folders_are_skipped_at_every_depth(write_notes: NotesWriter, tmp_path: Path) -> None:
    broken = "---\ndate: 2026-07-21\ncontext: nonsense\n---\nDRAFT-TEXT\n"
    built(write_notes, tmp_path, {"acme/_drafts/2026-07-21.md": broken, "acme/2026/_old/2026-07-21.md": broken,
                                  "acme/2026/.hidden/2026-07-21.md": broken, "acme/2026/_2026-07-21.md": broken})
    result = run_cli("check", "notes", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "notes: 1 account, 1 note, no errors\n"
    assert not any(b"DRAFT-TEXT" in p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())


@pytest.mark.parametrize(("name", "shown"), [("2026-07-09\nforged.md", "2026-07-09\\nforged.md"),
                                             ("2026-07-09-\u202egpj.md", "2026-07-09-\\u202egpj.md")])
def test_control_and_bidi_characters_in_paths_are_escaped(write_notes: NotesWriter, tmp_path: Path, name: str,
                                                          shown: str) -> None:
    write_notes({"acme/account.md": ACCOUNT, f"acme/{name}": "---\ndate: 2026-07-09\ncontext: nonsense\n---\n"})
    result = run_cli("check", "notes", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"notes/acme/{shown}:3: 'context' must be one of")
    assert result.stderr.count("\n") == 2  # the message and the count: no forged line


def test_templates_folder_that_does_not_exist_is_a_usage_error_and_keeps_the_output(write_notes: NotesWriter,
                                                                                  tmp_path: Path) -> None:
    before = built(write_notes, tmp_path, {})
    write_notes({"acme/2026-07-20.md": NOTE.format(date="2026-07-20", body="New plans.")})
    for command in (["build", "--out", "out", "--no-pdf"], ["serve", "--out", "out"]):
        result = run_cli(*command, "--notes", "notes", "--templates", "brand", cwd=tmp_path)
        assert (result.returncode, result.stderr) == (2, "allyreport: --templates brand: no such folder\n")
    assert tree_hash(tmp_path / "out") == before
