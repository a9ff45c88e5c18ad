"""Using every core: forked workers for work that splits into independent pieces.

`fork_map` runs numbered slices in forked workers ('fork' context: they inherit everything
the parent built, the compiled templates and the rules among it; nothing is sent but slice
numbers) and returns their results in slice order, so the output is byte-identical to a
one-process run; jobs=1 (or a small input) stays in process. A build hands it accounts
(`units.run_accounts`) and files to hash (`units.scan_files`); `load_notes` parses a whole
notes folder for the commands that judge every account at once. `beside` runs one short job
in a second process with no pool to start.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.diagnostics import Diagnostic
from ..notes.layout import FileJob, discover

if TYPE_CHECKING:
    from ..notes.data import Portfolio
    from ..notes.loader import ParsedFile

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
        with multiprocessing.get_context("fork").Pool(parts - 1) as pool:
            pending = pool.map_async(_run_slice, range(1, parts), chunksize=1)
            first = task(0)  # this process takes the first slice: one slice fewer to pickle back
            return [first, *pending.get()]
    finally:
        _TASK = None


def workers_for(items: int, jobs: int) -> int:
    return max(1, min(jobs, items // MIN_FILES_PER_WORKER))


def parse_files(files: Sequence[FileJob], max_bytes: int, jobs: int) -> list[ParsedFile]:
    from ..notes.loader import _parse_job

    parts = slices(len(files), workers_for(len(files), jobs))
    return [parsed for chunk in fork_map(lambda i: [_parse_job(files[k], max_bytes) for k in parts[i]], len(parts))
            for parsed in chunk]


def load_notes(notes_dir: Path, shown: str, signals: Iterable[str] = (), max_bytes: int = 256 * 1024,
               jobs: int = 1, max_image_bytes: int = 2 << 20) -> tuple[Portfolio, list[Diagnostic]]:
    """`loader.load_notes`, with the parsing spread over `jobs` processes."""
    from ..notes.data import Portfolio
    from ..notes.loader import assemble

    if not notes_dir.is_dir():
        return Portfolio(shown, ()), [Diagnostic(shown, 0, "notes folder not found")]
    files, problems = discover(notes_dir, shown)
    parsed = parse_files(files, max_bytes, jobs)
    portfolio, diagnostics = assemble(shown, parsed, files, signals, max_image_bytes)
    return portfolio, problems + diagnostics


def beside(there: Callable[[], T], here: Callable[[], U]) -> tuple[T, U]:
    """there() in a forked process while this one runs here(): two cores for a short job, with
    none of a pool's start-up cost. If the forked process fails, this one runs there() itself."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send the pickled result, then leave without running any cleanup
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps(there(), protocol=pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        mine = here()
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
