"""Errors as values: every problem found in the notes is a `Diagnostic` with its file and line.

Stages never raise on bad input; they return what they could build plus a list of
diagnostics, and the command line prints them all at once (as bean-check does).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .jsontext import indented

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file; `line` and `column` are 1-based, 0 when unknown."""

    path: str
    line: int
    message: str
    severity: Severity = "error"
    column: int = 0

    def format(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{escape_path(where)}: {prefix}{escape_path(self.message)}"

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
        }


# Control characters (a newline in a file name would forge a second message) and the bidi
# controls (a right-to-left override shows a name reversed): never printed raw.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_path(text: str) -> str:
    """`text` with control and bidi characters shown as escapes (`\\n`, `\\u202e`)."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def errors_only(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.column, d.message)


def render_text(diagnostics: Iterable[Diagnostic]) -> str:
    return "".join(d.format() + "\n" for d in sorted(diagnostics, key=sort_key))


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    items = [d.as_json() for d in sorted(diagnostics, key=sort_key)]
    return indented(items) + "\n"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def counts(diagnostics: Iterable[Diagnostic]) -> str:
    """The count line every command prints: '2 errors, 3 warnings', 'no errors, 1 warning', 'no errors'."""
    found = list(diagnostics)
    errors = len(errors_only(found))
    warnings = len(found) - errors
    head = plural(errors, "error") if errors else "no errors"
    return head + (f", {plural(warnings, 'warning')}" if warnings else "")
