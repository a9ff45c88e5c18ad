"""The notes folder's layout: which files are accounts and notes, and what is misplaced.

Discovery reads folders only, never a file's bytes, and imports nothing heavy, so a build
that turns out to have nothing to do stays quick. It records every folder it listed
(`Layout.folders`): while none of them changed, the same files are there to find.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..core.diagnostics import Diagnostic

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ACCOUNT_FILE = "account.md"
# Editor droppings and OS metadata: never notes, never parsed.
_IMAGE = re.compile(r"\.(?:png|jpe?g|gif|webp|svg)$", re.I)  # as pictures.IMAGE_TYPES
_IGNORED = re.compile(r"^(?:\.|~\$|#)|~$|\.(?:swp|swo|tmp|bak|orig)$")


def ignored(name: str) -> bool:
    """An editor's temporary, swap or backup file, or a hidden one: never a note."""
    return _IGNORED.search(name) is not None


def skipped(name: str) -> bool:
    """Not read at any depth, as static-site tools do: hidden (`.`) and private (`_drafts/`) files
    and folders, and editors' droppings."""
    return name.startswith("_") or _IGNORED.search(name) is not None


class FileJob(NamedTuple):
    """One file to read: a named tuple, because a large notes folder has 80,000 of them."""

    path: str  # display path
    real: str  # filesystem path
    kind: str  # "account", "note" or "image" (a picture a note may show: an input of its account)
    slug: str


@dataclass
class Layout:
    """What discovery saw: the folders it listed, and whether any entry was a symlink (whose
    target can change without its folder changing)."""

    folders: list[str] = field(default_factory=list)
    symlinks: bool = False


def discover(notes_dir: Path, shown: str, seen: Layout | None = None,
             only: frozenset[str] | None = None) -> tuple[list[FileJob], list[Diagnostic]]:
    """Every account folder and note file (of the accounts `only` names, if given), in a stable
    order, plus layout problems.

    Layout problems name a folder, not a line, so their line is 0.
    """
    seen = seen if seen is not None else Layout()
    jobs: list[FileJob] = []
    problems: list[Diagnostic] = []
    root = notes_dir.resolve()
    seen.folders.append(str(notes_dir))
    entries = sorted((e for e in os.scandir(notes_dir) if not skipped(e.name) and (only is None or e.name in only)),
                     key=lambda e: e.name)
    slugs = {e.name for e in entries if SLUG.fullmatch(e.name)}
    for entry in entries:
        where = f"{shown}/{entry.name}"
        seen.symlinks |= entry.is_symlink()
        problem = _folder_problem(entry, where, root, slugs, shown)
        if problem:
            problems.append(problem)
        elif entry.is_dir():
            found, errs = account_files(entry.path, where, entry.name, root, seen)
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


def account_files(folder: str, shown: str, slug: str, root: Path,
                   seen: Layout) -> tuple[list[FileJob], list[Diagnostic]]:
    jobs: list[FileJob] = []
    problems: list[Diagnostic] = []
    _walk(folder, shown, (slug, root), (jobs, problems), seen, top=True)
    if not any(job.kind == "account" for job in jobs):
        # {notes-layout-advice}: the command line adds --notes when the folder is not the settings' one
        problems.append(Diagnostic(f"{shown}/{ACCOUNT_FILE}", 0, f"account '{slug}' has no {ACCOUNT_FILE}; "
                                                                 f"create it with: allyreport new {slug}"))
    return jobs, problems


def _walk(folder: str, shown: str, where: tuple[str, Path], found: tuple[list[FileJob], list[Diagnostic]],
          seen: Layout, top: bool) -> None:
    """Notes in an account folder and its subfolders (`where`: the account's slug and the notes
    folder; `found`: the files and problems so far); scandir gives file type and symlink-ness without a stat."""
    (slug, root), (jobs, problems) = where, found
    seen.folders.append(folder)
    subfolders = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if skipped(entry.name) or not (entry.name.endswith(".md") or _IMAGE.search(entry.name) or entry.is_dir()):
            continue
        display = f"{shown}/{entry.name}"
        seen.symlinks |= entry.is_symlink()
        if entry.is_symlink() and _escapes(entry.path, root):
            problems.append(Diagnostic(display, 0, "symlink points outside the notes folder; refused"))
        elif entry.is_dir():
            if entry.name == "assets" and not entry.is_symlink():
                _pictures(entry.path, display, slug, root, jobs, seen)
            elif not entry.is_symlink():
                subfolders.append((entry.path, display))
        elif not entry.is_file():
            problems.append(Diagnostic(display, 0, "not a regular file (a broken symlink?); skipped", "warning"))
        elif entry.name == ACCOUNT_FILE and not top:
            problems.append(Diagnostic(display, 0, f"{ACCOUNT_FILE} belongs directly in the account folder, "
                                                   "not in a subfolder; move it up"))
        else:
            is_account = top and entry.name == ACCOUNT_FILE
            kind = "account" if is_account else "note" if entry.name.endswith(".md") else "image"
            jobs.append(FileJob(display, entry.path, kind, slug))
    for path, display in subfolders:
        _walk(path, display, where, found, seen, top=False)


def _pictures(folder: str, shown: str, slug: str, root: Path, jobs: list[FileJob], seen: Layout) -> None:
    """An `assets/` folder holds attachments, never notes: only its pictures are inputs of the account."""
    seen.folders.append(folder)
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        seen.symlinks |= entry.is_symlink()
        if skipped(entry.name) or (entry.is_symlink() and _escapes(entry.path, root)):
            continue
        if entry.is_dir(follow_symlinks=False):
            _pictures(entry.path, f"{shown}/{entry.name}", slug, root, jobs, seen)
        elif _IMAGE.search(entry.name) and entry.is_file():
            jobs.append(FileJob(f"{shown}/{entry.name}", entry.path, "image", slug))


def _escapes(path: str, root: Path) -> bool:
    return not Path(os.path.realpath(path)).is_relative_to(root)
