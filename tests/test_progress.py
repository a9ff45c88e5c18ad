"""The progress bar: drawn on a terminal, absent from pipes and logs (the real CLI)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from allyreport.bench.corpus import generate

from .conftest import run_cli, subprocess_env


def on_a_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdout and stderr, as a user at a terminal would."""
    main, side = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "allyreport", *args], cwd=cwd, stdout=side, stderr=side,
                            env=subprocess_env())
    os.close(side)
    output = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the build ended
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    return proc.wait(timeout=300), output.decode("utf-8", "replace")


def test_a_terminal_sees_a_bar_a_pipe_sees_one_line(tmp_path: Path) -> None:
    generate(tmp_path / "notes", 60, 3)
    code, shown = on_a_terminal("build", "--no-pdf", "--jobs", "2", cwd=tmp_path)
    assert code == 0, shown
    assert "Reading notes" in shown
    assert "Judging accounts" in shown
    assert "60/60" in shown  # the workers' counts add up
    assert "built 60 accounts for " in shown
    (tmp_path / "notes" / sorted(os.listdir(tmp_path / "notes"))[0] / "account.md").open("a").write("\nMore.\n")
    piped = run_cli("build", "--no-pdf", "--jobs", "2", cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    assert piped.stdout.startswith("built 60 accounts for ")
    assert piped.stdout.count("\n") == 1
    assert piped.stdout.rstrip().endswith("; 59 unchanged")
