"""The build cache never serves a stale report: every input that shapes the output invalidates it.

Each case builds, changes one input, builds again into the same output, and compares the
result with a build from scratch (a fresh output folder and no cache entry). Builds run
through the real CLI in a subprocess.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from allyreport.build import keys
from allyreport.build.keys import global_key
from allyreport.build.state import forget
from allyreport.build.stats import StatIndex
from allyreport.config.options import Options
from allyreport.config.settings import Settings, SettingsSpec

from .conftest import NotesWriter, run_cli
from .support import NOTE, small_notes, tree_hash

REUSED = "; all 2 unchanged"


def build(cwd: Path, out: str = "out", *extra: str) -> str:
    result = run_cli("build", "--notes", "notes", "--out", out, "--no-pdf", "--jobs", "1", *extra, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def fresh(cwd: Path, *extra: str) -> dict[str, str]:
    shutil.rmtree(cwd / "fresh", ignore_errors=True)
    forget(cwd / "fresh")
    build(cwd, "fresh", *extra)
    return tree_hash(cwd / "fresh")


def test_nothing_changed_reuses_the_output_byte_for_byte(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    first = build(tmp_path)
    assert not first.endswith(REUSED)
    before = tree_hash(tmp_path / "out")
    second = build(tmp_path)
    assert second.startswith("built 2 accounts for 2026Q3: 6 pages, 0 PDFs in out/ (")
    assert second.endswith(REUSED)
    assert tree_hash(tmp_path / "out") == before == fresh(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")) == []


def test_touched_but_identical_notes_still_reuse(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    build(tmp_path)
    victim = notes / "acme" / "2026-07-08-n3.md"
    victim.write_bytes(victim.read_bytes())
    assert build(tmp_path).endswith(REUSED)


def _edit(notes: Path, _: Path) -> list[str]:
    victim = notes / "acme" / "2026-07-08-n3.md"
    victim.write_text(victim.read_text("utf-8").replace("We discussed", "We argued about"), "utf-8")
    return []


def _add(notes: Path, _: Path) -> list[str]:
    (notes / "acme" / "2026-08-12-n9.md").write_text(NOTE.format(date="2026-08-12", context="strategy"), "utf-8")
    return []


def _delete(notes: Path, _: Path) -> list[str]:
    (notes / "globex" / "2026-07-08-n3.md").unlink()
    return []


def _delete_account(notes: Path, _: Path) -> list[str]:
    shutil.rmtree(notes / "globex")
    return []


def _rules(_: Path, cwd: Path) -> list[str]:
    (cwd / "allyreport.toml").write_text('rules = ["firm.yaml"]\n', "utf-8")
    (cwd / "firm.yaml").write_text("insights:\n  - key: single-threaded\n    enabled: false\n", "utf-8")
    return []


def _template(_: Path, cwd: Path) -> list[str]:
    (cwd / "custom").mkdir()
    (cwd / "custom" / "style.css").write_text("body { color: teal; }\n", "utf-8")
    return ["--templates", "custom"]


def _settings(_: Path, cwd: Path) -> list[str]:
    (cwd / "allyreport.toml").write_text('firm = "Teal & Partners"\n', "utf-8")
    return []


CHANGES: dict[str, Callable[[Path, Path], list[str]]] = {
    "note edited": _edit, "note added": _add, "note deleted": _delete, "account deleted": _delete_account,
    "settings changed": _settings, "template folder given": _template,
    "quarter changed": lambda *_: ["--quarter", "2026Q2"], "model changed": lambda *_: ["--model", "pyramid"],
}


@pytest.mark.parametrize("case", list(CHANGES))
def test_each_change_rebuilds_exactly_what_a_fresh_build_gives(write_notes: NotesWriter, tmp_path: Path,
                                                                case: str) -> None:
    notes = small_notes(write_notes)
    build(tmp_path)
    before = tree_hash(tmp_path / "out")
    extra = CHANGES[case](notes, tmp_path)
    assert not build(tmp_path, "out", *extra).endswith(REUSED)
    after = tree_hash(tmp_path / "out")
    assert after != before
    assert after == fresh(tmp_path, *extra)


def test_a_rules_file_change_invalidates(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    _rules(notes, tmp_path)
    build(tmp_path)
    assert build(tmp_path).endswith(REUSED)
    (tmp_path / "firm.yaml").write_text("insights:\n  - key: single-threaded\n    enabled: true\n", "utf-8")
    assert not build(tmp_path).endswith("unchanged")
    assert tree_hash(tmp_path / "out") == fresh(tmp_path)


def test_an_edited_template_file_invalidates(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    _template(notes, tmp_path)
    build(tmp_path, "out", "--templates", "custom")
    (tmp_path / "custom" / "style.css").write_text("body { color: navy; }\n", "utf-8")
    assert not build(tmp_path, "out", "--templates", "custom").endswith(REUSED)
    assert (tmp_path / "out" / "assets" / "style.css").read_text("utf-8") == "body { color: navy; }\n"


def test_an_output_edited_by_hand_is_rebuilt(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    build(tmp_path)
    before = tree_hash(tmp_path / "out")
    (tmp_path / "out" / "index.html").write_text("scribbled", "utf-8")
    assert build(tmp_path).endswith("; 2 unchanged")  # the accounts' pages were intact: reused
    assert tree_hash(tmp_path / "out") == before


def test_a_failed_build_then_a_revert_serves_the_intact_output(write_notes: NotesWriter, tmp_path: Path) -> None:
    notes = small_notes(write_notes)
    build(tmp_path)
    before = tree_hash(tmp_path / "out")
    bad = notes / "acme" / "2026-07-09-bad.md"
    bad.write_text("---\ndate: 2026-07-09\ncontext: nonsense\n---\n", "utf-8")
    failed = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert failed.returncode == 1
    bad.unlink()
    assert build(tmp_path).endswith(REUSED)
    assert tree_hash(tmp_path / "out") == before


def test_the_key_covers_version_and_every_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes" / "acme").mkdir(parents=True)
    (tmp_path / "notes" / "acme" / "account.md").write_text("---\naccount: Acme\n---\n", "utf-8")
    settings = Settings(SettingsSpec(), tmp_path, None)
    base = Options(notes=tmp_path / "notes", out=tmp_path / "out")
    index = StatIndex(tmp_path / "index")

    def key(options: Options = base, s: Settings = settings) -> str | None:
        return global_key(s, options, "notes", index)

    first = key()
    assert first == key()
    variants = [Options(base.notes, base.out, quarter="2026Q2"), Options(base.notes, base.out, model="pyramid"),
                Options(base.notes, base.out, pdf=False), Options(base.notes, tmp_path / "other")]
    assert len({first, *(key(o) for o in variants)}) == 5
    assert key(s=Settings(SettingsSpec(firm="Other"), tmp_path, None)) != first
    assert key(Options(base.notes, base.out, jobs=2)) == first  # the same bytes with any number of workers
    monkeypatch.setattr(keys, "__version__", "99.0")
    assert key() != first


def test_a_file_added_to_the_output_by_hand_is_dropped(write_notes: NotesWriter, tmp_path: Path) -> None:
    small_notes(write_notes)
    build(tmp_path)
    before = tree_hash(tmp_path / "out")
    (tmp_path / "out" / "stray.html").write_text("mine", "utf-8")
    assert build(tmp_path).endswith("; 2 unchanged")
    assert tree_hash(tmp_path / "out") == before
