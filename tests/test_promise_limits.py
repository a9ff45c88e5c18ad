"""docs/promises.md, "Limits": every input has a documented size or depth limit (docs/notes-format.md,
docs/rules.md), checked when it is read, before any expensive work, and reported at path:line."""

from __future__ import annotations

import datetime as dt
import textwrap
import time
from pathlib import Path

import pypdf

from allyreport.rules.ruleset import compile_rules, default_rules_text

from .conftest import run_cli


def problems(text: str) -> list[str]:
    ruleset, found = compile_rules([("default.yaml", default_rules_text()),
                                    ("rules.yaml", textwrap.dedent(text).lstrip())])
    assert (ruleset is None) == bool(found)
    return [d.format() for d in found]


def insight(when: str = "open_sell > 3", message: str = "Many open deals.") -> str:
    return (f"insights:\n  - key: big-deal\n    title: Big\n    severity: info\n    when: {when!r}\n"
            f"    message: {message!r}\n")


def test_rules_message_with_a_huge_format_width_is_refused() -> None:
    started = time.monotonic()
    assert problems(insight(message="{business:>5000000}")) == [
        "rules.yaml:6: message field '{business:>5000000}' asks for a width or precision of 5,000,000; at most 100"]
    assert time.monotonic() - started < 5


def test_rules_message_with_a_huge_precision_or_nested_format_is_refused() -> None:
    assert problems(insight(message="{trust:.999999f}")) == [
        "rules.yaml:6: message field '{trust:.999999f}' asks for a width or precision of 999,999; at most 100"]
    assert problems(insight(message="{trust:{business}}")) == [
        "rules.yaml:6: message field '{trust:{business}}' nests a field in its format; write a plain format like :>8.1f"]


def test_rules_message_of_five_million_characters_is_refused() -> None:
    assert problems(insight(message="x" * 5_000_000)) == [
        "rules.yaml:6: message is 5,000,000 characters long; a message may have at most 2,000"]


def test_rules_condition_nested_100000_deep_is_refused_not_a_recursion_error() -> None:
    depth = 100_000
    found = problems(insight(when="(" * depth + "open_sell > 3" + ")" * depth))
    assert found == [f"rules.yaml:5: condition '{'(' * 59}…' is {2 * depth + 13:,} characters long; "
                     "a condition may have at most 2,000"]


def test_rules_condition_nested_with_operators_is_refused() -> None:
    when = " and ".join(["open_sell > 3"] * 2) + "".join(f" or (open_sell > {i}" for i in range(40)) + ")" * 40
    found = problems(insight(when=when))
    assert len(found) == 1
    assert found[0].startswith("rules.yaml:5: condition 'open_sell > 3 and open_sell > 3 or (open_sell > 0 or (op")
    assert found[0].endswith("nests more than 32 levels deep; split it into several conditions")


# -- what a PDF shows of a very large account, a very long word, a very long name --------------------

ACCOUNT = "---\naccount: {name}\nowner: Jo Park\nstakeholders:\n{people}---\nAbout them.\n"
NOTE = ("---\ndate: {date}\nwith: [P0]\ncontext: {context}\nopened_by: us\n"
        "trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}\n---\n{body}\n")


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def account(root: Path, name: str = "Acme", people: int = 1, notes: int = 2, body: str = "Plans.") -> Path:
    folder = root / "notes" / "acme"
    folder.mkdir(parents=True)
    listed = "".join(f"  - name: P{i}\n    role: Role {i}\n" for i in range(people))
    (folder / "account.md").write_text(ACCOUNT.format(name=name, people=listed))
    for n in range(notes):
        day = dt.date(2026, 9, 30) - dt.timedelta(days=n % 80)  # all in the quarter: all cited
        (folder / f"{day}-{n}.md").write_text(NOTE.format(date=day, context=("strategy", "problem")[n % 2], body=body))
    return root


def test_long_unbroken_word_wraps_in_html_and_pdf(tmp_path: Path) -> None:
    root = account(tmp_path, body="Start " + "x" * 25_000 + " end.")
    result = run_cli("build", "--notes", "notes", "--out", "out", "--jobs", "1", cwd=root)
    assert result.returncode == 0, result.stderr
    page = (root / "out" / "accounts" / "acme.html").read_text()
    assert ("x" * 24 + "\u200b") * 3 in page  # a break opportunity every 24 characters
    assert "x" * 25 not in page
    assert any("xxxxxxxxxxxx" in text for text in pdf_text(root / "out" / "pdf" / "acme-review.pdf"))


def test_huge_account_name_keeps_the_pdf_cover_one_page(tmp_path: Path) -> None:
    name = "Verylongname" * 833
    root = account(tmp_path, name=name)
    result = run_cli("build", "--notes", "notes", "--out", "out", "--jobs", "1", cwd=root)
    assert result.returncode == 0, result.stderr
    pages = pdf_text(root / "out" / "pdf" / "acme-review.pdf")
    cover = pages[0].replace("\n", "").replace("\u200b", "")
    assert ("Verylongname" * 9 + "Verylongnam…") in cover
    assert "Account owner Jo Park" in pages[0]
    assert pages[1].startswith("Full name: Verylongname")


def test_huge_account_pdf_lists_a_bounded_number_of_notes_and_stakeholders(tmp_path: Path) -> None:
    root = account(tmp_path, people=260, notes=260)
    result = run_cli("build", "--notes", "notes", "--out", "out", "--jobs", "2", cwd=root)
    assert result.returncode == 0, result.stderr
    review = " ".join(pdf_text(root / "out" / "pdf" / "acme-review.pdf")).replace("\n", " ")
    assert "The 200 latest of the 260 notes behind this review; the account's page, accounts/acme.html, " \
           "shows them all." in review
    plan = " ".join(pdf_text(root / "out" / "pdf" / "acme-plan.pdf")).replace("\n", " ")
    assert "The first 200 of 260 people; the plan's page, plans/acme.html, lists them all." in plan
    review_people = "The first 200 of 260 people; the account's page, accounts/acme.html, lists them all."
    assert review_people in review
    assert "P259" in (root / "out" / "plans" / "acme.html").read_text()


ACTION_NOTE = ("---\ndate: {date}\nwith: [P0]\ncontext: problem\nopened_by: us\n"
               "actions:\n  - do: Send summary {n}\n    by: {by}\n---\nSummary promised.\n")


def test_huge_account_plan_pdf_lists_a_bounded_number_of_open_actions(tmp_path: Path) -> None:
    """2,500 open actions made a 100-page plan PDF (20,000 notes); each table shows the 50 due first."""
    root = account(tmp_path, notes=0)
    for n in range(60):
        day = dt.date(2026, 7, 1) + dt.timedelta(days=n % 60)
        by = day + dt.timedelta(days=10)
        (root / "notes" / "acme" / f"{day}-a{n}.md").write_text(ACTION_NOTE.format(date=day, n=n, by=by))
    result = run_cli("build", "--notes", "notes", "--out", "out", "--jobs", "1", "--as-of", "2026-09-30", cwd=root)
    assert result.returncode == 0, result.stderr
    plan = " ".join(pdf_text(root / "out" / "pdf" / "acme-plan.pdf")).replace("\n", " ")
    assert ("The first 50 of 60 open actions, the earliest due first; the plan's page, plans/acme.html, "
            "lists them all.") in plan
    assert "Send summary 49 " in plan
    assert "Send summary 50 " not in plan
    assert "Send summary 59<" in (root / "out" / "plans" / "acme.html").read_text()
