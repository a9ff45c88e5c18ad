"""More workers, the same bytes: parsing and page rendering spread over forked processes
give exactly what one process gives, and report the same first error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allyreport.bench.corpus import generate
from allyreport.build import workers
from allyreport.build.account import parse_in
from allyreport.core.diagnostics import Diagnostic
from allyreport.notes import loader

from .conftest import run_cli
from .support import tree_hash


def test_slices_are_contiguous_ordered_and_cover_everything() -> None:
    assert workers.slices(10, 3) == [range(0, 3), range(3, 6), range(6, 10)]
    assert workers.slices(2, 5) == [range(0, 1), range(1, 2)]
    assert workers.slices(0, 2) == [range(0, 0)]


def test_fork_map_returns_results_in_slice_order_from_other_processes() -> None:
    parent = os.getpid()
    results = workers.fork_map(lambda i: (i, os.getpid() == parent), 3)
    assert results == [(0, True), (1, False), (2, False)]


def test_weighted_slices_balance_the_files_not_the_accounts() -> None:
    assert workers.weighted_slices([1] * 10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    assert workers.weighted_slices([50, 1, 1, 1, 1, 1], 2) == [range(0, 1), range(1, 6)]
    assert workers.weighted_slices([], 2) == [range(0, 0)]
    assert workers.weighted_slices([3, 3], 5) == [range(0, 1), range(1, 2)]


def test_parsing_in_workers_gives_the_same_portfolio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "notes", 6, 10)
    (tmp_path / "notes" / "client-00002" / "2026-01-01-bad.md").write_text("---\ndate: 2026-01-01\n---\n", "utf-8")
    monkeypatch.setattr(workers, "MIN_FILES_PER_WORKER", 5)
    one = loader.load_notes(tmp_path / "notes", "notes")
    two = loader.load_notes(tmp_path / "notes", "notes", scope=loader.Scope(parse_in(2)))
    assert two == one
    assert one[1][0] == Diagnostic("notes/client-00002/2026-01-01-bad.md", 1, "'context' is required")


def test_a_build_with_two_jobs_is_byte_identical_to_one(tmp_path: Path) -> None:
    generate(tmp_path / "notes", 120, 7)  # 960 files, 120 accounts: enough to fork both stages
    for jobs in ("1", "2"):
        result = run_cli("build", "--notes", "notes", "--out", f"out{jobs}", "--no-pdf", "--jobs", jobs, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"built 120 accounts for 2026Q3: 242 pages, 0 PDFs in out{jobs}/ (")
    assert tree_hash(tmp_path / "out1") == tree_hash(tmp_path / "out2")
