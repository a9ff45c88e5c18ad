"""The as-of date and the notes that lie, through the real command line: a review while the
quarter runs is measured to the as-of date, a note dated in the future is a warning that decides
nothing, and the scaffold's placeholders are warnings that count for nothing.

The suite's "today" is 2026-12-01 (`SOURCE_DATE_EPOCH`, see conftest): 2026Q4 is running.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXAMPLES, NotesWriter, run_cli

ACCOUNT = """\
---
account: {name}
owner: Dana Reyes
stakeholders:
  - name: Tom Berg
  - name: Priya Raman
---
Profile.
"""


def account(name: str = "Acme Foods") -> str:
    return ACCOUNT.format(name=name)


def note(day: str, context: str = "problem", extra: str = "") -> str:
    """date on line 2, with 3, context 4, then `extra` from line 5."""
    return f"---\ndate: {day}\nwith: [Tom Berg]\ncontext: {context}\n{extra}---\nWhat we discussed.\n"


def promise(by: str, done: str = "") -> str:
    """One firm commitment; its `- do:` on line 6 of the note."""
    return f"actions:\n  - do: Send the plan due {by}\n    by: {by}\n" + (f"    done: {done}\n" if done else "")


def levels(root: Path, *args: str) -> dict[str, dict[str, Any]]:
    result = run_cli("levels", "--json", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return {entry["slug"]: entry for entry in json.loads(result.stdout)}


def keys(entry: dict[str, Any]) -> list[str]:
    return [i["key"] for i in entry["insights"]]


# -- commitments: held against us only once their date has passed --------------------------------


COMMITMENTS = {
    "acme/account.md": account(),
    "acme/2026-10-05.md": note("2026-10-05", extra=promise("2026-12-15")),
    "acme/2026-10-20.md": note("2026-10-20", "strategy"),
    "acme/2026-11-10.md": note("2026-11-10", "service"),
}


def test_a_firm_commitment_due_after_the_as_of_date_is_not_a_gap_but_listed_not_yet_due(
        write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(COMMITMENTS)
    acme = levels(tmp_path)["acme"]  # today, 2026-12-01: due in two weeks
    assert (acme["quarter"], acme["as_of"], acme["so_far"]) == ("2026Q4", "2026-12-01", True)
    assert acme["window"]["end"] == "2026-12-01"
    assert "reliability-gap" not in keys(acme)
    assert acme["trust"]["reliability_kept"] is None  # nothing fell due yet
    explained = run_cli("explain", "acme", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert ("Open, not yet due:\n  due 2026-12-15: Send the plan due 2026-12-15    notes/acme/2026-10-05.md:6"
            in explained.stdout)
    assert "as of 2026-12-01: 2026Q4 so far, the quarter is not over" in explained.stdout


def test_a_firm_commitment_due_before_the_as_of_date_and_not_done_is_a_gap(
        write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(COMMITMENTS)
    later = levels(tmp_path, "--as-of", "2026-12-16")["acme"]  # its date has passed
    gap = next(i for i in later["insights"] if i["key"] == "reliability-gap")
    assert gap["message"] == "Kept 0 of 1 firm commitments on time (0%)."
    assert gap["evidence"] == [{"path": "notes/acme/2026-10-05.md", "line": 6, "date": "2026-10-05"}]
    explained = run_cli("explain", "acme", "--as-of", "2026-12-16", cwd=tmp_path)
    assert "Open, not yet due" not in explained.stdout
    # due on the as-of date itself: its day has come, and it was not done
    on_the_day = levels(tmp_path, "--as-of", "2026-12-15")["acme"]
    assert "reliability-gap" in keys(on_the_day)


def test_a_commitment_done_on_time_is_kept_whatever_the_as_of_date(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({**COMMITMENTS, "acme/2026-10-05.md": note("2026-10-05", extra=promise("2026-11-15", "2026-11-14"))})
    acme = levels(tmp_path)["acme"]
    assert (acme["trust"]["reliability_kept"], keys(acme).count("reliability-gap")) == (1.0, 0)


# -- dormant: days to the as-of date ---------------------------------------------------------------


@pytest.mark.parametrize(("last", "days", "dormant"), [("2026-09-03", 89, False), ("2026-09-01", 91, True)])
def test_dormant_counts_the_days_to_the_as_of_date(write_notes: NotesWriter, tmp_path: Path, last: str, days: int,
                                                   dormant: bool) -> None:
    write_notes({
        "busy/account.md": account("Busy"), "busy/2026-11-20.md": note("2026-11-20"),  # 2026Q4 is under review
        "quiet/account.md": account("Quiet"), "quiet/2026-08-01.md": note("2026-08-01"),
        f"quiet/{last}.md": note(last),
    })
    quiet = levels(tmp_path)["quiet"]  # as of today, 2026-12-01
    assert (quiet["quarter"], quiet["as_of"]) == ("2026Q4", "2026-12-01")
    found = [i for i in quiet["insights"] if i["key"] == "dormant"]
    if dormant:
        assert [i["message"] for i in found] == [
            f"No note in the last 90 days of the window; the last one was {days} days before its end."]
        assert found[0]["evidence"] == [{"path": f"notes/quiet/{last}.md", "line": 1, "date": last}]
    else:
        assert found == []


def test_a_past_quarter_is_reviewed_as_of_its_end_whatever_today(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({**COMMITMENTS, "acme/2026-09-10.md": note("2026-09-10")})
    past = levels(tmp_path, "--quarter", "2026Q3")["acme"]
    assert (past["as_of"], past["so_far"], past["window"]["end"]) == ("2026-09-30", False, "2026-09-30")
    assert past == levels(tmp_path, "--quarter", "2026Q3", "--as-of", "2027-03-01")["acme"]


def test_the_history_and_the_movement_compare_with_last_quarters_final_verdict(
        write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = {"acme/account.md": account()}
    notes.update({f"acme/2026-0{m}-10.md": note(f"2026-0{m}-10", "problem") for m in (7, 8, 9)})
    notes["acme/2026-10-02.md"] = note("2026-10-02", "problem")
    write_notes(notes)
    early = levels(tmp_path, "--as-of", "2026-10-02")["acme"]
    late = levels(tmp_path, "--as-of", "2026-12-31")["acme"]
    assert early["history"][:-1] == late["history"][:-1]  # 2026Q3's level does not depend on the day
    assert early["history"][-2] == {"quarter": "2026Q3", "level": "solution-provider", "notes": 3}
    assert (early["previous"], late["previous"]) == ("solution-provider", "solution-provider")


# -- notes dated after today ------------------------------------------------------------------------


def test_a_future_dated_note_is_a_warning_at_its_date_line_and_does_not_decide_the_quarter(
        write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({**COMMITMENTS, "acme/2027-11-10.md": note("2027-11-10", "strategy")})
    checked = run_cli("check", cwd=tmp_path)
    assert checked.returncode == 0
    assert checked.stderr.splitlines()[0] == (
        "notes/acme/2027-11-10.md:2: warning: dated 2027-11-10, after today 2026-12-01: a typo in the year?")
    result = run_cli("levels", "--json", cwd=tmp_path)
    (acme,) = json.loads(result.stdout)
    assert (acme["quarter"], acme["as_of"], [h["quarter"] for h in acme["history"]]) == (
        "2026Q4", "2026-12-01", ["2026Q4"])
    built = run_cli("build", "--no-pdf", "--jobs", "1", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "notes/acme/2027-11-10.md:2: warning: dated 2027-11-10, after today 2026-12-01" in built.stderr
    assert built.stdout.startswith("built 1 account for 2026Q4: ")
    assert built.stdout.rstrip().endswith("; 1 warning")
    again = run_cli("build", "--no-pdf", "--jobs", "1", cwd=tmp_path)  # reused as a whole: still said
    assert "notes/acme/2027-11-10.md:2: warning: dated 2027-11-10" in again.stderr


def test_strict_fails_on_a_future_dated_note_and_on_a_placeholder(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({**COMMITMENTS, "acme/2027-11-10.md": note("2027-11-10", "strategy")})
    strict = run_cli("check", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert "notes/acme/2027-11-10.md:2: warning: dated 2027-11-10, after today 2026-12-01: a typo in the year?" in (
        strict.stderr)
    (tmp_path / "notes" / "acme" / "2027-11-10.md").unlink()
    assert run_cli("check", "--strict", cwd=tmp_path).returncode == 0
    (tmp_path / "notes" / "acme" / "account.md").write_text(account().replace("Dana Reyes", "Your name"), "utf-8")
    placeholder = run_cli("check", "--strict", cwd=tmp_path)
    assert placeholder.returncode == 1
    assert "notes/acme/account.md:3: warning: owner 'Your name' is the template's placeholder" in placeholder.stderr


def test_a_note_after_the_as_of_date_is_named_against_it(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes(COMMITMENTS)
    result = run_cli("check", "--as-of", "2026-11-01", cwd=tmp_path)
    assert result.stderr.splitlines()[0] == (
        "notes/acme/2026-11-10.md:2: warning: dated 2026-11-10, after the as-of date 2026-11-01: a typo in the date?")


def test_every_note_in_the_future_is_nothing_to_report(write_notes: NotesWriter, tmp_path: Path) -> None:
    write_notes({"acme/account.md": account(), "acme/2027-01-05.md": note("2027-01-05")})
    result = run_cli("levels", cwd=tmp_path)
    assert result.returncode == 1
    assert "notes: no note is dated up to 2026-12-01; nothing to report" in result.stderr


# -- the flags ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2026-13-01"], "argument --as-of: '2026-13-01' is not a real date"),
    (["--as-of", "1/12/2026"], "argument --as-of: '1/12/2026' is not a date written YYYY-MM-DD"),
    (["--quarter", "2026Q4", "--as-of", "2026-09-30"],
     "allyreport: --as-of 2026-09-30 is before 2026Q4 begins (2026-10-01); a quarter is reviewed from its start"),
    (["--quarter", "2027Q1"], "allyreport: 2027Q1 has not begun on 2026-12-01 (today); give --as-of, or a quarter "
                              "that has begun"),
])
def test_impossible_dates_are_usage_errors(write_notes: NotesWriter, tmp_path: Path, args: list[str],
                                           message: str) -> None:
    write_notes(COMMITMENTS)
    for command in ("check", "levels", "build"):
        result = run_cli(command, *args, cwd=tmp_path)
        assert result.returncode == 2
        assert message in result.stderr


def test_the_examples_read_the_same_as_of_their_last_quarters_end(tmp_path: Path) -> None:
    today = levels(EXAMPLES.parent)  # their last notes are of 2026Q3, which is over
    assert {e["quarter"] for e in today.values()} == {"2026Q3"}
    assert {e["as_of"] for e in today.values()} == {"2026-09-30"}
    assert today == levels(EXAMPLES.parent, "--as-of", "2026-09-30") == levels(EXAMPLES.parent, "--quarter", "2026Q3")


def test_every_page_and_pdf_cover_says_the_as_of_date_and_the_window_so_far(
        write_notes: NotesWriter, tmp_path: Path) -> None:
    from pypdf import PdfReader

    write_notes(COMMITMENTS)
    built = run_cli("build", "--jobs", "1", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    so_far = "2026Q4 so far: 1 October to 1 December 2026"
    for page in ("index.html", "accounts/acme.html", "plans/acme.html"):
        html = (tmp_path / "output" / page).read_text("utf-8")
        assert f'As of <time datetime="2026-12-01">1 December 2026</time> · {so_far}' in html, page
    review = (tmp_path / "output" / "accounts" / "acme.html").read_text("utf-8")
    assert "1 open, not yet due" in review
    assert "Send the plan due 2026-12-15 · due 2026-12-15" in review
    for pdf in ("acme-review.pdf", "acme-plan.pdf", "portfolio-2026Q4.pdf"):
        cover = " ".join(PdfReader(tmp_path / "output" / "pdf" / pdf).pages[0].extract_text().split())
        assert f"As of 1 December 2026 Period {so_far}" in cover, pdf
    (entry,) = json.loads((tmp_path / "output" / "levels.json").read_text("utf-8"))
    assert (entry["as_of"], entry["so_far"]) == ("2026-12-01", True)
