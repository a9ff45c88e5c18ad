"""The live preview's edit loop, timed as a user lives it: from writing a note to the reload
event reaching a page.

The real `allyreport serve` runs in a subprocess on a free port; this process listens on
its event stream as a page's EventSource does, writes a note, and stops the clock when the
next event arrives. Each edit appends a sentence to a note of another account (the same
kind of edit as the one-note build's); `trust` edits change a trust score instead, which
moves the account's row on the portfolio page, so the page is rendered again too.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path


class Stream:
    """The reload channel: one token per completed build."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.sendall(f"GET /__allyreport/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        self.buffer = b""
        self.started = False

    def next(self) -> str:
        while True:
            if self.started and b"\n\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                data = [line[6:] for line in block.decode().splitlines() if line.startswith("data: ")]
                if data:
                    return data[-1]
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("serve closed its event stream")
            self.buffer += chunk
            if not self.started and b"\r\n\r\n" in self.buffer:
                self.buffer, self.started = self.buffer.split(b"\r\n\r\n", 1)[1], True


def start(corpus: Path) -> tuple[subprocess.Popen[str], int, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "allyreport", "serve", "--notes", "notes", "--out", "out",
                             "--port", "0", "--no-pdf"], cwd=corpus, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={k: v for k, v in os.environ.items() if k != "ALLYREPORT_ALLOW_LOOPBACK"})
    lines: list[str] = []
    assert proc.stdout is not None
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    while not (found := re.search(r"on http://127\.0\.0\.1:(\d+)/", "".join(lines))):
        if proc.poll() is not None:
            raise SystemExit(f"serve failed to start:\n{''.join(lines)}")
        time.sleep(0.05)
    return proc, int(found.group(1)), lines


def edit_to_reload(corpus: Path, edits: int, trust: bool = False) -> float:
    """The median time from writing a note to the reload event, over `edits` edits of
    different accounts' notes."""
    victims = sorted((corpus / "notes").rglob("*-n001.md"))[:edits]
    originals = {v: v.read_bytes() for v in victims}
    proc, port, lines = start(corpus)
    times = []
    try:
        stream = Stream(port)
        stream.next()
        for i, victim in enumerate((victims * (1 + edits // max(1, len(victims))))[:edits]):
            text = victim.read_bytes()
            edited = _trust_edit(text) if trust else text + f"\nEdited while serving ({i}).\n".encode()
            if edited == text:  # no trust score to change: a sentence then
                edited = text + f"\nEdited while serving ({i}).\n".encode()
            started = time.perf_counter()
            victim.write_bytes(edited)
            stream.next()
            times.append(time.perf_counter() - started)
            time.sleep(0.3)  # the server tidies up after a rebuild; the next save comes later
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=120)
        for victim, original in originals.items():
            victim.write_bytes(original)
    if code != 0:
        raise SystemExit(f"serve exited {code}:\n{''.join(lines)}")
    return statistics.median(times)


def _trust_edit(text: bytes) -> bytes:
    """The note with its reliability score moved far (1 for a high one, 9 for a low one), so the
    account's trust quotient, and its row on the portfolio page, change."""
    found = re.search(rb"reliability: (\d+)", text)
    if found is None:
        return text
    score = b"1" if int(found.group(1)) > 5 else b"9"
    return text[:found.start(1)] + score + text[found.end(1):]
