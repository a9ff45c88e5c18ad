"""The command line follows the conventions a user of git or hledger expects: exit codes,
did-you-mean, --quiet/--verbose, NO_COLOR, a closed pipe, --json, --strict, completion.
Every case runs the real command in a subprocess."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli, subprocess_env
from .support import ACME_ACCOUNT, Writer

NOTE = "---\ndate: 2026-05-04\nwith: [Ann Lee]\ncontext: problem\nopened_by: client\n---\nThe outage.\n"
STRAY = "---\ndate: 2026-05-05\ncontext: problem\n---\n"  # a note outside any account folder: a warning


@pytest.fixture
def notes(write_notes: Writer) -> Path:
    return write_notes({"acme-foods/account.md": ACME_ACCOUNT, "acme-foods/2026-05-04-outage.md": NOTE})


# -- exit 2: usage errors, each saying what is expected ------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (("check", "--date", "2026-01-12"), "unrecognized arguments: --date (see: allyreport --help)"),
    (("note", "acme-foods", "--date", "01/12/2026"), "--date must be YYYY-MM-DD, got 01/12/2026"),
    (("note", "acme-foods", "--date", "2026-02-30"), "--date must be a real day, YYYY-MM-DD, got 2026-02-30"),
    (("levels", "--quarter", "2026-Q3"), "--quarter must be a year and a quarter like 2026Q3, got 2026-Q3"),
    (("build", "--jobs", "0"), "--jobs must be a whole number of at least 1, got 0"),
    (("build", "--jobs", "-2"), "--jobs must be a whole number of at least 1, got -2"),
    (("build", "--jobs", "many"), "--jobs must be a whole number of at least 1, got many"),
    (("levels", "--model", "allly"), "--model: unknown model 'allly'; choose one of ally, pyramid, s-curve"),
    (("check", "--notes", "nowhere"), "--notes nowhere: no such folder"),
    (("build", "--templates", "mine"), "--templates mine: no such folder"),
    (("new", "Acme", "--quarter", "2026Q3"), "unrecognized arguments: --quarter 2026Q3 (see: allyreport --help)"),
], ids=["flag_elsewhere", "date_form", "date_day", "quarter", "jobs_0", "jobs_negative", "jobs_word", "model",
        "notes_flag", "templates_flag", "new_has_no_quarter"])
def test_usage_errors_exit_2_with_what_is_expected(notes: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args, cwd=notes.parent)
    assert (result.returncode, result.stderr, result.stdout) == (2, f"allyreport: {message}\n", "")


def test_no_notes_folder_and_no_settings_is_a_usage_error_that_says_how_to_start(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, (
        "allyreport: no notes folder here: notes does not exist, and there is no allyreport.toml in this folder or "
        "above; start a notes repository with: allyreport init\n"))


def test_a_notes_folder_the_settings_name_but_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "allyreport.toml").write_text('notes = "clients"\n', "utf-8")
    result = run_cli("levels", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, (
        'allyreport: notes folder clients does not exist (notes = "clients" in allyreport.toml); '
        "create it, or correct the setting\n"))


def test_a_templates_path_in_the_settings_that_does_not_exist_is_an_error_at_its_line(notes: Path) -> None:
    (notes.parent / "allyreport.toml").write_text('firm = "Acme"\ntemplates = "brand"\n', "utf-8")
    result = run_cli("build", "--no-pdf", cwd=notes.parent)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"allyreport.toml:2: templates 'brand' does not exist ({notes.parent / 'brand'})", "1 error"]


def test_an_unknown_model_in_the_settings_is_the_settings_error(notes: Path) -> None:
    (notes.parent / "allyreport.toml").write_text('model = "allly"\n', "utf-8")
    result = run_cli("levels", cwd=notes.parent)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "allyreport.toml: unknown model 'allly'; choose one of ally, pyramid, s-curve", "1 error"]


# -- did you mean ----------------------------------------------------------------------------


def test_an_unknown_command_offers_the_closest(tmp_path: Path) -> None:
    result = run_cli("buidl", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("allyreport: unknown command 'buidl'; did you mean 'build'? (commands: check, build, serve, "
                             "levels, explain, new, note, init, templates, completion)\n")


def test_a_command_nothing_is_close_to_lists_them(tmp_path: Path) -> None:
    result = run_cli("zzz", cwd=tmp_path)
    assert result.stderr == ("allyreport: unknown command 'zzz' (commands: check, build, serve, levels, explain, new, "
                             "note, init, templates, completion)\n")


@pytest.mark.parametrize("command", ["explain", "note"])
def test_an_unknown_account_offers_the_closest_slug(notes: Path, command: str) -> None:
    result = run_cli(command, "acme-fods", cwd=notes.parent)
    assert (result.returncode, result.stderr) == (2, "allyreport: no account 'acme-fods' in notes; did you mean 'acme-foods'?\n")


def test_an_account_nothing_is_close_to_lists_the_accounts(notes: Path) -> None:
    result = run_cli("explain", "globex", cwd=notes.parent)
    assert (result.returncode, result.stderr) == (2, "allyreport: no account 'globex' in notes; accounts: acme-foods\n")


# -- exit 1 on warnings with --strict; warnings counted in the summary -----------------------


def test_warnings_are_counted_and_strict_fails_on_them(notes: Path) -> None:
    (notes / "2026-05-05-stray.md").write_text(STRAY, "utf-8")
    warning = "notes/2026-05-05-stray.md: warning: note is not inside an account folder; move it into notes/<account>/"
    lenient = run_cli("check", cwd=notes.parent)
    assert (lenient.returncode, lenient.stderr.splitlines()) == (0, [warning])
    assert lenient.stdout == "notes: 1 account, 1 note, no errors, 1 warning\n"
    strict = run_cli("check", "--strict", cwd=notes.parent)
    assert (strict.returncode, strict.stderr.splitlines(), strict.stdout) == (1, [warning, "no errors, 1 warning"], "")
    (notes.parent / "allyreport.toml").write_text("strict = true\n", "utf-8")
    configured = run_cli("check", cwd=notes.parent)
    assert (configured.returncode, configured.stderr.splitlines()) == (1, [warning, "no errors, 1 warning"])
    built = run_cli("build", "--no-pdf", cwd=notes.parent)
    assert built.returncode == 0
    assert re.fullmatch(r"built 1 account for 2026Q2: 4 pages, 0 PDFs in output/ \(\d+\.\d s\); 1 warning\n", built.stdout)


# -- --quiet, --verbose, --json ----------------------------------------------------------------


def test_quiet_prints_only_problems_and_verbose_says_what_is_used(notes: Path) -> None:
    quiet = run_cli("check", "-q", cwd=notes.parent)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert run_cli("build", "--quiet", "--no-pdf", cwd=notes.parent).stdout == ""
    verbose = run_cli("check", "--verbose", cwd=notes.parent)
    assert verbose.stderr.splitlines() == [
        f"allyreport: settings (defaults: no allyreport.toml here or above), run from {notes.parent.resolve()}",
        "allyreport: notes notes, output output"]
    both = run_cli("check", "-q", "-v", cwd=notes.parent)
    assert both.returncode == 2
    assert both.stderr == ("allyreport: argument -v/--verbose: not allowed with argument -q/--quiet "
                           "(see: allyreport check --help)\n")


def test_every_command_takes_quiet_and_verbose() -> None:
    from allyreport.cli.completion import describe
    from allyreport.cli.main import make_parser

    for command in describe(make_parser()):
        names = {n for f in command.flags for n in f.names}
        assert {"--quiet", "-q", "--verbose", "-v"} <= names, command.name


def test_build_json_is_a_summary_object(notes: Path) -> None:
    (notes / "2026-05-05-stray.md").write_text(STRAY, "utf-8")
    result = run_cli("build", "--json", "--no-pdf", cwd=notes.parent)
    assert (result.returncode, result.stderr) == (0, "")
    summary = json.loads(result.stdout)
    assert {k: v for k, v in summary.items() if k not in ("files", "diagnostics")} == {
        "ok": True, "quarter": "2026Q2", "accounts": 1, "unchanged": 0, "output": "output", "pages": 4, "pdfs": 0,
        "errors": 0, "warnings": 1}
    assert "accounts/acme-foods.html" in summary["files"]
    assert summary["diagnostics"] == [{"path": "notes/2026-05-05-stray.md", "line": 0, "column": 0, "severity": "warning",
                                       "message": "note is not inside an account folder; move it into notes/<account>/"}]
    again = json.loads(run_cli("build", "--json", "--no-pdf", cwd=notes.parent).stdout)
    assert (again["ok"], again["unchanged"], again["files"]) == (True, 1, summary["files"])


# -- a terminal, a pipe ----------------------------------------------------------------------


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """stderr of the command when it is a terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "allyreport", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


def test_colour_on_a_terminal_unless_no_color(notes: Path) -> None:
    (notes / "acme-foods/2026-05-06-bad.md").write_text("---\ndate: 2026-05-06\ncontext: problme\n---\n", "utf-8")
    env = {**subprocess_env(), "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    coloured = _on_a_terminal(["check"], notes.parent, env)
    assert "\x1b[1mnotes/acme-foods/2026-05-06-bad.md:3\x1b[0m: 'context'" in coloured
    assert "\x1b[31m1 error\x1b[0m" in coloured
    plain = _on_a_terminal(["check"], notes.parent, {**env, "NO_COLOR": "1"})
    assert "\x1b" not in plain
    assert plain.splitlines()[-1] == "1 error"


def test_a_closed_pipe_ends_silently(notes: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "allyreport", "explain", "acme-foods"], cwd=notes.parent,
                            env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader went away before a line was written (`| head -0`)
    err = proc.stderr.read()
    assert (proc.wait(timeout=120), err) == (141, b"")


# -- completion ------------------------------------------------------------------------------


def _complete(script: str, words: list[str]) -> list[str]:
    line = " ".join(words)
    program = (f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _allyreport; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    return subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True).stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_from_the_parser(tmp_path: Path) -> None:
    script = run_cli("completion", "bash", cwd=tmp_path).stdout
    assert _complete(script, ["allyreport", "bu"]) == ["build"]
    assert _complete(script, ["allyreport", "build", "--no-"]) == ["--no-pdf"]
    assert _complete(script, ["allyreport", "note", "x", "--context", "s"]) == ["service", "strategy", "social"]
    assert _complete(script, ["allyreport", "completion", ""]) == ["bash", "zsh"]
    assert "--strict" in _complete(script, ["allyreport", "check", "--"])
    assert "--quarter" not in _complete(script, ["allyreport", "new", "--"])


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_is_valid_zsh(tmp_path: Path) -> None:
    script = run_cli("completion", "zsh", cwd=tmp_path).stdout
    assert script.startswith("#compdef allyreport\n")
    (tmp_path / "_allyreport").write_text(script, "utf-8")
    subprocess.run(["zsh", "-n", str(tmp_path / "_allyreport")], check=True)
    assert "'--no-pdf[skip the PDFs]'" in script
    assert "(service problem strategy social)" in script


def test_the_documented_vs_code_problem_matcher_reads_every_message(notes: Path) -> None:
    """The regexp in docs/getting-started.md, applied to real output (JavaScript and Python agree on it)."""
    doc = (Path(__file__).resolve().parent.parent / "docs/getting-started.md").read_text("utf-8")
    block = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    pattern = block["tasks"][0]["problemMatcher"]["pattern"]
    (notes / "2026-05-05-stray.md").write_text(STRAY, "utf-8")
    (notes / "acme-foods/2026-05-06-bad.md").write_text("---\ndate: 2026-05-06\ncontext: problme\n---\n", "utf-8")
    result = run_cli("check", cwd=notes.parent)
    found = [re.match(pattern["regexp"], line) for line in result.stderr.splitlines()[:-1]]
    assert all(found), result.stderr
    read = [(m[pattern["file"]], m[pattern["line"]], m[pattern["severity"]]) for m in found if m]
    assert read == [("notes/2026-05-05-stray.md", None, "warning"), ("notes/acme-foods/2026-05-06-bad.md", "3", None)]


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_the_documented_vim_errorformat_reads_every_message(notes: Path, tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs/getting-started.md").read_text("utf-8")
    errorformat = next(line for line in doc.splitlines() if line.startswith("set errorformat="))
    (notes / "2026-05-05-stray.md").write_text(STRAY, "utf-8")
    (notes / "acme-foods/2026-05-06-bad.md").write_text("---\ndate: 2026-05-06\ncontext: problme\n---\n", "utf-8")
    (tmp_path / "errors").write_text(run_cli("check", cwd=notes.parent).stderr, "utf-8")
    (tmp_path / "read.vim").write_text(
        f"{errorformat}\ncgetfile {tmp_path / 'errors'}\nfor e in getqflist()\n"
        "  if e.valid | call append(line('$'), bufname(e.bufnr) . '|' . e.lnum . '|' . e.type) | endif\n"
        f"endfor\n1delete\nwrite! {tmp_path / 'read'}\nqa!\n", "utf-8")
    subprocess.run(["vim", "-u", "NONE", "-i", "NONE", "-es", "-N", "-S", str(tmp_path / "read.vim")],
                   stdin=subprocess.DEVNULL, check=False, timeout=60)
    assert (tmp_path / "read").read_text("utf-8").splitlines() == [
        "notes/2026-05-05-stray.md|0|w", "notes/acme-foods/2026-05-06-bad.md|3|"]
