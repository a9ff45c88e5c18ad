"""What the command prints: diagnostics on stderr, summary lines, JSON on stdout, colour.

Problems always go to stderr, one `path:line: message` a line, then one count line
(`2 errors, 3 warnings`); `--quiet` drops the summary lines, never a problem. Colour only on
a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from ..core.diagnostics import Diagnostic, counts, errors_only, render_json, sort_key
from ..core.jsontext import indented


class UsageError(Exception):
    """A command line that cannot be run as typed: exit 2, one line saying what is expected."""


class Exit(Exception):
    """Stop the command with this exit code; what went wrong is already printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def usage(message: str) -> int:
    print(f"allyreport: {message}", file=sys.stderr)
    return 2


def colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def _paint(text: str, code: str, on: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if on else text


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    on = colour(sys.stderr)
    for d in sorted(diagnostics, key=sort_key):
        line = d.format()
        if on:  # the place in bold, a warning's text in yellow
            where, _, rest = line.partition(": ")
            line = f"{_paint(where, '1', on)}: {_paint(rest, '33', on) if d.severity == 'warning' else rest}"
        sys.stderr.write(line + "\n")


def report(diagnostics: list[Diagnostic], as_json: bool, quiet: bool = False, strict: bool = False) -> int:
    """Print every diagnostic and, when something is wrong, the count line. Exit 1 on an error
    (on a warning too when strict); 2 when the only errors are about a flag (`--model`)."""
    failed = failing(diagnostics, strict)
    if failed and all(d.path.startswith("--") for d in failed):
        for d in failed:
            usage(d.format())
        return 2
    if as_json:
        sys.stdout.write(render_json(diagnostics))
    else:
        print_diagnostics(diagnostics)
    if failed and not as_json and not quiet:
        print(_paint(counts(diagnostics), "31", colour(sys.stderr)), file=sys.stderr)
    return 1 if failed else 0


def failing(diagnostics: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    return list(diagnostics) if strict else errors_only(diagnostics)


def say(text: str, quiet: bool = False) -> None:
    """A summary line on stdout, unless --quiet."""
    if not quiet:
        print(text)


def dump_json(data: object) -> None:
    sys.stdout.write(indented(data) + "\n")
