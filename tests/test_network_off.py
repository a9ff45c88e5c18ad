"""The suite runs with the network off, in this process and in every CLI subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import subprocess_env


def test_this_process_cannot_connect() -> None:
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_cli_subprocesses_cannot_connect(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text("import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=1)\n")
    probe = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False,
                           env=subprocess_env())
    assert probe.returncode != 0
    assert "network access attempted" in probe.stderr
