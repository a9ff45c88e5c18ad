"""One function per sub-command; each resolves settings, runs the pipeline, prints."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..build.pipeline import Outcome, build, judge
from ..config.options import Options
from ..config.settings import Settings, load_settings
from ..core.diagnostics import Diagnostic, display_path, errors_only
from ..core.quarters import year_problem
from ..render.json_report import verdict_json
from ..render.sheets import levels_csv
from ..render.text import explain_text, levels_table
from .output import dump_json, report, today


def _settings(args: argparse.Namespace) -> Settings | None:
    settings, problems = load_settings(args.config, Path.cwd())
    if problems:
        report(problems, getattr(args, "json", False))
        return None
    if getattr(args, "share_safe", False) and settings is not None:  # the flag and the setting are one switch
        settings = replace(settings, spec=settings.spec.model_copy(update={"share_safe": True}))
    return settings


def _options(args: argparse.Namespace, settings: Settings) -> Options:
    """The command's options; first, what a killed build left of the output is finished (every
    command does it: whichever runs next, the output is whole again; see publish.recover)."""
    from ..build.publish import recover_quietly

    notes = getattr(args, "notes_pos", None) or args.notes or settings.path(settings.spec.notes)
    out = getattr(args, "out", None) or settings.path(settings.spec.output)
    if settings.spec.share_safe and not getattr(args, "out", None):  # never over the full output
        out = Path(out).with_name(Path(out).name + "-share-safe")
    templates = getattr(args, "templates", None) or (
        settings.path(settings.spec.templates) if settings.spec.templates else None)
    if args.command != "build":  # a build does it under its own lock
        recover_quietly(Path(out))
    return Options(notes=Path(notes), out=Path(out), quarter=args.quarter, model=args.model,
                   pdf=not getattr(args, "no_pdf", False), jobs=max(1, getattr(args, "jobs", 1) or 1),
                   templates=templates, pack=getattr(args, "pack", None))


def _usage(message: str) -> int:
    print(f"allyreport: {message}", file=sys.stderr)
    return 2


def _valid_quarter(args: argparse.Namespace) -> bool:
    """A quarter written like 2026Q3, in the years allyreport accepts (else a usage error)."""
    if args.quarter is None:
        return True
    if re.fullmatch(r"\d{4}[Qq][1-4]", args.quarter) is None:
        return False
    if problem := year_problem(int(args.quarter[:4])):
        args.quarter_problem = f"--quarter {args.quarter} {problem}"
        return False
    return True


def _quarter_usage(args: argparse.Namespace) -> str:
    return getattr(args, "quarter_problem", f"--quarter '{args.quarter}' is not a quarter; write it like 2026Q3")


def _judged(args: argparse.Namespace) -> tuple[Outcome | None, int]:
    settings = _settings(args)
    if settings is None:
        return None, 1
    if not _valid_quarter(args):
        return None, _usage(_quarter_usage(args))
    outcome = judge(settings, _options(args, settings))
    if not outcome.ok:
        return None, report(outcome.diagnostics, args.json)
    return outcome, 0


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 1
    if not _valid_quarter(args):
        return _usage(_quarter_usage(args))
    options = _options(args, settings)
    outcome = judge(settings, options)
    code = report(outcome.diagnostics, args.json)
    if code == 0 and not args.json and outcome.project:
        p = outcome.project
        notes = sum(len(a.notes) for a in p.portfolio.accounts)
        print(f"{display_path(options.notes)}: {len(p.portfolio.accounts)} accounts, {notes} notes, no errors")
    return code


def cmd_build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 1
    if not _valid_quarter(args):
        return _usage(_quarter_usage(args))
    if args.pack is not None and not re.fullmatch(r"owner(=.+)?", args.pack):
        return _usage(f"--pack '{args.pack}': write --pack owner (a pack per owner) or --pack owner=NAME")
    started = time.monotonic()
    options = _options(args, settings)
    if options.pdf and (missing := pango_missing()):
        print(f"allyreport: PDFs need the system's Pango library, which WeasyPrint could not load ({missing}).\n"
              "  Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0   macOS: brew install pango\n"
              "  Or build without PDFs: allyreport build --no-pdf", file=sys.stderr)
        return 1
    from ..build.publish import PublishError
    from ..core.progress import Bar

    try:
        outcome = build(settings, options, Bar(options.jobs) if sys.stdout.isatty() and not args.json else None)
    except PublishError as exc:  # one line: the folder and what happened (see publish.fault)
        if not args.json:
            print(exc, file=sys.stderr)
            return 1
        return report([Diagnostic(exc.where, 0, exc.message)], args.json)
    code = report(outcome.diagnostics, args.json)
    if code == 0 and outcome.ok:
        pdfs = sum(1 for w in outcome.written if w.endswith(".pdf"))
        pages = sum(1 for w in outcome.written if w.endswith(".html"))
        unchanged = (f"; all {outcome.accounts:,} unchanged" if outcome.reused
                     else f"; {outcome.unchanged:,} unchanged" if outcome.unchanged else "")
        print(f"built {outcome.accounts:,} accounts for {outcome.quarter}: {pages:,} pages, {pdfs:,} PDFs "
              f"in {display_path(options.out)}/ ({time.monotonic() - started:.1f} s){unchanged}")
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 1
    if not _valid_quarter(args):
        return _usage(_quarter_usage(args))
    if not 0 <= args.port <= 65535:
        return _usage(f"--port {args.port} is not a port; choose one from 1 to 65535 (0: any free one)")
    options = replace(_options(args, settings), pdf=args.pdf)
    if options.pdf and (missing := pango_missing()):
        print(f"allyreport: PDFs need the system's Pango library, which WeasyPrint could not load ({missing}); "
              "serve without --pdf", file=sys.stderr)
        return 1
    from ..serve.preview import Address, serve

    return serve(args.config, settings, options, Address(args.host, args.port, args.open), args.debug)


def pango_missing() -> str:
    """Why WeasyPrint cannot start (its C libraries are missing), or "" when it can."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        return str(exc).splitlines()[0][:120]
    return ""


def cmd_levels(args: argparse.Namespace) -> int:
    outcome, code = _judged(args)
    if outcome is None or outcome.project is None:
        return code
    if args.json:
        dump_json([verdict_json(v) for v in outcome.project.verdicts])
    elif args.csv:
        sys.stdout.write(levels_csv([verdict_json(v) for v in outcome.project.verdicts], outcome.project.as_of))
    else:
        print(levels_table(outcome.project))
    return 1 if errors_only(outcome.diagnostics) else 0


def cmd_explain(args: argparse.Namespace) -> int:
    outcome, code = _judged(args)
    if outcome is None or outcome.project is None:
        return code
    matches = [v for v in outcome.project.verdicts if v.account.slug == args.account]
    if not matches:
        slugs = ", ".join(v.account.slug for v in outcome.project.verdicts[:20])
        return _usage(f"no account '{args.account}' in {outcome.project.portfolio.notes_dir}; accounts: {slugs}")
    if args.json:
        dump_json(verdict_json(matches[0]))
    else:
        print(explain_text(matches[0]))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from ..notes.scaffold import new_account

    settings = _settings(args)
    if settings is None:
        return 1
    notes = _options(args, settings).notes
    try:
        path = new_account(notes, args.account, args.name, args.owner)
    except ValueError as exc:
        return _usage(str(exc))
    print(f"created {path}")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from ..notes.scaffold import new_note

    settings = _settings(args)
    if settings is None:
        return 1
    notes = _options(args, settings).notes
    try:
        day = dt.date.fromisoformat(args.date) if args.date else today()
        if problem := year_problem(day.year):
            raise ValueError(f"--date {day.isoformat()} {problem}")
        path = new_note(notes, args.account, day, args.context, args.topic)
    except ValueError as exc:
        return _usage(str(exc))
    print(f"created {path}")
    return 0
