"""The output folder: what it may be, checked before anything is written, and its lock.

Every refusal (a folder allyreport did not make, the notes or templates inside it, a read-only
folder in it) happens before a build writes anything; the lock is named after the resolved
path, so `out`, `./out/` and a symlink to it are one folder, and it is an flock, which the
kernel releases when its holder dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ..core.diagnostics import display_path, escape_path

MARKER = ".allyreport-output"


class PublishError(Exception):
    """A refusal to write or replace an output folder, or a fault while writing it: `where` (the
    folder, as the user spelled it, with a trailing /) and what happened, for one line of output."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


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
        with contextlib.suppress(OSError):  # a lock file left is harmless: the next build takes it
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
