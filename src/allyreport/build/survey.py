"""The survey: which files the notes folder holds, and which changed since the last build.

Each account's files are recorded with their stats and content hashes; a file is read again
(`Scan`, in workers when many) only when its stat differs or was too recent to trust. The
layout of the notes folder (which files exist) is reused while no folder's stat changed.
An account's input key is a hash of its files' paths, kinds and bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..config.options import cache_folder
from ..core.diagnostics import Diagnostic
from ..core.quarters import FIRST_YEAR, LAST_YEAR
from ..notes.dates import note_day
from ..notes.layout import FileJob, Layout, discover
from .stats import Stat, content_hash, file_stat, out_stat, trusted
from .store import Ledger, Record
from .workers import beside, fork_map, slices, workers_for

FileRow = tuple[str, str]  # path inside the notes folder, kind
KINDS = {"account": "a", "note": "n", "image": "i"}
KIND_NAMES = {v: k for k, v in KINDS.items()}


def _pack(value: Any) -> bytes:
    """marshal without references (version 2): equal values give equal bytes."""
    return marshal.dumps(value, 2)


class AccountFiles(NamedTuple):
    """An account's files as last seen, kept between builds. Packed for speed: a notes folder
    of 80,000 files loads, and is checked against the disk, in a fraction of a second."""

    names: str  # the files' paths inside the notes folder, NUL-separated (a name may hold a newline)
    kinds: str  # one letter per file: "a" for account.md, "n" for a note, "i" for an image
    stats: bytes  # `_pack` of the files' stats, compared with the disk's as bytes
    digests: str  # the files' content hashes, 32 hex digits each
    days: tuple[int, ...]  # each note's date (`scan_file`) as an ordinal, negated if private; 0 if none
    key: str  # the input key: a hash of the slug and every file's path, kind and bytes
    since: int  # when (ns) the build that took these stats started: a stat is trusted if older by RACY_NS
    settled: bool  # every stat is trusted: equal stats mean equal bytes

    def rows(self) -> list[FileRow]:
        return list(zip(self.names.split("\0"), (KIND_NAMES[k] for k in self.kinds), strict=True))

    def facts(self) -> dict[str, tuple[Stat | None, str, int]]:
        """Each file's stat, hash and date, by path."""
        stats = marshal.loads(self.stats)
        names = self.names.split("\0")
        return {rel: (stats[i], self.digests[32 * i: 32 * i + 32], self.days[i]) for i, rel in enumerate(names)}

    def dated(self, safe: bool = False) -> tuple[int, ...]:
        """The notes' dates, as sorted ordinals (one out of range is an error when parsed); `safe`:
        but the private notes' (the share-safe variant leaves them out)."""
        first, last = dt.date(FIRST_YEAR, 1, 1).toordinal(), dt.date(LAST_YEAR, 12, 31).toordinal()
        return tuple(sorted(abs(d) for d in self.days if (d > 0 or (d < 0 and not safe)) and first <= abs(d) <= last))


@dataclass(frozen=True)
class Survey:
    """The notes as found, before anything is parsed: each account's files and input key."""

    notes: str  # the folder as given (file paths join onto it)
    shown: str  # as shown in messages
    problems: list[Diagnostic]  # of the layout
    accounts: dict[str, AccountFiles]  # by slug, sorted
    damaged: frozenset[str]  # files of the last output that are missing or not as published

    def jobs(self, slug: str) -> list[FileJob]:
        return [FileJob(f"{self.shown}/{rel}", os.path.join(self.notes, rel), kind, slug)
                for rel, kind in self.accounts[slug].rows()]


Scan = Callable[[list[FileJob]], list["Scanned | None"]]
PARALLEL_STATS = 8000  # files: above this, a forked process stats half of them


def stat_of(path: str) -> Stat | None:
    try:
        s = os.stat(path)
    except OSError:
        return None
    return (s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino)


class FilesRecord(NamedTuple):
    """The notes folder as the last build found it: its folders (to reuse discovery) and its files."""

    where: tuple[str, str]  # the notes folder (resolved) and how it is shown
    since: int  # when the folders' stats were taken
    folders: tuple[tuple[str, Stat | None], ...] | None  # None: a symlink was met, always discover afresh
    problems: tuple[Diagnostic, ...]  # of the layout
    accounts: dict[str, AccountFiles]
    ledger: Ledger | None = None  # how it was stored (None: not read from disk)


def _files_record(out: Path) -> Record:
    return Record(cache_folder(out) / f"{out.name}.files", cache_folder(out) / f"{out.name}.files-delta", plain=True)


def _load_files(out: Path, where: tuple[str, str]) -> FilesRecord | None:
    """The record as the last build left it (`store.Record.load`), if it is of this notes folder."""
    try:
        stored = _files_record(out).load()
        if stored is None or tuple(stored.head["where"]) != where:
            return None
        head = stored.head
        return FilesRecord(where, head["since"], head["folders"], tuple(Diagnostic(*p) for p in head["problems"]),
                           {slug: AccountFiles._make(a) for slug, a in stored.accounts.items()}, stored.ledger)
    except (TypeError, ValueError, AttributeError, KeyError):  # a record of another shape: survey afresh
        return None


def survey(notes: Path, shown: str, out: Path, scan: Scan,
           published: dict[str, Stat]) -> tuple[Survey, FilesRecord]:
    """Every account's files and input key. Discovery is reused while no folder changed; a file
    is read again (by `scan`, in workers when many) only when its stat changed. And which files
    of the last output (`published`) are no longer as published. With the files record as the
    next build will read it."""
    started = time.time_ns()  # before any stat: what changes after it has a later time
    record = _load_files(out, (str(notes.resolve()), shown))
    base = str(notes)
    old = record.accounts if record else {}
    names: dict[str, tuple[str, str]] | None = None  # slug -> (names, kinds)
    problems: list[Diagnostic] = []
    folders: tuple[tuple[str, Stat | None], ...] | None = None
    if record is not None and record.folders is not None and all(
            stat is not None and stat_of(os.path.join(base, f)) == stat and trusted(stat, record.since)
            for f, stat in record.folders):
        names = {slug: (a.names, a.kinds) for slug, a in old.items()}
        problems = list(record.problems)
        folders, folders_since = record.folders, record.since
    if names is None:
        seen = Layout()
        found, problems = discover(notes, shown, seen)
        grouped: dict[str, list[FileJob]] = {}
        for job in found:
            grouped.setdefault(job.slug, []).append(job)
        names = {slug: ("\0".join(os.path.relpath(j.real, base) for j in jobs), "".join(KINDS[j.kind] for j in jobs))
                 for slug, jobs in sorted(grouped.items())}
        folders = None if seen.symlinks else tuple((rel, stat_of(os.path.join(base, rel)))
                                                   for rel in (os.path.relpath(f, base) for f in seen.folders))
        folders_since = started
    items = list(names.items())
    if sum(len(kinds) for _, (_, kinds) in items) > PARALLEL_STATS:

        half = _split(items, len(published))
        (theirs, damaged), mine = beside(lambda: (_stats_changed(items[half:], old, base), _damaged(out, published)),
                                         lambda: _stats_changed(items[:half], old, base))
        differ = mine | theirs
    else:
        differ, damaged = _stats_changed(items, old, base), _damaged(out, published)
    where = record.where if record else (str(notes.resolve()), shown)
    fresh = FilesRecord(where, folders_since, folders, tuple(problems), {}, record.ledger if record else None)
    return _finish(record, fresh, names, differ, damaged, (started, base, out, scan))


def resurvey(record: FilesRecord, names: dict[str, tuple[str, str]], touched: list[str], problems: list[Diagnostic],
             folders: tuple[tuple[str, Stat | None], ...], where: tuple[str, Path, Scan]) -> tuple[Survey, FilesRecord]:
    """`survey` for a process told which accounts' files changed (`touched`, listed again into
    `names`): only theirs are stat-ed; the output is taken to be as that process published it."""
    started = time.time_ns()
    base, out, scan = where
    differ = _stats_changed([(slug, names[slug]) for slug in touched if slug in names], record.accounts, base)
    return _finish(record, record._replace(folders=folders, problems=tuple(problems)), names, differ, frozenset(),
                   (started, base, out, scan))


def _finish(record: FilesRecord | None, fresh: FilesRecord, names: dict[str, tuple[str, str]], differ: dict[str, bytes],
            damaged: frozenset[str], where: tuple[int, str, Path, Scan]) -> tuple[Survey, FilesRecord]:
    """The accounts whose stats changed read again, the others kept; the files record saved when it changed."""
    started, base, out, scan = where
    old = record.accounts if record else {}
    shown = fresh.where[1]
    accounts = {slug: old[slug] for slug in names if slug not in differ}
    accounts.update(_rehash(sorted(differ.items()), names, old, started, (base, shown), scan))
    result = Survey(base, shown, list(fresh.problems), dict(sorted(accounts.items())), damaged)
    fresh = fresh._replace(accounts=result.accounts)
    if record is None or differ or fresh.folders != record.folders or fresh.problems != record.problems \
            or fresh.accounts.keys() != record.accounts.keys():
        return result, _save_files(out, fresh, record, set(differ))
    return result, record


def _split(items: list[tuple[str, tuple[str, str]]], outputs: int) -> int:
    """Where to cut the accounts so both processes stat about as many files: the forked one also
    checks the `outputs` files of the last build."""
    total = sum(len(kinds) for _, (_, kinds) in items)
    mine, cut = 0, 0
    while cut < len(items) and mine < (total + outputs) // 2:
        mine += len(items[cut][1][1])
        cut += 1
    return cut


def _damaged(out: Path, published: dict[str, Stat]) -> frozenset[str]:
    damaged = []
    for name, stat in published.items():
        try:
            if out_stat(str(out / name)) != stat:
                damaged.append(name)
        except OSError:
            damaged.append(name)
    return frozenset(damaged)


def _stats_changed(items: list[tuple[str, tuple[str, str]]], old: dict[str, AccountFiles],
                   base: str) -> dict[str, bytes]:
    """The accounts whose files' stats are not as recorded (or too recent to trust), with the stats:
    the survey's inner loop, a stat for every note on every build."""
    differ = {}
    stat = os.stat
    for slug, (names, kinds) in items:
        try:
            stats = _pack(tuple([(s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino)
                                 for s in [stat(f"{base}/{rel}") for rel in names.split("\0")]]))
        except OSError:
            stats = _pack(tuple(stat_of(os.path.join(base, rel)) for rel in names.split("\0")))
        before = old.get(slug)
        if before is None or not before.settled or before.names != names or before.kinds != kinds \
                or before.stats != stats:
            differ[slug] = stats
    return differ


def _rehash(pending: list[tuple[str, bytes]], names: dict[str, tuple[str, str]], old: dict[str, AccountFiles],
            started: int, where: tuple[str, str], scan: Scan) -> dict[str, AccountFiles]:
    """The accounts whose stats changed: a file whose stat is as recorded keeps its hash and date,
    the others are read. `where`: the notes folder, and how it is shown."""
    base, shown = where
    known: dict[str, tuple[Stat | None, str, int]] = {}
    for slug, _ in pending:
        if slug in old:
            try:
                known.update(old[slug].facts())
            except (TypeError, ValueError, EOFError, IndexError):  # a damaged record: read the files again
                continue
    to_read: list[FileJob] = []
    for slug, stats in pending:
        for (rel, kind), stat in zip(_rows(*names[slug]), marshal.loads(stats), strict=True):
            hit = known.get(rel)
            if not (hit and stat is not None and hit[0] == stat and trusted(stat, old[slug].since)):
                to_read.append(FileJob(f"{shown}/{rel}", os.path.join(base, rel), kind, slug))
    for job, seen in zip(to_read, scan(to_read), strict=True):
        rel = job.path[len(shown) + 1:]
        known[rel] = (seen[1], seen[2], seen[3]) if seen else (None, "0" * 32, 0)
    done = {}
    for slug, _ in pending:
        files = _rows(*names[slug])
        facts = [known[rel] for rel, _ in files]
        digests = "".join(f[1] for f in facts)
        key = hashlib.sha256(f"{slug}\0{names[slug][0]}\0{names[slug][1]}\0{digests}".encode()).hexdigest()
        done[slug] = AccountFiles(names[slug][0], names[slug][1], _pack(tuple(f[0] for f in facts)), digests,
                                  tuple(f[2] for f in facts), key, started, False)
    return done


def _rows(names: str, kinds: str) -> list[FileRow]:
    return list(zip(names.split("\0"), (KIND_NAMES[k] for k in kinds), strict=True))


def _save_files(out: Path, fresh: FilesRecord, before: FilesRecord | None, changed: set[str]) -> FilesRecord:
    """Write the record; the record as the next build will read it."""
    accounts = {slug: a if a.settled else a._replace(settled=all(s is not None and trusted(s, a.since)
                                                                 for s in marshal.loads(a.stats)))
                for slug, a in fresh.accounts.items()}
    head = {"where": fresh.where, "since": fresh.since, "folders": fresh.folders,
            "problems": [(p.path, p.line, p.message, p.severity, p.column) for p in fresh.problems]}
    ledger = _files_record(out).save(head, {slug: tuple(a) for slug, a in accounts.items()},
                                     before.ledger if before else None, changed)
    return fresh._replace(accounts=accounts, ledger=ledger)


# -- scanning: reading what changed, and dating the notes ---------------------------------------

Scanned = tuple[str, Stat, str, int]  # file, its stat before reading, content hash, `notes.dates.note_day`


def scan_file(job: FileJob, max_bytes: int, image_bytes: int = 2 << 20) -> Scanned | None:
    """Hash a file's bytes and, of a note, read its date as the loader will (`notes.dates`): the
    build plans its review from these dates before it judges any account."""
    try:
        stat = file_stat(job.real)  # before reading: a write after this changes the stat, never hides
        with open(job.real, "rb") as handle:
            data = handle.read((image_bytes if job.kind == "image" else max_bytes) + 1)
    except OSError:
        return None
    return job.real, stat, content_hash(data), note_day(data, max_bytes) if job.kind == "note" else 0


def scan_files(files: Sequence[FileJob], max_bytes: int, jobs: int, tick: Callable[[int], None] | None = None,
               image_bytes: int = 2 << 20) -> list[Scanned | None]:
    parts = slices(len(files), workers_for(len(files), jobs))

    def task(i: int) -> list[Scanned | None]:
        found = []
        for k in parts[i]:
            found.append(scan_file(files[k], max_bytes, image_bytes))
            if tick:
                tick(i)
        return found

    return [s for chunk in fork_map(task, len(parts)) for s in chunk]
