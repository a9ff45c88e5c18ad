"""A note's date before the note is parsed, exactly as the loader will read it.

A build plans its review (the quarter and the as-of date, `rules.plan`) from every note's
date before it judges any account, so changed notes are dated when the survey reads them
to hash them. Most notes say `date: 2026-05-01` on a line of its own and name `date`
nowhere else in their frontmatter: that line is read without the YAML parse. Any other
way of writing it (a quoted key, an escape, a comment naming `date`, CRLF line ends, a
byte-order mark), and any note that names `private`, is read with the strict YAML reader, as
the loader reads it. A note that
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
_PRIVATE = re.compile(rb"private")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def note_date(data: bytes, max_bytes: int) -> dt.date | None:
    """The `date` the loader reads from a note's bytes, or None if it would read none."""
    day = note_day(data, max_bytes)
    return dt.date.fromordinal(abs(day)) if day else None


def note_day(data: bytes, max_bytes: int) -> int:
    """The note's date as an ordinal, negated for a note marked `private: true` (which the
    share-safe variant leaves out), 0 for none."""
    if data.startswith(_OPEN) and len(data) <= max_bytes:
        end = _CLOSE.search(data, len(_OPEN))
        if end is not None:
            frontmatter = data[len(_OPEN): end.start()]
            plain = _PLAIN.search(frontmatter)
            if plain and b"\r" not in frontmatter and b"\\" not in frontmatter \
                    and len(_WORD.findall(frontmatter)) == 1 and not _PRIVATE.search(frontmatter):
                day = _day(plain.group(2).decode("ascii"))
                return day.toordinal() if day else 0
    return _parsed(data, max_bytes)


def _parsed(data: bytes, max_bytes: int) -> int:
    source, _ = read_source("", data, max_bytes)
    if source is None:
        return 0
    value, _, problems = yamlstrict.parse(source.frontmatter)
    if problems or not isinstance(value, dict):
        return 0
    text = value.get("date")
    day = _day(text.strip()) if isinstance(text, str) else None
    return 0 if day is None else -day.toordinal() if value.get("private") is True else day.toordinal()


def _day(text: str) -> dt.date | None:
    if not _ISO.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
