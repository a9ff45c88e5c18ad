"""docs/promises.md, "Nothing lost": a build killed at any step of its publish, a full disk,
a symlinked or read-only output folder. Each test hashes the output before and after.

The kill sweep runs the real command (`allyreport.cli.main`) in a forked process that is
SIGKILLed just before its Nth filesystem change from the moment the publish starts, for
every N until the build finishes; then other commands run as a user would run them next.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import support
from .conftest import run_cli
from .support import lock_held, tree_hash

ACCOUNT = support.ACCOUNT.format(name="Acme")

NOTE = """\
---
date: {date}
with: [Dana Reyes]
context: strategy
opened_by: us
trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}
---
We discussed their {topic}.
"""

BAD_NOTE = "---\ndate: 2026-07-09\ncontext: nonsense\n---\n"


def leftovers(folder: Path) -> list[str]:
    """What a build leaves beside its output that it should not: staging, old copies, journals, locks."""
    stray = [p.name for p in folder.iterdir() if p.name.startswith(".out.")]
    cache = folder / ".allyreport-cache"
    stray += [f"cache/{p.name}" for p in cache.iterdir() if p.name.startswith("print-") or p.suffix == ".tmp"] \
        if cache.is_dir() else []
    return sorted(stray)


def project(root: Path) -> Path:
    """Two accounts, a settings file naming the output `out` (so every command knows it)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "allyreport.toml").write_text('notes = "notes"\noutput = "out"\n')
    for slug in ("acme", "globex"):
        (root / "notes" / slug).mkdir(parents=True)
        (root / "notes" / slug / "account.md").write_text(ACCOUNT)
        for day in ("2026-04-02", "2026-07-08"):
            (root / "notes" / slug / f"{day}.md").write_text(NOTE.format(date=day, topic="plans"))
    return root


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


def build(cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(cwd, "build", "--no-pdf", "--jobs", "1", *extra)


# -- the kill sweep ------------------------------------------------------------------------------

WRITES = ("rename", "replace", "unlink", "remove", "rmdir", "mkdir", "link", "symlink", "ftruncate", "write")


def forked(cwd: Path, *args: str, before: Callable[[], None] = lambda: None) -> tuple[int, str]:
    """`allyreport ARGS` in a forked copy of this process (the sweep runs hundreds of commands: no
    interpreter start for each), as a terminal runs it (SIGINT raises KeyboardInterrupt), `before`
    run in it first; its exit code (minus the signal that ended it) and what it printed on stderr."""
    import allyreport.build.account
    import allyreport.render.site
    import allyreport.rules.engine  # noqa: F401 (loaded once here, not in every forked command)
    from allyreport.cli.main import main

    err = cwd / ".stderr"
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        code = 70
        try:
            os.chdir(cwd)
            # a shell that started pytest in the background (`make test &`, a CI step) left SIGINT
            # ignored, and a fork inherits that: every Ctrl-C of the sweep would be dropped unseen
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.stderr = open(err, "w")  # noqa: SIM115 (flushed as the child leaves)
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            before()
            code = main(list(args))
        finally:
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    text = err.read_text()
    err.unlink()
    return os.waitstatus_to_exitcode(status), text


def killed_at(step: int, cwd: Path, arm: Callable[[], None]) -> bool:
    """Run `allyreport build` in a forked process, SIGKILLed before its `step`th filesystem change
    after the publish starts; True if it was killed (False: it finished before that step)."""
    def prepare() -> None:
        arm()
        _count_from_publish(step, lambda op: os.kill(os.getpid(), signal.SIGKILL))

    code, _ = forked(cwd, "build", "--no-pdf", "--jobs", "1", before=prepare)
    if code < 0:
        assert code == -signal.SIGKILL
        return True
    assert code == 0, "the build failed on its own"
    return False


def _count_from_publish(step: int, act: Callable[[str], None], persistent: bool = False) -> None:
    """From the first call of publish.publish or publish.update on, every write to the filesystem
    is counted; `act` runs just before the `step`th (it kills, raises or sends a signal), and
    before every one after it if `persistent`; it is told which call it comes before."""
    from allyreport.build import publish

    state = {"armed": False, "count": 0, "inside": 0}

    def tick(op: str) -> None:
        if state["armed"] and not state["inside"]:
            state["count"] += 1
            if state["count"] == step or (persistent and state["count"] > step):
                act(op)

    def counted(fn: Callable[..., Any], whole: bool = False) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                tick(fn.__name__)
            except OSError:
                if not kwargs.get("ignore_errors"):
                    raise
            state["inside"] += whole  # a folder removed whole is one step: what matters is before and after
            try:
                return fn(*args, **kwargs)
            finally:
                state["inside"] -= whole
        return wrapper

    def arming(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            Path(f".published-by-{fn.__name__}").touch()  # the sweep checks which way it published
            state["armed"] = True
            return fn(*args, **kwargs)
        return wrapper

    for name in WRITES:
        setattr(os, name, counted(getattr(os, name)))
    real_open = io.open

    def opening(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(c in mode for c in "wax+"):
            tick("open")
        return real_open(file, mode, *args, **kwargs)

    io.open = builtins.open = opening  # type: ignore[assignment]
    shutil.rmtree = counted(shutil.rmtree, whole=True)  # type: ignore[assignment]
    publish._exchange = counted(publish._exchange)  # type: ignore[method-assign]
    publish.publish = arming(publish.publish)  # type: ignore[method-assign]
    publish.update = arming(publish.update)  # type: ignore[method-assign]


def no_exchange() -> None:  # pragma: no cover (runs in the child)
    """A filesystem that cannot exchange two names: the swap falls back to two renames under a journal."""
    from allyreport.build import publish

    publish._exchange = lambda a, b: False  # type: ignore[method-assign]


def sweep(tmp_path: Path, base: Path, arm: Callable[[], None], full_copy: bool) -> int:
    """Kill the build at every step of its publish; after each kill, a failing check, a failing build
    and a good build each leave a complete output, the old or the new, and finally the new."""
    old = tree_hash(base / "out")
    run = copy_of(base, tmp_path, full_copy)
    assert build(run).returncode == 0
    new = tree_hash(run / "out")
    assert new != old
    step = 0
    while True:
        step += 1
        run = copy_of(base, tmp_path, full_copy)
        if not killed_at(step, run, arm):
            published_by(run, full_copy)
            break
        published_by(run, full_copy)
        bad = run / "notes" / "acme" / "2026-07-09-bad.md"
        bad.write_text(BAD_NOTE)
        code, stderr = forked(run, "check")
        assert code == 1, stderr
        assert "notes/acme/2026-07-09-bad.md:3: 'context' must be one of" in stderr
        assert tree_hash(run / "out") in (old, new), f"step {step}: after check, neither output is whole"
        code, stderr = forked(run, "build", "--no-pdf", "--jobs", "1")
        assert code == 1
        assert "2026-07-09-bad.md:3:" in stderr
        assert tree_hash(run / "out") in (old, new), f"step {step}: after a failed build, neither output is whole"
        bad.unlink()
        assert forked(run, "build", "--no-pdf", "--jobs", "1") == (0, "")
        assert tree_hash(run / "out") == new, f"step {step}"
        assert leftovers(run) == [], f"step {step}"
        shutil.rmtree(run)
    print(f"{step - 1} steps")
    return step - 1


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """A built project whose notes then changed: the next build publishes a different output. Built
    where the sweeps run it (`copy_of`): the cache is kept only for the same output path."""
    run = project(tmp_path / "run")
    assert build(run).returncode == 0
    (run / "notes" / "acme" / "2026-07-08.md").write_text(NOTE.format(date="2026-07-08", topic="pricing"))
    (run / "notes" / "acme" / "2026-07-09.md").write_text(NOTE.format(date="2026-07-09", topic="a merger"))
    return run.rename(tmp_path / "base")


def copy_of(base: Path, tmp_path: Path, full_copy: bool) -> Path:
    """A fresh copy of `base` at the path it was built at; without its cache if `full_copy` (the
    next build then swaps in a full copy, else it updates the output in place)."""
    run = tmp_path / "run"
    shutil.rmtree(run, ignore_errors=True)
    # hard links: the output's files keep the stats the cache recorded, so only the changed account
    # is redone (a build never writes into a file in place: it writes new ones and renames them)
    shutil.copytree(base, run, symlinks=True, copy_function=os.link)
    if full_copy:
        shutil.rmtree(run / ".allyreport-cache")
    return run


def published_by(run: Path, full_copy: bool) -> None:
    """The build published the way the sweep means to test (a swap, or an update in place)."""
    marks = sorted(p.name for p in run.glob(".published-by-*"))
    assert marks == [".published-by-publish" if full_copy else ".published-by-update"]
    for mark in marks:
        (run / mark).unlink()


def test_killed_at_every_step_of_the_swap(changed: Path, tmp_path: Path) -> None:
    assert sweep(tmp_path, changed, lambda: None, full_copy=True) >= 2


def test_killed_at_every_step_of_the_swap_without_exchange(changed: Path, tmp_path: Path) -> None:
    assert sweep(tmp_path, changed, no_exchange, full_copy=True) >= 4


def test_killed_at_every_step_of_the_in_place_update(changed: Path, tmp_path: Path) -> None:
    assert sweep(tmp_path, changed, lambda: None, full_copy=False) >= 4


# -- the fault sweep: a write that fails, a Ctrl-C, at every step of the publish ------------------

PATHS = {"swap": (lambda: None, True), "swap without exchange": (no_exchange, True),
         "in-place update": (lambda: None, False)}


def no_space(op: str) -> None:
    """A full disk: what needs space fails (a rename too: a folder may need one more block for a
    new name); what frees space (unlink, rmdir, rmtree) does not."""
    if op not in ("unlink", "remove", "rmdir", "ftruncate", "rmtree"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def read_only_from_now(op: str) -> None:
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def ctrl_c(op: str) -> None:
    os.kill(os.getpid(), signal.SIGINT)


# what the command says, and which output it says stands at the path
SAYS = {
    no_space: {"out/: no space left on device; the previous output is unchanged\n": "old",
               "out/: no space left on device; the new output is in place, but the build cache was not saved\n": "new"},
    ctrl_c: {"allyreport: interrupted; the previous output is unchanged\n": "old",
             "allyreport: interrupted; the new output is in place\n": "new"},
    read_only_from_now: {
        "out/: read-only file system; the previous output is unchanged\n": "old",
        "out/: read-only file system; the new output is in place, but the build cache was not saved\n": "new",
        "out/: read-only file system; the new output is not wholly in place; "
        "the next allyreport command finishes putting it there\n": "next"},
}


def faulted_at(step: int, cwd: Path, arm: Callable[[], None], act: Callable[[str], None],
               persistent: bool) -> tuple[int, str] | None:
    """`allyreport build` in a forked process, `act` run before its `step`th filesystem change after
    the publish starts (and, if `persistent`, before every one after it): its exit code and
    stderr, or None if the build finished before that step."""
    reached = cwd / ".reached"

    def once(op: str) -> None:
        reached.touch()
        act(op)

    def prepare() -> None:
        arm()
        _count_from_publish(step, once, persistent)

    code, text = forked(cwd, "build", "--no-pdf", "--jobs", "1", before=prepare)
    if not reached.exists():
        assert (code, text) == (0, ""), "the build failed on its own"
        return None
    reached.unlink()
    return code, text


def fault_sweep(tmp_path: Path, base: Path, path: str, act: Callable[[str], None],
                persistent: bool = False) -> set[str]:
    """A fault at every step of the publish: the command exits 1 (130 for Ctrl-C) with one line that
    says which output stands at the path, and that one does; nothing is left beside it (for a
    `persistent` fault: once the next build has put the new output in place). The outcomes
    seen, by what the line says."""
    arm, full_copy = PATHS[path]
    old = tree_hash(base / "out")
    run = copy_of(base, tmp_path, full_copy)
    assert build(run).returncode == 0
    hashes = {"old": old, "new": tree_hash(run / "out")}
    seen: set[str] = set()
    step = 0
    while True:
        step += 1
        run = copy_of(base, tmp_path, full_copy)
        result = faulted_at(step, run, arm, act, persistent)
        published_by(run, full_copy)
        if result is None:
            break
        code, stderr = result
        # "": a fault that was absorbed (a folder left to remove later); never a Ctrl-C, which always ends the command
        says = {**({} if act is ctrl_c else {"": "new"}), **SAYS[act]}
        assert stderr in says, f"step {step}: {stderr!r}"
        assert code == (0 if not stderr else 130 if act is ctrl_c else 1), f"step {step}"
        stands = says[stderr]
        seen.add(stands)
        if stands == "next":
            assert forked(run, "check") == (0, ""), f"step {step}"  # (its summary goes to stdout)
            stands = "new"
        else:
            assert leftovers(run) in ([], [".out.lock"]) or persistent, f"step {step}"  # a lock file is taken again
        assert tree_hash(run / "out") == hashes[stands], f"step {step}: the output is not what the message says"
        if persistent:  # else nothing is left to finish (and the kill sweep shows what the next build does)
            assert forked(run, "build", "--no-pdf", "--jobs", "1") == (0, ""), f"step {step}"
            assert tree_hash(run / "out") == hashes["new"], f"step {step}"
            assert leftovers(run) == [], f"step {step}"
        shutil.rmtree(run)
    print(f"{step - 1} steps: {sorted(seen)}")
    return seen


@pytest.mark.parametrize("path", list(PATHS))
def test_disk_full_at_every_step_of_the_publish(changed: Path, tmp_path: Path, path: str) -> None:
    assert fault_sweep(tmp_path, changed, path, no_space) == {"old", "new"}


@pytest.mark.parametrize("path", ["swap without exchange", "in-place update"])  # (an exchange is one call)
def test_ctrl_c_at_every_step_of_the_publish(changed: Path, tmp_path: Path, path: str) -> None:
    """Ctrl-C waits while the output's names change: a swap, once started, is finished; an update is
    undone before its journal is written, finished after."""
    assert fault_sweep(tmp_path, changed, path, ctrl_c) == ({"old", "new"} if path == "in-place update" else {"new"})


@pytest.mark.parametrize("path", ["swap without exchange", "in-place update"])  # the two that can be undone
def test_disk_gone_read_only_at_any_step_of_the_publish(changed: Path, tmp_path: Path, path: str) -> None:
    """Every write from that step on fails: even the undo may not complete, and the message says so."""
    assert fault_sweep(tmp_path, changed, path, read_only_from_now, persistent=True) >= {"old", "new"}


def test_an_output_moved_aside_by_a_killed_build_is_put_back_by_a_failing_build(tmp_path: Path) -> None:
    """What an older allyreport left when killed between its two renames: no output, the old one aside."""
    root = project(tmp_path / "p")
    assert build(root).returncode == 0
    before = tree_hash(root / "out")
    os.rename(root / "out", root / ".out.old-999999")
    (root / "notes" / "acme" / "2026-07-09-bad.md").write_text(BAD_NOTE)
    assert build(root).returncode == 1
    assert tree_hash(root / "out") == before
    assert leftovers(root) == []


def test_first_build_writes_and_leaves_nothing(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert (root / "out" / "index.html").is_file()
    assert leftovers(root) == []



# -- a full disk -----------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted for the test (root only: CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is simulated with a small tmpfs, which only root can mount")
    disk = tmp_path / "p" / "disk"
    disk.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True,
                             check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all the free space of `disk` but `leave` bytes."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    vfs = os.statvfs(disk)
    size = vfs.f_bavail * vfs.f_frsize - leave
    if size > 0:
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
    return filler


KEPT = "disk/out/: no space left on device; the previous output is unchanged\n"
REPLACED = "disk/out/: no space left on device; the new output is in place, but the build cache was not saved\n"
NOTHING = "disk/out/: no space left on device; nothing was written\n"


def build_with_free_space(root: Path, disk: Path, leave: int, path: str) -> str:
    """A build of changed notes with `leave` bytes free: what it said; the output as it says."""
    note = root / "notes" / "acme" / "2026-07-08.md"
    note.write_text(NOTE.format(date="2026-07-08", topic=f"pricing {leave} " * 300))
    if path != "in-place":
        shutil.rmtree(disk / ".allyreport-cache", ignore_errors=True)
    if path == "first build":
        shutil.rmtree(disk / "out", ignore_errors=True)
    old = tree_hash(disk / "out") if (disk / "out").exists() else None
    filler = fill(disk, leave)
    result = build(root)
    filler.unlink()
    assert leftovers(disk) == [], f"{leave} bytes free"
    if result.returncode == 0:
        return "built"
    assert result.returncode == 1
    assert result.stderr in (KEPT if old is not None else NOTHING, REPLACED), f"{leave} bytes free"
    if result.stderr == REPLACED:
        placed = tree_hash(disk / "out")
        assert build(root).returncode == 0  # the cache is rebuilt, from the new output, which was whole:
        assert tree_hash(disk / "out") == placed  # not a byte changes
    elif old is None:
        assert not (disk / "out").exists()
    else:
        assert tree_hash(disk / "out") == old
    return result.stderr


@pytest.mark.parametrize("path", ["swap", "in-place", "first build"])
def test_disk_full_at_any_free_space(small_disk: Path, path: str) -> None:
    """Swept over the free space: coarsely up to the first level that builds, then page by page below
    it. The new output is in place while the cache is not saved only on a first build: when an
    output is replaced, the old copy's space is free again before the cache is written (every
    step of that is swept by test_disk_full_at_every_step_of_the_publish)."""
    root = project(small_disk.parent)
    (root / "allyreport.toml").write_text('notes = "notes"\noutput = "disk/out"\n')
    assert build(root).returncode == 0
    used = sum(p.stat().st_size for p in small_disk.rglob("*") if p.is_file())
    outcomes: list[str] = []
    step = max(4096, used // 10)
    for leave in range(0, used * 3, step):
        outcomes.append(build_with_free_space(root, small_disk, leave, path))
        if outcomes[-1] == "built":
            break
    assert outcomes[-1] == "built"
    enough = leave
    for fine in range(enough - step, enough, 4096):
        outcomes.append(build_with_free_space(root, small_disk, fine, path))
    if path == "first build":
        assert {NOTHING, REPLACED} <= set(outcomes)
    else:
        assert KEPT in outcomes


# -- the output folder: a symlink, read-only, two spellings, a quarter before every note -----------


def test_output_folder_that_is_a_symlink_is_swapped_inside_its_target(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    (root / "site").mkdir()
    (root / "out").symlink_to("site/report")
    assert build(root).returncode == 0
    (root / "notes" / "acme" / "2026-07-08.md").write_text(NOTE.format(date="2026-07-08", topic="pricing"))
    shutil.rmtree(root / "site" / ".allyreport-cache")  # a full copy swapped in, not an update in place
    assert build(root).returncode == 0
    assert (root / "out").is_symlink()
    assert os.readlink(root / "out") == "site/report"
    assert "pricing" in (root / "site" / "report" / "accounts" / "acme.html").read_text()
    assert sorted(p.name for p in (root / "site").iterdir()) == [".allyreport-cache", "report"]
    assert sorted(p.name for p in root.iterdir()) == ["allyreport.toml", "notes", "out", "site"]


def test_two_spellings_of_one_output_folder_take_one_lock(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    assert build(root).returncode == 0
    before = tree_hash(root / "out")
    (root / "link").symlink_to("out")
    (root / "notes" / "acme" / "2026-07-08.md").write_text(NOTE.format(date="2026-07-08", topic="pricing"))
    with lock_held(root / ".out.lock") as holder:
        for spelling in ("./out/", "link", str(root / "out")):
            result = build(root, "--out", spelling)
            shown = "link" if spelling == "link" else "out"
            assert result.returncode == 1
            assert result.stderr == (f"{shown}/: another allyreport build (pid {holder.pid}) is writing it; "
                                     "wait for it to finish (lock: .out.lock)\n")
            assert tree_hash(root / "out") == before


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """Make a folder read-only: a read-only bind mount as root (for whom permissions do not
    apply), else chmod; returns what the refusal says about it."""
    mounted: list[Path] = []

    def make(folder: Path) -> str:
        if os.geteuid() != 0:
            folder.chmod(0o555)
            return "not writable (permission denied)"
        for command in (["mount", "--bind", str(folder), str(folder)],
                        ["mount", "-o", "remount,bind,ro", str(folder)]):
            done = subprocess.run(command, capture_output=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot bind-mount a folder read-only here: {done.stderr.decode().strip()}")
            mounted.append(folder)
        return "a read-only file system"

    yield make
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.parametrize("path", ["swap", "in-place"])
def test_read_only_subfolder_is_refused_before_anything_changes(tmp_path: Path, read_only: Callable[[Path], str],
                                                                 path: str) -> None:
    root = project(tmp_path / "p")
    assert build(root).returncode == 0
    before = tree_hash(root / "out")
    (root / "notes" / "acme" / "2026-07-08.md").write_text(NOTE.format(date="2026-07-08", topic="pricing"))
    if path == "swap":
        shutil.rmtree(root / ".allyreport-cache")
    why = read_only(root / "out" / "accounts")
    result = build(root)
    assert result.returncode == 1
    assert result.stderr == f"out/accounts/: {why}; a build must write there. Nothing was changed\n"
    assert tree_hash(root / "out") == before
    assert leftovers(root) == []


def test_quarter_before_every_note_is_an_error_and_keeps_the_output(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    assert build(root).returncode == 0
    before = tree_hash(root / "out")
    for command in (["build", "--no-pdf"], ["levels"], ["check"]):
        result = cli(root, *command, "--quarter", "1999Q1")
        assert result.returncode == 1
        assert result.stderr == "notes: no notes up to 1999Q1; the first note is dated 2026-04-02\n1 error\n"
    assert tree_hash(root / "out") == before
