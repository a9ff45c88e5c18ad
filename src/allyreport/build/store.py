"""The cache's files on disk: versioned reads and writes, and the one full-plus-delta scheme.

Two records are kept per output folder, the notes' files (`survey`) and the last build
(`state`), each a few small fields (the head) and one entry per account. Most builds change
a few accounts of thousands, so a record is written as a full file once and then as a small
delta on it: the head and the accounts changed since the full file, and the full file's
accounts that are gone. Both records are a `Record`, whose `load` and `save` are that scheme.
"""

from __future__ import annotations

import marshal
import os
import pickle
import re
import shutil
import time
from pathlib import Path
from typing import Any, NamedTuple

from .. import __version__
from .publish import alive

FORMAT = 11  # of every cache file; bump when a shape changes (11: an account's levels.json entry is kept compressed)
DELTA_ACCOUNTS = 64  # a delta amending more accounts than this (or a tenth of them) is folded into a full record


def read(path: Path, plain: bool = False) -> object:
    """A value `write` saved, or None. `plain` values (built-in types only) use marshal: several
    times faster than pickle for the big tables of files."""
    try:
        found, value = (marshal if plain else pickle).loads(path.read_bytes())
    except Exception:  # missing, unreadable, or from another version: start afresh
        return None
    return value if found == (FORMAT, __version__) else None


def write(path: Path, value: object, plain: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    data = ((FORMAT, __version__), value)
    blob = marshal.dumps(data) if plain else pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[arg-type]
    try:
        temporary.write_bytes(blob)
        os.replace(temporary, path)
    except BaseException:  # a full disk: no half-written temporary left behind
        temporary.unlink(missing_ok=True)
        raise


_STALE = re.compile(r"print-(\d+)|.+\.(\d+)\.tmp")


def remove_stale(folder: Path) -> None:
    """The print folders (`print-<pid>`) and temporary files (`<name>.<pid>.tmp`) of killed builds."""
    for entry in folder.glob("*"):
        found = _STALE.fullmatch(entry.name)
        pid = int(found.group(1) or found.group(2)) if found else 0
        if pid and (pid == os.getpid() or not alive(pid)):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


class Ledger(NamedTuple):
    """What a record as read says about its files, to decide how the next one is written."""

    token: int  # which full file (0: none)
    accounts: frozenset[str]  # the accounts as read, full and delta together
    amended: frozenset[str]  # the accounts its delta holds
    removed: frozenset[str]  # the full file's accounts its delta drops


class Amended(NamedTuple):
    head: Any
    accounts: dict[str, Any]  # sorted by slug
    ledger: Ledger


class Record(NamedTuple):
    """Where one record lives: its full file and the delta written after it."""

    full: Path
    delta: Path
    plain: bool = False  # built-in types only: marshal instead of pickle

    def load(self) -> Amended | None:
        """The full file, amended by the delta written after it (if any); None if there is none."""
        stored = read(self.full, self.plain)
        if not (isinstance(stored, tuple) and len(stored) == 3 and isinstance(stored[2], dict)):
            return None
        token, head, accounts = stored
        amended: dict[str, Any] = {}
        removed: list[str] = []
        extra = read(self.delta, self.plain)
        if isinstance(extra, tuple) and len(extra) == 4 and extra[0] == token and isinstance(extra[2], dict):
            _, head, amended, removed = extra
            accounts = {slug: a for slug, a in accounts.items() if slug not in removed}
            accounts.update(amended)
        return Amended(head, dict(sorted(accounts.items())),
                       Ledger(token, frozenset(accounts), frozenset(amended), frozenset(removed)))

    def save(self, head: Any, accounts: dict[str, Any], before: Ledger | None, changed: set[str]) -> Ledger:
        """A delta on the last full file when few accounts changed since it, else a full file; the
        ledger `load` will read with it."""
        holds = _amendment(before, set(accounts), changed) if before is not None else None
        if before is not None and holds is not None:
            amended, removed = holds
            write(self.delta, (before.token, head, {slug: accounts[slug] for slug in sorted(amended)}, sorted(removed)),
                  self.plain)
            return Ledger(before.token, frozenset(accounts), amended, removed)
        self.delta.unlink(missing_ok=True)
        token = time.time_ns()
        write(self.full, (token, head, accounts), self.plain)
        return Ledger(token, frozenset(accounts), frozenset(), frozenset())


def _amendment(before: Ledger, now: set[str], changed: set[str]) -> tuple[frozenset[str], frozenset[str]] | None:
    """What a delta on the full file `before.token` must hold now: every account changed since that
    file was written, and every account of it that is gone; None when a full file is due.
    (`before.accounts` is the record as read, full and delta together: `removed` keeps what
    earlier deltas dropped, which it no longer lists.)"""
    holds = frozenset((changed | before.amended) & now)
    if not before.token or len(holds) > max(DELTA_ACCOUNTS, len(now) // 10):
        return None
    return holds, frozenset((set(before.accounts) | before.removed) - now)
