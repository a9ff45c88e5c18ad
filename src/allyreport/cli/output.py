"""What the commands print: every diagnostic at once, the error count, JSON on standard output."""

from __future__ import annotations

import datetime as dt
import json
import sys

from ..core.diagnostics import Diagnostic, errors_only, render_json, render_text


def report(diagnostics: list[Diagnostic], as_json: bool) -> int:
    """Print every diagnostic; exit 1 if any is an error."""
    if as_json:
        sys.stdout.write(render_json(diagnostics))
    elif diagnostics:
        sys.stderr.write(render_text(diagnostics))
    errors = errors_only(diagnostics)
    if errors and not as_json:
        warnings = len(diagnostics) - len(errors)
        tail = f", {warnings} warning(s)" if warnings else ""
        print(f"{len(errors)} error(s){tail}", file=sys.stderr)
    return 1 if errors else 0


def today() -> dt.date:
    return dt.date.today()


def dump_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
