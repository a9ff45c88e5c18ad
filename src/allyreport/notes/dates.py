"""A note's date before the note is parsed, exactly as the loader will read it.

A build plans its review (the quarter and the as-of date, `rules.plan`) from every note's
date before it judges any account, so changed notes are dated when the survey reads them
to hash them. Most notes say `date: 2026-05-01` on a line of its own and name `date`
nowhere else in their frontmatter: that line is read without the YAML parse. Any other
way of writing it (a quoted key, an escape, a comment naming `date`, CRLF line ends, a
byte-order mark) is read with the strict YAML reader, as the loader reads it. A note that
the loader would refuse has no date here; the build fails on it anyway.
"""

from __future__ import annotations

import datetime as dt
import re

from ..core import yamlstrict
from .source import read_source

_OPEN = b"---\n"
_CLOSE = re.compile(rb"^(?:---|\.\.\.)[ \t]*$", re.M)
_PLAIN = re.compile(rb"^date:[ \t]+(['\"]?)([0-9]{4}-[0-9]{2}-[0-9]{2})\1[ \t]*(?:[ \t]#[^\n]*)?$", re.M)
_WORD = re.compile(rb"\bdate\b")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def note_date(data: bytes, max_bytes: int) -> dt.date | None:
    """The `date` the loader reads from a note's bytes, or None if it would read none."""
    if data.startswith(_OPEN) and len(data) <= max_bytes:
        end = _CLOSE.search(data, len(_OPEN))
        if end is not None:
            frontmatter = data[len(_OPEN): end.start()]
            plain = _PLAIN.search(frontmatter)
            if plain and b"\r" not in frontmatter and b"\\" not in frontmatter and len(_WORD.findall(frontmatter)) == 1:
                return _day(plain.group(2).decode("ascii"))
    return _parsed(data, max_bytes)


def _parsed(data: bytes, max_bytes: int) -> dt.date | None:
    source, _ = read_source("", data, max_bytes)
    if source is None:
        return None
    value, _, problems = yamlstrict.parse(source.frontmatter)
    if problems or not isinstance(value, dict):
        return None
    day = value.get("date")
    return _day(day.strip()) if isinstance(day, str) else None


def _day(text: str) -> dt.date | None:
    if not _ISO.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
