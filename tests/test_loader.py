"""The loader against the mistakes people really make: one case per test, the exact `path:line` message.

Each case writes a small notes folder inline (in the notes' own format) next to what
`allyreport check` must say about it. Lines are lines of the file on disk.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from allyreport.notes.loader import load_notes

from .support import ACME_ACCOUNT as ACCOUNT
from .support import ACME_NOTE as NOTE
from .support import NOTE_PATH, SHOWN, Files, Writer, load, messages, note_messages


def test_clean_notes_load_without_diagnostics(write_notes: Writer) -> None:
    portfolio, diagnostics = load(write_notes, {NOTE_PATH: NOTE})
    assert diagnostics == []
    (account,) = portfolio.accounts
    assert (account.slug, account.name, account.path) == ("acme", "Acme Foods", "notes/acme/account.md")
    (note,) = account.notes
    assert (note.path, note.date, note.meta.context, note.meta.with_) == (
        SHOWN, dt.date(2026, 3, 5), "problem", ("Ann Lee",))
    assert note.body == "Ann walked us through the downtime at the Leeds plant.\n"
    assert note.body_line == 6
    assert (note.line_of("date"), note.line_of("with", 0), note.line_of("context")) == (2, 3, 4)


# -- one mistake in one note -> one message at the offending key's line --------------------

FOUNDATION_CASES = {
    "unknown_key_suggests_the_closest": (
        """\
        ---
        date: 2026-03-05
        with: [Ann Lee]
        contxt: problem
        ---
        """,
        [f"{SHOWN}:4: unknown key 'contxt'; did you mean 'context'?"],
    ),
    "unknown_key_far_from_any_lists_the_keys": (
        """\
        ---
        date: 2026-03-05
        context: problem
        mood: great
        ---
        """,
        [f"{SHOWN}:4: unknown key 'mood'; expected one of: date, with, context, opened_by, price, signals, "
         "offerings, trust, client_rating, actions, private"],
    ),
    "unknown_nested_key": (
        """\
        ---
        date: 2026-03-05
        context: problem
        trust:
          reliability: 7
          credibility: 6
          intimacy: 5
          self_orientaton: 4
        ---
        """,
        [f"{SHOWN}:8: unknown key 'self_orientaton'; did you mean 'self_orientation'?"],
    ),
    "missing_required_key": (
        """\
        ---
        date: 2026-03-05
        with: [Ann Lee]
        ---
        """,
        [f"{SHOWN}:1: 'context' is required"],
    ),
    "missing_nested_key_points_at_its_parent": (
        """\
        ---
        date: 2026-03-05
        context: problem
        trust:
          reliability: 7
          credibility: 6
          intimacy: 5
        ---
        """,
        [f"{SHOWN}:4: 'trust.self_orientation' is required"],
    ),
    "wrong_type_number_for_boolean": (
        """\
        ---
        date: 2026-03-05
        context: problem
        price: 3
        ---
        """,
        [f"{SHOWN}:4: 'price' must be true or false, got '3'"],
    ),
    "wrong_type_text_for_list": (
        """\
        ---
        date: 2026-03-05
        with: Ann Lee
        context: problem
        ---
        """,
        [f"{SHOWN}:3: 'with' must be a list, got 'Ann Lee'; write [Ann Lee] or one '- item' per line"],
    ),
    "wrong_type_text_for_mapping": (
        """\
        ---
        date: 2026-03-05
        context: problem
        trust: high
        ---
        """,
        [f"{SHOWN}:4: 'trust' must be a mapping of keys to values, got 'high'"],
    ),
    "wrong_type_number_for_text": (
        """\
        ---
        date: 2026-03-05
        context: problem
        signals: [coaching, 42]
        ---
        """,
        [f"{SHOWN}:4: 'signals' must be text, got the number 42"],
    ),
    "score_out_of_range": (
        """\
        ---
        date: 2026-03-05
        context: problem
        trust:
          reliability: 11
          credibility: 0
          intimacy: -2
          self_orientation: 5
        ---
        """,
        [f"{SHOWN}:5: 'trust.reliability' must be from 1 to 10, got 11",
         f"{SHOWN}:6: 'trust.credibility' must be from 1 to 10, got 0",
         f"{SHOWN}:7: 'trust.intimacy' must be from 1 to 10, got -2"],
    ),
    "score_as_text": (
        """\
        ---
        date: 2026-03-05
        context: problem
        trust:
          reliability: "7"
          credibility: high
          intimacy: 7.5
          self_orientation: 5
        ---
        """,
        [f"{SHOWN}:5: 'trust.reliability' must be a whole number from 1 to 10, got '7'",
         f"{SHOWN}:6: 'trust.credibility' must be a whole number from 1 to 10, got 'high'",
         f"{SHOWN}:7: 'trust.intimacy' must be a whole number from 1 to 10, got '7.5'"],
    ),
    "impossible_date": (
        """\
        ---
        date: 2026-02-30
        context: problem
        ---
        """,
        [f"{SHOWN}:2: 'date': 2026-02-30 is not a real date"],
    ),
    "date_written_day_first": (
        """\
        ---
        date: 05/03/2026
        context: problem
        ---
        """,
        [f"{SHOWN}:2: 'date': '05/03/2026' is not a date written YYYY-MM-DD"],
    ),
    "date_written_in_words": (
        """\
        ---
        date: March 5, 2026
        context: problem
        ---
        """,
        [f"{SHOWN}:2: 'date': 'March 5, 2026' is not a date written YYYY-MM-DD"],
    ),
    "date_without_leading_zeros": (
        """\
        ---
        date: 2026-3-5
        context: problem
        ---
        """,
        [f"{SHOWN}:2: 'date': '2026-3-5' is not a date written YYYY-MM-DD"],
    ),
    "impossible_date_in_an_action": (
        """\
        ---
        date: 2026-03-05
        context: problem
        actions:
          - do: Send the plant audit
            by: 2026-04-31
        ---
        """,
        [f"{SHOWN}:6: 'actions.by': 2026-04-31 is not a real date"],
    ),
    "context_no_is_not_false": (
        """\
        ---
        date: 2026-03-05
        context: no
        ---
        """,
        [f"{SHOWN}:3: 'context' must be one of service, problem, strategy or social, got 'no'"],
    ),
    "value_not_in_vocabulary": (
        """\
        ---
        date: 2026-03-05
        context: problem
        opened_by: them
        actions:
          - do: Send the plant audit
            kind: promise
        ---
        """,
        [f"{SHOWN}:4: 'opened_by' must be one of client or us, got 'them'",
         f"{SHOWN}:7: 'actions.kind' must be one of invest, deliver or sell, got 'promise'"],
    ),
    "unknown_signal_suggests_the_closest": (
        """\
        ---
        date: 2026-03-05
        context: problem
        signals:
          - coaching
          - early-warnings
        ---
        """,
        [f"{SHOWN}:6: unknown signal 'early-warnings'; did you mean 'early-warning'?"],
    ),
    "done_before_the_meeting": (
        """\
        ---
        date: 2026-03-05
        context: problem
        actions:
          - do: Send the plant audit
            by: 2026-03-20
            done: 2026-03-01
        ---
        """,
        [f"{SHOWN}:7: action done 2026-03-01 before the meeting it came from (2026-03-05)"],
    ),
    "empty_file": (
        "",
        [f"{SHOWN}:1: file is empty; a note needs frontmatter between '---' lines"],
    ),
    "only_blank_lines": (
        "\n\n   \n",
        [f"{SHOWN}:1: file is empty; a note needs frontmatter between '---' lines"],
    ),
    "no_frontmatter": (
        """\
        # Call with Ann

        date: 2026-03-05
        """,
        [f"{SHOWN}:1: no frontmatter: a note must start with a '---' line, then YAML, then another '---' line"],
    ),
    "no_frontmatter_after_blank_lines": (
        b"\n\nDowntime call with Ann.\n",
        [f"{SHOWN}:3: no frontmatter: a note must start with a '---' line, then YAML, then another '---' line"],
    ),
    "non_utf8_byte_gives_line_and_column": (
        "---\ndate: 2026-03-05\ncontext: problem\n---\nAnn visited the caf\xe9 in Zürich.\n".encode("latin-1"),
        [f"{SHOWN}:5:20: not valid UTF-8 (byte 0xE9); save the file as UTF-8"],
    ),
    "non_utf8_column_counts_characters_not_bytes": (
        "---\ndate: 2026-03-05\ncontext: problem\n---\nZürich – Genève\n".encode() + b"caf\xe9\n",
        [f"{SHOWN}:6:4: not valid UTF-8 (byte 0xE9); save the file as UTF-8"],
    ),
    "tab_indented_yaml": (
        "---\ndate: 2026-03-05\ncontext: problem\ntrust:\n\treliability: 7\n---\n",
        [f"{SHOWN}:5:1: YAML syntax error: a tab character; indent YAML with spaces"],
    ),
    "tab_inside_a_list": (
        "---\ndate: 2026-03-05\ncontext: problem\nsignals:\n  - coaching\n\t- early-warning\n---\n",
        [f"{SHOWN}:6:1: YAML syntax error: a tab character; indent YAML with spaces"],
    ),
}


@pytest.mark.parametrize(("text", "expected"), FOUNDATION_CASES.values(), ids=FOUNDATION_CASES.keys())
def test_one_mistake_one_message(write_notes: Writer, text: str | bytes, expected: list[str]) -> None:
    assert note_messages(write_notes, text) == expected


def test_broken_note_is_left_out_and_the_rest_still_loads(write_notes: Writer) -> None:
    portfolio, diagnostics = load(write_notes, {NOTE_PATH: NOTE, "acme/2026-03-06-bad.md": "no frontmatter\n"})
    assert [d.format() for d in diagnostics] == [
        "notes/acme/2026-03-06-bad.md:1: no frontmatter: a note must start with a '---' line, "
        "then YAML, then another '---' line"]
    assert [n.path for n in portfolio.accounts[0].notes] == [SHOWN]


# -- account.md and the folder layout ------------------------------------------------------


def test_missing_account_md(write_notes: Writer) -> None:
    assert messages(write_notes, {"beta/2026-03-05-intro.md": NOTE}) == [
        "notes/beta/account.md: account 'beta' has no account.md; create it with: allyreport new beta"]


def test_account_md_in_a_subfolder_is_not_the_account(write_notes: Writer) -> None:
    assert messages(write_notes, {"beta/2025/account.md": ACCOUNT}) == [
        "notes/beta/2025/account.md: account.md belongs directly in the account folder, not in a subfolder; move it up",
        "notes/beta/account.md: account 'beta' has no account.md; create it with: allyreport new beta",
    ]


def test_notes_in_subfolders_belong_to_the_account(write_notes: Writer) -> None:
    portfolio, diagnostics = load(write_notes, {"acme/2026/2026-03-05-downtime.md": NOTE})
    assert diagnostics == []
    assert [n.path for n in portfolio.accounts[0].notes] == ["notes/acme/2026/2026-03-05-downtime.md"]


def test_duplicate_slug_differing_only_in_case(write_notes: Writer) -> None:
    assert messages(write_notes, {"Acme/account.md": ACCOUNT, "Acme/2026-03-05-downtime.md": NOTE}) == [
        "notes/Acme: account folder differs from notes/acme only in letter case; "
        "merge the two folders (slugs are lowercase)"]


@pytest.mark.parametrize("folder", ["Beta", "beta_foods", "beta foods", "beta--foods", "-beta", "bêta"])
def test_invalid_slug_folder_name(write_notes: Writer, folder: str) -> None:
    assert messages(write_notes, {f"{folder}/account.md": ACCOUNT}) == [
        f"notes/{folder}: account folder name '{folder}' is not a valid slug: "
        "use lowercase letters, digits and single hyphens"]


def test_note_outside_an_account_folder_is_a_warning(write_notes: Writer) -> None:
    _, diagnostics = load(write_notes, {"2026-03-05-downtime.md": NOTE, "README.md": "# Our notes\n"})
    assert [d.format() for d in diagnostics] == [
        "notes/2026-03-05-downtime.md: warning: note is not inside an account folder; move it into notes/<account>/"]


def test_account_md_errors(write_notes: Writer) -> None:
    account = """\
        ---
        account:
        owner: Dana Reyes
        since: 2019-13-01
        relevance: falling
        stakeholders:
          - name: Ann Lee
          - name: Ann Lee
            role: CEO
        ---
        """
    assert messages(write_notes, {"acme/account.md": account}) == [
        "notes/acme/account.md:2: 'account' is empty; give it a value",
        "notes/acme/account.md:4: 'since': 2019-13-01 is not a real date",
        "notes/acme/account.md:5: 'relevance' must be one of rising, steady or declining, got 'falling'",
    ]


def test_stakeholder_listed_twice(write_notes: Writer) -> None:
    account = """\
        ---
        account: Acme Foods
        owner: Dana Reyes
        stakeholders:
          - name: Ann Lee
          - name: Ann Lee
            role: CEO
        ---
        """
    assert messages(write_notes, {"acme/account.md": account}) == [
        "notes/acme/account.md:6: stakeholder 'Ann Lee' is listed twice (first on line 5)"]


def test_unknown_person_is_a_warning_with_a_suggestion(write_notes: Writer) -> None:
    note = NOTE.replace("[Ann Lee]", "[Anne Lee]")
    assert note_messages(write_notes, note) == [
        f"{SHOWN}:3: warning: 'Anne Lee' is not a stakeholder in notes/acme/account.md; did you mean 'Ann Lee'?"]


# -- line numbers are lines of the file ----------------------------------------------------
# These notes are bytes: `write_notes` strips leading blank lines from text, and they matter here.


def test_lines_count_leading_blank_lines(write_notes: Writer) -> None:
    text = b"\n\n---\ndate: 2026-03-05\ncontxt: problem\n---\n"
    assert note_messages(write_notes, text) == [f"{SHOWN}:5: unknown key 'contxt'; did you mean 'context'?"]


def test_lines_count_from_the_first_line_after_a_bom(write_notes: Writer) -> None:
    text = b"\xef\xbb\xbf\n---\ndate: 2026-03-05\ncontxt: problem\n---\n"
    assert note_messages(write_notes, text) == [f"{SHOWN}:4: unknown key 'contxt'; did you mean 'context'?"]


def test_lines_are_the_same_with_crlf_line_endings(write_notes: Writer) -> None:
    text = b"---\r\ndate: 2026-03-05\r\ncontext: problem\r\nprice: maybe\r\n---\r\nBody.\r\n"
    assert note_messages(write_notes, text) == [f"{SHOWN}:4: 'price' must be true or false, got 'maybe'"]


def test_body_line_after_frontmatter(write_notes: Writer) -> None:
    portfolio, _ = load(write_notes, {NOTE_PATH: b"\n" + textwrap.dedent(NOTE).encode()})
    assert portfolio.accounts[0].notes[0].body_line == 7


# -- every problem of a run, together ------------------------------------------------------


def test_all_errors_of_a_run_are_collected_and_sorted(write_notes: Writer) -> None:
    files: Files = {
        "acme/2026-03-05-a.md": "---\ndate: 2026-03-05\ncontext: problem\nprice: off\n---\n",
        "acme/2026-03-06-b.md": "---\ndate: 2026-03-06\ncontext: problem\ncontext: service\n---\n",
        "acme/2026-03-07-c.md": "",
        "beta/2026-03-05-d.md": NOTE,
        "Zeta/account.md": ACCOUNT,
    }
    assert messages(write_notes, files) == [
        "notes/Zeta: account folder name 'Zeta' is not a valid slug: use lowercase letters, digits and single hyphens",
        "notes/acme/2026-03-05-a.md:4: 'price' must be true or false, got 'off' "
        "(YAML 1.1 would read this as a yes/no; allyreport does not guess: write true or false)",
        "notes/acme/2026-03-06-b.md:4:1: duplicate key 'context' (first on line 3)",
        "notes/acme/2026-03-07-c.md:1: file is empty; a note needs frontmatter between '---' lines",
        "notes/beta/account.md: account 'beta' has no account.md; create it with: allyreport new beta",
    ]


def test_missing_notes_folder(tmp_path: Path) -> None:
    portfolio, diagnostics = load_notes(tmp_path / "nowhere", "nowhere")
    assert portfolio.accounts == ()
    assert [d.format() for d in diagnostics] == ["nowhere: notes folder not found"]
