"""Load a notes folder into a `Portfolio`, collecting every problem as a `Diagnostic`.

Reading and parsing one file is a pure function of its bytes (`parse_file`), so it can
run in worker processes and be cached by content hash; the cross-file checks
(`ACCOUNT_CHECKS`) then run over whole accounts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..core import yamlstrict
from ..core.diagnostics import Diagnostic
from ..core.strict import Loc, did_you_mean, validate
from . import placeholders, schema
from .data import Account, Note, Portfolio, line_for
from .layout import FileJob, discover
from .pictures import DEFAULT_MAX_IMAGE_BYTES, attach_pictures
from .source import drop_comments, read_source

DEFAULT_MAX_NOTE_BYTES = 256 * 1024


@dataclass(frozen=True)
class ParsedFile:
    """The result of parsing one file; `meta` is None when it has errors."""

    path: str
    kind: str  # "account", "note" or "image"
    meta: Any
    body: str
    body_line: int
    lines: dict[Loc, int]
    diagnostics: tuple[Diagnostic, ...]


def parse_file(path: str, data: bytes, kind: str, max_bytes: int = DEFAULT_MAX_NOTE_BYTES) -> ParsedFile:
    """Decode, split and validate one file. Never raises on bad input."""
    source, problems = read_source(path, data, max_bytes)
    if source is None:
        return ParsedFile(path, kind, None, "", 0, {}, tuple(problems))
    offset = source.frontmatter_line
    value, yaml_lines, yaml_problems = yamlstrict.parse(source.frontmatter)
    if yaml_problems:
        return ParsedFile(path, kind, None, "", 0, {}, tuple(_yaml_diag(path, p, offset) for p in yaml_problems))
    lines = {loc: line + offset for loc, line in yaml_lines.items()}
    lines[()] = offset - 1  # the opening '---'
    model = schema.AccountMeta if kind == "account" else schema.NoteMeta
    meta, errors = validate(model, value)
    diagnostics = [Diagnostic(path, line_for(lines, loc), msg) for loc, msg in errors]
    body, comment = drop_comments(source.body)  # never shown, so never kept: no output can leak one
    if comment >= 0:
        diagnostics.append(Diagnostic(path, source.body_line + comment, "an HTML comment (<!-- ... -->) is never "
                                      "shown: it is left out of the pages, PDFs and every other output", "warning"))
    if meta is not None:  # the scaffold's placeholders left unchanged: warned about, and not data
        meta, body, found = (placeholders.clean_account(path, meta, body, source.body_line, lines)
                             if kind == "account" else
                             placeholders.clean_note(path, meta, body, source.body_line, lines,
                                                     (source.frontmatter, offset)))
        diagnostics += found
    return ParsedFile(path, kind, meta, body, source.body_line, lines, tuple(diagnostics))


def _yaml_diag(path: str, problem: yamlstrict.YamlProblem, offset: int) -> Diagnostic:
    message = problem.message
    if problem.also is not None:
        message = message.replace("{also}", str(problem.also + offset))
    return Diagnostic(path, problem.line + offset, message, column=problem.column + 1)


# -- assembling accounts -------------------------------------------------------------------


def assemble(notes_shown: str, parsed: Sequence[ParsedFile], jobs: Sequence[FileJob],
             signals: Iterable[str] = (), max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
             ) -> tuple[Portfolio, list[Diagnostic]]:
    """Group parsed files into accounts (by slug) and run the cross-file checks."""
    diagnostics: list[Diagnostic] = []
    groups: dict[str, list[tuple[FileJob, ParsedFile]]] = {}
    for job, item in zip(jobs, parsed, strict=True):
        groups.setdefault(job.slug, []).append((job, item))
    vocabulary = frozenset(signals)
    accounts = []
    for slug in sorted(groups):
        account, problems = assemble_account(slug, groups[slug], vocabulary, max_image_bytes)
        diagnostics += problems
        if account is not None:
            accounts.append(account)
    return Portfolio(notes_shown, tuple(accounts)), diagnostics


def assemble_account(slug: str, files: Sequence[tuple[FileJob, ParsedFile]], vocabulary: frozenset[str],
                     max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> tuple[Account | None, list[Diagnostic]]:
    """One account from its parsed files, with the parse problems and the account checks' findings.
    None when its account.md is missing or did not parse (its notes cannot be judged without it)."""
    diagnostics: list[Diagnostic] = [d for _, p in files for d in p.diagnostics]
    found = next(((j, p) for j, p in files if p.kind == "account" and p.meta is not None), None)
    if found is None:
        return None, diagnostics
    job, meta = found
    notes = sorted((Note(p.path, slug, p.meta, p.body, p.body_line, p.lines)
                    for _, p in files if p.kind == "note" and p.meta is not None), key=lambda n: (n.date, n.path))
    account = Account(slug, meta.path, meta.meta, meta.body, meta.body_line, tuple(notes), meta.lines)
    images = {j.path: j.real for j, p in files if p.kind == "image"}
    account, problems = attach_pictures(account, images, os.path.realpath(os.path.dirname(job.real)), max_image_bytes)
    diagnostics += problems
    for check in ACCOUNT_CHECKS:
        diagnostics.extend(check(account, vocabulary))
    return account, diagnostics


def check_done_not_before_meeting(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    return [
        Diagnostic(note.path, note.line_of("actions", i, "done"),
                   f"action done {action.done} before the meeting it came from ({note.date})")
        for note in account.notes
        for i, action in enumerate(note.meta.actions)
        if action.done and action.done < note.date
    ]


def _unlisted(account: Account, key: str, known: set[str], what: str) -> list[Diagnostic]:
    """A warning at each name a note gives under `key` that account.md does not list."""
    return [
        Diagnostic(note.path, note.line_of(key, i),
                   f"'{name[:40]}' is not {what} in {account.path}{did_you_mean(name, known)}", "warning")
        for note in account.notes
        for i, name in enumerate(getattr(note.meta, "with_" if key == "with" else key))
        if name not in known
    ]


def check_with_known(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    return _unlisted(account, "with", {s.name for s in account.meta.stakeholders}, "a stakeholder")


def check_offerings_known(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    return _unlisted(account, "offerings", set(account.meta.offerings), "one of the offerings")


def check_signals(account: Account, vocabulary: frozenset[str]) -> list[Diagnostic]:
    if not vocabulary:
        return []
    return [
        Diagnostic(note.path, note.line_of("signals", i),
                   f"unknown signal '{signal[:40]}'{did_you_mean(signal, vocabulary) or '; see docs/notes-format.md'}")
        for note in account.notes
        for i, signal in enumerate(note.meta.signals)
        if signal not in vocabulary
    ]


def check_tests_only_on_invest(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    sources = [(account.path, account.lines, "plan", account.meta.plan)]
    sources += [(n.path, n.lines, "actions", n.meta.actions) for n in account.notes]
    return [
        Diagnostic(path, lines.get((key, i, "tests"), 1),
                   "'tests' apply only to actions of kind 'invest'", "warning")
        for path, lines, key, actions in sources
        for i, action in enumerate(actions)
        if action.tests and action.kind != "invest"
    ]


def check_unique_stakeholders(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    problems = []
    for i, person in enumerate(account.meta.stakeholders):
        line = account.line_of("stakeholders", i)
        if person.name in seen:
            problems.append(Diagnostic(account.path, line,
                                       f"stakeholder '{person.name[:40]}' is listed twice (first on line {seen[person.name]})"))
        seen.setdefault(person.name, line)
    return problems


def check_stakeholder_dates(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    return [
        Diagnostic(account.path, account.line_of("stakeholders", i, "left"),
                   f"stakeholder '{p.name[:40]}' left ({p.left}) before joining ({p.joined})")
        for i, p in enumerate(account.meta.stakeholders)
        if p.left is not None and p.joined is not None and p.left < p.joined
    ]


def check_successors(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    """A successor is another stakeholder of the same account.md, named for someone who left."""
    known = {s.name for s in account.meta.stakeholders}
    problems = []
    for i, person in enumerate(account.meta.stakeholders):
        if person.successor is None:
            continue
        line, who = account.line_of("stakeholders", i, "successor"), person.name[:40]
        if person.successor == person.name:
            problems.append(Diagnostic(account.path, line, f"'{who}' cannot be their own successor"))
        elif person.successor not in known:
            close = did_you_mean(person.successor, known - {person.name})
            problems.append(Diagnostic(account.path, line, f"successor '{person.successor[:40]}' of '{who}' is not "
                                       f"a stakeholder in this account.md{close}"))
        if person.left is None:
            problems.append(Diagnostic(account.path, line, f"'{who}' has a successor but no 'left' date"))
    return problems


def check_departed_named(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    """A note dated after someone left that names them: a wrong name, a wrong date, or a stale `left`."""
    left = {p.name: (p.left, account.line_of("stakeholders", i, "left"))
            for i, p in enumerate(account.meta.stakeholders) if p.left is not None}
    return [
        Diagnostic(note.path, note.line_of("with", i),
                   f"'{name[:40]}' left on {left[name][0]} ({account.path}:{left[name][1]}), before this note", "warning")
        for note in account.notes
        for i, name in enumerate(note.meta.with_)
        if name in left and note.date > left[name][0]
    ]


ACCOUNT_CHECKS: list[Callable[[Account, frozenset[str]], list[Diagnostic]]] = [
    check_done_not_before_meeting,
    check_with_known,
    check_offerings_known,
    check_signals,
    check_tests_only_on_invest,
    check_unique_stakeholders,
    check_stakeholder_dates,
    check_successors,
    check_departed_named,
]


ParseAll = Callable[[Sequence[FileJob], int], list["ParsedFile"]]  # files, max bytes -> each file parsed, in order


class Scope(NamedTuple):
    """How a whole notes folder is loaded, and which of it."""

    parse: ParseAll | None = None  # spreads the parsing over worker processes; None: in this one
    only: frozenset[str] | None = None  # the accounts to load; None: all


EVERYTHING = Scope()  # every account, parsed in this process

def load_notes(notes_dir: Path, shown: str | None = None, signals: Iterable[str] = (),
               max_bytes: int = DEFAULT_MAX_NOTE_BYTES, max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
               scope: Scope = EVERYTHING) -> tuple[Portfolio, list[Diagnostic]]:
    """Load and validate every note under `notes_dir` (of the accounts `scope.only` names, if given):
    the one loader of a whole notes folder. A build loads account by account with the same two
    steps, `parse_job` and `assemble_account`."""
    parse, only = scope
    shown = shown if shown is not None else str(notes_dir).rstrip("/")
    if not notes_dir.is_dir():
        return Portfolio(shown, ()), [Diagnostic(shown, 0, "notes folder not found")]
    jobs, problems = discover(notes_dir, shown, only=only)
    parsed = parse(jobs, max_bytes) if parse is not None else parse_jobs(jobs, max_bytes)
    portfolio, diagnostics = assemble(shown, parsed, jobs, signals, max_image_bytes)
    return portfolio, problems + diagnostics


def parse_jobs(jobs: Sequence[FileJob], max_bytes: int) -> list[ParsedFile]:
    return [parse_job(job, max_bytes) for job in jobs]


def parse_job(job: FileJob, max_bytes: int) -> ParsedFile:
    if job.kind == "image":  # read only if a note shows it (`pictures`)
        return ParsedFile(job.path, job.kind, None, "", 0, {}, ())
    try:
        data = read_capped(job.real, max_bytes)
    except OSError as exc:
        problem = Diagnostic(job.path, 0, f"cannot read the file: {exc.strerror or exc}")
        return ParsedFile(job.path, job.kind, None, "", 0, {}, (problem,))
    return parse_file(job.path, data, job.kind, max_bytes)


def read_capped(path: str, max_bytes: int) -> bytes:
    """Read at most one byte past the cap, so an oversized note is refused without loading it."""
    with open(path, "rb") as handle:
        return handle.read(max_bytes + 1)
