"""How far a long build is: a bar on the terminal, nothing in a log or a pipe.

A build reports its long stages (reading changed notes, judging accounts, printing PDFs) to a
`Progress`; the default one says nothing. On a terminal the command line uses `Bar`, drawn
by rich on stderr and gone when the build ends, so stdout keeps only the one-line summary.
Workers are forked processes: each counts what it finished in its own slot of a shared
array, and a thread of the building process redraws the bar from their sum.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

Tick = Callable[[int], None]  # called with the worker's number when it finished one item
MIN_ITEMS = 50  # fewer than this: over too soon for a bar


class Progress:
    """Silent: for tests, pipes, and logs."""

    def stage(self, name: str, total: int) -> Tick | None:
        return None

    def done(self) -> None:
        return None


class Bar(Progress):
    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._bar: Any = None
        self._final: Callable[[], None] = lambda: None

    def stage(self, name: str, total: int) -> Tick | None:
        self.done()
        if total < MIN_ITEMS:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        counts = multiprocessing.RawArray("q", self.slots)  # shared with the forked workers
        bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True)
        task = bar.add_task(name, total=total)
        bar.start()
        stop = threading.Event()

        def redraw() -> None:
            while not stop.wait(0.1):
                bar.update(task, completed=sum(counts))

        self._stop, self._bar, self._final = stop, bar, lambda: bar.update(task, completed=sum(counts), refresh=True)
        self._thread = threading.Thread(target=redraw, daemon=True)
        self._thread.start()

        def tick(worker: int) -> None:
            counts[worker % self.slots] += 1

        return tick

    def done(self) -> None:
        if self._stop is not None and self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._final()  # the finished count, however soon it finished
            self._bar.stop()
        self._stop = self._thread = self._bar = None
