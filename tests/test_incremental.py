"""Incremental builds: only what changed is redone, and the result is always what a build from
scratch gives (the real CLI, in a subprocess; the fresh build runs in a copy of the folder with
no cache at all)."""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from allyreport.build import publish

from .conftest import NotesWriter, run_cli
from .support import ACCOUNT, NOTE, small_notes, tree_hash


def build(cwd: Path, *extra: str) -> str:
    result = run_cli("build", "--notes", "notes", "--out", "out", *extra, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def from_scratch(cwd: Path, scratch: Path, *extra: str) -> dict[str, str]:
    """The same notes (and settings) built in another folder, with no cache."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    shutil.copytree(cwd / "notes", scratch / "notes", symlinks=True)
    if (cwd / "allyreport.toml").exists():
        shutil.copy(cwd / "allyreport.toml", scratch / "allyreport.toml")
    if (cwd / "custom").exists():
        shutil.copytree(cwd / "custom", scratch / "custom")
    build(scratch, *extra)
    return tree_hash(scratch / "out")


def settle() -> None:
    """Let the notes age past the cache's racy window (a file changed less than 2 s before a build
    is always read again, as git does), so the next build trusts their stats: the fast path."""
    time.sleep(2.1)


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """Each file's inode and mtime: a file left alone keeps both."""
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_one_edited_note_redoes_only_its_account(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes, ("acme", "globex", "initech"))
    settle()
    build(tmp_path, "--no-pdf")
    before = stats(tmp_path / "out")
    victim = notes / "acme" / "2026-07-08-n3.md"
    victim.write_text(victim.read_text("utf-8").replace("We discussed", "We argued about"), "utf-8")
    line = build(tmp_path, "--no-pdf")
    assert line.startswith("built 3 accounts for 2026Q3: 8 pages, 0 PDFs in out/ (")
    assert line.endswith("; 2 unchanged")
    after = stats(tmp_path / "out")
    for name in ("accounts/globex.html", "plans/globex.html", "accounts/initech.html", "plans/initech.html",
                 "index.html", "levels.json"):  # the portfolio shows nothing the edit changed: kept too
        assert after[name] == before[name], name  # not rewritten: the same file
    for name in ("accounts/acme.html", "plans/acme.html"):
        assert after[name] != before[name], name
    assert "We argued about" in (tmp_path / "out" / "accounts" / "acme.html").read_text("utf-8")
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf")


def test_a_note_in_a_later_quarter_moves_every_account(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    build(tmp_path, "--no-pdf")
    (notes / "globex" / "2026-10-02-n9.md").write_text(NOTE.format(date="2026-10-02", context="strategy"), "utf-8")
    line = build(tmp_path, "--no-pdf")
    assert line.startswith("built 2 accounts for 2026Q4: ")
    assert "unchanged" not in line  # every account is judged for the new quarter
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf")


def test_a_misleading_glance_at_the_dates_is_corrected(write_notes: NotesWriter, tmp_path: Path) -> None:
    """The build guesses the review quarter from a glance at each note (a line starting `date:`)
    before parsing; here the glance sees a body line of 2027 and misses the quoted key. The
    parsed dates decide, exactly as `allyreport levels` (which parses everything first) says."""
    notes = small_notes(write_notes)
    (notes / "acme" / "2026-08-01-odd.md").write_text(
        '---\n"date": 2026-08-01\nwith: [Dana Reyes]\ncontext: strategy\nopened_by: us\n---\n'
        "Their plan, as they wrote it:\ndate: 2027-02-01 (their board meeting)\n", "utf-8")
    line = build(tmp_path, "--no-pdf")
    assert line.startswith("built 2 accounts for 2026Q3: ")
    levels = run_cli("levels", "--notes", "notes", "--json", cwd=tmp_path)
    assert levels.returncode == 0, levels.stderr
    assert json.loads((tmp_path / "out" / "levels.json").read_text("utf-8")) == json.loads(levels.stdout)


def test_with_pdfs_only_the_changed_accounts_documents_are_printed(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    build(tmp_path)
    before = stats(tmp_path / "out")
    victim = notes / "globex" / "2026-07-08-n3.md"
    victim.write_text(victim.read_text("utf-8").replace("We discussed", "We argued about"), "utf-8")
    assert build(tmp_path).endswith("; 1 unchanged")
    after = stats(tmp_path / "out")
    assert before["pdf/acme-review.pdf"] == after["pdf/acme-review.pdf"]
    assert before["pdf/acme-plan.pdf"] == after["pdf/acme-plan.pdf"]
    assert before["pdf/globex-review.pdf"] != after["pdf/globex-review.pdf"]
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch")


def _edit(notes: Path, rng: random.Random) -> None:
    """A note of the review quarter: its text is on the account's review page."""
    victim = rng.choice(sorted(notes.glob("*/2026-07-*.md")))
    victim.write_text(victim.read_text("utf-8") + f"\nAnd {rng.randint(0, 999)} more.\n", "utf-8")


def _context(notes: Path, rng: random.Random) -> None:
    victim = rng.choice(sorted(notes.glob("*/2026-*.md")))
    text = victim.read_text("utf-8")
    old = next(c for c in ("problem", "strategy", "service", "social") if f"context: {c}" in text)
    new = rng.choice([c for c in ("problem", "strategy", "service") if c != old])
    victim.write_text(text.replace(f"context: {old}", f"context: {new}"), "utf-8")


def _add_note(notes: Path, rng: random.Random) -> None:
    slug = rng.choice(sorted(p.name for p in notes.iterdir()))
    day = f"2026-{rng.choice(['05', '06', '07', '08', '09'])}-{rng.randint(10, 28)}"
    (notes / slug / f"{day}-x{rng.randint(0, 9999)}.md").write_text(NOTE.format(date=day, context="strategy"), "utf-8")


def _delete_note(notes: Path, rng: random.Random) -> None:
    candidates = sorted(notes.glob("*/2026-*.md"))
    if len(candidates) > 3:
        rng.choice(candidates).unlink()


def _add_account(notes: Path, rng: random.Random) -> None:
    slug = f"new-{rng.randint(0, 9999)}"
    (notes / slug).mkdir()
    (notes / slug / "account.md").write_text(ACCOUNT.format(name=slug.title()), "utf-8")
    (notes / slug / "2026-06-01-a.md").write_text(NOTE.format(date="2026-06-01", context="problem"), "utf-8")


def _delete_account(notes: Path, rng: random.Random) -> None:
    accounts = sorted(p for p in notes.iterdir() if p.is_dir())
    if len(accounts) > 2:
        shutil.rmtree(rng.choice(accounts))


def _subfolder(notes: Path, rng: random.Random) -> None:
    slug = rng.choice(sorted(p.name for p in notes.iterdir()))
    (notes / slug / "2026").mkdir(exist_ok=True)
    (notes / slug / "2026" / f"2026-07-{rng.randint(10, 28)}-sub.md").write_text(
        NOTE.format(date="2026-07-09", context="problem"), "utf-8")


def _rename(notes: Path, rng: random.Random) -> None:
    victim = rng.choice(sorted(notes.glob("*/2026-*.md")))
    victim.rename(victim.with_name("renamed-" + victim.name))


def _touch(notes: Path, rng: random.Random) -> None:
    victim = rng.choice(sorted(notes.glob("*/*.md")))
    victim.write_bytes(victim.read_bytes())


def _later_quarter(notes: Path, rng: random.Random) -> None:
    slug = rng.choice(sorted(p.name for p in notes.iterdir()))
    (notes / slug / "2026-11-03-late.md").write_text(NOTE.format(date="2026-11-03", context="service"), "utf-8")


EDITS: list[Callable[[Path, random.Random], None]] = [
    _edit, _context, _add_note, _delete_note, _add_account, _delete_account, _subfolder, _rename, _touch,
    _later_quarter,
]


@pytest.mark.parametrize("seed", [1, 2])
def test_any_sequence_of_edits_builds_what_a_fresh_build_gives(write_notes: NotesWriter, tmp_path: Path,
                                                                seed: int) -> None:
    notes = small_notes(write_notes, ("acme", "globex", "initech", "umbrella"))
    rng = random.Random(seed)
    settle()
    build(tmp_path, "--no-pdf", "--jobs", "2")
    for step in range(6):
        edit = rng.choice(EDITS)
        settle()  # the notes not edited now are trusted by their stats
        edit(notes, rng)
        build(tmp_path, "--no-pdf", "--jobs", "2")
        assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf"), \
            f"step {step}: {edit.__name__}"


def test_an_update_killed_halfway_is_finished_by_the_next_build(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    (out / "accounts").mkdir(parents=True)
    for name in ("index.html", "accounts/a.html", "accounts/b.html", "accounts/gone.html"):
        (out / name).write_text("old", "utf-8")
    stage = tmp_path / ".out.staging-1"
    (stage / "accounts").mkdir(parents=True)
    for name in ("index.html", "accounts/a.html", "accounts/c.html"):
        (stage / name).write_text("new", "utf-8")
    real = os.replace
    moved: list[str] = []

    def dies_after_one(source: str | Path, target: str | Path) -> None:
        if str(source).startswith(str(stage)) and moved:
            raise Killed  # the build is killed between two moves
        real(source, target)
        moved.append(str(target))

    monkeypatch.setattr(os, "replace", dies_after_one)
    monkeypatch.setattr(publish, "_undo_update", lambda *_: None)  # a kill -9 runs nothing after it
    with pytest.raises(Killed):
        publish.update(stage, out, ["accounts/a.html", "accounts/c.html", "index.html"], ["accounts/gone.html"])
    monkeypatch.undo()
    assert (tmp_path / ".out.journal").exists()
    publish.recover(out)
    assert {str(p.relative_to(out)): p.read_text("utf-8") for p in sorted(out.rglob("*")) if p.is_file()} == {
        "accounts/a.html": "new", "accounts/b.html": "old", "accounts/c.html": "new", "index.html": "new"}
    assert not (tmp_path / ".out.journal").exists()
    assert not stage.exists()


class Killed(BaseException):
    """What a kill -9 would be if it could be caught: nothing after it runs."""


def test_an_update_that_fails_halfway_puts_the_previous_files_back(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    (out / "accounts").mkdir(parents=True)
    for name in ("index.html", "accounts/a.html", "accounts/gone.html"):
        (out / name).write_text("old", "utf-8")
    stage = tmp_path / ".out.staging-1"
    (stage / "accounts").mkdir(parents=True)
    for name in ("index.html", "accounts/a.html", "accounts/c.html"):
        (stage / name).write_text("new", "utf-8")
    before = tree_hash(out)
    real = os.replace
    moved: list[str] = []

    def fails_after_one(source: str | Path, target: str | Path) -> None:
        if str(source).startswith(str(stage)) and moved:
            raise KeyboardInterrupt  # Ctrl-C (or any failure) between two moves
        real(source, target)
        moved.append(str(target))

    monkeypatch.setattr(os, "replace", fails_after_one)
    with pytest.raises(KeyboardInterrupt):
        publish.update(stage, out, ["accounts/a.html", "accounts/c.html", "index.html"], ["accounts/gone.html"])
    monkeypatch.undo()
    assert tree_hash(out) == before
    assert not (tmp_path / ".out.journal").exists()


def test_a_damaged_cache_costs_time_never_correctness(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    build(tmp_path, "--no-pdf")
    victim = notes / "acme" / "2026-07-08-n3.md"
    victim.write_text(victim.read_text("utf-8").replace("We discussed", "We argued about"), "utf-8")
    build(tmp_path, "--no-pdf")  # leaves delta files beside the full records
    kept = sorted(p for p in (tmp_path / ".allyreport-cache").rglob("*") if p.is_file())
    assert {p.name for p in kept} >= {"out.build", "out.delta", "out.files", "out.files-delta"}
    for path in kept:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])  # cut short, as a full disk or a crash would
    victim.write_text(victim.read_text("utf-8").replace("We argued about", "We agreed on"), "utf-8")
    assert build(tmp_path, "--no-pdf").startswith("built 2 accounts for 2026Q3: ")
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf")


SHIPPED = Path(__file__).resolve().parents[1] / "src" / "allyreport" / "templates"


@pytest.mark.parametrize(("name", "edit", "accounts_redone"), [
    ("style.css", lambda text: text + "\nbody { color: teal; }\n", False),  # the site's stylesheet: linked, not in pages
    ("index.html", lambda text: text.replace("<h1>Portfolio", "<h1>Our portfolio"), False),
    ("_macros.html", lambda text: text.replace(">Portfolio</a>", ">All accounts</a>"), True),  # the pages import it
    ("review.html", lambda text: text + "\n", True),
])
def test_a_template_edit_redoes_what_depends_on_it(write_notes: NotesWriter, tmp_path: Path, name: str,
                                                   edit: Callable[[str], str], accounts_redone: bool) -> None:
    small_notes(write_notes)
    (tmp_path / "custom").mkdir()
    shutil.copy(SHIPPED / name, tmp_path / "custom" / name)
    build(tmp_path, "--no-pdf", "--templates", "custom")
    before = stats(tmp_path / "out")
    (tmp_path / "custom" / name).write_text(edit((SHIPPED / name).read_text("utf-8")), "utf-8")
    line = build(tmp_path, "--no-pdf", "--templates", "custom")
    after = stats(tmp_path / "out")
    if accounts_redone:
        assert "unchanged" not in line
        assert after["accounts/acme.html"] != before["accounts/acme.html"]
    else:
        assert line.endswith("; 2 unchanged")
        assert after["accounts/acme.html"] == before["accounts/acme.html"]
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf", "--templates", "custom")


def test_a_pdf_stylesheet_edit_reprints_every_pdf(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    (tmp_path / "custom").mkdir()
    shutil.copy(SHIPPED / "print.css", tmp_path / "custom" / "print.css")
    build(tmp_path, "--templates", "custom")
    before = stats(tmp_path / "out")
    with (tmp_path / "custom" / "print.css").open("a", encoding="utf-8") as css:
        css.write("\nh1 { letter-spacing: 0.02em; }\n")
    assert "unchanged" not in build(tmp_path, "--templates", "custom")
    after = stats(tmp_path / "out")
    assert all(after[name] != before[name] for name in before if name.startswith("pdf/"))
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--templates", "custom")


INTERRUPTED_UPDATE = (
    "import os, sys\n"
    "import allyreport.build.publish as p\n"
    "real_moves = p._moves\n"
    "def dying(stage, out, moves, drop):\n"  # the update is killed (-9: nothing runs after) after its first move
    "    real, moved = os.replace, []\n"
    "    def once(a, b):\n"
    "        if moved:\n"
    "            os._exit(137)\n"
    "        real(a, b)\n"
    "        moved.append(b)\n"
    "    os.replace = once\n"
    "    real_moves(stage, out, moves, drop)\n"
    "p._moves = dying\n"
    "from allyreport.cli.main import main\n"
    "sys.exit(main(['build', '--notes', 'notes', '--out', 'out', '--no-pdf']))\n"
)


def test_a_build_killed_while_updating_in_place_is_finished_by_the_next(write_notes: NotesWriter,
                                                                         tmp_path: Path) -> None:
    import subprocess
    import sys

    from .conftest import subprocess_env

    notes = small_notes(write_notes, ("acme", "globex", "initech"))
    build(tmp_path, "--no-pdf")
    victim = notes / "globex" / "2026-07-08-n3.md"  # its context changes: the level, the row, levels.json
    victim.write_text(victim.read_text("utf-8").replace("context: service", "context: strategy"), "utf-8")
    killed = subprocess.run([sys.executable, "-c", INTERRUPTED_UPDATE], cwd=tmp_path, env=subprocess_env(),
                            capture_output=True, text=True, timeout=300, check=False)
    assert killed.returncode == 137, killed.stderr
    assert (tmp_path / ".out.journal").exists()  # the update is owed, and its staged files kept
    expected = from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf")
    publish.recover(tmp_path / "out")  # what the next build does first: the output is the new one
    assert tree_hash(tmp_path / "out") == expected
    build(tmp_path, "--no-pdf")
    assert not (tmp_path / ".out.journal").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.staging-")]
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf")


def test_a_deleted_account_stays_deleted_through_later_builds(write_notes: NotesWriter, tmp_path: Path) -> None:
    """The cache's records are written as deltas on a full record: a later delta must still drop
    an account an earlier one dropped, even once the notes folder's listing is trusted again."""
    notes = small_notes(write_notes, ("acme", "globex", "initech"))
    settle()
    build(tmp_path, "--no-pdf")
    shutil.rmtree(notes / "initech")
    settle()
    build(tmp_path, "--no-pdf")
    victim = notes / "acme" / "2026-07-08-n3.md"
    victim.write_text(victim.read_text("utf-8") + "\nMore.\n", "utf-8")
    build(tmp_path, "--no-pdf")
    settle()  # the listing recorded after the deletion is now trusted: the deleted account must not come back
    victim.write_text(victim.read_text("utf-8") + "\nAnd more.\n", "utf-8")
    assert build(tmp_path, "--no-pdf").startswith("built 2 accounts for 2026Q3: ")
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--no-pdf")


# -- the as-of date: the same day gives the same bytes; a later day redoes what depends on it ------


def test_the_same_as_of_date_gives_byte_identical_output_and_a_later_one_redoes_what_depends_on_it(
        write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    (notes / "globex" / "2026-10-02-n9.md").write_text(NOTE.format(date="2026-10-02", context="strategy"), "utf-8")
    settle()
    first = build(tmp_path, "--as-of", "2026-11-15")
    assert first.startswith("built 2 accounts for 2026Q4: ")
    same = tree_hash(tmp_path / "out")
    assert same == from_scratch(tmp_path, tmp_path / "scratch", "--as-of", "2026-11-15")  # byte for byte, PDFs too
    before = stats(tmp_path / "out")
    assert build(tmp_path, "--as-of", "2026-11-15").endswith("; all 2 unchanged")
    assert stats(tmp_path / "out") == before
    line = build(tmp_path, "--as-of", "2026-11-16")  # 2026Q4 runs: every account's window ends a day later
    assert "unchanged" not in line
    after = stats(tmp_path / "out")
    assert [name for name in before if after[name] == before[name]] == [".allyreport-output"]  # all redone
    page = (tmp_path / "out" / "accounts" / "acme.html").read_text("utf-8")
    assert "2026Q4 so far: 1 October to 16 November 2026" in page
    assert tree_hash(tmp_path / "out") == from_scratch(tmp_path, tmp_path / "scratch", "--as-of", "2026-11-16")


def test_a_later_day_redoes_nothing_for_a_quarter_that_is_over(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    settle()
    build(tmp_path, "--no-pdf", "--quarter", "2026Q3", "--as-of", "2026-11-15")
    before = stats(tmp_path / "out")
    assert build(tmp_path, "--no-pdf", "--quarter", "2026Q3", "--as-of", "2026-11-16").endswith("; all 2 unchanged")
    assert stats(tmp_path / "out") == before  # reviewed as of 2026-09-30 both times
    assert build(tmp_path, "--no-pdf", "--quarter", "2026Q3").endswith("; all 2 unchanged")  # today: the same review
    assert "2026Q3: 1 July to 30 September 2026" in (tmp_path / "out" / "index.html").read_text("utf-8")
