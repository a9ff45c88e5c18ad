"""docs/promises.md, "Signals": Ctrl-C to the process group and SIGTERM end a build with one
line (exit 130 / 143), the output intact and the lock released; no worker (notes, PDF, the
resource tracker) outlives the command, whether it is stopped, terminated or killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import subprocess_env
from .support import tree_hash

ACCOUNT = "---\naccount: {name}\nowner: Jo Park\nstakeholders:\n  - name: Dana Reyes\n    role: COO\n---\nAbout {name}.\n"
NOTE = ("---\ndate: {date}\nwith: [Dana Reyes]\ncontext: strategy\nopened_by: us\n"
        "trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}\n---\nNote {n}.\n")


def project(root: Path, accounts: int, notes: int) -> Path:
    root.mkdir(parents=True)
    (root / "allyreport.toml").write_text('notes = "notes"\noutput = "out"\n')
    for a in range(accounts):
        folder = root / "notes" / f"client-{a}"
        folder.mkdir(parents=True)
        (folder / "account.md").write_text(ACCOUNT.format(name=f"Client {a}"))
        for n in range(notes):
            day = f"2026-{1 + n % 9:02d}-{1 + n % 28:02d}"
            (folder / f"{day}-n{n}.md").write_text(NOTE.format(date=day, n=n))
    return root


def group(pgid: int) -> list[int]:
    """Every live process of the process group (a zombie has finished)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def start(root: Path, *extra: str) -> subprocess.Popen[str]:
    """`allyreport build` as a terminal starts it: its own process group, SIGINT not ignored."""
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from allyreport.cli.main import run; sys.argv = ['allyreport', *sys.argv[1:]]; run()\n")
    return subprocess.Popen([sys.executable, "-c", code, "build", *extra], cwd=root, env=subprocess_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_workers(proc: subprocess.Popen[str], count: int, kind: str = "") -> None:
    """Until `count` processes besides the command run, whose command line contains `kind`."""
    deadline = time.monotonic() + 120
    while len([p for p in group(proc.pid) if p != proc.pid and kind in cmdline(p)]) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.02)


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gone(pgid: int, within: float = 3) -> bool:
    deadline = time.monotonic() + within
    while group(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def with_pdfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project(tmp_path_factory.mktemp("signals") / "p", accounts=3, notes=3)
    assert subprocess.run([sys.executable, "-m", "allyreport", "build", "--no-pdf"], cwd=root, env=subprocess_env(),
                          check=False).returncode == 0
    return root


@pytest.mark.parametrize(("sig", "code", "line"), [
    (signal.SIGINT, 130, "allyreport: interrupted; the previous output is unchanged\n"),
    (signal.SIGTERM, 143, "allyreport: terminated; the previous output is unchanged\n")])
@pytest.mark.parametrize("delay", [0.0, 0.2, 1.0])
def test_ctrl_c_and_sigterm_as_pdf_workers_start(with_pdfs: Path, sig: signal.Signals, code: int, line: str,
                                                 delay: float) -> None:
    before = tree_hash(with_pdfs / "out")
    proc = start(with_pdfs, "--jobs", "2")
    try:
        wait_for_workers(proc, 2, "spawn_main")  # the PDF workers
        time.sleep(delay)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # as a terminal does: the whole group
        else:
            proc.send_signal(sig)  # as a CI timeout does: the command alone
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode == 0:  # it had finished: then nothing is wrong either
        pytest.skip("the build finished before the signal")
    assert (proc.returncode, err) == (code, line)
    assert gone(proc.pid), f"workers outlived the command: {group(proc.pid)}"
    assert tree_hash(with_pdfs / "out") == before
    assert not (with_pdfs / ".out.lock").exists()
    assert sorted(p.name for p in with_pdfs.iterdir() if p.name.startswith(".out.")) == []


@pytest.mark.parametrize("stage", ["notes workers", "PDF workers"])
def test_no_worker_outlives_its_parent_killed(tmp_path: Path, stage: str) -> None:
    if stage == "notes workers":
        root = project(tmp_path / "p", accounts=2, notes=450)
        proc = start(root, "--jobs", "2", "--no-pdf")
    else:
        root = project(tmp_path / "p", accounts=3, notes=2)
        proc = start(root, "--jobs", "2")
    try:
        wait_for_workers(proc, 1, "" if stage == "notes workers" else "spawn_main")
        time.sleep(0.5)
        proc.kill()  # SIGKILL: the command has no say
        proc.communicate(timeout=60)
        assert gone(proc.pid), f"workers outlived the command: {group(proc.pid)}"
    finally:
        if group(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
