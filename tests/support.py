"""The helpers the test modules share, one copy each (pelican's tests/support.py): what an
output folder holds, a project written to disk, a lock held as another build holds it.
A test module imports them from here, never from another test module; fixtures stay in
conftest.py."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

NotesWriter = Callable[[dict[str, str | bytes]], Path]


def tree_hash(root: Path) -> dict[str, str]:
    """Every file below `root`, by its relative path: the SHA-256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below `root`, by its relative path: its bytes (a failing comparison shows them)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: content} under `root`; text is dedented, so it can be written
    inline in a test, indented like code."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), "utf-8")
    return root


@contextmanager
def lock_held(lock: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process that holds `lock` as a build does (an flock, its pid inside) for the block;
    killed and waited for when the block ends, however it ends."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock)!r}, os.O_CREAT | os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, str(os.getpid()).encode())\n"
        "print('held', flush=True); time.sleep(60)\n")], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


# -- a small portfolio: two (or more) accounts of four notes each, 2026Q2 to 2026Q3 ---------------

ACCOUNT = """\
---
account: {name}
owner: Jo Park
stakeholders:
  - name: Dana Reyes
    role: COO
---
Where {name} is heading.
"""

NOTE = """\
---
date: {date}
with: [Dana Reyes]
context: {context}
opened_by: us
trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}
---
We discussed their {context}.
"""


def small_notes(write_notes: NotesWriter, accounts: tuple[str, ...] = ("acme", "globex")) -> Path:
    """Each account (a slug) with four notes: problem, strategy, strategy, service."""
    files: dict[str, str | bytes] = {}
    for slug in accounts:
        files[f"{slug}/account.md"] = ACCOUNT.format(name=slug.title())
        for i, (day, context) in enumerate([("2026-04-02", "problem"), ("2026-05-06", "strategy"),
                                            ("2026-06-10", "strategy"), ("2026-07-08", "service")]):
            files[f"{slug}/{day}-n{i}.md"] = NOTE.format(date=day, context=context)
    return write_notes(files)
