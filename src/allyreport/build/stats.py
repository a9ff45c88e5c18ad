"""Files' stats and content hashes: how the cache knows, without reading, that a file is unchanged.

A file whose stat (mtime_ns, ctime_ns, size, inode) is as recorded, and was taken long enough
after its last change (`RACY_NS`), has the bytes it had, as git trusts its index.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from .store import read, write

RACY_NS = 2_000_000_000  # a file changed this close to the index being saved is re-hashed
Stat = tuple[int, int, int, int]


def file_stat(path: str) -> Stat:
    s = os.stat(path)
    return (s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def out_stat(path: str) -> Stat:
    """An output file's stat without ctime, which hard-linking it changes."""
    s = os.stat(path)
    return (s.st_mtime_ns, 0, s.st_size, s.st_ino)


def trusted(stat: Stat, saved_ns: int) -> bool:
    return stat[0] < saved_ns - RACY_NS and stat[1] < saved_ns - RACY_NS


class StatIndex:
    """Content hashes of files, recomputed only when a file's stat changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        saved = read(path, plain=True)
        self.saved_ns: int = 0
        self.old: dict[str, tuple[Stat, str]] = {}
        if isinstance(saved, tuple):
            self.saved_ns, self.old = saved
        self.new: dict[str, tuple[Stat, str]] = {}
        self.dirty = False  # a hash was computed: worth saving

    def known(self, path: str) -> str | None:
        """The content hash if this build or a trusted stat says it, else None (the file must be read)."""
        if path in self.new:
            return self.new[path][1]
        try:
            stat = file_stat(path)
        except OSError:
            return "unreadable"
        old = self.old.get(path)
        if old and old[0] == stat and trusted(stat, self.saved_ns):
            self.new[path] = old
            return old[1]
        return None

    def digest(self, path: str) -> str:
        value = self.known(path)
        if value is not None:
            return value
        try:
            stat = file_stat(path)
            with open(path, "rb") as handle:
                value = content_hash(handle.read())
        except OSError:
            return "unreadable"
        self.new[path] = (stat, value)
        self.dirty = True
        return value

    def save(self) -> None:
        if not self.dirty and self.path.exists():
            return
        write(self.path, (time.time_ns(), self.new), plain=True)


