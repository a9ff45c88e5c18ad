"""The build cache: what shaped each account's output, so a build redoes only what changed.

Three layers of keys, each a hash:

- the **global key**: the allyreport version and the stat of its own source files, the
  shipped and firm rules, the settings, and the options that change output (--model,
  --no-pdf, --templates, --quarter, the folders). When it changes, nothing of the previous
  build is reused. The templates count by what uses them (`template_keys`).
- an account's **input key**: the paths, kinds and bytes of its files (account.md and notes).
- an account's **output key**: global + its templates + input + the review quarter (+ the
  notes' "as of" date when PDFs are built, since every PDF's cover shows it). An account
  whose output key is unchanged, and whose published files are still exactly as published
  (same stat), keeps its files; every other account is parsed, judged and rendered again.
  The portfolio page, levels.json and the portfolio summary are always redone from the
  accounts' kept results (the summary's PDF is reprinted only when what it is printed from
  changed).

Each account's files are recorded with their stats (mtime_ns, ctime_ns, size, inode) and
content hashes (`survey`); a file is read again only when its stat differs or was too recent
to trust, as git trusts its index. The layout of the notes folder (which files exist) is
reused while no folder's stat changed. Nothing here can serve a stale report: every input of
a page is in one of its keys (tests/test_cache.py and tests/test_incremental.py prove each
case). The small stat index below covers the rules and templates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import pickle
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import __version__
from ..core.diagnostics import Diagnostic
from ..notes.layout import FileJob, Layout, discover
from .publish import MARKER

if TYPE_CHECKING:
    from ..config.settings import Settings
    from .account import Judged
    from .pipeline import Options

CACHE_DIR = ".allyreport-cache"
PACKAGE = Path(__file__).parent.parent  # the allyreport package
DEFAULT_TEMPLATES = PACKAGE / "templates"  # as templating.DEFAULT_TEMPLATES, without importing Jinja
RACY_NS = 2_000_000_000  # a file changed this close to the index being saved is re-hashed
FORMAT = 8  # of the files below; bump when their shape changes
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


def _read(path: Path, plain: bool = False) -> object:
    """A value `_write` saved, or None. `plain` values (built-in types only) use marshal: several
    times faster than pickle for the big tables of files."""
    try:
        found, value = (marshal if plain else pickle).loads(path.read_bytes())
    except Exception:  # missing, unreadable, or from another version: start afresh
        return None
    return value if found == (FORMAT, __version__) else None


def _write(path: Path, value: object, plain: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    data = ((FORMAT, __version__), value)
    blob = marshal.dumps(data) if plain else pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[arg-type]
    temporary.write_bytes(blob)
    os.replace(temporary, path)


def _trusted(stat: Stat, saved_ns: int) -> bool:
    return stat[0] < saved_ns - RACY_NS and stat[1] < saved_ns - RACY_NS


class StatIndex:
    """Content hashes of files, recomputed only when a file's stat changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        saved = _read(path, plain=True)
        self.saved_ns: int = 0
        self.old: dict[str, tuple[Stat, str]] = {}
        if isinstance(saved, tuple):
            self.saved_ns, self.old = saved
        self.new: dict[str, tuple[Stat, str]] = {}
        self.dirty = False  # a hash was computed: worth saving

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
        self.dirty = True
        return value

    def save(self) -> None:
        if not self.dirty and self.path.exists():
            return
        _write(self.path, (time.time_ns(), self.new), plain=True)


def _tree(root: Path, index: StatIndex, h: hashlib._Hash) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            h.update(f"{os.path.relpath(full, root)}\0{index.digest(full)}\n".encode())


def global_key(settings: Settings, options: Options, shown: str, index: StatIndex) -> str:
    """A hash of everything every page depends on, except the notes and the templates."""
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
    return h.hexdigest()


class Templates(NamedTuple):
    """Hashes of the templates, by what depends on them."""

    accounts: str  # what an account's pages, row and PDFs are rendered from
    printing: str  # what a PDF may read besides its HTML: stylesheets, fonts, images
    everything: str  # every file of the templates folders (the portfolio page, the assets)


ACCOUNT_TEMPLATES = ("review.html", "plan.html", "_row.html")
ACCOUNT_DOCUMENTS = ("pdf/review.html", "pdf/plan.html")
_REFERENCE = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+(["'])([^"']+)\1""")
_ANY_REFERENCE = re.compile(r"\{%-?\s*(?:extends|include|import|from)\b")


def template_keys(options: Options, index: StatIndex) -> Templates:
    """Which template files an account's outputs are made from: the account's templates and every
    template they extend, include or import, followed by name (the firm's folder first, then the
    shipped one), and with PDFs every stylesheet, font and image. A template naming another by
    an expression, not a quoted name, makes every template count. So editing the portfolio
    page or the site's stylesheet redoes the portfolio, not the 2,000 accounts."""
    files: dict[str, str] = {}
    for root in (DEFAULT_TEMPLATES, options.templates):  # the firm's file of a name wins
        if root is None:
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames.sort()
            for name in filenames:
                full = os.path.join(dirpath, name)
                files[os.path.relpath(full, root).replace(os.sep, "/")] = full
    digests = {name: index.digest(path) for name, path in sorted(files.items())}
    roots = [*ACCOUNT_TEMPLATES, *(ACCOUNT_DOCUMENTS if options.pdf else ())]
    needed: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in needed or name not in files:
            continue
        needed.add(name)
        try:
            text = Path(files[name]).read_text("utf-8", errors="replace")
        except OSError:
            continue
        named = [m.group(2) for m in _REFERENCE.finditer(text)]
        if len(named) != len(_ANY_REFERENCE.findall(text)):  # `{% include some_variable %}`: could be any
            needed = set(files)
            break
        todo += named
    printing = {name: digests[name] for name in files if not name.endswith(".html")}
    if options.pdf:
        needed |= set(printing)
    return Templates(combine(sorted((n, digests.get(n, "missing")) for n in {*needed, *roots})),
                     combine(sorted(printing.items())), combine(sorted(digests.items())))


def combine(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# -- the notes' files: what is there, and what changed --------------------------------------------

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
    days: tuple[int, ...]  # each note's date at a glance (`units.scan_file`), as an ordinal; 0 if none
    key: str  # the input key: a hash of the slug and every file's path, kind and bytes
    since: int  # when (ns) the build that took these stats started: a stat is trusted if older by RACY_NS
    settled: bool  # every stat is trusted: equal stats mean equal bytes

    def rows(self) -> list[FileRow]:
        return list(zip(self.names.split("\0"), (KIND_NAMES[k] for k in self.kinds), strict=True))

    def facts(self) -> dict[str, tuple[Stat | None, str, int]]:
        """Each file's stat, hash and glanced date, by path."""
        stats = marshal.loads(self.stats)
        names = self.names.split("\0")
        return {rel: (stats[i], self.digests[32 * i: 32 * i + 32], self.days[i]) for i, rel in enumerate(names)}

    def guessed(self) -> tuple[int, ...]:
        """The notes' dates at a glance, as sorted ordinals."""
        return tuple(sorted(d for d in self.days if d))


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


Scan = Callable[[list[FileJob]], list["tuple[str, Stat, str, dt.date | None] | None"]]
PARALLEL_STATS = 8000  # files: above this, a forked process stats half of them


def _stat(path: str) -> Stat | None:
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
    token: int  # which full record this is, or amends
    amended: frozenset[str] = frozenset()  # the accounts its delta holds
    removed: frozenset[str] = frozenset()  # the full record's accounts its delta drops


def _load_files(out: Path, where: tuple[str, str]) -> FilesRecord | None:
    """The full record, amended by its delta if there is one (see `save_state` for the idea)."""
    try:
        full: Any = _read(folder(out) / f"{out.name}.files", plain=True)
        token, found, since, folders, problems, accounts = full
        kept = {slug: AccountFiles._make(a) for slug, a in accounts.items()}
        amended: dict[str, Any] = {}
        removed: list[str] = []
        delta: Any = _read(folder(out) / f"{out.name}.files-delta", plain=True)
        if isinstance(delta, tuple) and delta[0] == token:
            _, found, since, folders, problems, amended, removed = delta
            kept = {slug: a for slug, a in kept.items() if slug not in removed}
            kept.update((slug, AccountFiles._make(a)) for slug, a in amended.items())
        if tuple(found) != where:
            return None
        return FilesRecord(where, since, folders, tuple(Diagnostic(*p) for p in problems), dict(sorted(kept.items())),
                           token, frozenset(amended), frozenset(removed))
    except (TypeError, ValueError, AttributeError):  # no record, or one of another shape: survey afresh
        return None


def survey(notes: Path, shown: str, out: Path, scan: Scan, published: dict[str, Stat]) -> Survey:
    """Every account's files and input key. Discovery is reused while no folder changed; a file
    is read again (by `scan`, in workers when many) only when its stat changed. And which files
    of the last output (`published`) are no longer as published."""
    started = time.time_ns()  # before any stat: what changes after it has a later time
    record = _load_files(out, (str(notes.resolve()), shown))
    base = str(notes)
    old = record.accounts if record else {}
    names: dict[str, tuple[str, str]] | None = None  # slug -> (names, kinds)
    problems: list[Diagnostic] = []
    folders: tuple[tuple[str, Stat | None], ...] | None = None
    if record is not None and record.folders is not None and all(
            stat is not None and _stat(os.path.join(base, f)) == stat and _trusted(stat, record.since)
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
        folders = None if seen.symlinks else tuple((rel, _stat(os.path.join(base, rel)))
                                                   for rel in (os.path.relpath(f, base) for f in seen.folders))
        folders_since = started
    items = list(names.items())
    if sum(len(kinds) for _, (_, kinds) in items) > PARALLEL_STATS:
        from .workers import beside

        half = _split(items, len(published))
        (theirs, damaged), mine = beside(lambda: (_stats_changed(items[half:], old, base), _damaged(out, published)),
                                         lambda: _stats_changed(items[:half], old, base))
        differ = mine | theirs
    else:
        differ, damaged = _stats_changed(items, old, base), _damaged(out, published)
    accounts = {slug: old[slug] for slug in names if slug not in differ}
    accounts.update(_rehash(sorted(differ.items()), names, old, started, base, shown, scan))
    result = Survey(base, shown, problems, dict(sorted(accounts.items())), damaged)
    fresh = FilesRecord(record.where if record else (str(notes.resolve()), shown), folders_since, folders,
                        tuple(problems), result.accounts, record.token if record else 0)
    if record is None or differ or fresh.folders != record.folders or fresh.problems != record.problems:
        _save_files(out, fresh, record, set(differ))
    return result


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
            stats = _pack(tuple(_stat(os.path.join(base, rel)) for rel in names.split("\0")))
        before = old.get(slug)
        if before is None or not before.settled or before.names != names or before.kinds != kinds \
                or before.stats != stats:
            differ[slug] = stats
    return differ


def _rehash(pending: list[tuple[str, bytes]], names: dict[str, tuple[str, str]], old: dict[str, AccountFiles],
            started: int, base: str, shown: str, scan: Scan) -> dict[str, AccountFiles]:
    """The accounts whose stats changed: a file whose stat is as recorded keeps its hash and date,
    the others are read."""
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
            if not (hit and stat is not None and hit[0] == stat and _trusted(stat, old[slug].since)):
                to_read.append(FileJob(f"{shown}/{rel}", os.path.join(base, rel), kind, slug))
    for job, seen in zip(to_read, scan(to_read), strict=True):
        rel = job.path[len(shown) + 1:]
        known[rel] = (seen[1], seen[2], seen[3].toordinal() if seen[3] else 0) if seen else (None, "0" * 32, 0)
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


def _save_files(out: Path, fresh: FilesRecord, before: FilesRecord | None, changed: set[str]) -> None:
    accounts = {slug: a._replace(settled=a.settled or all(s is not None and _trusted(s, a.since)
                                                          for s in marshal.loads(a.stats)))
                for slug, a in fresh.accounts.items()}
    problems = [(p.path, p.line, p.message, p.severity, p.column) for p in fresh.problems]
    delta = _amendment(before.token, before.accounts, before.amended, before.removed, set(accounts), changed) \
        if before is not None else None
    if before is not None and delta is not None:
        amended, removed = delta
        _write(folder(out) / f"{out.name}.files-delta",
               (before.token, fresh.where, fresh.since, fresh.folders, problems,
                {slug: tuple(accounts[slug]) for slug in sorted(amended)}, sorted(removed)), plain=True)
        return
    (folder(out) / f"{out.name}.files-delta").unlink(missing_ok=True)
    _write(folder(out) / f"{out.name}.files", (time.time_ns(), fresh.where, fresh.since, fresh.folders, problems,
                                               {slug: tuple(a) for slug, a in accounts.items()}), plain=True)


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
    accounts: dict[str, bytes]  # slug -> its AccountRecord, pickled (an unchanged one is kept as it is)
    published: dict[str, Stat]  # every file of the output, the accounts' and the common ones
    portfolio_pdf: str  # hash of the portfolio summary's HTML ("" without PDFs)
    diagnostics: tuple[Diagnostic, ...]
    judged: int  # accounts judged for the quarter
    base: int = 0  # which full record this one is, or (a delta) amends
    amended: frozenset[str] = frozenset()  # the accounts a delta holds: changed since the full record
    removed: frozenset[str] = frozenset()  # in a delta: accounts of the full record that are gone


DELTA_ACCOUNTS = 64  # a delta amending more accounts than this (or a tenth of them) is folded into a full record


def _amendment(token: int, before: Iterable[str], amended: frozenset[str], removed: frozenset[str], now: set[str],
               changed: set[str]) -> tuple[frozenset[str], frozenset[str]] | None:
    """What a delta on the full record `token` must hold now: every account changed since that
    record was written, and every account of it that is gone; None when a full record is due.
    (`before` is the last record as read, full and delta together: `removed` keeps what earlier
    deltas dropped, which it no longer lists.)"""
    holds = frozenset((changed | amended) & now)
    if not token or len(holds) > max(DELTA_ACCOUNTS, len(now) // 10):
        return None
    return holds, frozenset((set(before) | removed) - now)


def load_state(out: Path) -> State | None:
    """The last build's record: the full one, amended by the delta written after it, if any."""
    full = _read(folder(out) / f"{out.name}.build")
    if not isinstance(full, State):
        return None
    delta = _read(folder(out) / f"{out.name}.delta")
    if not isinstance(delta, State) or delta.base != full.base:
        return full
    accounts = {slug: blob for slug, blob in full.accounts.items() if slug not in delta.removed}
    accounts.update(delta.accounts)
    return replace(delta, accounts=dict(sorted(accounts.items())))


def save_state(out: Path, state: State, before: State | None, changed: set[str]) -> None:
    """Write the record. Most builds change a few accounts of thousands: then only those accounts
    and the small fields are written, as a delta on the last full record, instead of all of it."""
    delta = _amendment(before.base, before.accounts, before.amended, before.removed, set(state.accounts), changed) \
        if before is not None else None
    if before is not None and delta is not None:
        amended, removed = delta
        _write(folder(out) / f"{out.name}.delta",
               replace(state, accounts={slug: state.accounts[slug] for slug in sorted(amended)}, base=before.base,
                       amended=amended, removed=removed))
        return
    (folder(out) / f"{out.name}.delta").unlink(missing_ok=True)
    _write(folder(out) / f"{out.name}.build", replace(state, base=time.time_ns(), amended=frozenset(),
                                                      removed=frozenset()))


def forget(out: Path) -> None:
    (folder(out) / f"{out.name}.build").unlink(missing_ok=True)
    (folder(out) / f"{out.name}.delta").unlink(missing_ok=True)


def published(out: Path, names: list[str]) -> dict[str, Stat]:
    return {name: out_stat(str(out / name)) for name in names}


def intact(out: Path, files: dict[str, Stat]) -> bool:
    """Every file is still there, unedited (same stat)."""
    try:
        return all(out_stat(str(out / name)) == stat for name, stat in files.items())
    except OSError:
        return False


def records(state: State | None) -> dict[str, AccountRecord]:
    """The accounts' records; one that cannot be read is left out (that account is redone)."""
    found = {}
    for slug, blob in (state.accounts if state is not None else {}).items():
        try:
            record = pickle.loads(blob)
        except Exception:  # a damaged cache costs time, never correctness
            continue
        if isinstance(record, AccountRecord):
            found[slug] = record
    return found


def exactly(out: Path, state: State, damaged: frozenset[str]) -> bool:
    """The output is exactly what the state recorded: no file edited, missing or added."""
    return not damaged and only_recorded(out, state)


def only_recorded(out: Path, state: State) -> bool:
    """The output holds the files the state recorded and no other (maybe edited: see `intact`)."""
    return (out / MARKER).is_file() and files_in(out) == set(state.published)


def files_in(folder: Path) -> set[str]:
    """Every file under `folder` (relative, with /), but the output marker."""
    found: set[str] = set()
    for dirpath, _, filenames in os.walk(folder):
        where = os.path.relpath(dirpath, folder)
        found.update(name if where == "." else f"{where}/{name}" for name in filenames if name != MARKER)
    return found


def link_into(out: Path, names: list[str], stage: Path) -> None:
    """Files of the previous output, hard-linked into the staging folder (no bytes copied)."""
    for name in names:
        target = stage / name
        try:
            os.link(out / name, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(out / name, target)
