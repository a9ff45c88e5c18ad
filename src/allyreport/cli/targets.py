"""What `allyreport check PATH...` checks: the notes folder, account folders or note files.

Editors and pre-commit pass file names. Each file is checked in the context of its account
(its account.md, the other notes of the quarter), so only those accounts are read, and only
the problems of the files named are printed; problems of the rules and settings always are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config.settings import Settings
from ..core.diagnostics import Diagnostic, display_path
from ..notes.layout import ACCOUNT_FILE
from .output import UsageError


@dataclass(frozen=True)
class Targets:
    notes: Path
    accounts: frozenset[str] | None = None  # None: every account
    paths: tuple[Path, ...] = ()  # resolved files and account folders; empty: everything
    shown: str = ""  # how the summary line names what was checked

    def relevant(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """The problems of the files and folders named, and of everything outside the notes."""
        if not self.paths:
            return diagnostics
        notes = self.notes.resolve()
        return [d for d in diagnostics if not _inside(Path(d.path).resolve(), notes)
                or any(_inside(Path(d.path).resolve(), p) for p in self.paths)]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def resolve_targets(paths: Sequence[Path], settings: Settings, default_notes: Callable[[], Path]) -> Targets:
    if not paths:
        return Targets(default_notes())
    for path in paths:
        if not path.exists():
            raise UsageError(f"{display_path(path)}: no such file or folder")
    if len(paths) == 1 and paths[0].is_dir() and _account_of(paths[0].resolve()) is None:
        return Targets(paths[0])  # a notes folder: check it all
    configured = settings.path(settings.spec.notes).resolve()
    roots, slugs = set(), set()
    for path in paths:
        root, slug = _place(path.resolve(), configured)
        roots.add(root)
        slugs.add(slug)
    if len(roots) > 1:
        raise UsageError("the paths are in different notes folders; check one notes folder at a time")
    shown = ", ".join(display_path(p) for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return Targets(roots.pop(), frozenset(slugs), tuple(p.resolve() for p in paths), shown)


def _place(path: Path, configured: Path) -> tuple[Path, str]:
    """The notes folder a path belongs to, and its account's slug."""
    if path != configured and path.is_relative_to(configured):
        return configured, path.relative_to(configured).parts[0]
    account = _account_of(path)
    if account is None:
        raise UsageError(f"{display_path(path)} is not in an account folder (a folder with an {ACCOUNT_FILE}) "
                         f"nor in the notes folder {display_path(configured)}")
    return account.parent, account.name


def _account_of(path: Path) -> Path | None:
    """The account folder holding `path`: the nearest folder, itself or above, with an account.md."""
    for folder in (path, *path.parents) if path.is_dir() else path.parents:
        if (folder / ACCOUNT_FILE).is_file():
            return folder
    return None
