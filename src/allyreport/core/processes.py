"""Worker processes end with the command that started them, and never speak for it.

A terminal's Ctrl-C goes to the whole process group, a CI timeout's SIGTERM or SIGKILL to the
command alone. Either way the command ends with one line (see cli.main) and its workers with
it: they ignore SIGINT (the parent decides, and stops them), take the parent's death as their
own (Linux `PR_SET_PDEATHSIG`), and are started with those signals blocked, so that a signal
arriving while a worker starts up cannot print a traceback from inside it. While the output
folder changes, the command itself holds them back (`signals_deferred`): an interruption
lands before or after the change, never in the middle of it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

PR_SET_PDEATHSIG = 1
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that a build cleans up as for Ctrl-C."""


def on_sigterm_raise() -> None:
    """SIGTERM becomes `Terminated` (the default would end the process without cleaning up)."""

    def terminated(signum: int, frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, terminated)


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM held back while worker processes are started: they inherit the mask, and
    `as_worker` sets their dispositions before letting signals in. Pending ones arrive after."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM received in the block are acted on when it ends (their handlers, which
    raise, run then): for the few renames that change the output folder, so that what the
    command then says stands at the output path (see build.publish) is true. Python runs signal
    handlers in the main thread only, whichever thread the kernel picked; from another thread
    (a server publishing) the block is left as is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    saved = {s: signal.getsignal(s) for s in sorted(_SIGNALS)}
    for s, handler in saved.items():
        if handler is not None:  # None: installed outside Python, left alone
            signal.signal(s, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for s, handler in saved.items():
            if handler is not None:
                signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])


def as_worker(parent: int) -> None:
    """Call first in every worker: SIGINT ignored, SIGTERM fatal and silent, killed when the parent
    dies (or at once, if it already has)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import ctypes  # here: only workers need it, and the command's start-up stays quick

    with contextlib.suppress(AttributeError, OSError):  # not Linux: the pipes to the parent still close
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)


def release_workers() -> None:
    """After an interruption: what multiprocessing does at a normal exit (stop the workers, free
    their semaphores), which `os._exit` skips; else its resource tracker, left alone, warns about
    "leaked semaphore objects" once this process is gone."""
    import sys

    util = sys.modules.get("multiprocessing.util")
    if util is not None:
        util._exit_function()


def quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (the process that removes the semaphores of
    workers killed mid-start) with its stderr on /dev/null: after an interruption its notes on
    what it cleaned would be printed after the command's one line."""
    from multiprocessing import resource_tracker

    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
