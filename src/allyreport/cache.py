"""The build cache: when nothing that shapes the output changed, the previous output is the answer.

One key covers every input of a build: the bytes of every note and account file (and the
layout of the notes folder), the rules files, every file of the templates folders, the
settings, the options that change output (--quarter, --model, --no-pdf, --templates, the
folders), the allyreport version and the stat of its own source files. A file's content hash
is reused from a stat index (mtime_ns, ctime_ns, size, inode, like git's index) and recomputed
when the stat differs or is too recent to trust. A hit also needs the previous output to be
exactly as published (every file's stat as recorded); then its files are hard-linked into the
staging folder and published as usual, so a build never serves a stale report and never
leaves a half-written output.
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
from .loader import discover
from .publish import MARKER

if TYPE_CHECKING:
    from .build import Options
    from .settings import Settings

CACHE_DIR = ".allyreport-cache"
PACKAGE = Path(__file__).parent
DEFAULT_TEMPLATES = PACKAGE / "templates"  # as templating.DEFAULT_TEMPLATES, without importing Jinja
RACY_NS = 2_000_000_000  # a file changed this close to the index being saved is re-hashed
Stat = tuple[int, int, int, int]


@dataclass(frozen=True)
class Entry:
    """What the previous build of one output folder left behind."""

    key: str
    diagnostics: tuple[Diagnostic, ...]
    accounts: int
    quarter: str
    files: dict[str, Stat]  # output file (relative) -> stat as published


def folder(out: Path) -> Path:
    return out.parent / CACHE_DIR


def file_stat(path: str) -> Stat:
    s = os.stat(path)
    return (s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _out_stat(path: str) -> Stat:
    """An output file's stat without ctime, which hard-linking it changes."""
    s = os.stat(path)
    return (s.st_mtime_ns, 0, s.st_size, s.st_ino)


class StatIndex:
    """Content hashes of files, recomputed only when a file's stat changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved_ns = 0
        self.old: dict[str, tuple[Stat, str]] = {}
        try:
            self.saved_ns, self.old = pickle.loads(path.read_bytes())
        except Exception:  # missing or unreadable index: hash everything
            self.saved_ns, self.old = 0, {}
        self.new: dict[str, tuple[Stat, str]] = {}

    def learn(self, path: str, stat: Stat, digest: str) -> None:
        """A hash computed elsewhere from bytes read after taking `stat` (the parser's, in a worker)."""
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
        if old and old[0] == stat and stat[0] < self.saved_ns - RACY_NS and stat[1] < self.saved_ns - RACY_NS:
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
        _write(self.path, pickle.dumps((time.time_ns(), self.new)))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _tree(root: Path, index: StatIndex, h: hashlib._Hash) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            h.update(f"{os.path.relpath(full, root)}\0{index.digest(full)}\n".encode())


def build_key(settings: Settings, options: Options, shown: str, index: StatIndex,
              max_unread: int | None = None) -> str | None:
    """A hash of everything the output of `allyreport build` depends on; None when more than
    `max_unread` notes would have to be read to know it (a cold build: the parser hashes them)."""
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
    files, problems = discover(options.notes, shown) if options.notes.is_dir() else ([], [])
    h.update(repr(problems).encode())
    if max_unread is not None and sum(1 for job in files if index.known(job.real) is None) > max_unread:
        return None
    for job in files:
        h.update(f"{job.path}\0{job.kind}\0{job.slug}\0{index.digest(job.real)}\n".encode())
    return h.hexdigest()


def load(out: Path) -> Entry | None:
    try:
        entry = pickle.loads((folder(out) / f"{out.name}.build").read_bytes())
    except Exception:  # no previous build, or one from another version: rebuild
        return None
    return entry if isinstance(entry, Entry) else None


def output_intact(out: Path, entry: Entry) -> bool:
    """Every file the previous build published is still there, unedited (same stat). Files added
    to the output by hand do not matter: only the recorded files are published again."""
    try:
        return all(_out_stat(str(out / name)) == stat for name, stat in entry.files.items())
    except OSError:
        return False


def link_into(out: Path, entry: Entry, stage: Path) -> None:
    """The previous output's files, hard-linked into the staging folder (no bytes copied)."""
    for name in sorted(entry.files):
        target = stage / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(out / name, target)


def record(out: Path, key: str, diagnostics: list[Diagnostic], accounts: int, quarter: str) -> None:
    """After a successful publish: remember the key and the published files' stats."""
    files = {str(p.relative_to(out)): _out_stat(str(p)) for p in out.rglob("*") if p.is_file() and p.name != MARKER}
    entry = Entry(key, tuple(diagnostics), accounts, quarter, files)
    _write(folder(out) / f"{out.name}.build", pickle.dumps(entry))


def forget(out: Path) -> None:
    (folder(out) / f"{out.name}.build").unlink(missing_ok=True)
