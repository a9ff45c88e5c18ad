"""The build cache: what shaped each account's output, so a build redoes only what changed.

Three layers of keys, each a hash:

- the **global key**: the allyreport version and the stat of its own source files, the
  shipped and firm rules, every file of the templates folders, the settings, and the options
  that change output (--model, --no-pdf, --templates, --quarter, the folders). When it
  changes, nothing of the previous build is reused.
- an account's **input key**: the paths, kinds and bytes of its files (account.md and notes).
- an account's **output key**: global + input + the review quarter (+ the notes' "as of"
  date when PDFs are built, since every PDF's cover shows it). An account whose output key
  is unchanged, and whose published files are still exactly as published (same stat), has
  its files hard-linked into the new output; every other account is parsed, judged and
  rendered again. The portfolio page, levels.json and the portfolio summary are always
  redone from the accounts' kept results (the summary's PDF is reprinted only when its HTML
  changed).

A file's content hash comes from a stat index (mtime_ns, ctime_ns, size, inode, like git's
index), recomputed when the stat differs or is too recent to trust. The layout of the notes
folder (which files exist) is reused while no folder's stat changed. Nothing here can serve a
stale report: every input of a page is in one of its keys (tests/test_cache.py and
tests/test_incremental.py prove each case).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .diagnostics import Diagnostic
from .layout import FileJob, Layout, discover
from .publish import MARKER

if TYPE_CHECKING:
    from .build import Options
    from .settings import Settings
    from .units import Judged

CACHE_DIR = ".allyreport-cache"
PACKAGE = Path(__file__).parent
DEFAULT_TEMPLATES = PACKAGE / "templates"  # as templating.DEFAULT_TEMPLATES, without importing Jinja
RACY_NS = 2_000_000_000  # a file changed this close to the index being saved is re-hashed
FORMAT = 2  # of the files below; bump when their shape changes
Stat = tuple[int, int, int, int]


def folder(out: Path) -> Path:
    return out.parent / CACHE_DIR


def file_stat(path: str) -> Stat:
    s = os.stat(path)
    return (s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def out_stat(path: str) -> Stat:
    """An output file's stat without ctime, which hard-linking it changes."""
    s = os.stat(path)
    return (s.st_mtime_ns, 0, s.st_size, s.st_ino)


def _read(path: Path) -> object:
    try:
        found, value = pickle.loads(path.read_bytes())
    except Exception:  # missing, unreadable, or from another version: start afresh
        return None
    return value if found == (FORMAT, __version__) else None


def _write(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(pickle.dumps(((FORMAT, __version__), value), protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(temporary, path)


def _trusted(stat: Stat, saved_ns: int) -> bool:
    return stat[0] < saved_ns - RACY_NS and stat[1] < saved_ns - RACY_NS


class StatIndex:
    """Content hashes of files, recomputed only when a file's stat changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        saved = _read(path)
        self.saved_ns: int = 0
        self.old: dict[str, tuple[Stat, str]] = {}
        if isinstance(saved, tuple):
            self.saved_ns, self.old = saved
        self.new: dict[str, tuple[Stat, str]] = {}

    def learn(self, path: str, stat: Stat, digest: str) -> None:
        """A hash computed elsewhere from bytes read after taking `stat` (a scanning worker's)."""
        self.new[path] = (stat, digest)

    def known(self, path: str) -> str | None:
        """The content hash if this build or a trusted stat says it, else None (the file must be read)."""
        if path in self.new:
            return self.new[path][1]
        try:
            stat = file_stat(path)
        except OSError:
            return "unreadable"
        old = self.old.get(path)
        if old and old[0] == stat and _trusted(stat, self.saved_ns):
            self.new[path] = old
            return old[1]
        return None

    def digest(self, path: str) -> str:
        value = self.known(path)
        if value is not None:
            return value
        try:
            stat = file_stat(path)
            with open(path, "rb") as handle:
                value = content_hash(handle.read())
        except OSError:
            return "unreadable"
        self.new[path] = (stat, value)
        return value

    def save(self) -> None:
        _write(self.path, (time.time_ns(), self.new))


def _tree(root: Path, index: StatIndex, h: hashlib._Hash) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            h.update(f"{os.path.relpath(full, root)}\0{index.digest(full)}\n".encode())


def global_key(settings: Settings, options: Options, shown: str, index: StatIndex) -> str:
    """A hash of everything every page depends on, except the notes."""
    h = hashlib.sha256()
    out, notes = options.out.resolve(), options.notes.resolve()
    h.update(repr((__version__, settings.spec.model_dump(), str(settings.base), settings.source, str(out),
                   str(notes), shown, options.quarter, options.model, options.pdf,
                   str(options.templates.resolve()) if options.templates else None)).encode())
    _tree(PACKAGE / "rules", index, h)  # the shipped rules
    for rules in settings.rules_files:
        h.update(f"rules {rules}\0{index.digest(str(rules))}\n".encode())
    for source in sorted(PACKAGE.rglob("*.py")):
        h.update(f"{source.relative_to(PACKAGE)}\0{file_stat(str(source))}\n".encode())
    for templates in (DEFAULT_TEMPLATES, options.templates):
        if templates is not None:
            h.update(f"templates {templates}\n".encode())
            _tree(templates, index, h)
    return h.hexdigest()


def input_key(slug: str, files: list[FileJob], index: StatIndex) -> str | None:
    """A hash of an account's files; None when one of them must be read first."""
    h = hashlib.sha256(slug.encode())
    for job in files:
        digest = index.known(job.real)
        if digest is None:
            return None
        h.update(f"\0{job.path}\0{job.kind}\0{digest}".encode())
    return h.hexdigest()


def combine(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# -- the notes folder's layout ------------------------------------------------------------------


def discover_cached(notes: Path, shown: str, out: Path) -> tuple[list[FileJob], list[Diagnostic]]:
    """`layout.discover`, reused while no folder it listed has changed (a folder's stat changes
    when an entry is added, removed or renamed in it). Never reused when it met a symlink."""
    path = folder(out) / f"{out.name}.layout"
    saved = _read(path)
    where = (str(notes.resolve()), shown)
    if isinstance(saved, tuple) and saved[0] == where:
        _, saved_ns, folders, jobs, problems = saved
        try:
            if all(file_stat(f) == stat and _trusted(stat, saved_ns) for f, stat in folders):
                return [FileJob(*job) for job in jobs], problems
        except OSError:
            pass
    seen = Layout()
    jobs, problems = discover(notes, shown, seen)
    if not seen.symlinks:
        try:
            stats = [(f, file_stat(f)) for f in seen.folders]
        except OSError:
            return jobs, problems
        _write(path, (where, time.time_ns(), stats, [(j.path, j.real, j.kind, j.slug) for j in jobs], problems))
    return jobs, problems


# -- what the last build left -------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRecord:
    input: str
    output: str
    judged: Judged
    files: dict[str, Stat]  # its published files (pages, PDFs) -> stat as published


@dataclass(frozen=True)
class State:
    """What the previous successful build of one output folder left behind."""

    global_key: str
    whole: str  # global key, layout problems and every account's input key
    quarter: str
    as_of: str
    accounts: dict[str, AccountRecord]
    common: dict[str, Stat]  # index.html, levels.json, assets, the portfolio summary
    portfolio_pdf: str  # hash of the portfolio summary's HTML ("" without PDFs)
    diagnostics: tuple[Diagnostic, ...]
    judged: int  # accounts judged for the quarter


def load_state(out: Path) -> State | None:
    state = _read(folder(out) / f"{out.name}.build")
    return state if isinstance(state, State) else None


def save_state(out: Path, state: State) -> None:
    _write(folder(out) / f"{out.name}.build", state)


def forget(out: Path) -> None:
    (folder(out) / f"{out.name}.build").unlink(missing_ok=True)


def published(out: Path, names: list[str]) -> dict[str, Stat]:
    return {name: out_stat(str(out / name)) for name in names}


def intact(out: Path, files: dict[str, Stat]) -> bool:
    """Every file is still there, unedited (same stat)."""
    try:
        return all(out_stat(str(out / name)) == stat for name, stat in files.items())
    except OSError:
        return False


def exactly(out: Path, state: State) -> bool:
    """The output is exactly what the state recorded: no file edited, missing or added."""
    names = set(state.common).union(*(r.files for r in state.accounts.values()))
    found: set[str] = set()
    for dirpath, _, filenames in os.walk(out):
        where = os.path.relpath(dirpath, out)
        found.update(name if where == "." else f"{where}/{name}" for name in filenames if name != MARKER)
    return found == names and intact(out, state.common) and all(intact(out, r.files) for r in state.accounts.values())


def link_into(out: Path, names: list[str], stage: Path) -> None:
    """Files of the previous output, hard-linked into the staging folder (no bytes copied)."""
    for name in names:
        target = stage / name
        try:
            os.link(out / name, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(out / name, target)
