"""Publishing the output: stage beside `output/`, swap in only on success, lose nothing, ever.

The promise (docs/promises.md): whatever instant a build is killed at, the output path holds
a complete output, the old or the new, once the next allyreport command has run; and no
run deletes the last complete copy. How:

- The new output is written into a staging folder beside the output and swapped in whole,
  with one atomic exchange of the two names (Linux `renameat2(RENAME_EXCHANGE)`); where the
  filesystem cannot exchange, with two renames under a journal that says how to finish.
- A small change is moved into the output file by file (`update`), under a journal written
  first: a killed update is finished by the next command (`recover`) before anything else.
- Stale folders of killed builds are removed only when the output path holds a complete
  output; a folder with the marker file is the only kind ever deleted or replaced.
- One lock per output folder, named after its resolved path (so `out`, `./out/` and a
  symlink to it are one folder), held with `flock`: a killed holder releases it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..core.diagnostics import display_path, escape_path

MARKER = ".allyreport-output"
SWAPPING = threading.Lock()  # held while the output folder changes: `serve` opens files only between publishes
AT_FDCWD = -100
RENAME_EXCHANGE = 2


class PublishError(Exception):
    """A refusal to write or replace an output folder, or a fault while writing it: `where` (the
    folder, as the user spelled it, with a trailing /) and what happened, for one line of output."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def fault(exc: OSError, out: Path, real: Path, replaced: bool) -> PublishError:
    """The one line for a failed write (a full disk, a read-only or vanished folder), naming the
    folder, and which output stands: the new one when it was already in place, else the old."""
    code = exc.errno or 0
    reason = ("no space left on device" if code in (errno.ENOSPC, errno.EDQUOT)
              else (exc.strerror or str(exc)).lower())
    where = f"{shown(out)}/"
    names = [os.fsdecode(n) for n in (exc.filename, exc.filename2) if n]
    if names and not any(Path(os.path.abspath(n)).is_relative_to(real.parent) for n in names):
        where = shown(Path(names[-1]))  # not beside the output: name the file that failed
    if replaced:
        return PublishError(where, f"{reason}; the new output is in place, but the build cache was not saved")
    if real.is_dir():
        return PublishError(where, f"{reason}; the previous output is unchanged")
    return PublishError(where, f"{reason}; nothing was written")


def resolve(out: Path) -> Path:
    """The folder the output really is: symlinks followed, so the swap happens inside a
    symlink's target and the link itself is never replaced."""
    real = Path(os.path.realpath(out))
    if real.is_symlink():
        raise PublishError(f"{shown(out)}/", "a symbolic link that cannot be followed (a loop?); "
                           "point it at a folder or choose another --out")
    return real


def shown(path: Path) -> str:
    """A path as messages print it (control and bidi characters escaped), without a trailing /."""


    return escape_path(display_path(path)).rstrip("/") or "."


def check_output_dir(out: Path, notes: Path, templates: Path | None = None) -> Path:
    """Every reason to refuse the output folder, checked before anything is written; its resolved path."""
    real, notes_r = resolve(out), notes.resolve()
    name = f"{shown(out)}/"
    if real in {Path("/"), Path.home().resolve()}:
        raise PublishError(name, "refusing to use it as the output folder (it is the root or home folder)")
    if real == notes_r or real.is_relative_to(notes_r) or notes_r.is_relative_to(real):
        raise PublishError(name, f"the output folder overlaps the notes folder {shown(notes)}/; choose another --out")
    if templates is not None:
        t = templates.resolve()
        if real == t or t.is_relative_to(real) or real.is_relative_to(t):
            raise PublishError(name, f"the output folder overlaps the templates folder {shown(templates)}/")
    if (real / ".git").exists():
        raise PublishError(name, "the output folder contains .git; refusing to replace it")
    if real.exists() and (not real.is_dir() or (any(real.iterdir()) and not (real / MARKER).exists())):
        raise PublishError(name, "exists and was not created by allyreport; refusing to replace it "
                           "(remove it or choose another --out)")
    _check_writable(out, real)
    return real


def _check_writable(out: Path, real: Path) -> None:
    """The folder the output is made in, and every folder of the present output (a build may
    replace or delete any file in it), must be writable."""
    parent = real.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    folders = [(parent, out.parent if parent == real.parent else parent)]
    if real.is_dir():
        for dirpath, _, _ in os.walk(real):
            rel = os.path.relpath(dirpath, real)
            folders.append((Path(dirpath), out if rel == "." else out / rel))
    for folder, name in folders:
        if not os.access(folder, os.W_OK | os.X_OK):
            read_only = os.statvfs(folder).f_flag & os.ST_RDONLY
            why = "a read-only file system" if read_only else "not writable (permission denied)"
            raise PublishError(f"{shown(name)}/", f"{why}; a build must write there. Nothing was changed")


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
    back an output a build of an older allyreport left moved aside. Runs under the lock."""
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
    new output at `out`, never half of one and never none."""
    with SWAPPING:
        _swap(stage, out)


def _swap(stage: Path, out: Path) -> None:
    if not out.exists():
        os.rename(stage, out)  # nothing to replace: one atomic rename
        return
    if _exchange(stage, out):  # the two names swapped at once; `stage` now holds the old output
        shutil.rmtree(stage, ignore_errors=True)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    _write_journal(out, {"stage": stage.name, "old": old.name})
    _finish_swap(_journal(out), stage, old, out)


def _finish_swap(journal: Path, stage: Path, old: Path, out: Path) -> None:
    """The two renames of a swap without exchange, each done only if not done yet: a build killed
    between them leaves the new output complete in `stage` and the old in `old`."""
    if out.exists() and stage.exists():
        os.rename(out, old)
    if stage.exists() and not out.exists():
        os.rename(stage, out)
    if not out.exists() and old.exists():  # the new output never existed whole: keep the old
        os.rename(old, out)
    journal.unlink()
    shutil.rmtree(old, ignore_errors=True)


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


def update(stage: Path, out: Path, moves: list[str], drop: list[str]) -> None:
    """Move the staged files into `out` over their old versions, and delete `drop`: for a build that
    changed a few files of thousands, instead of swapping in a full copy. The folders are made
    and a journal is written first; from then on only renames and unlinks remain, which need no
    disk space, and a build killed halfway through is finished by the next command (`recover`)."""
    for folder in sorted({os.path.dirname(name) for name in moves} - {""}):
        (out / folder).mkdir(parents=True, exist_ok=True)
    _write_journal(out, {"stage": stage.name, "out": out.name, "moves": moves, "drop": drop})
    _apply(_journal(out))


def _apply(journal: Path) -> None:
    with SWAPPING:
        _moves(journal)


def _moves(journal: Path) -> None:
    data = json.loads(journal.read_text("utf-8"))
    stage, out = journal.parent / data["stage"], journal.parent / data["out"]
    for name in data["moves"]:
        source, target = stage / name, out / name
        if not source.exists():  # moved before the interruption
            continue
        try:
            os.replace(source, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for name in data["drop"]:
        (out / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # a folder left empty goes too, as a fresh build would not make it
            (out / name).parent.rmdir()
    journal.unlink()
    shutil.rmtree(stage, ignore_errors=True)


# -- the lock ------------------------------------------------------------------------------------


@contextlib.contextmanager
def locked(out: Path, real: Path | None = None) -> Iterator[None]:
    """One build at a time per output folder (`real`: its resolved path, which names the lock). The
    lock is an flock: the kernel releases it when its holder dies, however it dies."""
    real = real or resolve(out)
    if real in _HELD:  # re-entrant within one process (a long-running server holds it throughout)
        yield
        return
    lock = real.parent / f".{real.name}.lock"
    real.parent.mkdir(parents=True, exist_ok=True)
    fd = _take(lock, out)
    _HELD.add(real)
    try:
        yield
    finally:
        _HELD.discard(real)
        lock.unlink(missing_ok=True)  # while still held: whoever waits on this file sees it is gone
        os.close(fd)


_HELD: set[Path] = set()


def _take(lock: Path, out: Path) -> int:
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise PublishError(f"{shown(out)}/", f"another allyreport build (pid {pid or '?'}) is writing it; "
                               f"wait for it to finish (lock: {shown(lock)})") from None
        try:
            if os.fstat(fd).st_ino != os.stat(lock).st_ino:
                raise FileNotFoundError
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            return fd
        except FileNotFoundError:  # its holder removed it as we opened it: take the next one
            os.close(fd)
        except BaseException:
            lock.unlink(missing_ok=True)
            os.close(fd)
            raise


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
