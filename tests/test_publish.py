"""Nothing lost: the output is replaced atomically, only on success, and never clobbers
what allyreport did not create. Builds run through the real CLI in a subprocess."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import NotesWriter, run_cli
from .support import lock_held, small_notes, tree_hash


def build(cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", *extra, cwd=cwd)


def leftovers(cwd: Path) -> list[str]:
    return sorted(p.name for p in cwd.iterdir() if p.name.startswith(".out."))


def test_build_writes_output_and_never_touches_notes(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    before = tree_hash(notes)
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "index.html").is_file()
    assert (tmp_path / "out" / "levels.json").is_file()
    assert tree_hash(notes) == before
    assert leftovers(tmp_path) == []


def test_failed_build_leaves_previous_output_intact(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    assert build(tmp_path).returncode == 0
    before = tree_hash(tmp_path / "out")
    (notes / "acme" / "2026-07-09-bad.md").write_text("---\ndate: 2026-07-09\ncontext: nonsense\n---\n")
    result = build(tmp_path)
    assert result.returncode == 1
    assert "notes/acme/2026-07-09-bad.md:3: 'context' must be one of" in result.stderr
    assert tree_hash(tmp_path / "out") == before
    assert leftovers(tmp_path) == []


def test_deleted_account_does_not_linger(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    assert build(tmp_path).returncode == 0
    assert any("globex" in name for name in tree_hash(tmp_path / "out"))
    shutil.rmtree(notes / "globex")
    assert build(tmp_path).returncode == 0
    assert not any("globex" in name for name in tree_hash(tmp_path / "out"))


@pytest.mark.parametrize("case", ["inside-notes", "contains-notes", "has-git", "foreign-folder", "home"])
def test_refuses_dangerous_output_folders(write_notes: NotesWriter, tmp_path: Path, case: str) -> None:
    small_notes(write_notes)
    out = {"inside-notes": "notes/site", "contains-notes": ".", "has-git": "repo", "foreign-folder": "mine",
           "home": str(Path.home())}[case]
    if case == "has-git":
        (tmp_path / "repo" / ".git").mkdir(parents=True)
    if case == "foreign-folder":
        (tmp_path / "mine").mkdir()
        (tmp_path / "mine" / "thesis.docx").write_text("precious")
    result = run_cli("build", "--notes", "notes", "--out", out, "--no-pdf", cwd=tmp_path)
    assert result.returncode == 1
    expected = {"inside-notes": "overlaps the notes folder", "contains-notes": "overlaps the notes folder",
                "has-git": "contains .git", "foreign-folder": "was not created by allyreport",
                "home": "root or home folder"}[case]
    assert expected in result.stderr
    if case == "foreign-folder":
        assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"


def test_second_build_fails_fast_while_first_holds_the_lock(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    with lock_held(tmp_path / ".out.lock") as holder:
        started = time.monotonic()
        result = build(tmp_path)
        assert result.returncode == 1
        assert result.stderr == (f"out/: another allyreport build (pid {holder.pid}) is writing it; "
                                 "wait for it to finish (lock: .out.lock)\n")
        assert time.monotonic() - started < 30
        assert not (tmp_path / "out").exists()
    # The holder is gone: its stale lock is taken over.
    assert build(tmp_path).returncode == 0


SLOW_BUILD = (
    # A shell that started us in the background may have set SIGINT to "ignore"; a user's terminal does not.
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "import sys, time, allyreport.build.rebuild as b\n"
    "real = b.make_portfolio\n"
    "def slow(*a, **k):\n"
    "    out = real(*a, **k); time.sleep(60); return out\n"
    "b.make_portfolio = slow\n"
    "from allyreport.cli.main import main\n"
    "sys.exit(main(['build', '--notes', 'notes', '--out', 'out', '--no-pdf']))\n"
)


def interrupt_mid_build(cwd: Path, sig: signal.Signals) -> int:
    """Start a build whose rendering stalls, wait until it is staging, then send `sig`."""
    shutil.rmtree(cwd / ".allyreport-cache", ignore_errors=True)  # nothing changed: make it render, not reuse
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BUILD], cwd=cwd)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".out.staging-") for p in cwd.iterdir()):
            assert time.monotonic() < deadline, "the build never started staging"
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(sig)
        return proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_killed_build_leaves_output_intact_and_next_build_cleans_up(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    assert build(tmp_path).returncode == 0
    before = tree_hash(tmp_path / "out")
    interrupt_mid_build(tmp_path, signal.SIGKILL)
    assert tree_hash(tmp_path / "out") == before
    assert leftovers(tmp_path)  # the killed build could not clean up after itself...
    assert build(tmp_path).returncode == 0
    assert leftovers(tmp_path) == []  # ...the next one does
    assert tree_hash(tmp_path / "out") == before


def test_ctrl_c_leaves_output_intact_and_no_temp_files(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    assert build(tmp_path).returncode == 0
    before = tree_hash(tmp_path / "out")
    assert interrupt_mid_build(tmp_path, signal.SIGINT) == 130
    assert tree_hash(tmp_path / "out") == before
    assert leftovers(tmp_path) == []


def test_two_builds_are_byte_identical_and_crlf_checkouts_match(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    assert build(tmp_path).returncode == 0
    first = tree_hash(tmp_path / "out")
    assert build(tmp_path).returncode == 0
    assert tree_hash(tmp_path / "out") == first
    crlf = tmp_path / "crlf"
    shutil.copytree(notes, crlf / "notes")
    for path in (crlf / "notes").rglob("*.md"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert build(crlf).returncode == 0
    assert tree_hash(crlf / "out") == first
