"""The `allyreport` command: check, build, serve, levels, explain, new, note.

Exit codes: 0 clean, 1 errors in the notes/rules (printed as `path:line: message`),
2 usage errors. No traceback unless --debug.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import __version__
from ..core.processes import Terminated, on_sigterm_raise, release_workers


def _common(parser: argparse.ArgumentParser, notes_flag: bool = True) -> None:
    if notes_flag:
        parser.add_argument("--notes", type=Path, help="notes folder (default: from allyreport.toml, else notes/)")
    parser.add_argument("--config", type=Path, help="settings file (default: ./allyreport.toml if present)")
    parser.add_argument("--model", help="level model: ally, pyramid, s-curve or a firm's own")
    parser.add_argument("--quarter", help="review quarter, e.g. 2026Q3 (default: the latest with notes)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="allyreport", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"allyreport {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("check", help="validate the notes and rules; print every problem as path:line: message")
    p.add_argument("notes_pos", nargs="?", type=Path, metavar="NOTES", help="notes folder")
    _common(p)

    p = sub.add_parser("build", help="build the HTML site and PDFs into the output folder")
    _common(p)
    p.add_argument("--out", type=Path, help="output folder (default: output/)")
    p.add_argument("--templates", type=Path, help="folder of templates/CSS that override the defaults")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    p.add_argument("--share-safe", action="store_true",
                   help="the variant to show the client: no private notes, actions or people, no trust scores, "
                        "into <output>-share-safe/")
    p.add_argument("--pack", metavar="owner[=NAME]",
                   help="besides the review pack, one per account owner (or only NAME's): pdf/pack-<quarter>-<owner>.pdf")
    p.add_argument("--jobs", type=int, default=cores(), help="worker processes (default: every core this process may use)")

    p = sub.add_parser("serve", help="build, serve the site on this computer, rebuild and reload the page on every save")
    p.add_argument("--notes", type=Path, help="notes folder (default: from allyreport.toml, else notes/)")
    p.add_argument("--config", type=Path, help="settings file (default: ./allyreport.toml if present)")
    p.add_argument("--model", help="level model: ally, pyramid, s-curve or a firm's own")
    p.add_argument("--quarter", help="review quarter, e.g. 2026Q3 (default: the latest with notes)")
    p.add_argument("--out", type=Path, help="output folder (default: output/)")
    p.add_argument("--templates", type=Path, help="folder of templates/CSS that override the defaults")
    p.add_argument("--port", type=int, default=8000, help="port to serve on (default: 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default: 127.0.0.1, this computer only; another makes the reports "
                        "visible to the network)")
    p.add_argument("--open", action="store_true", help="open the portfolio in the web browser")
    p.add_argument("--pdf", dest="pdf", action="store_true", default=False, help="keep the PDFs current too (slower)")
    p.add_argument("--no-pdf", dest="pdf", action="store_false", help="no PDFs (the default)")
    p.add_argument("--jobs", type=int, default=cores(), help="worker processes (default: every core this process may use)")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")

    p = sub.add_parser("levels", help="print each account's level, trust and insights for the quarter")
    p.add_argument("--csv", action="store_true", help="one CSV row per account, as output/levels.csv")
    _common(p)

    p = sub.add_parser("explain", help="why an account has its level, and what would have to change")
    p.add_argument("account", metavar="ACCOUNT", help="account slug, e.g. acme-foods")
    _common(p)

    p = sub.add_parser("new", help="create an account folder with a filled-in account.md")
    p.add_argument("account", metavar="ACCOUNT", help="slug for the new account, e.g. acme-foods")
    p.add_argument("--name", help="display name (default: from the slug)")
    p.add_argument("--owner", default="", help="account lead")
    _common(p)

    p = sub.add_parser("note", help="create a dated note for an account from a template")
    p.add_argument("account", metavar="ACCOUNT", help="account slug")
    p.add_argument("--date", help="meeting date YYYY-MM-DD (default: today)")
    p.add_argument("--context", default="problem", choices=["service", "problem", "strategy", "social"])
    p.add_argument("--topic", default="meeting", help="a few words for the file name")
    _common(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    on_sigterm_raise()
    try:
        return _dispatch(args)
    except (KeyboardInterrupt, Terminated) as exc:  # one line, whichever worker was busy
        stands = "the new output is in place" if "published" in getattr(exc, "__notes__", ()) \
            else "the previous output is unchanged"
        how, code = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        release_workers()
        print(f"allyreport: {how}; {stands}", file=sys.stderr)
        return code
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        from ..build.publish import PublishError

        if isinstance(exc, (PublishError, OSError)):
            print(f"allyreport: {exc}", file=sys.stderr)
            return 1
        print(f"allyreport: internal error: {exc!r} (run again with --debug for details)", file=sys.stderr)
        return 3


def cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run() -> None:
    """The `allyreport` command: `main`, then a quick exit. A large build leaves a big heap, and the
    interpreter would spend a noticeable part of a small build freeing it object by object; every
    file is already closed and written, so once the output streams are flushed nothing is lost."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _dispatch(args: argparse.Namespace) -> int:
    from . import commands

    handler = getattr(commands, f"cmd_{args.command}")
    result: int = handler(args)
    return result
