"""One way to judge an account: `levels`, `explain` and `check` judge every account in one
process, `build` each account in a forked worker, and all of them agree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import EXAMPLES, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example notes, built (HTML only) with two workers."""
    cwd = tmp_path_factory.mktemp("examples")
    shutil.copytree(EXAMPLES, cwd / "notes")
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", "--jobs", "2", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd


def test_levels_json_is_the_builds_levels_json_byte_for_byte(built: Path) -> None:
    result = run_cli("levels", "--notes", "notes", "--json", cwd=built)
    assert result.returncode == 0, result.stderr
    assert result.stdout.encode("utf-8") == (built / "out" / "levels.json").read_bytes()
    assert len(json.loads(result.stdout)) == len([p for p in (built / "notes").iterdir() if p.is_dir()])


def test_levels_json_for_an_earlier_quarter_is_that_builds_levels_json(built: Path) -> None:
    build = run_cli("build", "--notes", "notes", "--out", "earlier", "--no-pdf", "--quarter", "2026Q1", cwd=built)
    assert build.returncode == 0, build.stderr
    result = run_cli("levels", "--notes", "notes", "--json", "--quarter", "2026Q1", cwd=built)
    assert result.returncode == 0, result.stderr
    assert result.stdout.encode("utf-8") == (built / "earlier" / "levels.json").read_bytes()
    assert {entry["quarter"] for entry in json.loads(result.stdout)} == {"2026Q1"}
