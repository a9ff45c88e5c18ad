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
CHROMIUM = os.environ.get("ALLYREPORT_CHROMIUM", "/usr/bin/chromium")  # Debian's; another path for another system
BROWSER_HINT = "Chromium is not installed; install it with: sudo apt-get install chromium"
_SKIPPED_BROWSER = pytest.StashKey[list[str]]()


def chromium_or_skip() -> str:
    """The system's Chromium. Without it a browser test skips locally, and fails in CI
    (ALLYREPORT_REQUIRE_BROWSER=1), where a skip would pass for a pass."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("ALLYREPORT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing but ALLYREPORT_REQUIRE_BROWSER=1 (CI must run the browser tests)")
        pytest.skip(BROWSER_HINT)
    return CHROMIUM


def screenshots_dir(tmp: Path) -> Path:
    """Where the README's screenshots go: docs/img under `make screenshots`, else a scratch
    folder, so `make test` leaves the clone as it found it."""
    if os.environ.get("ALLYREPORT_SCREENSHOTS") == "1":
        return REPO / "docs" / "img"
    return tmp


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    skipped = [r.nodeid for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords]
    config.stash[_SKIPPED_BROWSER] = skipped


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """After pytest's closing line, say once more that the browser tests did not run, so a
    skip is not mistaken for a pass."""
    skipped = config.stash.get(_SKIPPED_BROWSER, [])
    if skipped:
        files = sorted({nodeid.split("::")[0] for nodeid in skipped})
        sys.stdout.write(f"{len(skipped)} browser tests skipped ({', '.join(files)}): {BROWSER_HINT}\n")


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
