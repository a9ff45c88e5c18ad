"""Using every core: forked workers for work that splits into independent pieces.

`fork_map` runs numbered slices in forked workers ('fork' context: they inherit everything
the parent built, the compiled templates and the rules among it; nothing is sent but slice
numbers) and returns their results in slice order, so the output is byte-identical to a
one-process run; jobs=1 (or a small input) stays in process. A build hands it accounts
(`account.run_accounts`), files to hash (`account.scan_files`) and, for the commands that judge
every account at once, files to parse (`account.parse_in`). `beside` runs one short job in a
second process with no pool to start.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from ..core.processes import as_worker, signals_blocked

T = TypeVar("T")
U = TypeVar("U")
MIN_FILES_PER_WORKER = 400  # below this, forking costs more than it saves
_TASK: Callable[[int], Any] | None = None  # set just before forking; read by the workers


def slices(count: int, parts: int) -> list[range]:
    """`count` items in `parts` contiguous ranges of near-equal size, in order."""
    parts = max(1, min(parts, count))
    bounds = [count * i // parts for i in range(parts + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(parts)]


def weighted_slices(weights: Sequence[int], parts: int) -> list[range]:
    """Contiguous ranges of items whose summed weights are near-equal, in order."""
    parts = max(1, min(parts, len(weights)))
    total = sum(weights)
    bounds, running, k = [0], 0, 1
    for i, w in enumerate(weights):
        running += w
        while k < parts and running * parts >= total * k:
            bounds.append(i + 1)
            k += 1
    bounds += [len(weights)] * (parts + 1 - len(bounds))
    return [range(bounds[i], bounds[i + 1]) for i in range(parts)]


def _run_slice(index: int) -> Any:
    assert _TASK is not None
    return _TASK(index)


def fork_map(task: Callable[[int], T], parts: int) -> list[T]:
    """task(0) .. task(parts-1), in forked workers when parts > 1; results in order."""
    global _TASK
    if parts <= 1:
        return [task(i) for i in range(parts)]
    _TASK = task
    try:
        with signals_blocked():  # the workers start with SIGINT ignored, dying with this process
            pool = multiprocessing.get_context("fork").Pool(parts - 1, as_worker, (os.getpid(),))
        with pool:  # leaving it, however, terminates the workers
            pending = pool.map_async(_run_slice, range(1, parts), chunksize=1)
            first = task(0)  # this process takes the first slice: one slice fewer to pickle back
            return [first, *pending.get()]
    finally:
        _TASK = None


def workers_for(items: int, jobs: int) -> int:
    return max(1, min(jobs, items // MIN_FILES_PER_WORKER))


def beside(there: Callable[[], T], here: Callable[[], U]) -> tuple[T, U]:
    """there() in a forked process while this one runs here(): two cores for a short job, with
    none of a pool's start-up cost. If the forked process fails, this one runs there() itself."""
    read, write = os.pipe()
    parent = os.getpid()
    with signals_blocked():
        pid = os.fork()
    if pid == 0:  # the child: send the pickled result, then leave without running any cleanup
        code = 1
        try:
            as_worker(parent)
            os.close(read)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps(there(), protocol=pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        mine = here()
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    return (pickle.loads(data) if status == 0 and data else there()), mine


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection while a build holds ~100k live objects that are never cycles:
    the collector's full passes over them cost a third of the load time, and free nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
