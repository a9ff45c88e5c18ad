"""levels.csv, levels.xlsx and `allyreport levels --csv`, built by the real CLI and read back
with the csv module and openpyxl: one typed row per account, one per insight with its
evidence, a frozen header, and the same bytes for the same notes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from pathlib import Path

import openpyxl

from .conftest import NotesWriter, run_cli

ACCOUNT = """\
---
account: "=HYPERLINK(\\"http://x\\")"
owner: Jo Park
stakeholders:
  - name: Dana Reyes
    role: CEO
---
"""
QUIET = "---\naccount: Quiet Co\nowner: Ann Lee\n---\n"


def note(day: str, context: str, price: str = "false", actions: str = "") -> str:
    return (f"---\ndate: {day}\nwith: [Dana Reyes]\ncontext: {context}\nopened_by: client\nprice: {price}\n"
            f"trust: {{reliability: 8, credibility: 6, intimacy: 4, self_orientation: 3}}\n{actions}---\nWe talked.\n")


NOTES: dict[str, str | bytes] = {
    "globex/account.md": ACCOUNT,
    "globex/2026-04-10-a.md": note("2026-04-10", "service", "true",
                                   "actions:\n  - do: Send the cost model\n    by: 2026-04-20\n"),
    "globex/2026-05-10-b.md": note("2026-05-10", "service", "true"),
    "globex/2026-06-10-c.md": note("2026-06-10", "service", "true"),
    "quiet/account.md": QUIET,
    "quiet/2026-01-05-a.md": note("2026-01-05", "social"),
}


def built(root: Path, out: str = "out") -> Path:
    result = run_cli("build", "--notes", "notes", "--out", out, "--no-pdf", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / out


def test_csv_has_one_row_per_account_as_levels_json_says(write_notes: NotesWriter) -> None:
    out = built(write_notes(NOTES).parent)
    levels = {e["slug"]: e for e in json.loads((out / "levels.json").read_text("utf-8"))}
    rows = list(csv.DictReader(io.StringIO((out / "levels.csv").read_text("utf-8"))))
    assert [r["slug"] for r in rows] == ["globex", "quiet"]
    globex = rows[0]
    assert globex["name"] == "'=HYPERLINK(\"http://x\")"  # never run as a formula
    assert globex["owner"] == "Jo Park"
    assert globex["quarter"] == "2026Q2"
    assert globex["as_of"] == "2026-06-30"  # the review's as-of date: the end of the quarter under review
    assert globex["level"] == levels["globex"]["level"] == "service-source"
    assert float(globex["tq"]) == levels["globex"]["trust"]["tq"] == 6.0  # (8 + 6 + 4) / 3
    assert globex["self_orientation"] == "3.0"
    assert globex["character"] == ""  # no reading scored it
    assert globex["trust_readings"] == "3"
    assert globex["commitments_kept"] == "0.0"  # the one firm commitment due fell through
    assert globex["insights"] == ", ".join(i["key"] for i in levels["globex"]["insights"])
    assert "price-driven" in globex["insights"].split(", ")
    printed = run_cli("levels", "--notes", "notes", "--csv", cwd=out.parent)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (out / "levels.csv").read_text("utf-8")


def test_workbook_is_typed_frozen_with_an_insight_sheet(write_notes: NotesWriter) -> None:
    out = built(write_notes(NOTES).parent)
    levels = {e["slug"]: e for e in json.loads((out / "levels.json").read_text("utf-8"))}
    book = openpyxl.load_workbook(out / "levels.xlsx")
    assert book.sheetnames == ["Accounts", "Insights"]
    accounts, insights = book["Accounts"], book["Insights"]
    assert accounts.freeze_panes == "A2"
    assert insights.freeze_panes == "A2"
    header = [c.value for c in accounts[1]]
    row = dict(zip(header, [c.value for c in accounts[2]], strict=True))
    assert row["name"] == '=HYPERLINK("http://x")'
    assert accounts.cell(2, header.index("name") + 1).data_type == "s"
    assert row["as_of"] == dt.datetime(2026, 6, 30)
    assert accounts.cell(2, header.index("as_of") + 1).is_date
    assert row["tq"] == 6
    assert isinstance(row["trust_readings"], int)
    assert row["trust_readings"] == 3
    assert row["character"] is None
    assert row["commitments_kept"] == 0
    assert accounts.cell(2, header.index("commitments_kept") + 1).number_format == "0%"
    assert accounts.max_row == 3
    ih = [c.value for c in insights[1]]
    found = [dict(zip(ih, [c.value for c in r], strict=True)) for r in insights.iter_rows(min_row=2)]
    expected = [(slug, i["key"], "\n".join(f"{e['path']}:{e['line']}" for e in i["evidence"]))
                for slug, e in sorted(levels.items()) for i in e["insights"]]
    assert [(r["slug"], r["insight"], r["evidence"] or "") for r in found] == expected
    price = next(r for r in found if r["insight"] == "price-driven")
    assert price["evidence"].split("\n")[0] == "notes/globex/2026-04-10-a.md:6"


def test_the_same_notes_give_the_same_spreadsheet_bytes(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    first = built(root, "one")
    time.sleep(1.1)  # a clock read would now show
    second = built(root, "two")
    for name in ("levels.csv", "levels.xlsx"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
