"""What the last build of an output folder left: each account's keys and result, and the
published files' stats, so the next build knows what it may keep.

An account whose output key is unchanged, and whose published files are still exactly as
published (same stat), keeps its files; every other account is judged and rendered again.
Nothing here can serve a stale report: every input of a page is in one of its keys
(tests/test_cache.py and tests/test_incremental.py prove each case).
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.options import cache_folder
from ..core.diagnostics import Diagnostic
from .publish import MARKER
from .stats import Stat, out_stat
from .store import Ledger, Record

if TYPE_CHECKING:
    from ..render.sheets import Rows
    from ..rules.engine import Failure


# slug, name, owner, level, previous level, target level, movement, trust, open investments,
# insights (key, title, severity, message, move): see `light`
Light = tuple[str, str, str, str, str | None, str | None, str, Any, int, tuple[tuple[str, str, str, str, str], ...]]


@dataclass(frozen=True)
class Judged:
    """What is kept of one account after its work: small enough to send back and to cache."""

    slug: str
    days: tuple[int, ...]  # every note's date (from the parsed frontmatter) as an ordinal, sorted
    diagnostics: tuple[Diagnostic, ...]  # parsing, the account checks, an unknown target
    failures: tuple[Failure, ...]  # conditions and messages of the rules that failed to evaluate
    verdict: bytes | None  # the stripped verdict, pickled; None when not judged this quarter
    json: bytes | None  # its entry of levels.json, compressed (`account._entry`)
    files: tuple[str, ...]  # what it wrote under the staging folder (relative)
    prints: tuple[str, ...]  # its PDFs, still to print (their HTML is in the print folder)
    problem: Diagnostic | None = None  # a template error: the build fails
    light: Light | None = None  # what the portfolio reads of every verdict (`portfolio_verdicts`)
    row: str = ""  # its row of the portfolio's table (templates/_row.html)
    later: tuple[tuple[int, str, int], ...] = ()  # its notes dated after the as-of date (`rules.plan.Dated`)
    sheets: Rows | None = None  # its rows of levels.csv and levels.xlsx, drawn from the same entry as `json`


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
    ledger: Ledger | None = None  # how it was stored (`store`); None until written
    portfolio_page: str = ""  # what the portfolio page and levels.json were made from, but the accounts' results
    dates: tuple[int, ...] = ()  # every note's date (ordinal), once: what the review quarter is decided from
    later: tuple[tuple[int, str, int], ...] = ()  # the notes dated after the as-of date (`rules.plan.Dated`)
    packs: tuple[tuple[str, str], ...] = ()  # each review pack's key: one still as published is not written again


def _state_record(out: Path) -> Record:
    return Record(cache_folder(out) / f"{out.name}.build", cache_folder(out) / f"{out.name}.delta")


def load_state(out: Path) -> State | None:
    """The last build's record: the full one, amended by the delta written after it, if any."""
    stored = _state_record(out).load()
    if stored is None or not isinstance(stored.head, State):
        return None
    return replace(stored.head, accounts=stored.accounts, ledger=stored.ledger)


def save_state(out: Path, state: State, before: State | None, changed: set[str]) -> State:
    """Write the record (as a delta on the last full one when few accounts changed: `store.Record`);
    the state as `load_state` will read it."""
    ledger = _state_record(out).save(replace(state, accounts={}, ledger=None), state.accounts,
                                     before.ledger if before is not None else None, changed)
    return replace(state, ledger=ledger)


def forget(out: Path) -> None:
    (cache_folder(out) / f"{out.name}.build").unlink(missing_ok=True)
    (cache_folder(out) / f"{out.name}.delta").unlink(missing_ok=True)


def published_stats(out: Path, names: list[str]) -> dict[str, Stat]:
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
