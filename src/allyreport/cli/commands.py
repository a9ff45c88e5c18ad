"""One function per sub-command that reads the notes; each resolves settings, runs the pipeline, prints.

Settings are found as git finds `.git`; when they come from a folder above, the command runs
from that folder (paths typed on the command line are taken from where they were typed), so
`allyreport check` inside `notes/acme-foods/` does what it does at the top, and prints the same.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

from ..build.pipeline import build, judge
from ..build.publish import PublishError, recover_quietly
from ..build.run import NO_NOTES, Outcome
from ..config.options import Options
from ..config.settings import Settings, load_settings
from ..core.diagnostics import Diagnostic, counts, display_path, errors_only, plural
from ..core.progress import Bar
from ..core.quarters import Quarter
from ..core.strict import did_you_mean
from ..notes.layout import ACCOUNT_FILE, SLUG
from ..rules.plan import flag_problem, today
from .output import Exit, UsageError, dump_json, report, say
from .targets import resolve_targets


def settings_for(args: argparse.Namespace) -> Settings:
    cwd = Path.cwd()
    settings, problems = load_settings(args.config, cwd)
    if settings is None:
        raise Exit(report(problems, getattr(args, "json", False)))
    if getattr(args, "share_safe", False):  # the flag and the setting are one switch
        settings = dataclasses.replace(settings, spec=settings.spec.model_copy(update={"share_safe": True}))
    if settings.source and args.config is None and settings.base.resolve() != cwd.resolve():
        _absolute(args, cwd)
        os.chdir(settings.base)
    if args.verbose:
        print(f"allyreport: settings {settings.source or '(defaults: no allyreport.toml here or above)'}, "
              f"run from {settings.base.resolve()}", file=sys.stderr)
    return settings


def _absolute(args: argparse.Namespace, cwd: Path) -> None:
    """Paths typed on the command line, made independent of the folder the command moves to."""
    for name in ("notes", "out", "templates", "config"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(args, name, cwd / value)
    if getattr(args, "paths", None):
        args.paths = [cwd / p for p in args.paths]


def notes_folder(args: argparse.Namespace, settings: Settings) -> Path:
    """The notes folder; a usage error, with advice that is right from here, when it does not exist."""
    if args.notes is not None:
        if not args.notes.is_dir():
            raise UsageError(f"--notes {display_path(args.notes)}: no such folder")
        return Path(args.notes)
    notes = settings.path(settings.spec.notes)
    if notes.is_dir():
        return notes
    if settings.source:
        raise UsageError(f"notes folder {display_path(notes)} does not exist (notes = \"{settings.spec.notes}\" "
                         f"in {settings.source}); create it, or correct the setting")
    raise UsageError(f"no notes folder here: {display_path(notes)} does not exist, and there is no allyreport.toml "
                     "in this folder or above; start a notes repository with: allyreport init")


def _dates_problem(args: argparse.Namespace) -> str | None:
    """Why --quarter and --as-of cannot be reviewed together (`rules.plan.flag_problem`), or None."""
    quarter = getattr(args, "quarter", None)
    return flag_problem(Quarter.parse(quarter), getattr(args, "as_of", None), today()) if quarter else None


def options_for(args: argparse.Namespace, settings: Settings, notes: Path,
                accounts: frozenset[str] | None = None) -> Options:
    """The command's options; first, what a killed build left of the output is finished (every
    command does it: whichever runs next, the output is whole again; see publish.recover)."""
    out = getattr(args, "out", None) or settings.path(settings.spec.output)
    if settings.spec.share_safe and not getattr(args, "out", None):  # never over the full output
        out = Path(out).with_name(Path(out).name + "-share-safe")
    if problem := _dates_problem(args):
        raise UsageError(problem)
    if args.command != "build":  # a build does it under its own lock
        recover_quietly(Path(out))
    templates = getattr(args, "templates", None)
    if templates is not None and not templates.is_dir():
        raise UsageError(f"--templates {display_path(templates)}: no such folder")
    if templates is None and settings.spec.templates:
        templates = settings.path(settings.spec.templates)
    if args.verbose:
        print(f"allyreport: notes {display_path(notes)}, output {display_path(Path(out))}"
              + (f", templates {display_path(templates)}" if templates else ""), file=sys.stderr)
    return Options(notes=notes, out=Path(out), quarter=getattr(args, "quarter", None), model=getattr(args, "model", None),
                   pdf=not getattr(args, "no_pdf", False), jobs=getattr(args, "jobs", 1), templates=templates,
                   accounts=accounts, pack=getattr(args, "pack", None), as_of=getattr(args, "as_of", None),
                   today=today())


def cmd_check(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    strict = args.strict or settings.spec.strict
    targets = resolve_targets(args.paths, settings, lambda: notes_folder(args, settings))
    options = options_for(args, settings, targets.notes, targets.accounts)
    outcome = judge(settings, options)
    diagnostics = with_notes_flag(targets.relevant(outcome.diagnostics), options.notes, settings)
    what = targets.shown or display_path(options.notes)
    if [d.message for d in diagnostics] == [NO_NOTES]:  # nothing to judge is nothing wrong, for a check
        say(f"{what}: no notes yet, no errors", args.quiet or args.json)
        return report([], args.json, args.quiet)
    code = report(diagnostics, args.json, args.quiet, strict)
    if code == 0 and outcome.project is not None:
        p = outcome.project
        notes = sum(len(a.notes) for a in p.portfolio.accounts)
        say(f"{what}: {plural(len(p.portfolio.accounts), 'account')}, {plural(notes, 'note')}, {counts(diagnostics)}",
            args.quiet or args.json)
    elif code == 0:  # the files named are fine; another file of their account is not, so nothing was judged
        elsewhere = len(outcome.diagnostics) - len(diagnostics)
        say(f"{what}: {counts(diagnostics)}; {plural(elsewhere, 'problem')} in other files of "
            f"{'its account' if len(targets.accounts or ()) == 1 else 'their accounts'} (allyreport check shows them all)",
            args.quiet or args.json)
    return code


def cmd_build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    settings = settings_for(args)
    options = options_for(args, settings, notes_folder(args, settings))
    if options.pdf and (missing := pango_missing()):
        print(f"allyreport: PDFs need the system's Pango library, which WeasyPrint could not load ({missing}).\n"
              "  Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0   macOS: brew install pango\n"
              "  Or build without PDFs: allyreport build --no-pdf", file=sys.stderr)
        return 1
    bar = Bar(options.jobs) if sys.stderr.isatty() and sys.stdout.isatty() and not (args.json or args.quiet) else None
    try:
        outcome = build(settings, options, bar)
    except PublishError as exc:  # one line: the folder and what happened (see publish.fault)
        if not args.json:
            print(exc, file=sys.stderr)
            return 1
        problem = Diagnostic(exc.where, 0, exc.message)
        dump_json(build_summary(Outcome(diagnostics=[problem]), options))
        return 1
    if args.json:
        dump_json(build_summary(outcome, options))
        return 1 if errors_only(outcome.diagnostics) else 0
    code = report(outcome.diagnostics, False, args.quiet)
    if code == 0 and outcome.ok:
        say(build_line(outcome, options, time.monotonic() - started), args.quiet)
        if args.verbose:
            for name in outcome.written:
                print(f"  {display_path(options.out)}/{name}", file=sys.stderr)
    return code


def build_line(outcome: Outcome, options: Options, seconds: float) -> str:
    pdfs = sum(1 for w in outcome.written if w.endswith(".pdf"))
    pages = sum(1 for w in outcome.written if w.endswith(".html"))
    unchanged = (f"; all {outcome.accounts:,} unchanged" if outcome.reused
                 else f"; {outcome.unchanged:,} unchanged" if outcome.unchanged else "")
    warnings = len(outcome.diagnostics) - len(errors_only(outcome.diagnostics))
    tail = f"; {plural(warnings, 'warning')}" if warnings else ""
    return (f"built {plural(outcome.accounts, 'account')} for {outcome.quarter}: {pages:,} pages, {pdfs:,} PDFs "
            f"in {display_path(options.out)}/ ({seconds:.1f} s){unchanged}{tail}")


def build_summary(outcome: Outcome, options: Options) -> dict[str, object]:
    """`build --json`: what was built, where, and every problem (docs/output.md)."""
    errors = errors_only(outcome.diagnostics)
    return {"ok": outcome.ok, "quarter": outcome.quarter or None, "accounts": outcome.accounts,
            "unchanged": outcome.unchanged, "output": display_path(options.out),
            "files": outcome.written if outcome.ok else [],
            "pages": sum(1 for w in outcome.written if w.endswith(".html")) if outcome.ok else 0,
            "pdfs": sum(1 for w in outcome.written if w.endswith(".pdf")) if outcome.ok else 0,
            "errors": len(errors), "warnings": len(outcome.diagnostics) - len(errors),
            "diagnostics": [d.as_json() for d in sorted(outcome.diagnostics)]}


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be a port from 1 to 65535 (0: any free one), got {args.port}")
    options = dataclasses.replace(options_for(args, settings, notes_folder(args, settings)), pdf=args.pdf)
    if options.pdf and (missing := pango_missing()):
        print(f"allyreport: PDFs need the system's Pango library, which WeasyPrint could not load ({missing}); "
              "serve without --pdf", file=sys.stderr)
        return 1
    from ..serve.preview import Address, serve  # here: only serve needs the server and the watcher

    return serve(args.config, settings, options, Address(args.host, args.port, args.open), args.debug)


def pango_missing() -> str:
    """Why WeasyPrint cannot start (its C libraries are missing), or "" when it can."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        return str(exc).splitlines()[0][:120]
    return ""


def judged(args: argparse.Namespace) -> Outcome:
    settings = settings_for(args)
    outcome = judge(settings, options_for(args, settings, notes_folder(args, settings)))
    if outcome.project is None or errors_only(outcome.diagnostics):
        raise Exit(report(outcome.diagnostics, args.json, args.quiet))
    return outcome


def unknown_account(slug: str, slugs: list[str], notes: str) -> str:
    """No such account: the closest slug if one is close, else the list (or how to start one)."""
    hint = did_you_mean(slug, slugs)
    if hint:
        return f"no account '{slug}' in {notes}{hint}"
    if not slugs:
        return f"no account '{slug}' in {notes}: there are no accounts yet; start one with: allyreport new \"Client Name\""
    shown = ", ".join(slugs[:20]) + (f" and {len(slugs) - 20} more" if len(slugs) > 20 else "")
    return f"no account '{slug}' in {notes}; accounts: {shown}"


def cmd_new(args: argparse.Namespace) -> int:
    from ..notes.scaffold import new_account, slugify  # here, as in cmd_note

    settings = settings_for(args)
    notes = notes_folder(args, settings)
    name, slug = args.name, args.slug
    if slug is None and SLUG.fullmatch(args.account):
        slug = args.account
    else:
        name = name or args.account
        slug = slug or slugify(args.account)
        if not slug:
            raise UsageError(f"cannot make a folder name from '{args.account}'; give one with --slug, e.g. --slug globex")
    if not SLUG.fullmatch(slug):
        raise UsageError(f"--slug '{slug}' is not a valid account slug: use lowercase letters, digits and single hyphens"
                         + (f", e.g. {slugify(slug)}" if slugify(slug) else ""))
    try:
        path = new_account(notes, slug, name, args.owner)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    say(f"created {display_path(path)} (slug {slug}); add a note with: allyreport note {slug}{_notes_flag(args)}",
        args.quiet)
    return 0


def with_notes_flag(diagnostics: list[Diagnostic], notes: Path, settings: Settings) -> list[Diagnostic]:
    """Advice to run `allyreport new X` is right as printed only for the settings' notes folder;
    for another one it needs that folder's --notes, or the account would land elsewhere.
    See {notes-layout-advice} in notes/layout.py."""
    if notes.resolve() == settings.path(settings.spec.notes).resolve():
        return diagnostics
    flag = f" --notes {display_path(notes)}"
    return [dataclasses.replace(d, message=d.message + flag) if ADVICE.search(d.message) else d for d in diagnostics]


ADVICE = re.compile(r"create it with: allyreport new [a-z0-9-]+$")


def _notes_flag(args: argparse.Namespace) -> str:
    """The --notes a follow-up command needs: the one given, else none (the settings say where)."""
    return f" --notes {display_path(args.notes)}" if args.notes is not None else ""


def cmd_note(args: argparse.Namespace) -> int:
    from ..notes.scaffold import new_note  # here: the scaffold loads the notes loader, which no other command needs up front

    settings = settings_for(args)
    notes = notes_folder(args, settings)
    slugs = sorted(e.name for e in os.scandir(notes) if e.is_dir() and SLUG.fullmatch(e.name))
    if args.account not in slugs:
        raise UsageError(unknown_account(args.account, slugs, display_path(notes)))
    if not (notes / args.account / ACCOUNT_FILE).is_file():
        raise UsageError(f"{display_path(notes / args.account)} has no {ACCOUNT_FILE}; "
                         f"create it with: allyreport new {args.account}{_notes_flag(args)}")
    day = dt.date.fromisoformat(args.date) if args.date else today()
    try:
        path = new_note(notes, args.account, day, args.context, args.topic)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    say(f"created {display_path(path)}", args.quiet)
    return 0

