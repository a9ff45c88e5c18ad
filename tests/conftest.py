"""Shared fixtures: notes written inline in their own format, loaded as a user would load them."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import NotesWriter, write_files

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


# How every browser test starts Chromium: headless, and nothing it would fetch for itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system's Chromium for a browser test (see chromium_or_skip)."""
    return chromium_or_skip()


@pytest.fixture(scope="session")
def examples_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example notes built as a user has them (a notes folder and allyreport.toml side by
    side, HTML only), once for the session: the output folder, resolved. Read it, never write it."""
    root = tmp_path_factory.mktemp("examples-html")
    shutil.copytree(REPO / "notes", root / "notes")
    shutil.copyfile(REPO / "allyreport.toml", root / "allyreport.toml")
    result = run_cli("build", "--out", "out", "--no-pdf", cwd=root)
    assert result.returncode == 0, result.stderr
    return (root / "out").resolve()


@pytest.fixture(scope="session")
def examples_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example notes built with their PDFs, as `make reports` builds them (two jobs), once for
    the session: the output folder. Today being 2026-12-01, the quarter is 2026Q3, over: the
    same bytes as `--quarter 2026Q3`. Read it, never write it."""
    root = tmp_path_factory.mktemp("examples-pdf")
    shutil.copytree(REPO / "notes", root / "notes")
    shutil.copyfile(REPO / "allyreport.toml", root / "allyreport.toml")
    result = run_cli("build", "--out", "out", "--jobs", "2", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "out"


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

    Unix-domain sockets stay allowed (the browser test talks to Chromium over a pipe), and so does
    the loopback port of an `allyreport serve` the test itself started (`SERVED_PORTS`).
    """
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _served_here(address):
            raise RuntimeError(f"network access attempted during tests: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]


SERVED_PORTS: set[int] = set()  # loopback ports of an `allyreport serve` a test started: the one exception


def _served_here(address: object) -> bool:
    return isinstance(address, tuple) and address[0] in {"127.0.0.1", "::1"} and address[1] in SERVED_PORTS


# "Today" for the whole suite, in this process and every subprocess: the story's day, a running
# 2026Q4. A test that wants another day passes --as-of or sets SOURCE_DATE_EPOCH itself.
TODAY_EPOCH = "1796083200"  # 2026-12-01 00:00 UTC


@pytest.fixture(autouse=True, scope="session")
def _fixed_today() -> Iterator[None]:
    """Session-wide, so module fixtures that build (test_pdf's `site`) see it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
        yield


@pytest.fixture
def write_notes(tmp_path: Path) -> NotesWriter:
    """Write {relative path: text} under tmp_path/notes and return that folder.

    Text is dedented, so notes can be written inline in the test, indented like code.
    """
    return lambda files: write_files(tmp_path / "notes", files)


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


class Served:
    """A real `allyreport serve` in a subprocess, on a port the system picked, and a client for it."""

    def __init__(self, cwd: Path, *args: str, command: tuple[str, ...] = (sys.executable, "-m", "allyreport")) -> None:
        self.proc = subprocess.Popen([*command, "serve", "--port", "0", *args], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env())
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, k=lines: k.extend(iter(s.readline, "")), daemon=True).start()
        deadline = time.monotonic() + 300  # the first build, on a busy machine
        while not (found := re.search(r"on http://127\.0\.0\.1:(\d+)/", "".join(self.out))):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"serve did not start: {''.join(self.out)}{''.join(self.err)}")
            time.sleep(0.05)
        self.port = int(found.group(1))
        SERVED_PORTS.add(self.port)

    def request(self, path: str, method: str = "GET", host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host or f"127.0.0.1:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def page(self, path: str) -> str:
        status, _, body = self.request(path)
        assert status == 200, (path, status, body[:200])
        return body.decode("utf-8")

    def events(self) -> Events:
        return Events(self.port)

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=120)
        time.sleep(0.1)  # the reader threads take the last lines
        SERVED_PORTS.discard(self.port)
        return code


class Events:
    """The reload channel, read as a page's EventSource reads it: one token per completed build."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(f"GET /__allyreport/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        self.buffer = b""
        self.headers = b""  # the response's status line and headers, once read

    def next(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            if self.headers and b"\n\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                data = [line[6:] for line in block.decode().splitlines() if line.startswith("data: ")]
                if data:
                    return data[-1]
                continue
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError("the event stream closed")
            self.buffer += chunk
            if not self.headers and b"\r\n\r\n" in self.buffer:  # the response's headers: not an event
                self.headers, self.buffer = self.buffer.split(b"\r\n\r\n", 1)

    def close(self) -> None:
        self.sock.close()
