"""The `allyreport` command: the parser, the checks of its flags, and the exit codes.

Exit codes: 0 clean, 1 errors in the notes/rules (printed as `path:line: message`; with
`check --strict`, warnings too), 2 usage errors (an unknown command, model or account, a
notes folder that does not exist, a flag value of the wrong form), 130 interrupted, 143 terminated,
141 the reader of our output went away (as a command killed by SIGPIPE). No traceback
unless --debug.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from .. import __version__
from ..build.publish import PublishError
from ..core.processes import Terminated, on_sigterm_raise, release_workers
from ..core.quarters import year_problem
from ..core.strict import did_you_mean
from .output import Exit, UsageError, usage

DESCRIPTION = "Account reviews and relationship plans from plain-text client-relationship notes."
CONTEXTS = ("service", "problem", "strategy", "social")


class Parser(argparse.ArgumentParser):
    """argparse, with our way of saying a usage error: one line, what is expected, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _base(p: argparse.ArgumentParser) -> None:
    """What every command takes."""
    talk = p.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print only problems, no summary line")
    talk.add_argument("-v", "--verbose", action="store_true", help="also say which settings, notes and output are used")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def iso_date(text: str) -> dt.date:
    """A date flag's value, written YYYY-MM-DD."""
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a real date") from None
    raise argparse.ArgumentTypeError(f"'{text}' is not a date written YYYY-MM-DD")


def _project(p: argparse.ArgumentParser, notes: bool = True) -> None:
    """What every command that reads the notes takes."""
    p.add_argument("--config", type=Path, help="settings file (default: allyreport.toml here or in the nearest folder above)")
    if notes:
        p.add_argument("--notes", type=Path, help="notes folder (default: from allyreport.toml, else notes/)")
    _base(p)


def _judging(p: argparse.ArgumentParser) -> None:
    """What every command that judges the accounts takes."""
    p.add_argument("--model", help="level model: ally, pyramid, s-curve or a firm's own")
    p.add_argument("--quarter", help="review quarter, e.g. 2026Q3 (default: the latest with notes up to today)")
    p.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD",
                   help="review as of this day (default: today while the review quarter runs, else its end)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def make_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="allyreport", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"allyreport {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)

    p = sub.add_parser("check", help="validate notes and rules; every problem as path:line: message")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="the notes folder, account folders or note files (default: the notes folder)")
    p.add_argument("--strict", action="store_true", help="warnings fail the check too (exit 1)")
    _project(p)
    _judging(p)

    p = sub.add_parser("build", help="build the HTML site and PDFs into the output folder")
    p.add_argument("--out", type=Path, help="output folder (default: from allyreport.toml, else output/)")
    p.add_argument("--templates", type=Path, help="folder of templates/CSS that override the shipped ones")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    p.add_argument("--share-safe", action="store_true",
                   help="the variant to show the client: no private notes, actions or people, no trust scores, "
                        "into <output>-share-safe/")
    p.add_argument("--pack", metavar="owner[=NAME]",
                   help="besides the review pack, one per account owner (or only NAME's): pdf/pack-<quarter>-<owner>.pdf")
    p.add_argument("--jobs", default=str(cores()), metavar="N",
                   help="worker processes, at least 1 (default: every core this process may use)")
    _project(p)
    _judging(p)

    p = sub.add_parser("serve", help="build, serve the site on this computer, rebuild and reload the page on every save")
    p.add_argument("--out", type=Path, help="output folder (default: from allyreport.toml, else output/)")
    p.add_argument("--templates", type=Path, help="folder of templates/CSS that override the shipped ones")
    p.add_argument("--port", type=int, default=8000, help="port to serve on (default: 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default: 127.0.0.1, this computer only; another makes the reports "
                        "visible to the network)")
    p.add_argument("--open", action="store_true", help="open the portfolio in the web browser")
    p.add_argument("--pdf", dest="pdf", action="store_true", default=False, help="keep the PDFs current too (slower)")
    p.add_argument("--no-pdf", dest="pdf", action="store_false", help="no PDFs (the default)")
    p.add_argument("--jobs", default=str(cores()), metavar="N",
                   help="worker processes, at least 1 (default: every core this process may use)")
    p.add_argument("--model", help="level model: ally, pyramid, s-curve or a firm's own")
    p.add_argument("--quarter", help="review quarter, e.g. 2026Q3 (default: the latest with notes)")
    _project(p)

    p = sub.add_parser("levels", help="each account's level, trust and insights for the quarter")
    p.add_argument("--csv", action="store_true", help="one CSV row per account, as output/levels.csv")
    _project(p)
    _judging(p)

    p = sub.add_parser("explain", help="why an account has its level, and what would have to change")
    p.add_argument("account", metavar="ACCOUNT", help="account slug, e.g. acme-foods")
    _project(p)
    _judging(p)

    p = sub.add_parser("new", help="create an account folder with a filled-in account.md")
    p.add_argument("account", metavar="NAME", help='the client\'s name ("Globex Corp") or a slug (globex-corp)')
    p.add_argument("--slug", help="folder name (default: derived from NAME, e.g. globex-corp)")
    p.add_argument("--name", help="display name, when NAME is a slug (default: from the slug)")
    p.add_argument("--owner", default="", help="account lead")
    _project(p)

    p = sub.add_parser("note", help="create a dated note for an account from a template")
    p.add_argument("account", metavar="ACCOUNT", help="account slug")
    p.add_argument("--date", help="meeting date YYYY-MM-DD (default: today)")
    p.add_argument("--context", default="problem", choices=CONTEXTS, help="what the meeting was about (default: problem)")
    p.add_argument("--topic", default="meeting", help="a few words for the file name")
    _project(p)

    p = sub.add_parser("init", help="start a notes repository: allyreport.toml, notes/, .gitignore")
    p.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="DIR", help="where (default: here)")
    p.add_argument("--pre-commit", action="store_true", help="also write .pre-commit-config.yaml running allyreport check")
    _base(p)

    p = sub.add_parser("templates", help="copy the shipped templates and CSS for a firm to edit")
    p.add_argument("action", choices=["copy"], help="copy: write the shipped templates into DIR")
    p.add_argument("folder", type=Path, metavar="DIR", help="a folder that does not exist yet, or is empty")
    _base(p)

    p = sub.add_parser("completion", help="print a shell completion script (bash or zsh)")
    p.add_argument("shell", choices=["bash", "zsh"], help='e.g. eval "$(allyreport completion bash)"')
    _base(p)
    return parser


# -- flag values: each check names the flag, what it expects and what it got ----------------


def _check_quarter(args: argparse.Namespace) -> str | None:
    value = getattr(args, "quarter", None)
    if value is None:
        return None
    if not re.fullmatch(r"\d{4}Q[1-4]", value, re.IGNORECASE):
        return f"--quarter must be a year and a quarter like 2026Q3, got {value}"
    problem = year_problem(int(value[:4]))
    return f"--quarter {value} {problem}" if problem else None


def _check_date(args: argparse.Namespace) -> str | None:
    value = getattr(args, "date", None)
    if value is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            problem = year_problem(dt.date.fromisoformat(value).year)
            return f"--date {value} {problem}" if problem else None
    except ValueError:
        return f"--date must be a real day, YYYY-MM-DD, got {value}"
    return f"--date must be YYYY-MM-DD, got {value}"


def _check_jobs(args: argparse.Namespace) -> str | None:
    value = getattr(args, "jobs", None)
    if value is None:
        return None
    if re.fullmatch(r"\s*\+?\d+\s*", value) and int(value) >= 1:
        args.jobs = int(value)
        return None
    return f"--jobs must be a whole number of at least 1, got {value}"


def _check_pack(args: argparse.Namespace) -> str | None:
    value = getattr(args, "pack", None)
    if value is None or re.fullmatch(r"owner(=.+)?", value):
        return None
    return f"--pack must be owner (a pack per owner) or owner=NAME, got {value}"


CHECKS: list[Callable[[argparse.Namespace], str | None]] = [_check_quarter, _check_date, _check_jobs, _check_pack]


def parse(argv: list[str]) -> argparse.Namespace:
    """The parsed command line, or UsageError: an unknown command gets its closest match."""
    parser = make_parser()
    commands = _commands(parser)
    word = next((a for a in argv if not a.startswith("-")), None)
    if word is not None and word not in commands and not any(a in ("-h", "--help", "--version") for a in argv):
        raise UsageError(f"unknown command '{word}'{did_you_mean(word, commands)} (commands: {', '.join(commands)})")
    args = parser.parse_args(argv)
    for check in CHECKS:
        problem = check(args)
        if problem:
            raise UsageError(problem)
    return args


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    return [name for action in parser._subparsers._group_actions  # type: ignore[union-attr]
            if isinstance(action, argparse._SubParsersAction) for name in action.choices]


def main(argv: list[str] | None = None) -> int:
    args: argparse.Namespace | None = None
    try:
        args = parse(sys.argv[1:] if argv is None else argv)
        on_sigterm_raise()
        return _dispatch(args)
    except UsageError as exc:
        return usage(str(exc))
    except Exit as stop:
        return stop.code
    except (KeyboardInterrupt, Terminated) as exc:  # one line, whichever worker was busy
        from ..build.publish import STANDS, standing

        stands = STANDS[standing()]  # set as the output changed: true whenever the interruption came
        how, code = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        release_workers()
        print(f"allyreport: {how}; {stands}", file=sys.stderr)
        return code
    except BrokenPipeError:
        raise
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
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
    file is already closed and written, so once the output streams are flushed nothing is lost.
    A closed pipe (`allyreport explain x | head`) ends the command silently."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        code = 141
    with contextlib.suppress(BrokenPipeError):
        sys.stderr.flush()
    os._exit(code)


MODULES = {"init": "init", "templates": "init", "completion": "completion",  # the rest: commands
           "levels": "reports", "explain": "reports"}  # `reports` loads the text, JSON and CSV renderers


def _dispatch(args: argparse.Namespace) -> int:
    """The command's function, imported only now: `completion` need not load the pipeline."""
    module = importlib.import_module(f".{MODULES.get(args.command, 'commands')}", __package__)
    handler = getattr(module, f"cmd_{args.command}")
    result: int = handler(args)
    return result
