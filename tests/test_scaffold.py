"""`allyreport new` and `allyreport note` write files that `allyreport check` accepts as they are.

Whatever a user types on the command line (a name with ': ', quotes, a YAML word such as
`yes`) must come back unchanged when the note is loaded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from allyreport.core.diagnostics import errors_only
from allyreport.notes.loader import load_notes

from .conftest import run_cli
from .support import ACME_ACCOUNT, Writer


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
    assert (checked.returncode, checked.stdout) == (0, "notes: 1 account, 1 note, no errors, 5 warnings\n")
    assert checked.stderr.splitlines() == [  # the template's placeholders, each at its line
        "notes/acme-foods/2026-03-05-price-talk.md:8: warning: trust is still the template's placeholder (5 for every "
        "factor): score the meeting or remove the block; it does not count toward the trust quotient until edited",
        "notes/acme-foods/2026-03-05-price-talk.md:16: warning: the note's text is still the template's prompt: "
        "write what was said (left out of the report until then)",
        "notes/acme-foods/account.md:7: warning: stakeholder 'First Contact' is the template's placeholder: name a "
        "real person or remove the entry (left out of the report until then)",
        "notes/acme-foods/account.md:12: warning: offering 'What we provide' is the template's placeholder: write "
        "what we provide (left out of the report until then)",
        "notes/acme-foods/account.md:16: warning: the profile is still the template's prompt: write where the client "
        "is heading (left out of the report until then)",
    ]

    portfolio, diagnostics = load_notes(tmp_path / "notes", "notes")
    assert errors_only(diagnostics) == []
    (account,) = portfolio.accounts
    assert (account.name, account.meta.owner, account.meta.industry) == ('Acme: "Foods" & Sons', "O'Brien: Dana", None)
    assert (account.meta.stakeholders, account.meta.offerings, account.profile) == ((), (), "")
    (note,) = account.notes
    assert (note.date, note.meta.context, note.meta.with_) == (dt.date(2026, 3, 5), "strategy", ())
    assert (note.meta.trust, note.body) == (None, "")  # a placeholder is not a reading


@pytest.mark.parametrize("name", ["yes", "0755", "2026-03-05", "[draft]", "#1 client", "- dash", "@acme", "null"])
def test_names_that_look_like_yaml_stay_text(tmp_path: Path, name: str) -> None:
    (tmp_path / "notes").mkdir()
    assert run_cli("new", "acme", "--name", name, cwd=tmp_path).returncode == 0
    portfolio, diagnostics = load_notes(tmp_path / "notes", "notes")
    assert errors_only(diagnostics) == []
    assert portfolio.accounts[0].name == name


def test_new_account_default_name_from_the_slug(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    assert run_cli("new", "northwind-bank", cwd=tmp_path).returncode == 0
    portfolio, _ = load_notes(tmp_path / "notes", "notes")
    assert (portfolio.accounts[0].name, portfolio.accounts[0].meta.owner) == ("Northwind Bank", "")  # a placeholder


def test_new_writes_the_missing_account_md_of_an_existing_folder(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"beta/2026-03-05-intro.md": "---\ndate: 2026-03-05\ncontext: problem\n---\n"})
    before = run_cli("check", "notes", cwd=tmp_path)
    assert before.stderr.splitlines()[0] == (
        "notes/beta/account.md: account 'beta' has no account.md; create it with: allyreport new beta")
    assert run_cli("new", "beta", cwd=tmp_path).returncode == 0
    after = run_cli("check", "notes", cwd=tmp_path)
    # the scaffold's placeholders: owner, stakeholder, offering, profile
    assert (after.returncode, after.stdout) == (0, "notes: 1 account, 1 note, no errors, 4 warnings\n")


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
    notes = write_notes({"acme/account.md": ACME_ACCOUNT})
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    if message is not None:
        assert result.stderr.splitlines() == [message.format(notes=notes)]


def test_note_refuses_to_overwrite(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACME_ACCOUNT})
    assert run_cli("note", "acme", "--date", "2026-03-05", cwd=tmp_path).returncode == 0
    again = run_cli("note", "acme", "--date", "2026-03-05", cwd=tmp_path)
    assert (again.returncode, again.stderr) == (
        2, "allyreport: notes/acme/2026-03-05-meeting.md already exists; pick another --topic or --date\n")


# -- the template's placeholders count for nothing until edited ---------------------------------

SCAFFOLDED_NOTE = """\
---
date: 2026-11-10
with: [Ann Lee]
context: problem
trust:  # placeholder: score each factor from 1 to 10, then delete this comment
  reliability: {reliability}
  credibility: 5
  intimacy: 5
  self_orientation: 5
---
We went through the downtime report.
"""


def test_placeholders_stay_out_of_the_figures(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({
        "acme/account.md": """\
            ---
            account: Acme
            owner: Your name
            stakeholders:
              - name: First Contact
                role: Their role
              - name: Ann Lee
                role: Their role
                concerns: [What keeps them up at night, Cash flow]
            ---
            Acme is consolidating plants.
            """,
        "acme/2026-11-10-a.md": SCAFFOLDED_NOTE.format(reliability=5),  # untouched: not a reading
        "acme/2026-11-11-b.md": SCAFFOLDED_NOTE.format(reliability=8).replace("11-10", "11-11"),  # scored
        "acme/2026-11-12-c.md": SCAFFOLDED_NOTE.format(reliability=5).replace("11-10", "11-12").replace(
            "  # placeholder: score each factor from 1 to 10, then delete this comment", ""),  # 5s, deliberately
    })
    checked = run_cli("check", "notes", cwd=tmp_path)
    assert checked.returncode == 0
    assert checked.stderr.splitlines() == [
        "notes/acme/2026-11-10-a.md:5: warning: trust is still the template's placeholder (5 for every factor): "
        "score the meeting or remove the block; it does not count toward the trust quotient until edited",
        "notes/acme/account.md:3: warning: owner 'Your name' is the template's placeholder: write the account "
        "lead's name (until then the account has no owner)",
        "notes/acme/account.md:5: warning: stakeholder 'First Contact' is the template's placeholder: name a real "
        "person or remove the entry (left out of the report until then)",
        "notes/acme/account.md:8: warning: role 'Their role' is the template's placeholder: write their role (left "
        "out of the report until then)",
        "notes/acme/account.md:9: warning: concern 'What keeps them up at night' is the template's placeholder: "
        "write what worries them (left out of the report until then)",
    ]
    result = run_cli("levels", "--json", "--notes", "notes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    import json

    (acme,) = json.loads(result.stdout)
    assert acme["owner"] == ""
    assert (acme["trust"]["readings"], acme["trust"]["reliability"]) == (2, 6.5)  # (8 + 5) / 2: the scored two
    portfolio, _ = load_notes(tmp_path / "notes", "notes")
    (ann,) = portfolio.accounts[0].meta.stakeholders
    assert (ann.name, ann.role, ann.concerns) == ("Ann Lee", None, ("Cash flow",))
