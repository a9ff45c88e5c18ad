"""Watching what a build reads, so a rebuild is told what changed instead of looking for it.

watchfiles (Rust's `notify`: inotify, FSEvents, ReadDirectoryChangesW) reports changed paths.
Two watches: the notes and templates folders, recursively; and the folders holding the
settings and rules files, each only for its own files (an editor saves by writing a new file
and renaming it over the old one, which ends a watch on the file itself). Editors' temporary
and swap files, hidden files and `.git`, and in the notes whatever is under a `_` folder at
any depth, are never reported: a build does not read them (`layout.skipped`), so they must
not cost a rebuild.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from ..notes.layout import ignored, skipped

_JUNK = frozenset({".git", "4913"})  # vim writes 4913 to test that it may write the folder
_JUNK_ENDINGS = ("___jb_tmp___", "___jb_old___", ".crswap", ".kate-swp")  # JetBrains, Chrome, Kate
STEP_MS = 15  # a save is reported once no event came for this long: an editor's write and rename are one save
READY_MS = 100  # the watches report an empty round after this long: then they are in place


@dataclass(frozen=True)
class Changes:
    """What changed since the last round: absolute paths under the notes folder, and whether the
    settings or rules, or the templates (or the settings' extra stylesheet), changed."""

    notes: frozenset[str]
    config: bool
    templates: bool

    def __bool__(self) -> bool:
        return bool(self.notes) or self.config or self.templates


class Watcher:
    """The watches, each in its thread, feeding one queue that the rebuild loop reads. `files`:
    the settings and rules files; `styles`: the settings' extra stylesheet, a template by another
    name."""

    def __init__(self, notes: Path, files: Iterable[Path], templates: Path | None, styles: Iterable[Path] = ()) -> None:
        self.notes = os.path.abspath(notes)
        self.templates = os.path.abspath(templates) if templates else None
        self.files: frozenset[str] = frozenset()
        self.styles: frozenset[str] = frozenset()
        self.stop = threading.Event()
        self.found: queue.Queue[set[str]] = queue.Queue()
        self.problems: queue.Queue[str] = queue.Queue()
        self._ready: list[threading.Event] = []
        self._parents: set[str] = set()
        folders = [self.notes, *([self.templates] if self.templates and os.path.isdir(self.templates) else [])]
        self._threads = [self._start(folders, True, self._in_folders)]
        self.watch(files, styles)

    def watch(self, files: Iterable[Path], styles: Iterable[Path] = ()) -> None:
        """Watch these settings, rules and style files from now on (the settings may name others
        after an edit): each in the folder that holds it, which gets a watch when it has none."""
        self.files = frozenset(os.path.abspath(f) for f in files)
        self.styles = frozenset(os.path.abspath(f) for f in styles)
        parents = sorted({os.path.dirname(f) for f in self.files | self.styles
                          if os.path.isdir(os.path.dirname(f))} - self._parents)
        if parents:
            self._parents.update(parents)
            self._threads.append(self._start(parents, False, lambda path: path in self.files or path in self.styles))
            self._ready[-1].wait(10.0)  # in place before the build that reads them

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
        """A path a build reads: under the notes, not in a folder (or a file) the notes' layout
        skips at any depth (`_drafts/`, hidden ones, editors' droppings); under the templates,
        any but droppings (a template's name may start with `_`: `_row.html`)."""
        for root in (self.notes, self.templates):
            if root and (path == root or path.startswith(root + os.sep)):
                inside = [] if path == root else os.path.relpath(path, root).split(os.sep)
                passed = skipped if root == self.notes else ignored
                return not any(passed(part) or part in _JUNK or part.endswith(_JUNK_ENDINGS) for part in inside)
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
        """The paths by what they change. A style file gone is a settings problem (the settings
        name a file that is not there): the settings are read again, to say so."""
        notes = frozenset(p for p in paths if p == self.notes or p.startswith(self.notes + os.sep))
        templates = self.templates is not None and any(p.startswith(self.templates + os.sep) for p in paths)
        styles = [p for p in paths if p in self.styles]
        config = any(p in self.files for p in paths) or any(not os.path.isfile(p) for p in styles)
        return Changes(notes, config, templates or bool(styles))

    def close(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
