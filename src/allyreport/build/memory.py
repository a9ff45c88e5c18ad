"""What a long-running process keeps between its builds of one output (`allyreport serve`).

A build from the command line starts from the disk: it loads the last build's records,
stats every note to find what changed, and reloads the rules and templates. A process that
builds again and again (the live preview) already holds all of that from its last build,
and a file watcher tells it which paths changed since. `build(..., memory=...)` then uses
what is kept and surveys only the accounts under the changed paths: the same keys, the same
records written, the same publish, so the output and the cache are those a `build` from the
command line makes (tests/test_serve.py builds both ways and compares).

What is kept is dropped when it might be wrong: the rules, settings and global key when
the settings or rules change, the templates' keys and compiled templates when a template
changes, everything after a failed or interrupted build (`forget`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.diagnostics import Diagnostic
from ..notes.layout import SLUG, Layout, account_files
from .keys import Templates
from .state import AccountRecord, State
from .survey import KINDS, FilesRecord, Scan, Survey, resurvey, stat_of

if TYPE_CHECKING:
    import jinja2

    from ..config.options import Options
    from ..notes.loader import ParsedFile
    from ..rules.ruleset import RuleSet
    from .state import Judged


class Memory:
    """The last build's state, records, files record, keys and rules, and the paths changed since."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Start again from the disk at the next build."""
        self.state: State | None = None
        self.records: dict[str, AccountRecord] | None = None
        self.files: FilesRecord | None = None
        self.key: str | None = None
        self.templates: Templates | None = None
        self.rules: tuple[RuleSet, str] | None = None
        self.pending: set[str] | None = None  # paths changed since the last survey; None: not known, stat them all
        self.parsed: dict[tuple[str, str, bytes], ParsedFile] = {}  # files parsed, by path, kind and bytes
        self.lazy: dict[str, tuple[Judged, Any, Any]] = {}  # the portfolio's stand-ins (`account.portfolio_verdicts`)
        self.environments: dict[Options, jinja2.Environment] = {}  # the site's templates, compiled once

    def changed(self, paths: Iterable[str], config: bool = False, templates: bool = False) -> None:
        """What the watcher saw since the last build."""
        if self.pending is not None:
            self.pending.update(paths)
        if config:
            self.key = self.rules = self.templates = None
        if templates or config:  # a firm's new template may shadow a shipped one the environment has compiled
            self.templates = None
            self.environments.clear()

    def environment(self, options: Options) -> jinja2.Environment:
        """The site's template environment, kept: each template is compiled once (Jinja checks its
        source's stat before each use, and a change to the templates drops them all: `changed`)."""
        from ..render.site import site_environment  # the judging and rendering modules load when needed

        if options not in self.environments:
            self.environments[options] = site_environment(options)
        return self.environments[options]

    def kept(self) -> bool:
        """A previous build's results are held (else the next build reads them from the disk)."""
        return self.state is not None and self.records is not None


def warm_survey(memory: Memory, notes: Path, shown: str, out: Path,
                scan: Scan) -> tuple[Survey, FilesRecord] | None:
    """The survey of `cache.survey`, from the kept files record and the changed paths alone: only
    the accounts under those paths are listed and stat-ed again. None when that is not enough:
    nothing kept, a top-level entry changed (an account added, removed or renamed), or the
    notes hold symlinks (whose targets change without an event)."""
    record = memory.files
    if record is None or memory.pending is None or record.folders is None \
            or record.where != (str(notes.resolve()), shown):
        return None
    root = os.path.abspath(notes)
    touched: set[str] = set()
    for path in memory.pending:
        parts = os.path.relpath(path, root).split(os.sep)
        if len(parts) < 2 or parts[0] in {".", ".."}:
            return None
        if SLUG.fullmatch(parts[0]):
            touched.add(parts[0])
    names = {slug: (a.names, a.kinds) for slug, a in record.accounts.items()}
    problems: dict[str, list[Diagnostic]] = {slug: [] for slug in touched}
    folders = dict(record.folders)
    base = str(notes)
    for slug in sorted(touched):
        where = os.path.join(base, slug)
        if not os.path.isdir(where) or os.path.islink(where):
            return None
        seen = Layout()
        jobs, problems[slug] = account_files(where, f"{shown}/{slug}", slug, notes.resolve(), seen)
        if seen.symlinks:
            return None
        names.pop(slug, None)
        if jobs:
            names[slug] = ("\0".join(os.path.relpath(j.real, base) for j in jobs),
                           "".join(KINDS[j.kind] for j in jobs))
        for rel in [f for f in folders if f == slug or f.startswith(slug + os.sep)]:
            del folders[rel]
        folders.update((os.path.relpath(f, base), stat_of(f)) for f in seen.folders)
    names = dict(sorted(names.items()))
    layout_problems = _replace_problems(record.problems, problems, shown)
    return resurvey(record, names, sorted(touched), layout_problems, tuple(sorted(folders.items())), (base, out, scan))


def _replace_problems(before: Iterable[Diagnostic], fresh: dict[str, list[Diagnostic]],
                      shown: str) -> list[Diagnostic]:
    """The layout's problems with those of the re-listed accounts replaced, in discovery's order
    (by top-level entry, then as found)."""
    groups: dict[str, list[Diagnostic]] = {}
    for problem in before:
        entry = problem.path[len(shown) + 1:].split("/", 1)[0] if problem.path.startswith(shown + "/") else ""
        if not (entry in fresh and problem.path.startswith(f"{shown}/{entry}/")):
            groups.setdefault(entry, []).append(problem)
    for slug, found in fresh.items():
        groups.setdefault(slug, []).extend(found)
    return [p for entry in sorted(groups) for p in groups[entry]]
