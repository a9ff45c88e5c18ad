"""The quarter as spreadsheets: `levels.csv` and `levels.xlsx` (`allyreport levels --csv`).

Leadership decks are built in Excel, not from JSON. The rows are drawn from the same
entries as `levels.json` (`json_report.verdict_json`), so the three never disagree: one row
per account (level, movement, the trust quotient and its factors, commitments kept,
insight keys, owner, the as-of date) and, in the workbook, a second sheet with one row per
insight and the notes behind it. Numbers are numbers and dates are dates (a CSV writes
them as ISO text); the header row is frozen.

Each account's rows are rendered once, where it is judged (`sheet_rows`), and kept with its
result, so a build that redoes one account joins the other 1,999 accounts' rows instead of
writing 100,000 cells again: the CSV line as it is, the sheets' rows as XML with the row
number and the styles left as holes. XlsxWriter writes everything else of the workbook
(properties, styles, the sheets' frame, the zip), and the rows are put into its sheets: the
bytes are those XlsxWriter writes cell by cell in its constant-memory mode
(tests/test_sheets.py compares them). The same notes give the same bytes: the workbook's
properties are fixed (its creation date is the as-of date) and every part of the zip carries
the same 1980 date.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

ACCOUNT_COLUMNS = ("slug", "name", "owner", "quarter", "as_of", "level", "level_title", "previous", "movement",
                   "target", "tq", "tq_plus", "reliability", "credibility", "intimacy", "character",
                   "self_orientation", "trust_readings", "commitments_kept", "insights")
INSIGHT_COLUMNS = ("slug", "name", "owner", "quarter", "as_of", "insight", "title", "severity", "message", "evidence")
_FACTORS = ("tq", "tq_plus", "reliability", "credibility", "intimacy", "character", "self_orientation")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_WIDTHS = {"slug": 22, "name": 26, "owner": 18, "level_title": 22, "insights": 40, "title": 28, "message": 60,
           "evidence": 60}

# The holes in a kept row: its number, and its cells' styles, whose indices XlsxWriter gives in
# the order the styles are first used in the whole workbook. Control characters never reach
# a cell's text (they are written as _xHHHH_), so they cannot be mistaken for a hole.
ROW = "\0"
DATE, NUMBER, PERCENT, WRAP = "\x01", "\x02", "\x03", "\x04"
_STYLES = (DATE, NUMBER, PERCENT, WRAP)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_STRMAX = 32767  # Excel's longest text, in UTF-16 units: XlsxWriter cuts a longer one there
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|_x[0-9a-fA-F]{4}_")
_EPOCH = dt.date(1899, 12, 31)


class Rows(NamedTuple):
    """One account's rows of the spreadsheets, rendered once and kept with its result."""

    csv: str  # its line of levels.csv
    account: str  # its row of the Accounts sheet (XML, with the holes above)
    insights: tuple[str, ...]  # its rows of the Insights sheet, one per insight


def account_row(entry: dict[str, Any]) -> list[Any]:
    """One account's row, typed: text, numbers (None when unknown), the as-of date."""
    trust = entry["trust"]
    return [entry["slug"], entry["name"], entry["owner"], entry["quarter"], dt.date.fromisoformat(entry["as_of"]),
            entry["level"], entry["level_title"], entry["previous"], entry["movement"], entry["target"],
            *(trust[f] for f in _FACTORS), trust["readings"], trust["reliability_kept"],
            ", ".join(i["key"] for i in entry["insights"])]


def insight_rows(entry: dict[str, Any]) -> Iterable[list[Any]]:
    as_of = dt.date.fromisoformat(entry["as_of"])
    for i in entry["insights"]:
        evidence = "\n".join(f"{e['path']}:{e['line']}" for e in i["evidence"])
        yield [entry["slug"], entry["name"], entry["owner"], entry["quarter"], as_of, i["key"], i["title"],
               i["severity"], i["message"], evidence]


def sheet_rows(entry: dict[str, Any]) -> Rows:
    """An account's rows of levels.csv and of both sheets of levels.xlsx, from its levels.json entry."""
    row = account_row(entry)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([_text(v) for v in row])
    account = _cells(row, 0, _ACCOUNT_NUMBERS, -1)
    shared = 5  # the insights' rows start as their account's row does: slug, name, owner, quarter, as-of
    start = _cells(row[:shared], 0, _ACCOUNT_NUMBERS, -1)
    wrap = INSIGHT_COLUMNS.index("evidence")
    insights = tuple(f'<row r="{ROW}">{start}{_cells(r[shared:], shared, _INSIGHT_NUMBERS, wrap)}</row>'
                     for r in insight_rows(entry))
    return Rows(buffer.getvalue(), f'<row r="{ROW}">{account}</row>', insights)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value  # a spreadsheet would run "=HYPERLINK(...)" from a note as a formula
    return str(value)


def levels_csv(rows: Iterable[Rows]) -> str:
    """levels.csv: the accounts' rows, comma-separated, quoted where needed, LF line ends."""
    return ",".join(ACCOUNT_COLUMNS) + "\n" + "".join(r.csv for r in rows)


# -- the sheets' rows, as XlsxWriter writes them (Worksheet._write_cell, constant memory) -------------


_ACCOUNT_NUMBERS = tuple(PERCENT if c == "commitments_kept" else NUMBER for c in ACCOUNT_COLUMNS)
_INSIGHT_NUMBERS = (NUMBER,) * len(INSIGHT_COLUMNS)


def _cells(values: Sequence[Any], first: int, numbers: Sequence[str], wrapped: int) -> str:
    """The cells of a row's known values, from column `first` (`numbers`: each column's style for a
    fraction; `wrapped`: the column whose text wraps)."""
    cells = []
    for col, value in enumerate(values, first):
        if value is None:
            continue  # an unknown value is an empty cell, not a zero
        ref = f'<c r="{_LETTERS[col]}{ROW}"'
        if isinstance(value, dt.date):
            days = (value - _EPOCH).days
            cells.append(f'{ref} s="{DATE}"><v>{days + 1 if days > 59 else days}</v></c>')  # Excel's 1900-02-29
        elif isinstance(value, bool):
            cells.append(f'{ref} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            style = f' s="{numbers[col]}"' if isinstance(value, float) else ""
            cells.append(f"{ref}{style}><v>{value:.16G}</v></c>")
        else:
            style = f' s="{WRAP}"' if col == wrapped else ""
            cells.append(f'{ref}{style} t="inlineStr"><is>{_inline(str(value))}</is></c>')
    return "".join(cells)


def _inline(text: str) -> str:
    """A cell's text: cut at Excel's limit, control characters as _xHHHH_ (and a literal
    _xHHHH_ kept literal), space at either end preserved, XML escaped. (XlsxWriter would write
    a text that starts with <r> and ends with </r> unescaped, as rich text: here it is text.)"""
    if len(text) > _STRMAX // 2 and len(text.encode("utf-16-le", "surrogatepass")) // 2 > _STRMAX:
        text = _cut(text)
    if (not text.isprintable() or "&" in text or "<" in text or ">" in text or "_x" in text) \
            and _SPECIAL.search(text):
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", _ESCAPED.sub(r"_x005F\1", text))
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<t{space}>{text}</t>"


def _cut(text: str) -> str:
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > _STRMAX:
            return text[:index]
    return text


# -- the workbook -------------------------------------------------------------------------------------


_PARTS = {"xl/worksheets/sheet1.xml": ("Accounts", ACCOUNT_COLUMNS), "xl/worksheets/sheet2.xml": ("Insights", INSIGHT_COLUMNS)}


def write_levels_xlsx(path: Path, rows: Sequence[Rows], as_of: dt.date, title: str) -> None:
    """levels.xlsx: an "Accounts" and an "Insights" sheet, the accounts' kept rows put into the
    frame XlsxWriter writes."""
    sheets = {"xl/worksheets/sheet1.xml": [r.account for r in rows],
              "xl/worksheets/sheet2.xml": [i for r in rows for i in r.insights]}
    used = _first_used(*sheets.values())
    styles = {code: str(2 + n) for n, code in enumerate([*used, *([WRAP] if WRAP not in used else [])])}
    with zipfile.ZipFile(path, "w") as book:
        for part, data in _frame(title, as_of, tuple(used)):  # each part as XlsxWriter wrote it: name, date, mode
            if part.filename == "xl/workbook.xml":  # the filters' ranges, which Excel also keeps as names
                for name, (sheet, columns) in _PARTS.items():
                    last = f"${_LETTERS[len(columns) - 1]}$"
                    data = data.replace(f">{sheet}!$A$1:{last}2<".encode(),
                                        f">{sheet}!$A$1:{last}{max(len(sheets[name]), 1) + 1}<".encode())
            elif part.filename in sheets:
                data = _sheet_xml(data.decode("utf-8"), _PARTS[part.filename][1], sheets[part.filename], styles).encode()
            book.writestr(copy.copy(part), data)


def _first_used(accounts: list[str], insights: list[str]) -> list[str]:
    """The cells' styles in the order XlsxWriter first writes them: each sheet's rows as they are
    written, but the last row of each, which it writes when it closes the workbook."""
    order = [*accounts[:-1], *insights[:-1], *accounts[-1:], *insights[-1:]]
    seen: list[str] = []
    for row in order:
        found = sorted((at, code) for code in _STYLES if code not in seen and (at := row.find(code)) >= 0)
        seen += [code for _, code in found]
        if len(seen) == len(_STYLES):
            break
    return seen


@functools.lru_cache(maxsize=4)
def _frame(title: str, as_of: dt.date, used: tuple[str, ...]) -> tuple[tuple[zipfile.ZipInfo, bytes], ...]:
    """The workbook's parts without its rows, as XlsxWriter writes them: properties, styles (numbered
    in the order of `used`, by a first row that uses them so), the sheets' columns, frozen headers
    and filters (over a row: `write_levels_xlsx` sets their ranges). Kept: a process that builds
    again writes the same frame until the title, the date or the styles' order change."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": title, "author": "allyreport", "created": dt.datetime(as_of.year, as_of.month, as_of.day),
                         "company": "", "comments": "Generated by allyreport from plain-text notes"})
    header = book.add_format({"bold": True, "bottom": 1})
    formats = {DATE: book.add_format({"num_format": "yyyy-mm-dd"}), NUMBER: book.add_format({"num_format": "0.00"}),
               PERCENT: book.add_format({"num_format": "0%"}), WRAP: book.add_format({"text_wrap": True})}
    for name, columns in _PARTS.values():
        sheet = book.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for col, column in enumerate(columns):
            sheet.set_column(col, col, _WIDTHS.get(column, 12), formats[WRAP] if column == "evidence" else None)
            sheet.write_string(0, col, column, header)
        sheet.autofilter(0, 0, 1, len(columns) - 1)
        if name == "Accounts":
            for col, code in enumerate(used):
                sheet.write_number(1, col, 0, formats[code])
    book.close()
    frame = zipfile.ZipFile(buffer)
    return tuple((part, frame.read(part)) for part in frame.infolist())


def _sheet_xml(frame: str, columns: Sequence[str], rows: list[str], styles: dict[str, str]) -> str:
    """A sheet of the frame with its header and `rows` in place of what the frame holds."""
    head, rest = frame.split("<sheetData>", 1)
    tail = rest.split("</sheetData>", 1)[1]
    last = _LETTERS[len(columns) - 1]
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}{len(rows) + 1}"/>', head, count=1)
    tail = tail.replace(f'<autoFilter ref="A1:{last}2"/>', f'<autoFilter ref="A1:{last}{max(len(rows), 1) + 1}"/>', 1)
    titles = "".join(f'<c r="{_LETTERS[col]}1" s="1" t="inlineStr"><is><t>{c}</t></is></c>' for col, c in enumerate(columns))
    body = "".join([f'<row r="1">{titles}</row>', *(row.replace(ROW, str(n)) for n, row in enumerate(rows, 2))])
    for code, index in styles.items():
        body = body.replace(code, index)
    return f"{head}<sheetData>{body}</sheetData>{tail}"
