"""One way to judge an account: `levels`, `explain` and `check` judge every account in one
process, `build` each account in a forked worker, and all of them agree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, run_cli, subprocess_env


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


def test_levels_json_is_what_json_dumps_writes(built: Path) -> None:
    """levels.json and `levels --json` are written by core.jsontext, not json.dumps: the bytes
    must still be the standard library's, so a reader's own tools give the same file."""
    written = (built / "out" / "levels.json").read_text("utf-8")
    assert written == json.dumps(json.loads(written), indent=2, ensure_ascii=False) + "\n"


def test_levels_json_for_an_earlier_quarter_is_that_builds_levels_json(built: Path) -> None:
    build = run_cli("build", "--notes", "notes", "--out", "earlier", "--no-pdf", "--quarter", "2026Q1", cwd=built)
    assert build.returncode == 0, build.stderr
    result = run_cli("levels", "--notes", "notes", "--json", "--quarter", "2026Q1", cwd=built)
    assert result.returncode == 0, result.stderr
    assert result.stdout.encode("utf-8") == (built / "earlier" / "levels.json").read_bytes()
    assert {entry["quarter"] for entry in json.loads(result.stdout)} == {"2026Q1"}


NO_OP_BUILD = """
import sys
from allyreport.cli.main import main
code = main(["build", "--notes", "notes", "--out", "out", "--no-pdf"])
heavy = ("jinja2", "markdown_it", "weasyprint", "simpleeval", "allyreport.rules.engine", "allyreport.render")
print(code, sorted(m for m in sys.modules if m.startswith(heavy)))
"""


def loaded_by_a_build(cwd: Path) -> str:
    """The exit code and the heavy modules a build in this process loaded."""
    result = subprocess.run([sys.executable, "-c", NO_OP_BUILD], cwd=cwd, capture_output=True, text=True,
                            env=subprocess_env(), timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_a_build_with_nothing_to_do_loads_no_engine_and_no_renderer(built: Path) -> None:
    again = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=built)
    assert again.returncode == 0, again.stderr
    assert again.stdout.rstrip().endswith("unchanged")
    assert loaded_by_a_build(built) == "0 []"
    # after a note changed, the engine and the renderers are needed: the boundary is crossed
    note = next((built / "notes").glob("*/20*.md"))
    note.write_text(note.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    loaded = loaded_by_a_build(built)
    assert loaded.startswith("0 [")
    assert "'allyreport.rules.engine'" in loaded
    assert "'jinja2'" in loaded
