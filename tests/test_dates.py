"""The survey dates a changed note before it is parsed (`notes.dates.note_date`), so a build
plans its review once: that date must be exactly the one the loader reads, however the note
is written, or None when the loader refuses the note.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allyreport.notes.dates import note_date, note_day
from allyreport.notes.loader import DEFAULT_MAX_NOTE_BYTES, parse_file

BODY = "context: problem\n"


def loader_date(data: bytes) -> dt.date | None:
    parsed = parse_file("n.md", data, "note")
    meta = parsed.meta
    return None if meta is None or any(d.severity == "error" for d in parsed.diagnostics) else meta.date


CASES = {
    "plain": f"---\ndate: 2026-05-01\n{BODY}---\nBody.\n",
    "quoted": f"---\ndate: '2026-05-01'\n{BODY}---\n",
    "double quoted": f"---\n{BODY}date: \"2026-05-01\"\n---\n",
    "comment after": f"---\ndate: 2026-05-01  # the meeting\n{BODY}---\n",
    "quoted key": f"---\n\"date\": 2026-05-02\n{BODY}---\n",
    "escaped key": f"---\n\"d\\x61te\": 2026-05-03\n{BODY}---\n",
    "space before colon": f"---\ndate : 2026-05-04\n{BODY}---\n",
    "flow mapping": "---\n{date: 2026-05-05, context: problem}\n---\n",
    "a fake line in a quoted text": f"---\nwith: [\"x\ndate: 2020-01-01\"]\ndate: 2026-05-06\n{BODY}---\n",
    "a fake line in a quoted text, real key escaped":
        f"---\nwith: [\"x\ndate: 2020-01-01\"]\n\"d\\x61te\": 2026-05-07\n{BODY}---\n",
    "date in a comment": f"---\n# date: 2020-01-01\ndate: 2026-05-08\n{BODY}---\n",
    "date in the body": f"---\ndate: 2026-05-09\n{BODY}---\ndate: 2020-01-01\n",
    "only in the body": f"---\n{BODY}---\ndate: 2020-01-01\n",
    "crlf": f"---\r\ndate: 2026-05-10\r\n{BODY}".replace("\n", "\r\n") + "---\r\n",
    "bom": f"\ufeff---\ndate: 2026-05-11\n{BODY}---\n",
    "blank lines first": f"\n\n---\ndate: 2026-05-12\n{BODY}---\n",
    "closed by dots": f"---\ndate: 2026-05-13\n{BODY}...\n",
    "not a real day": f"---\ndate: 2026-02-30\n{BODY}---\n",
    "not iso": f"---\ndate: 2026-5-1\n{BODY}---\n",
    "with a time": f"---\ndate: 2026-05-14T10:00\n{BODY}---\n",
    "twice": f"---\ndate: 2026-05-15\ndate: 2026-05-16\n{BODY}---\n",
    "never closed": f"---\ndate: 2026-05-17\n{BODY}",
    "indented": "---\n  date: 2026-05-18\n  context: problem\n---\n",
    "hash glued to the value": f"---\ndate: 2026-05-19#x\n{BODY}---\n",
    "line separator": f"---\nwith: [a\u2028date: 2020-01-01]\ndate: 2026-05-20\n{BODY}---\n",
    "the word in a text": f"---\ndate: 2026-05-21\n{BODY}with: [the update date moved]\n---\n",
}


VALID = {"plain", "quoted", "double quoted", "comment after", "quoted key", "escaped key", "space before colon",
         "flow mapping", "a fake line in a quoted text", "a fake line in a quoted text, real key escaped",
         "date in a comment", "date in the body", "crlf", "bom", "blank lines first", "closed by dots",
         "the word in a text", "indented"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_survey_reads_the_date_the_loader_reads(name: str) -> None:
    """Of a note the loader accepts, exactly its date; of one it refuses (the build fails), None or any."""
    data = CASES[name].encode("utf-8")
    expected = loader_date(data)
    assert (expected is not None) == (name in VALID)
    if expected is not None:
        assert note_date(data, DEFAULT_MAX_NOTE_BYTES) == expected


def test_the_plain_form_is_read_and_what_the_loader_refuses_has_no_date() -> None:
    assert note_date(CASES["plain"].encode(), DEFAULT_MAX_NOTE_BYTES) == dt.date(2026, 5, 1)
    assert note_date(CASES["escaped key"].encode(), DEFAULT_MAX_NOTE_BYTES) == dt.date(2026, 5, 3)
    assert note_date(CASES["twice"].encode(), DEFAULT_MAX_NOTE_BYTES) is None  # a duplicate key is an error
    assert note_date(CASES["plain"].encode(), 10) is None  # over the size cap


LINES = st.sampled_from([
    "date: 2026-05-01", "date: '2026-06-02'", '"date": 2026-07-03', "# date: 2020-01-01", "context: problem",
    "with: [Ann Lee]", 'with: ["a', 'date: 2020-01-01"]', "with:", "  - date: 2020-02-02", "date : 2026-08-04",
    "with: [a,", "date: 2020-03-03]", '"d\\x61te": 2026-09-05', "", "  ", "date:", "with: ['it''s']",
    "date: 2026-13-01", "price: false",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_any_mix_of_lines_gives_the_loaders_date(lines: list[str], newline: str) -> None:
    data = newline.join(["---", *lines, "---", "body"]).encode("utf-8")
    expected = loader_date(data)
    if expected is not None:
        assert note_date(data, DEFAULT_MAX_NOTE_BYTES) == expected


def test_a_private_note_is_dated_negative_so_the_share_safe_variant_can_leave_it_out() -> None:
    private = b"---\ndate: 2026-05-01\ncontext: problem\nprivate: true\n---\n"
    public = b"---\ndate: 2026-05-01\ncontext: problem\nprivate: false\n---\n"
    assert note_day(private, DEFAULT_MAX_NOTE_BYTES) == -dt.date(2026, 5, 1).toordinal()
    assert note_day(public, DEFAULT_MAX_NOTE_BYTES) == dt.date(2026, 5, 1).toordinal()
    assert note_date(private, DEFAULT_MAX_NOTE_BYTES) == loader_date(private) == dt.date(2026, 5, 1)
    assert note_day(b"no frontmatter", DEFAULT_MAX_NOTE_BYTES) == 0
