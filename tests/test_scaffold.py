"""`allyreport new` and `allyreport note` write files that `allyreport check` accepts as they are.

Whatever a user types on the command line (a name with ': ', quotes, a YAML word such as
`yes`) must come back unchanged when the note is loaded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from allyreport.notes.loader import load_notes

from .conftest import run_cli
from .test_loader import ACCOUNT, Writer


def test_new_account_then_note_check_clean(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    made = run_cli("new", "acme-foods", "--name", 'Acme: "Foods" & Sons', "--owner", "O'Brien: Dana", cwd=tmp_path)
    assert (made.returncode, made.stderr) == (0, "")
    assert made.stdout == "created notes/acme-foods/account.md (slug acme-foods); add a note with: allyreport note acme-foods\n"
    noted = run_cli("note", "acme-foods", "--date", "2026-03-05", "--context", "strategy", "--topic", "Price: 'talk'",
                    cwd=tmp_path)
    assert (noted.returncode, noted.stderr) == (0, "")
    assert noted.stdout == "created notes/acme-foods/2026-03-05-price-talk.md\n"

    checked = run_cli("check", "notes", cwd=tmp_path)
    assert (checked.returncode, checked.stderr, checked.stdout) == (0, "", "notes: 1 account, 1 note, no errors\n")

    portfolio, diagnostics = load_notes(tmp_path / "notes", "notes")
    assert diagnostics == []
    (account,) = portfolio.accounts
    assert (account.name, account.meta.owner, account.meta.industry) == ('Acme: "Foods" & Sons', "O'Brien: Dana", None)
    (note,) = account.notes
    assert (note.date, note.meta.context, note.meta.with_) == (dt.date(2026, 3, 5), "strategy", ("First Contact",))
    assert note.meta.trust is not None
    assert note.meta.trust.reliability == 5


@pytest.mark.parametrize("name", ["yes", "0755", "2026-03-05", "[draft]", "#1 client", "- dash", "@acme", "null"])
def test_names_that_look_like_yaml_stay_text(tmp_path: Path, name: str) -> None:
    (tmp_path / "notes").mkdir()
    assert run_cli("new", "acme", "--name", name, cwd=tmp_path).returncode == 0
    portfolio, diagnostics = load_notes(tmp_path / "notes", "notes")
    assert diagnostics == []
    assert portfolio.accounts[0].name == name


def test_new_account_default_name_from_the_slug(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    assert run_cli("new", "northwind-bank", cwd=tmp_path).returncode == 0
    portfolio, _ = load_notes(tmp_path / "notes", "notes")
    assert (portfolio.accounts[0].name, portfolio.accounts[0].meta.owner) == ("Northwind Bank", "Your name")


def test_new_writes_the_missing_account_md_of_an_existing_folder(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"beta/2026-03-05-intro.md": "---\ndate: 2026-03-05\ncontext: problem\n---\n"})
    before = run_cli("check", "notes", cwd=tmp_path)
    assert before.stderr.splitlines()[0] == (
        "notes/beta/account.md: account 'beta' has no account.md; create it with: allyreport new beta")
    assert run_cli("new", "beta", cwd=tmp_path).returncode == 0
    after = run_cli("check", "notes", cwd=tmp_path)
    assert (after.returncode, after.stdout) == (0, "notes: 1 account, 1 note, no errors\n")


@pytest.mark.parametrize(("args", "message"), [
    (("new", "acme", "--slug", "Acme Foods"), "allyreport: --slug 'Acme Foods' is not a valid account slug: use lowercase "
                                              "letters, digits and single hyphens, e.g. acme-foods"),
    (("new", "東京"), "allyreport: cannot make a folder name from '東京'; give one with --slug, e.g. --slug globex"),
    (("new", "acme"), "allyreport: notes/acme/account.md already exists; allyreport new never overwrites"),
    (("note", "nobody"), "allyreport: no account 'nobody' in notes; accounts: acme"),
    (("note", "acme", "--context", "gossip"), None),
], ids=["invalid_slug", "no_slug_from_name", "account_exists", "unknown_account", "unknown_context"])
def test_scaffold_usage_errors_exit_2(write_notes: Writer, tmp_path: Path, args: tuple[str, ...],
                                      message: str | None) -> None:
    notes = write_notes({"acme/account.md": ACCOUNT})
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    if message is not None:
        assert result.stderr.splitlines() == [message.format(notes=notes)]


def test_note_refuses_to_overwrite(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACCOUNT})
    assert run_cli("note", "acme", "--date", "2026-03-05", cwd=tmp_path).returncode == 0
    again = run_cli("note", "acme", "--date", "2026-03-05", cwd=tmp_path)
    assert (again.returncode, again.stderr) == (
        2, "allyreport: notes/acme/2026-03-05-meeting.md already exists; pick another --topic or --date\n")
