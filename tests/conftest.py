"""Shared fixtures: notes written inline in their own format, loaded as a user would load them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "notes"


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Any attempt to open a network connection during the suite fails loudly.

    Unix-domain sockets stay allowed (the browser test talks to Chromium over a pipe).
    """
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise RuntimeError(f"network access attempted during tests: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]


NotesWriter = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def write_notes(tmp_path: Path) -> NotesWriter:
    """Write {relative path: text} under tmp_path/notes and return that folder.

    Text is dedented, so notes can be written inline in the test, indented like code.
    """

    def write(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "notes"
        root.mkdir(exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), "utf-8")
        return root

    return write


def subprocess_env() -> dict[str, str]:
    """The environment for every subprocess of the suite: tests/netguard makes network access raise there too."""
    guard = str(Path(__file__).resolve().parent / "netguard")
    path = os.pathsep.join(p for p in (guard, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONUTF8": "1", "PYTHONPATH": path}


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command line, in a subprocess, as a user runs it."""
    env = subprocess_env()
    return subprocess.run([sys.executable, "-m", "allyreport", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=600, check=False)
