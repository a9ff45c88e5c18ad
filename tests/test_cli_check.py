"""`allyreport check` as a user runs it: a real subprocess, exit codes, stderr lines and `--json`.

Exit 0 on clean notes, 1 when any note has an error (every error printed at once, never a
traceback), 2 on a usage mistake.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import EXAMPLES, run_cli
from .support import ACME_ACCOUNT, ACME_NOTE, Writer, billion_laughs

BROKEN: dict[str, str | bytes] = {
    "acme/account.md": ACME_ACCOUNT,
    "acme/2026-03-05-downtime.md": ACME_NOTE.replace("context: problem", "contxt: problem"),
    "acme/2026-03-12-pricing.md": """\
        ---
        date: 2026-03-12
        context: service
        price: off
        trust:
          reliability: 11
          credibility: 6
          intimacy: 5
          self_orientation: 4
        ---
        """,
    "acme/2026-03-19-merge.md": "---\ndate: 2026-03-19\n<<<<<<< HEAD\ncontext: problem\n=======\n"
                                "context: strategy\n>>>>>>> main\n---\n",
    "Beta/account.md": ACME_ACCOUNT,
    "gamma/2026-03-05-intro.md": b"\xff\xfe" + "---\ndate: 2026-03-05\n---\n".encode("utf-16-le"),
}

BROKEN_LINES = [
    "notes/Beta: account folder name 'Beta' is not a valid slug: use lowercase letters, digits and single hyphens",
    "notes/acme/2026-03-05-downtime.md:4: unknown key 'contxt'; did you mean 'context'?",
    "notes/acme/2026-03-12-pricing.md:4: 'price' must be true or false, got 'off' "
    "(YAML 1.1 would read this as a yes/no; allyreport does not guess: write true or false)",
    "notes/acme/2026-03-12-pricing.md:6: 'trust.reliability' must be from 1 to 10, got 11",
    "notes/acme/2026-03-19-merge.md:3:1: git merge-conflict marker; resolve the conflict and remove the markers",
    "notes/gamma/2026-03-05-intro.md:1: file is UTF-16 encoded; save it as UTF-8",
    "notes/gamma/account.md: account 'gamma' has no account.md; create it with: allyreport new gamma",
]


def test_clean_notes_exit_0(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACME_ACCOUNT, "acme/2026-03-05-downtime.md": ACME_NOTE})
    result = run_cli("check", "notes", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "notes: 1 account, 1 note, no errors\n"


def test_clean_notes_json_is_an_empty_list(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACME_ACCOUNT, "acme/2026-03-05-downtime.md": ACME_NOTE})
    result = run_cli("check", "notes", "--json", cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout), result.stderr) == (0, [], "")


def test_every_error_is_printed_together_and_exit_is_1(write_notes: Writer, tmp_path: Path) -> None:
    write_notes(BROKEN)
    result = run_cli("check", "notes", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [*BROKEN_LINES, f"{len(BROKEN_LINES)} errors"]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_errors_as_json(write_notes: Writer, tmp_path: Path) -> None:
    write_notes(BROKEN)
    result = run_cli("check", "notes", "--json", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    items = json.loads(result.stdout)
    assert [f"{i['path']}:{i['line']}" for i in items] == [
        "notes/Beta:0", "notes/acme/2026-03-05-downtime.md:4", "notes/acme/2026-03-12-pricing.md:4",
        "notes/acme/2026-03-12-pricing.md:6", "notes/acme/2026-03-19-merge.md:3", "notes/gamma/2026-03-05-intro.md:1",
        "notes/gamma/account.md:0"]
    assert items[1] == {"path": "notes/acme/2026-03-05-downtime.md", "line": 4, "column": 0, "severity": "error",
                        "message": "unknown key 'contxt'; did you mean 'context'?"}
    assert (items[4]["column"], items[4]["severity"]) == (1, "error")


def test_warnings_alone_exit_0(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACME_ACCOUNT, "acme/2026-03-05-downtime.md": ACME_NOTE.replace("[Ann Lee]", "[Anne Lee]")})
    result = run_cli("check", "notes", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ("notes/acme/2026-03-05-downtime.md:3: warning: 'Anne Lee' is not a stakeholder in "
                             "notes/acme/account.md; did you mean 'Ann Lee'?\n")


def test_size_cap_comes_from_the_settings_file(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACME_ACCOUNT, "acme/2026-03-05-downtime.md": ACME_NOTE + "x" * 2048})
    (tmp_path / "allyreport.toml").write_text("max_note_kib = 1\n")
    result = run_cli("check", "notes", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "notes/acme/2026-03-05-downtime.md:1: note is larger than the 1 KiB limit for one note; split it, "
        "or raise max_note_kib in allyreport.toml if this is intended", "1 error"]


def test_bad_size_cap_in_settings(tmp_path: Path) -> None:
    (tmp_path / "allyreport.toml").write_text('firm = "Acme"\nmax_note_kib = 0\n')
    result = run_cli("check", "notes", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["allyreport.toml:2: 'max_note_kib' must be from 1 to 65536, got 0",
                                          "1 error"]


def test_missing_notes_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", "nowhere", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, "allyreport: nowhere: no such file or folder\n")


@pytest.mark.parametrize(("args", "message"), [
    (("--quarter", "2026Q5"), "allyreport: --quarter must be a year and a quarter like 2026Q3, got 2026Q5"),
    (("--quarter", "Q3-2026"), "allyreport: --quarter must be a year and a quarter like 2026Q3, got Q3-2026"),
], ids=["quarter_5", "quarter_backwards"])
def test_bad_quarter_is_a_usage_error(write_notes: Writer, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    write_notes({"acme/account.md": ACME_ACCOUNT, "acme/2026-03-05-downtime.md": ACME_NOTE})
    result = run_cli("check", "notes", *args, cwd=tmp_path)
    assert (result.returncode, result.stderr.splitlines()) == (2, [message])


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", "--stritc", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["allyreport: unrecognized arguments: --stritc (see: allyreport --help)"]


def test_alias_bomb_through_the_cli_fails_fast(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme/account.md": ACME_ACCOUNT, "acme/2026-03-05-bomb.md": billion_laughs()})
    result = run_cli("check", "notes", cwd=tmp_path)
    assert (result.returncode, result.stderr.splitlines()) == (
        1, ["notes/acme/2026-03-05-bomb.md:4:5: YAML anchors (&name) are not allowed; write the value out", "1 error"])


@pytest.mark.skipif(len(list(EXAMPLES.glob("*/account.md"))) < 7, reason="the example notes are not all written yet")
def test_the_example_notes_are_clean() -> None:
    result = run_cli("check", "notes", cwd=EXAMPLES.parent)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("notes: 7 accounts, ")


def test_missing_pango_is_one_clear_message_not_a_traceback(tmp_path: Path) -> None:
    """Simulate a machine without Pango: WeasyPrint's import fails with OSError."""
    import subprocess
    import sys

    from .conftest import EXAMPLES, subprocess_env

    code = ("import builtins, sys\n"
            "real = builtins.__import__\n"
            "def fake(name, *a, **k):\n"
            "    if name == 'weasyprint':\n"
            "        raise OSError(\"cannot load library 'libpango-1.0-0'\")\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = fake\n"
            "from allyreport.cli.main import main\n"
            f"sys.exit(main(['build', '--notes', {str(EXAMPLES)!r}, '--out', 'out']))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env=subprocess_env(), check=False)
    assert result.returncode == 1
    assert "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
