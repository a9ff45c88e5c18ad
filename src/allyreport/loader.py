"""Load a notes folder into a `Portfolio`, collecting every problem as a `Diagnostic`.

Reading and parsing one file is a pure function of its bytes (`parse_file`), so it can
run in worker processes and be cached by content hash; the cross-file checks
(`ACCOUNT_CHECKS`) then run over whole accounts.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema, yamlstrict
from .diagnostics import Diagnostic
from .model import Account, Loc, Note, Portfolio
from .source import read_source

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ACCOUNT_FILE = "account.md"
DEFAULT_MAX_NOTE_BYTES = 256 * 1024
# Editor droppings and OS metadata: never notes, never parsed.
_IGNORED = re.compile(r"^(?:\.|~\$|#)|~$|\.(?:swp|swo|tmp|bak|orig)$")


@dataclass(frozen=True)
class ParsedFile:
    """The result of parsing one file; `meta` is None when it has errors."""

    path: str
    kind: str  # "account" or "note"
    meta: Any
    body: str
    body_line: int
    lines: dict[Loc, int]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class FileJob:
    path: str  # display path
    real: str  # filesystem path
    kind: str
    slug: str


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
    meta, errors = schema.validate(model, value)
    diagnostics = tuple(Diagnostic(path, _line(lines, loc, offset), msg) for loc, msg in errors)
    return ParsedFile(path, kind, meta, source.body, source.body_line, lines, diagnostics)


def _line(lines: dict[Loc, int], loc: Loc, offset: int) -> int:
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, offset - 1)


def _yaml_diag(path: str, problem: yamlstrict.YamlProblem, offset: int) -> Diagnostic:
    message = problem.message
    if problem.also is not None:
        message = message.replace("{also}", str(problem.also + offset))
    return Diagnostic(path, problem.line + offset, message, column=problem.column + 1)


# -- discovering files ---------------------------------------------------------------------


def discover(notes_dir: Path, shown: str) -> tuple[list[FileJob], list[Diagnostic]]:
    """Every account folder and note file, in a stable order, plus layout problems.

    Layout problems name a folder, not a line, so their line is 0.
    """
    jobs: list[FileJob] = []
    problems: list[Diagnostic] = []
    root = notes_dir.resolve()
    entries = sorted((e for e in os.scandir(notes_dir) if not _IGNORED.search(e.name) and not e.name.startswith("_")),
                     key=lambda e: e.name)
    slugs = {e.name for e in entries if SLUG.fullmatch(e.name)}
    for entry in entries:
        where = f"{shown}/{entry.name}"
        problem = _folder_problem(entry, where, root, slugs, shown)
        if problem:
            problems.append(problem)
        elif entry.is_dir():
            found, errs = _account_files(entry.path, where, entry.name, root)
            jobs.extend(found)
            problems.extend(errs)
    return jobs, problems


def _folder_problem(entry: os.DirEntry[str], where: str, root: Path, slugs: set[str], shown: str) -> Diagnostic | None:
    """Why a top-level entry of the notes folder is not an account folder, if it is not."""
    if entry.is_symlink() and _escapes(entry.path, root):
        return Diagnostic(where, 0, "symlink points outside the notes folder; refused")
    if not entry.is_dir():
        if entry.name.endswith(".md") and entry.name.lower() not in {"readme.md", "index.md"}:
            return Diagnostic(where, 0, "note is not inside an account folder; move it into notes/<account>/", "warning")
        return None
    if SLUG.fullmatch(entry.name):
        return None
    if entry.name.lower() in slugs:
        return Diagnostic(where, 0, f"account folder differs from {shown}/{entry.name.lower()} only in letter case; "
                                    "merge the two folders (slugs are lowercase)")
    return Diagnostic(where, 0, f"account folder name '{entry.name[:40]}' is not a valid slug: "
                                "use lowercase letters, digits and single hyphens")


def _account_files(folder: str, shown: str, slug: str, root: Path) -> tuple[list[FileJob], list[Diagnostic]]:
    jobs: list[FileJob] = []
    problems: list[Diagnostic] = []
    _walk(folder, shown, slug, root, jobs, problems, top=True)
    if not any(job.kind == "account" for job in jobs):
        problems.append(Diagnostic(f"{shown}/{ACCOUNT_FILE}", 0, f"account '{slug}' has no {ACCOUNT_FILE}; "
                                                                 f"create it with: allyreport new {slug}"))
    return jobs, problems


def _walk(folder: str, shown: str, slug: str, root: Path, jobs: list[FileJob], problems: list[Diagnostic],
          top: bool) -> None:
    """Notes in an account folder and its subfolders; scandir gives file type and symlink-ness without a stat."""
    subfolders = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if _IGNORED.search(entry.name) or not (entry.name.endswith(".md") or entry.is_dir()):
            continue
        display = f"{shown}/{entry.name}"
        if entry.is_symlink() and _escapes(entry.path, root):
            problems.append(Diagnostic(display, 0, "symlink points outside the notes folder; refused"))
        elif entry.is_dir():
            if entry.name != "assets" and not entry.is_symlink():
                subfolders.append((entry.path, display))
        elif not entry.is_file():
            problems.append(Diagnostic(display, 0, "not a regular file (a broken symlink?); skipped", "warning"))
        elif entry.name == ACCOUNT_FILE and not top:
            problems.append(Diagnostic(display, 0, f"{ACCOUNT_FILE} belongs directly in the account folder, "
                                                   "not in a subfolder; move it up"))
        else:
            is_account = top and entry.name == ACCOUNT_FILE
            jobs.append(FileJob(display, entry.path, "account" if is_account else "note", slug))
    for path, display in subfolders:
        _walk(path, display, slug, root, jobs, problems, top=False)


def _escapes(path: str, root: Path) -> bool:
    return not Path(os.path.realpath(path)).is_relative_to(root)


# -- assembling accounts -------------------------------------------------------------------


def assemble(notes_shown: str, parsed: Sequence[ParsedFile], jobs: Sequence[FileJob],
             signals: Iterable[str] = ()) -> tuple[Portfolio, list[Diagnostic]]:
    """Group parsed files into accounts and run the cross-file checks."""
    diagnostics: list[Diagnostic] = [d for p in parsed for d in p.diagnostics]
    accounts_meta: dict[str, ParsedFile] = {}
    notes: dict[str, list[Note]] = {}
    for job, item in zip(jobs, parsed, strict=True):
        if item.meta is None:
            continue
        if item.kind == "account":
            accounts_meta[job.slug] = item
        else:
            notes.setdefault(job.slug, []).append(
                Note(item.path, job.slug, item.meta, item.body, item.body_line, item.lines))
    accounts = []
    for slug in sorted(accounts_meta):
        item = accounts_meta[slug]
        account_notes = tuple(sorted(notes.get(slug, []), key=lambda n: (n.date, n.path)))
        accounts.append(Account(slug, item.path, item.meta, item.body, item.body_line, account_notes, item.lines))
    vocabulary = frozenset(signals)
    for account in accounts:
        for check in ACCOUNT_CHECKS:
            diagnostics.extend(check(account, vocabulary))
    return Portfolio(notes_shown, tuple(accounts)), diagnostics


def check_done_not_before_meeting(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    return [
        Diagnostic(note.path, note.line_of("actions", i, "done"),
                   f"action done {action.done} before the meeting it came from ({note.date})")
        for note in account.notes
        for i, action in enumerate(note.meta.actions)
        if action.done and action.done < note.date
    ]


def check_with_known(account: Account, _: frozenset[str]) -> list[Diagnostic]:
    known = {s.name for s in account.meta.stakeholders}
    return [
        Diagnostic(note.path, note.line_of("with", i),
                   f"'{name[:40]}' is not a stakeholder in {account.path}{_close(name, known)}", "warning")
        for note in account.notes
        for i, name in enumerate(note.meta.with_)
        if name not in known
    ]


def check_signals(account: Account, vocabulary: frozenset[str]) -> list[Diagnostic]:
    if not vocabulary:
        return []
    return [
        Diagnostic(note.path, note.line_of("signals", i),
                   f"unknown signal '{signal[:40]}'{_close(signal, vocabulary) or '; see docs/notes-format.md'}")
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


ACCOUNT_CHECKS: list[Callable[[Account, frozenset[str]], list[Diagnostic]]] = [
    check_done_not_before_meeting,
    check_with_known,
    check_signals,
    check_tests_only_on_invest,
    check_unique_stakeholders,
]


def _close(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def load_notes(notes_dir: Path, shown: str | None = None, signals: Iterable[str] = (),
               max_bytes: int = DEFAULT_MAX_NOTE_BYTES) -> tuple[Portfolio, list[Diagnostic]]:
    """Load and validate every note under `notes_dir` in this process."""
    shown = shown if shown is not None else str(notes_dir).rstrip("/")
    if not notes_dir.is_dir():
        return Portfolio(shown, ()), [Diagnostic(shown, 0, "notes folder not found")]
    jobs, problems = discover(notes_dir, shown)
    parsed = [_parse_job(job, max_bytes) for job in jobs]
    portfolio, diagnostics = assemble(shown, parsed, jobs, signals)
    return portfolio, problems + diagnostics


def _parse_job(job: FileJob, max_bytes: int) -> ParsedFile:
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
