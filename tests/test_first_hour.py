"""A new user's first hour, through the real command line: their own notes repository, from
`allyreport init` in an empty folder to a build, with every message as they read it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from allyreport.config.settings import SettingsSpec, load_settings
from allyreport.rules.plan import today as plan_today

from .conftest import run_cli


def test_init_new_note_check_from_inside_an_account_then_build(tmp_path: Path) -> None:
    repo = tmp_path / "firm-notes"
    repo.mkdir()
    init = run_cli("init", cwd=repo)
    assert (init.returncode, init.stderr) == (0, "")
    assert init.stdout == 'created allyreport.toml, .gitignore, notes/README.md; next: allyreport new "Client Name"\n'

    empty = run_cli("check", cwd=repo)
    assert (empty.returncode, empty.stderr, empty.stdout) == (0, "", "notes: no notes yet, no errors\n")

    new = run_cli("new", "Globex Corp", "--owner", "Dana Reyes", cwd=repo)
    assert (new.returncode, new.stderr) == (0, "")
    assert new.stdout == "created notes/globex-corp/account.md (slug globex-corp); add a note with: allyreport note globex-corp\n"

    typo = run_cli("note", "globex-crop", cwd=repo)
    assert (typo.returncode, typo.stderr) == (2, "allyreport: no account 'globex-crop' in notes; did you mean 'globex-corp'?\n")

    account = repo / "notes" / "globex-corp"
    note = run_cli("note", "globex-corp", cwd=account)  # from inside the account: the settings are found above
    today = plan_today().isoformat()  # the suite's fixed "today" (SOURCE_DATE_EPOCH)
    assert (note.returncode, note.stderr) == (0, "")
    assert note.stdout == f"created notes/globex-corp/{today}-meeting.md\n"
    assert sorted(p.name for p in account.iterdir()) == [f"{today}-meeting.md", "account.md"]

    # the scaffolds' placeholders are warnings until edited: counted, and named with their lines
    note_warnings = [
        f"notes/globex-corp/{today}-meeting.md:8: warning: trust is still the template's placeholder (5 for every factor): "
        "score the meeting or remove the block; it does not count toward the trust quotient until edited",
        f"notes/globex-corp/{today}-meeting.md:16: warning: the note's text is still the template's prompt: "
        "write what was said (left out of the report until then)"]
    account_warnings = [
        "notes/globex-corp/account.md:7: warning: stakeholder 'First Contact' is the template's placeholder: "
        "name a real person or remove the entry (left out of the report until then)",
        "notes/globex-corp/account.md:12: warning: offering 'What we provide' is the template's placeholder: "
        "write what we provide (left out of the report until then)",
        "notes/globex-corp/account.md:16: warning: the profile is still the template's prompt: "
        "write where the client is heading (left out of the report until then)"]
    check = run_cli("check", cwd=account)
    assert (check.returncode, check.stderr.splitlines()) == (0, note_warnings + account_warnings)
    assert check.stdout == "notes: 1 account, 1 note, no errors, 5 warnings\n"
    one = run_cli("check", f"{today}-meeting.md", cwd=account)  # a file name, as an editor passes it
    assert (one.returncode, one.stderr.splitlines()) == (0, note_warnings)
    assert one.stdout == f"notes/globex-corp/{today}-meeting.md: 1 account, 1 note, no errors, 2 warnings\n"
    gate = run_cli("check", "--strict", cwd=account)
    assert (gate.returncode, gate.stderr.splitlines()[-1], gate.stdout) == (1, "no errors, 5 warnings", "")

    build = run_cli("build", "--no-pdf", cwd=account)
    assert build.returncode == 0
    quarter = f"{plan_today().year}Q{(plan_today().month - 1) // 3 + 1}"
    assert re.fullmatch(rf"built 1 account for {quarter}: 4 pages, 0 PDFs in output/ \(\d+\.\d s\); 5 warnings\n",
                        build.stdout)
    assert (repo / "output/accounts/globex-corp.html").is_file()  # beside allyreport.toml, not inside the account
    assert not (account / "output").exists()


def test_init_writes_every_setting_with_its_default(tmp_path: Path) -> None:
    assert run_cli("init", "--pre-commit", cwd=tmp_path).returncode == 0
    text = (tmp_path / "allyreport.toml").read_text("utf-8")
    settings, problems = load_settings(None, tmp_path)
    assert problems == []
    assert settings is not None
    assert settings.spec == SettingsSpec()  # the file says what the defaults are, nothing else
    for key, field in SettingsSpec.model_fields.items():
        assert re.search(rf"^#? ?{key} = ", text, re.MULTILINE), key
        assert f"# {field.description}" in text
    written = set(tomllib.loads(text))
    assert written == {k for k, f in SettingsSpec.model_fields.items() if f.default is not None}
    hook = (tmp_path / ".pre-commit-config.yaml").read_text("utf-8")
    assert "id: allyreport-check" in hook
    assert "entry: allyreport check" in hook


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_gitignore_keeps_the_output_and_the_cache_out_of_git(tmp_path: Path) -> None:
    assert run_cli("init", cwd=tmp_path).returncode == 0
    assert run_cli("new", "Globex Corp", cwd=tmp_path).returncode == 0
    assert run_cli("note", "globex-corp", "--date", "2026-05-04", cwd=tmp_path).returncode == 0
    assert run_cli("build", "--no-pdf", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".allyreport-cache").is_dir()
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout
    assert sorted(line[3:] for line in status.splitlines()) == [
        ".gitignore", "allyreport.toml", "notes/README.md", "notes/globex-corp/2026-05-04-meeting.md",
        "notes/globex-corp/account.md"]


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("mine\n", "utf-8")
    result = run_cli("init", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2, "allyreport: .gitignore already exists; init never overwrites (nothing was written)\n")
    assert (tmp_path / ".gitignore").read_text("utf-8") == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]


def test_new_derives_the_slug_and_slug_overrides(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    made = run_cli("new", "Société Générale", cwd=tmp_path)
    assert made.stdout == ("created notes/societe-generale/account.md (slug societe-generale); "
                           "add a note with: allyreport note societe-generale\n")
    chosen = run_cli("new", "Globex Corporation", "--slug", "globex", cwd=tmp_path)
    assert chosen.stdout == "created notes/globex/account.md (slug globex); add a note with: allyreport note globex\n"
    assert "account: Globex Corporation\n" in (tmp_path / "notes/globex/account.md").read_text("utf-8")


def test_paths_in_the_settings_are_relative_to_the_settings_file(tmp_path: Path) -> None:
    (tmp_path / "allyreport.toml").write_text('notes = "clients"\noutput = "site"\n', "utf-8")
    (tmp_path / "clients").mkdir()
    (tmp_path / "elsewhere").mkdir()
    assert run_cli("new", "Acme Foods", cwd=tmp_path / "elsewhere").returncode == 0
    assert (tmp_path / "clients/acme-foods/account.md").is_file()
    assert run_cli("note", "acme-foods", "--date", "2026-05-04", cwd=tmp_path / "clients").returncode == 0
    built = run_cli("build", "--no-pdf", cwd=tmp_path / "clients/acme-foods")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("built 1 account for 2026Q2: 4 pages, 0 PDFs in site/ (")


def test_check_takes_files_and_account_folders_and_names_only_their_problems(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    for slug in ("acme", "beta"):
        (notes / slug).mkdir(parents=True)
        (notes / slug / "account.md").write_text(f"---\naccount: {slug.title()}\nowner: Dana\n---\n", "utf-8")
        (notes / slug / "2026-05-04-call.md").write_text("---\ndate: 2026-05-04\ncontext: problme\n---\n", "utf-8")
    (notes / "acme/2026-05-11-call.md").write_text("---\ndate: 2026-05-11\ncontext: problem\n---\n", "utf-8")
    good = run_cli("check", "notes/acme/2026-05-11-call.md", cwd=tmp_path)
    assert (good.returncode, good.stderr) == (0, "")
    assert good.stdout == ("notes/acme/2026-05-11-call.md: no errors; 1 problem in other files of its account "
                           "(allyreport check shows them all)\n")
    (notes / "acme/2026-05-04-call.md").write_text("---\ndate: 2026-05-04\ncontext: problem\n---\n", "utf-8")
    good = run_cli("check", "notes/acme/2026-05-11-call.md", cwd=tmp_path)
    assert good.stdout == "notes/acme/2026-05-11-call.md: 1 account, 2 notes, no errors\n"  # in its account's context
    bad = run_cli("check", "notes/beta", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [
        "notes/beta/2026-05-04-call.md:3: 'context' must be one of service, problem, strategy or social, got 'problme'"
        "; did you mean 'problem'?", "1 error"]
    (tmp_path / "stray.md").write_text("x\n", "utf-8")
    stray = run_cli("check", "stray.md", cwd=tmp_path)
    assert (stray.returncode, stray.stderr) == (
        2, "allyreport: stray.md is not in an account folder (a folder with an account.md) nor in the notes folder notes\n")


def test_advice_to_create_an_account_is_right_for_the_folder_checked(tmp_path: Path) -> None:
    (tmp_path / "elsewhere/beta").mkdir(parents=True)
    (tmp_path / "elsewhere/beta/2026-05-05-call.md").write_text("---\ndate: 2026-05-05\ncontext: problem\n---\n", "utf-8")
    result = run_cli("check", "elsewhere", cwd=tmp_path)
    assert result.stderr.splitlines()[0] == (
        "elsewhere/beta/account.md: account 'beta' has no account.md; create it with: allyreport new beta --notes elsewhere")
    advised = result.stderr.splitlines()[0].split("create it with: allyreport ")[1].split()
    assert run_cli(*advised, cwd=tmp_path).returncode == 0  # following the advice as printed works
    assert (tmp_path / "elsewhere/beta/account.md").is_file()
    assert run_cli("check", "elsewhere", cwd=tmp_path).returncode == 0
