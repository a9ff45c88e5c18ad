"""Bytes that are not a clean UTF-8 note, files that are not notes, and input built to hurt.

Notes are edited by hand on several platforms and pass through git merges, LFS and sync
tools; each way a file can arrive broken gets one case and one exact message.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from allyreport.notes.loader import parse_file, read_capped
from allyreport.render.templating import render_markdown

from .support import ACME_ACCOUNT, NOTE_PATH, SHOWN, Writer, load, messages, note_messages

NOTE = "---\ndate: 2026-03-05\nwith: [Ann Lee]\ncontext: problem\n---\nAnn walked us through the downtime.\n"

# -- encodings -----------------------------------------------------------------------------

UTF16 = f"{SHOWN}:1: file is UTF-16 encoded; save it as UTF-8"


@pytest.mark.parametrize("data", [
    NOTE.encode("utf-16"),  # with a byte-order mark, as Windows Notepad saves "Unicode"
    b"\xfe\xff" + NOTE.encode("utf-16-be"),
    NOTE.encode("utf-16-le"),  # no byte-order mark
    NOTE.encode("utf-16-be"),
], ids=["utf16_bom", "utf16_be_bom", "utf16_le_no_bom", "utf16_be_no_bom"])
def test_utf16_is_refused_with_advice(write_notes: Writer, data: bytes) -> None:
    assert note_messages(write_notes, data) == [UTF16]


def test_utf8_bom_is_accepted_and_no_metadata_is_lost(write_notes: Writer) -> None:
    portfolio, diagnostics = load(write_notes, {NOTE_PATH: b"\xef\xbb\xbf" + NOTE.encode()})
    assert diagnostics == []
    note = portfolio.accounts[0].notes[0]
    assert (str(note.date), note.meta.context, note.line_of("date"), note.body_line) == ("2026-03-05", "problem", 2, 6)


def test_utf8_bom_with_crlf_line_endings(write_notes: Writer) -> None:
    data = b"\xef\xbb\xbf" + NOTE.replace("problem", "problme").replace("\n", "\r\n").encode()
    assert note_messages(write_notes, data) == [
        f"{SHOWN}:4: 'context' must be one of service, problem, strategy or social, got 'problme'; did you mean 'problem'?"]


def test_old_mac_line_endings(write_notes: Writer) -> None:
    data = NOTE.replace("problem", "problme").replace("\n", "\r").encode()
    assert note_messages(write_notes, data) == [
        f"{SHOWN}:4: 'context' must be one of service, problem, strategy or social, got 'problme'; did you mean 'problem'?"]


@pytest.mark.parametrize(("data", "where", "byte"), [
    (NOTE.replace("Ann Lee", "Andr\xe9 Roy").encode("latin-1"), "3:12", "E9"),
    (NOTE.replace("the downtime", "the \u201cdowntime\u201d").encode("cp1252"), "6:27", "93"),
    ("---\ndate: 2026-03-05\nwith: [Zoë Ödegaard, Jürgen]\ncontext: problem\n---\n".encode() + b"\xff\n", "6:1", "FF"),
    (NOTE.encode().replace(b"Ann walked", b"\xc3\xa9\xc3(walked"), "6:2", "C3"),
], ids=["latin1_in_frontmatter", "windows1252_quotes_in_body", "after_multibyte_lines", "truncated_sequence"])
def test_non_utf8_bytes_give_line_and_column(write_notes: Writer, data: bytes, where: str, byte: str) -> None:
    assert note_messages(write_notes, data) == [
        f"{SHOWN}:{where}: not valid UTF-8 (byte 0x{byte}); save the file as UTF-8"]


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00" + bytes(range(256)),
    bytes(range(256)) * 8,
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"\x00" * 64,  # a .docx renamed .md
], ids=["png", "random_bytes", "docx"])
def test_binary_file_named_md(write_notes: Writer, data: bytes) -> None:
    assert note_messages(write_notes, data) == [
        f"{SHOWN}:1: binary file named .md (it contains NUL bytes); is this really a note?"]


@pytest.mark.parametrize(("text", "expected"), [
    (NOTE.replace("Ann Lee", "Ann\x00 Lee"), "3:11: NUL byte U+0000 in the text; remove it"),
    (NOTE.replace("downtime", "down\x07time"), "6:31: control character U+0007 in the text; remove it"),
    (NOTE.replace("downtime", "\x1b[31mdowntime"), "6:27: control character U+001B in the text; remove it"),
    (NOTE.replace("problem", "prob\x7flem"), "4:14: control character U+007F in the text; remove it"),
    (NOTE.replace("Ann walked", "\x0cAnn walked"), "6:1: control character U+000C in the text; remove it"),
], ids=["nul", "bell", "escape", "delete", "form_feed"])
def test_control_characters(write_notes: Writer, text: str, expected: str) -> None:
    assert note_messages(write_notes, text.encode()) == [f"{SHOWN}:{expected}"]


@pytest.mark.parametrize(("char", "name"), [("\u2028", "line separator"), ("\u2029", "line separator"),
                                            ("\x85", "line separator"), ("\ufeff", "byte-order mark")],
                         ids=["u2028", "u2029", "nel", "stray_bom"])
def test_characters_yaml_would_count_as_line_breaks(write_notes: Writer, char: str, name: str) -> None:
    text = NOTE.replace("[Ann Lee]", f"[Ann{char} Lee]")
    assert note_messages(write_notes, text.encode()) == [
        f"{SHOWN}:3:11: stray {name} U+{ord(char):04X}; remove it or use a plain line break"]


def test_tab_inside_a_value_is_fine(write_notes: Writer) -> None:
    _, diagnostics = load(write_notes, {NOTE_PATH: NOTE.replace("problem", "problem\t# a tab before a comment")})
    assert diagnostics == []


# -- files that came out of git wrong ------------------------------------------------------


def test_merge_conflict_in_frontmatter(write_notes: Writer) -> None:
    text = ("---\ndate: 2026-03-05\n<<<<<<< HEAD\ncontext: problem\n=======\ncontext: strategy\n"
            ">>>>>>> feature/acme\n---\nBody.\n")
    assert note_messages(write_notes, text) == [
        f"{SHOWN}:3:1: git merge-conflict marker; resolve the conflict and remove the markers"]


def test_merge_conflict_in_body(write_notes: Writer) -> None:
    text = NOTE + "<<<<<<< HEAD\nAnn said yes.\n=======\nAnn said no.\n>>>>>>> main\n"
    assert note_messages(write_notes, text) == [
        f"{SHOWN}:7:1: git merge-conflict marker; resolve the conflict and remove the markers"]


def test_git_lfs_pointer_committed_as_a_note(write_notes: Writer) -> None:
    pointer = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
    assert note_messages(write_notes, pointer) == [
        f"{SHOWN}:1: this is a git-LFS pointer, not the note itself; run 'git lfs pull'"]


# -- files that are not notes --------------------------------------------------------------


def test_editor_and_os_files_are_ignored_not_parsed(write_notes: Writer) -> None:
    root = write_notes({
        NOTE_PATH: NOTE,
        "acme/.DS_Store": b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00",
        "acme/~$note.md": b"\x0bDana Reyes\x00\x00\x00",
        "acme/note.md~": "---\nbroken: [\n",
        "acme/.note.md.swp": b"b0VIM 9.0\x00\x00\x10\x00",
        "acme/#note.md#": "not a note",
        "acme/.hidden/2026-01-01-x.md": "not a note",
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        ".git/HEAD": "ref: refs/heads/main\n",
        "_drafts/2026-01-01-x.md": "not a note",
    })
    os.symlink("dana@laptop.12345:1700000000", root / "acme" / ".#note.md")  # an Emacs lock: a dangling symlink
    portfolio, diagnostics = load(write_notes, {})
    assert diagnostics == []
    assert [n.path for n in portfolio.accounts[0].notes] == [SHOWN]


def test_files_that_are_not_markdown_are_left_alone(write_notes: Writer) -> None:
    _, diagnostics = load(write_notes, {NOTE_PATH: NOTE, "acme/assets/chart.png": b"\x89PNG\x00\x00",
                                        "acme/minutes.txt": "not parsed", "acme/assets/old.md": "not parsed"})
    assert diagnostics == []


def test_broken_symlink_named_md_is_a_warning(write_notes: Writer) -> None:
    root = write_notes({NOTE_PATH: NOTE})
    os.symlink("gone.md", root / "acme" / "2026-03-06-moved.md")
    assert messages(write_notes, {}) == [
        "notes/acme/2026-03-06-moved.md: warning: not a regular file (a broken symlink?); skipped"]


# -- symlinks out of the notes folder ------------------------------------------------------


def test_symlinked_note_pointing_outside_is_refused(write_notes: Writer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(NOTE)
    root = write_notes({NOTE_PATH: NOTE})
    os.symlink(secret, root / "acme" / "2026-03-06-leak.md")
    portfolio, diagnostics = load(write_notes, {})
    assert [d.format() for d in diagnostics] == [
        "notes/acme/2026-03-06-leak.md: symlink points outside the notes folder; refused"]
    assert [n.path for n in portfolio.accounts[0].notes] == [SHOWN]


def test_symlinked_account_folder_pointing_outside_is_refused(write_notes: Writer, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "account.md").write_text(ACME_ACCOUNT.replace("    ", ""))
    root = write_notes({NOTE_PATH: NOTE})
    os.symlink(outside, root / "beta")
    portfolio, diagnostics = load(write_notes, {})
    assert [d.format() for d in diagnostics] == ["notes/beta: symlink points outside the notes folder; refused"]
    assert [a.slug for a in portfolio.accounts] == ["acme"]


def test_symlinked_subfolder_pointing_outside_is_refused(write_notes: Writer, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = write_notes({NOTE_PATH: NOTE})
    os.symlink(outside, root / "acme" / "2025")
    assert messages(write_notes, {}) == ["notes/acme/2025: symlink points outside the notes folder; refused"]


def test_symlink_inside_the_notes_folder_is_followed(write_notes: Writer) -> None:
    root = write_notes({NOTE_PATH: NOTE})
    os.symlink("2026-03-05-downtime.md", root / "acme" / "2026-03-05-same-call.md")
    portfolio, diagnostics = load(write_notes, {})
    assert diagnostics == []
    assert len(portfolio.accounts[0].notes) == 2


# -- size ----------------------------------------------------------------------------------

TOO_BIG = (f"{SHOWN}:1: note is larger than the 1 KiB limit for one note; split it, "
           "or raise max_note_kib in allyreport.toml if this is intended")


def test_note_over_the_size_cap_is_refused_before_parsing(write_notes: Writer) -> None:
    padded = NOTE + "x" * (1024 - len(NOTE))
    _, diagnostics = load(write_notes, {NOTE_PATH: padded}, max_bytes=1024)
    assert diagnostics == []
    assert messages(write_notes, {NOTE_PATH: padded + "x"}, max_bytes=1024) == [TOO_BIG]


def test_default_cap_is_256_kib(write_notes: Writer) -> None:
    assert note_messages(write_notes, NOTE + "x" * 256 * 1024) == [
        f"{SHOWN}:1: note is larger than the 256 KiB limit for one note; split it, "
        "or raise max_note_kib in allyreport.toml if this is intended"]


def test_read_capped_reads_at_most_one_byte_past_the_cap(tmp_path: Path) -> None:
    huge = tmp_path / "huge.md"
    with open(huge, "wb") as handle:  # 1 GiB, sparse: nothing is written to disk
        handle.truncate(1 << 30)
    started = time.perf_counter()
    data = read_capped(str(huge), 1024)
    assert len(data) == 1025
    assert time.perf_counter() - started < 0.5
    assert [d.format() for d in parse_file(SHOWN, data, "note", 1024).diagnostics] == [TOO_BIG]


def test_load_notes_refuses_a_huge_note_quickly(write_notes: Writer) -> None:
    root = write_notes({NOTE_PATH: NOTE})
    with open(root / "acme" / "2026-03-06-huge.md", "wb") as handle:
        handle.truncate(1 << 30)
    started = time.perf_counter()
    _, diagnostics = load(write_notes, {}, max_bytes=1024)
    assert time.perf_counter() - started < 1.0
    assert [d.format() for d in diagnostics] == [TOO_BIG.replace(SHOWN, "notes/acme/2026-03-06-huge.md")]


# -- pathological Markdown bodies render in bounded time -----------------------------------


@pytest.mark.parametrize("body", [
    ">" * 50_000 + " deep quote",
    "> " * 50_000 + "deep quote",
    "[" * 50_000,
    "[a](" * 12_500,
    "*_" * 25_000 + "x" + "_*" * 25_000,
    "".join(" " * i + "- item\n" for i in range(2_000)),
    "`" * 50_000,
], ids=["nested_gt", "nested_quotes", "open_brackets", "open_links", "nested_emphasis", "deep_list", "backticks"])
def test_pathological_markdown_renders_in_bounded_time(body: str) -> None:
    started = time.perf_counter()
    html = render_markdown(body)
    # A stall would be quadratic: minutes. The worst case here takes about 2 s on a slow machine.
    assert time.perf_counter() - started < 10.0
    assert "<script" not in html


def test_unreadable_note_is_a_diagnostic_not_a_crash(write_notes: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    from allyreport.notes import loader

    def refuse(path: str, max_bytes: int) -> bytes:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(loader, "read_capped", refuse)
    assert note_messages(write_notes, NOTE) == [
        "notes/acme/2026-03-05-downtime.md: cannot read the file: Permission denied",
        "notes/acme/account.md: cannot read the file: Permission denied"]
