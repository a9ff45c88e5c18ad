"""Watching what a build reads, so a rebuild is told what changed instead of looking for it.

watchfiles (Rust's `notify`: inotify, FSEvents, ReadDirectoryChangesW) reports changed paths.
Two watches: the notes and templates folders, recursively; and the folders holding the
settings and rules files, each only for its own files (an editor saves by writing a new file
and renaming it over the old one, which ends a watch on the file itself). Editors' temporary
and swap files, hidden files and `.git` are never reported: they are not notes
(`layout.ignored`) and must not cost a rebuild.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from ..notes.layout import ignored

_JUNK = frozenset({".git", "4913"})  # vim writes 4913 to test that it may write the folder
_JUNK_ENDINGS = ("___jb_tmp___", "___jb_old___", ".crswap", ".kate-swp")  # JetBrains, Chrome, Kate
STEP_MS = 15  # a save is reported once no event came for this long: an editor's write and rename are one save
READY_MS = 100  # the watches report an empty round after this long: then they are in place


@dataclass(frozen=True)
class Changes:
    """What changed since the last round: absolute paths under the notes folder, and whether the
    settings or rules, or the templates, changed."""

    notes: frozenset[str]
    config: bool
    templates: bool

    def __bool__(self) -> bool:
        return bool(self.notes) or self.config or self.templates


class Watcher:
    """The watches, each in its thread, feeding one queue that the rebuild loop reads."""

    def __init__(self, notes: Path, files: Iterable[Path], templates: Path | None) -> None:
        self.notes = os.path.abspath(notes)
        self.templates = os.path.abspath(templates) if templates else None
        self.files = frozenset(os.path.abspath(f) for f in files)
        self.stop = threading.Event()
        self.found: queue.Queue[set[str]] = queue.Queue()
        self.problems: queue.Queue[str] = queue.Queue()
        self._ready: list[threading.Event] = []
        folders = [self.notes, *([self.templates] if self.templates and os.path.isdir(self.templates) else [])]
        parents = sorted({os.path.dirname(f) for f in self.files if os.path.isdir(os.path.dirname(f))})
        self._threads = [self._start(folders, True, self._in_folders)]
        if parents:
            self._threads.append(self._start(parents, False, lambda path: path in self.files))

    def _start(self, roots: list[str], recursive: bool, wanted: Callable[[str], bool]) -> threading.Thread:
        ready = threading.Event()
        self._ready.append(ready)
        thread = threading.Thread(target=self._run, args=(roots, recursive, wanted, ready), daemon=True,
                                  name="allyreport-watch")
        thread.start()
        return thread

    def _run(self, roots: list[str], recursive: bool, wanted: Callable[[str], bool], ready: threading.Event) -> None:
        def keep(_: watchfiles.Change, path: str) -> bool:
            return wanted(path)

        polling = False
        while not self.stop.is_set():
            try:
                for batch in watchfiles.watch(*roots, watch_filter=keep, step=STEP_MS, rust_timeout=READY_MS,
                                              yield_on_timeout=True, stop_event=self.stop, recursive=recursive,
                                              force_polling=polling or None, raise_interrupt=False):
                    ready.set()
                    if batch:
                        self.found.put({path for _, path in batch})
                return
            except (OSError, RuntimeError) as exc:  # e.g. the inotify watch limit: poll instead
                if polling:
                    self.problems.put(f"cannot watch {', '.join(roots)}: {exc}")
                    ready.set()
                    return
                self.problems.put(f"watching {', '.join(roots)} by polling ({exc})")
                polling = True

    def _in_folders(self, path: str) -> bool:
        for root in (self.notes, self.templates):
            if root and (path == root or path.startswith(root + os.sep)):
                inside = os.path.relpath(path, root).split(os.sep)
                if root == self.notes and inside[0].startswith("_"):  # a folder the notes' layout skips
                    return False
                return not any(ignored(part) or part in _JUNK or part.endswith(_JUNK_ENDINGS) for part in inside)
        return False

    def wait_ready(self, timeout: float = 10.0) -> None:
        for ready in self._ready:
            ready.wait(timeout)

    def next(self, timeout: float) -> Changes | None:
        """The changes of the next round: waits up to `timeout` for the first, then takes all waiting."""
        try:
            paths = self.found.get(timeout=timeout)
        except queue.Empty:
            return None
        while True:
            try:
                paths |= self.found.get_nowait()
            except queue.Empty:
                break
        return self.classify(paths)

    def classify(self, paths: set[str]) -> Changes:
        notes = frozenset(p for p in paths if p == self.notes or p.startswith(self.notes + os.sep))
        templates = self.templates is not None and any(p.startswith(self.templates + os.sep) for p in paths)
        return Changes(notes, any(p in self.files for p in paths), templates)

    def close(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
