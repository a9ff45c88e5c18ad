"""Reading one note file safely: size cap, encodings, stray bytes, and the frontmatter split.

Everything here works on the raw bytes of a file the user edited by hand, possibly on
another platform, possibly mid-merge. The result is either a `SourceText` whose line
numbers match the file on disk, or diagnostics that say what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.diagnostics import Diagnostic

UTF8_BOM = b"\xef\xbb\xbf"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FENCE = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_CONFLICT = re.compile(r"^(?:<{7}|>{7})(?: |$)", re.MULTILINE)
_LFS = "version https://git-lfs.github.com/spec/"


@dataclass(frozen=True)
class SourceText:
    """A note split into frontmatter and body; lines are 1-based lines of the file on disk."""

    path: str
    frontmatter: str
    frontmatter_line: int  # file line of the frontmatter's first line (after the opening ---)
    body: str
    body_line: int


def read_source(path: str, data: bytes, max_bytes: int) -> tuple[SourceText | None, list[Diagnostic]]:
    """Decode and split one note; `path` is the display path used in messages."""
    text, problems = decode(path, data, max_bytes)
    if text is None:
        return None, problems
    return split_frontmatter(path, text)


def decode(path: str, data: bytes, max_bytes: int) -> tuple[str | None, list[Diagnostic]]:
    """Bytes to text, refusing what is not a UTF-8 note; positions are file line and column."""

    def fail(message: str, line: int = 1, column: int = 0) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(path, line, message, column=column)]

    # The caller reads at most max_bytes + 1 bytes, so the real size is unknown here.
    if len(data) > max_bytes:
        return fail(f"note is larger than the {max_bytes // 1024} KiB limit for one note; split it, "
                    "or raise max_note_kib in allyreport.toml if this is intended")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        return fail("file is UTF-16 encoded; save it as UTF-8")
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    if not data.strip():
        return fail("file is empty; a note needs frontmatter between '---' lines")
    # A stray NUL in a text note is reported where it is; many of them mean a binary file.
    nuls = data.count(b"\x00", 0, 8000)
    if nuls > 8:
        return fail("binary file named .md (it contains NUL bytes); is this really a note?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if nuls:
            return fail("binary file named .md (it contains NUL bytes); is this really a note?")
        line, column = _position(data, exc.start)
        return fail(f"not valid UTF-8 (byte 0x{data[exc.start]:02X}); save the file as UTF-8", line, column)
    # CRLF and LF checkouts of the same notes must give the same report.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(_LFS):
        return fail("this is a git-LFS pointer, not the note itself; run 'git lfs pull'")
    conflict = _CONFLICT.search(text)
    if conflict:
        line = text.count("\n", 0, conflict.start()) + 1
        return fail("git merge-conflict marker; resolve the conflict and remove the markers", line, 1)
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        column = control.start() - (text.rfind("\n", 0, control.start()) + 1) + 1
        name = "NUL byte" if control.group() == "\x00" else "control character"
        return fail(f"{name} U+{ord(control.group()):04X} in the text; remove it", line, column)
    return text, []


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as an editor counts them) of a byte offset."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, len(data[start:offset].decode("utf-8", "replace")) + 1


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: every other byte of ASCII text is NUL."""
    head = data[:200]
    if len(head) < 4:
        return False
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return (odd > len(head) // 4 and even == 0) or (even > len(head) // 4 and odd == 0)


def split_frontmatter(path: str, text: str) -> tuple[SourceText | None, list[Diagnostic]]:
    lines = text.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines) or not _FENCE.fullmatch(lines[first]):
        where = first + 1 if first < len(lines) else 1
        return None, [Diagnostic(path, where, "no frontmatter: a note must start with a '---' line, "
                                              "then YAML, then another '---' line")]
    for end in range(first + 1, len(lines)):
        if _CLOSE.fullmatch(lines[end]):
            frontmatter = "\n".join(lines[first + 1:end]) + "\n"
            body = "\n".join(lines[end + 1:])
            return SourceText(path, frontmatter, first + 2, body, end + 2), []
    return None, [Diagnostic(path, first + 1, "frontmatter is never closed: add a '---' line after the YAML")]


_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)  # an unclosed one runs to the end, as in CommonMark


def drop_comments(body: str) -> tuple[str, int]:
    """The body without its HTML comments (`<!-- do not share: ... -->`: a lead who writes one
    means it hidden), each replaced by its line breaks so that line numbers still match; and the
    body line (0-based) of the first comment, or -1 when there is none."""
    first = body.find("<!--")
    if first < 0:
        return body, -1
    return _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), body), body.count("\n", 0, first)
