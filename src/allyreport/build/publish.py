"""Publishing the output: stage beside `output/`, swap in only on success, lose nothing, ever.

The promise (docs/promises.md): whatever instant a build is killed at, the output path holds
a complete output, the old or the new, once the next allyreport command has run; and no
run deletes the last complete copy. How:

- The new output is written into a staging folder beside the output and swapped in whole,
  with one atomic exchange of the two names (Linux `renameat2(RENAME_EXCHANGE)`); where the
  filesystem cannot exchange, with two renames under a journal that says how to finish.
- A small change is moved into the output file by file (`update`), under a journal written
  first: a killed update is finished by the next command (`recover`) before anything else;
  one that fails is undone from hard links to the files it replaced.
- Whatever stops a build, `standing` says which output is at the path (the previous, the
  new, or half of the new that the next command finishes): the one line printed says it.
- Stale folders of killed builds are removed only when the output path holds a complete
  output; a folder with the marker file is the only kind ever deleted or replaced.
- What the output folder may be, and its lock, are `outfolder`'s (re-exported here: callers
  see one interface for writing the output).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from ..core.processes import signals_deferred
from .outfolder import MARKER, PublishError, alive, check_output_dir, locked, resolve, shown

__all__ = ["MARKER", "PublishError", "alive", "check_output_dir", "locked", "resolve", "shown"]

SWAPPING = threading.Lock()  # held while the output folder changes: `serve` opens files only between publishes
AT_FDCWD = -100
RENAME_EXCHANGE = 2


PREVIOUS, NEW, HALF = "previous", "new", "half"
_STANDING: dict[Path, str] = {}  # what stands at each output path this process builds (see `standing`)


def standing(real: Path | None = None) -> str:
    """What the last build (of `real`) left at its output path: the PREVIOUS output, the NEW one,
    or HALF of an update or swap that the next command finishes (its journal is written).
    Set at the instant the output changes, inside the block where signals wait: whatever
    stops the build, the message it prints can say which output stands."""
    if real is not None:
        return _STANDING.get(real, PREVIOUS)
    return next(reversed(_STANDING.values()), PREVIOUS)


STANDS = {PREVIOUS: "the previous output is unchanged", NEW: "the new output is in place",
          HALF: "the new output is not wholly in place; the next allyreport command finishes putting it there"}


def fault(exc: OSError, out: Path, real: Path) -> PublishError:
    """The one line for a failed write (a full disk, a read-only or vanished folder), naming the
    folder, and which output stands (`standing`): the old one, the new one, or half of one."""
    code = exc.errno or 0
    reason = ("no space left on device" if code in (errno.ENOSPC, errno.EDQUOT)
              else (exc.strerror or str(exc)).lower())
    where = f"{shown(out)}/"
    names = [os.fsdecode(n) for n in (exc.filename, exc.filename2) if n]
    if names and not any(Path(os.path.abspath(n)).is_relative_to(real.parent) for n in names):
        where = shown(Path(names[-1]))  # not beside the output: name the file that failed
    stands = standing(real)
    if stands == NEW:
        return PublishError(where, f"{reason}; the new output is in place, but the build cache was not saved")
    if stands == HALF:
        return PublishError(where, f"{reason}; {STANDS[HALF]}")
    if real.is_dir():
        return PublishError(where, f"{reason}; {STANDS[PREVIOUS]}")
    return PublishError(where, f"{reason}; nothing was written")


# -- the journal: how to finish what a killed build started --------------------------------------


def _journal(out: Path) -> Path:
    return out.parent / f".{out.name}.journal"


def _write_journal(out: Path, data: dict[str, object]) -> None:
    """Written whole or not at all: a temporary file renamed over the journal, removed if the
    disk fills up while it is written."""
    journal = _journal(out)
    temporary = journal.with_name(journal.name + ".tmp")
    try:
        temporary.write_text(json.dumps(data), "utf-8")
        os.replace(temporary, journal)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def pending(out: Path) -> bool:
    """A swap or an update has started (its journal is written): it must be finished, not discarded."""
    return _journal(out).exists()


def recover(out: Path) -> None:
    """Finish what a killed build left halfway: an update or a swap (see `update`, `publish`); put
    back an output a build of an older allyreport left moved aside. Runs under the lock. What
    then stands is, for the build that follows, the previous output (or HALF, if this failed)."""
    try:
        _recover(out)
    finally:
        _STANDING.pop(out, None)
        _STANDING[out] = HALF if pending(out) else PREVIOUS


def _recover(out: Path) -> None:
    journal = _journal(out)
    journal.with_name(journal.name + ".tmp").unlink(missing_ok=True)  # never acted on: the rename did not happen
    if journal.exists():
        data = json.loads(journal.read_text("utf-8"))
        if "old" in data:
            _finish_swap(journal, out.parent / data["stage"], out.parent / data["old"], out)
        else:
            _apply(journal)
    if not out.exists():
        aside = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime_ns)
        for old in reversed(aside):
            if (old / MARKER).is_file():
                os.rename(old, out)
                break


def recover_quietly(out: Path) -> None:
    """`recover` for the commands that do not write the output (check, levels...): only when there
    is something to finish, and only when no build holds the lock."""
    try:
        real = Path(os.path.realpath(out))
        if not (pending(real) or any(real.parent.glob(f".{real.name}.old-*"))):
            return
        with locked(out, real):
            recover(real)
    except (OSError, PublishError):  # a build is running, or the disk is read-only: it is not this command's job
        return


# -- the full swap -------------------------------------------------------------------------------


def staging_dir(out: Path) -> Path:
    """A fresh staging folder beside `out`. What killed builds left is removed first, but only
    once `out` holds a complete output (`recover` ran before): never the last complete copy."""
    if not pending(out):
        remove_stale(out.parent.glob(f".{out.name}.staging-*"))
    if out.exists() and not pending(out):
        for stale in out.parent.glob(f".{out.name}.old-*"):
            shutil.rmtree(stale, ignore_errors=True)
    stage = out.parent / f".{out.name}.staging-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    (stage / MARKER).write_text("This folder is generated by allyreport build; it is replaced on every build.\n")
    return stage


def remove_stale(folders: Iterable[Path]) -> None:
    """Folders named `...-<pid>` whose process is gone (or is this one: a fresh start)."""
    for stale in folders:
        pid = stale.name.rsplit("-", 1)[-1]
        if not (pid.isdigit() and alive(int(pid)) and int(pid) != os.getpid()):
            shutil.rmtree(stale, ignore_errors=True)


def publish(stage: Path, out: Path) -> None:
    """Swap the staged output in. Readers, and a build killed at any instant, see the old or the
    new output at `out`, never half of one and never none; a build that fails or is interrupted
    in the middle leaves the old one (or, if the swap was done, the new one: `standing` says)."""
    with SWAPPING, signals_deferred():
        old = _swap(stage, out)
    shutil.rmtree(old, ignore_errors=True)


def _swap(stage: Path, out: Path) -> Path:
    """The swap; the folder left holding the old output, to delete."""
    if not out.exists():
        os.rename(stage, out)  # nothing to replace: one atomic rename
        _STANDING[out] = NEW
        return stage
    if _exchange(stage, out):  # the two names swapped at once; `stage` now holds the old output
        _STANDING[out] = NEW
        return stage
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    _write_journal(out, {"stage": stage.name, "old": old.name})
    _STANDING[out] = HALF
    try:
        _finish_swap(_journal(out), stage, old, out)
    except BaseException:
        _undo_swap(_journal(out), stage, old, out)
        raise
    return old


def _finish_swap(journal: Path, stage: Path, old: Path, out: Path) -> None:
    """The two renames of a swap without exchange, each done only if not done yet: a build killed
    between them leaves the new output complete in `stage` and the old in `old`."""
    if out.exists() and stage.exists():
        os.rename(out, old)
    if stage.exists() and not out.exists():
        os.rename(stage, out)
    if not out.exists() and old.exists():  # the new output never existed whole: keep the old
        os.rename(old, out)
    if not stage.exists():
        _STANDING[out] = NEW
    journal.unlink()
    shutil.rmtree(old, ignore_errors=True)


def _undo_swap(journal: Path, stage: Path, old: Path, out: Path) -> None:
    """After a failed rename of `_finish_swap`: the old output back at `out`, the journal gone;
    if that fails too, the journal stays for the next command to finish the swap."""
    with contextlib.suppress(OSError):
        if standing(out) == NEW:  # only removing the journal failed: the new output stands
            return
        if not out.exists() and old.exists():
            os.rename(old, out)
        journal.unlink()
        _STANDING[out] = PREVIOUS


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux 3.15+, most local filesystems); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def discard(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)


# -- the in-place update -------------------------------------------------------------------------

KEPT = ".allyreport-previous"  # in the staging folder: the files an update replaces or deletes, hard-linked


def update(stage: Path, out: Path, moves: list[str], drop: list[str]) -> None:
    """Move the staged files into `out` over their old versions, and delete `drop`: for a build that
    changed a few files of thousands, instead of swapping in a full copy. First, with `out`
    untouched but for new empty folders, the files to be replaced or deleted are hard-linked
    aside (the undo) and a journal is written; from then on only renames and unlinks remain,
    which need no disk space. A build killed halfway through is finished by the next command
    (`recover`); one that fails halfway puts the previous files back (`_undo_update`)."""
    made = _make_folders(out, moves)
    try:
        _keep(stage, out, [*moves, *drop])
        with SWAPPING, signals_deferred():
            _write_journal(out, {"stage": stage.name, "out": out.name, "moves": moves, "drop": drop})
            _STANDING[out] = HALF
            try:
                _moves(stage, out, moves, drop)
                _STANDING[out] = NEW
                _journal(out).unlink()
            except BaseException:
                _undo_update(stage, out, moves, drop)
                raise
    except BaseException:
        if standing(out) == PREVIOUS:
            _remove_folders(made)
        raise
    shutil.rmtree(stage, ignore_errors=True)


def _make_folders(out: Path, moves: list[str]) -> list[Path]:
    """The folders of `out` that the moved files need and it lacks, made; the ones made, deepest last."""
    made: list[Path] = []
    for folder in sorted({os.path.dirname(name) for name in moves} - {""}):
        missing = [p for p in [out / folder, *(out / folder).parents] if p.is_relative_to(out) and not p.exists()]
        for path in reversed(missing):
            path.mkdir()
            made.append(path)
    return made


def _remove_folders(made: list[Path]) -> None:
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _keep(stage: Path, out: Path, names: list[str]) -> None:
    """Hard links, in the staging folder, to the files of `out` that the update replaces or deletes."""
    for name in names:
        if os.path.lexists(out / name):
            target = stage / KEPT / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(out / name, target, follow_symlinks=False)


def _undo_update(stage: Path, out: Path, moves: list[str], drop: list[str]) -> None:
    """After a failed rename or unlink of an update: each file moved in goes back to the staging
    folder, and the file it replaced (or that was deleted) comes back from its hard link; then
    the journal goes. Each step leaves what `recover` finishes the same way: if the undo fails
    too, the journal stays, and the next command completes the update instead."""
    kept = stage / KEPT
    with contextlib.suppress(OSError):
        if standing(out) == NEW:  # only removing the journal failed: the new output stands
            return
        for name in moves:
            if not os.path.lexists(stage / name) and os.path.lexists(out / name):
                os.rename(out / name, stage / name)
            if os.path.lexists(kept / name) and not os.path.lexists(out / name):
                os.rename(kept / name, out / name)
        for name in drop:
            if os.path.lexists(kept / name) and not os.path.lexists(out / name):
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                os.rename(kept / name, out / name)
        _journal(out).unlink()
        _STANDING[out] = PREVIOUS


def _apply(journal: Path) -> None:
    """Finish the update a killed build left (its journal)."""
    data = json.loads(journal.read_text("utf-8"))
    stage, out = journal.parent / data["stage"], journal.parent / data["out"]
    with SWAPPING:
        _moves(stage, out, data["moves"], data["drop"])
        journal.unlink()
    shutil.rmtree(stage, ignore_errors=True)


def _moves(stage: Path, out: Path, moves: list[str], drop: list[str]) -> None:
    for name in moves:
        source, target = stage / name, out / name
        if not os.path.lexists(source):  # moved before the interruption
            continue
        try:
            os.replace(source, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for name in drop:
        (out / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # a folder left empty goes too, as a fresh build would not make it
            (out / name).parent.rmdir()
