"""Property: whatever bytes a note holds, `parse_file` answers with diagnostics, fast, and never raises.

Hypothesis throws random bytes and valid notes mutated the way hands and tools break them
(lines lost or doubled, a stray `:`, tab, `&`, `*`, `!`, `{`, NUL or BOM) at the loader.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allyreport.core import yamlstrict
from allyreport.notes.loader import ParsedFile, parse_file

NOTE = """\
---
date: 2026-03-05
with: [Ann Lee, "Bob Tate"]
context: problem
opened_by: us
price: false
signals:
  - coaching
trust:
  reliability: 7
  credibility: 6
  intimacy: 5
  self_orientation: 4
actions:
  - do: 'Send the plant audit: draft'
    by: 2026-03-20
    done: 2026-03-18
    kind: invest
    tests: [own-time, learn]
---
Ann walked us through the **downtime** at the Leeds plant.
"""

ACCOUNT = """\
---
account: "Acme: Foods"
owner: Dana Reyes
industry: food manufacturing
since: 2019-04-01
relevance: steady
stakeholders:
  - name: Ann Lee
    role: CFO
    concerns: [cash, exports]
offerings: [audits]
plan:
  - do: Quarterly review
    by: 2026-06-30
---
Acme makes snacks.
"""

STRAY = [":", ": ", "\t", "&", "*", "!", "!!", "{", "}", "[", "]", "\x00", "\ufeff", "\xe9", "'", '"', "#", "|", ">",
         "-", "- ", "---", "...", "\n", "\r", "%", "@", "`", "? ", "~", "\u2028", "\x1b", "<<<<<<< "]

# No example database: the suite leaves nothing behind in the checkout.
SETTINGS = settings(max_examples=200, deadline=1000, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid note or account, then a few edits of the kinds that break notes in practice."""
    lines = draw(st.sampled_from([NOTE, ACCOUNT])).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "insert", "swap", "indent"]))
        if edit == "delete" and len(lines) > 1:
            del lines[i]
        elif edit == "duplicate":
            lines.insert(i, lines[i])
        elif edit == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif edit == "indent":
            lines[i] = draw(st.sampled_from(["  ", " ", "\t", "    "])) + lines[i]
        else:
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(STRAY)) + lines[i][at:]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    prefix = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\n\n"]))
    return prefix + data


def file_lines(data: bytes) -> int:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1


def check(parsed: ParsedFile, data: bytes) -> None:
    assert parsed.meta is not None or parsed.diagnostics
    for diagnostic in parsed.diagnostics:
        assert diagnostic.path == "notes/acme/n.md"
        assert 1 <= diagnostic.line <= file_lines(data), diagnostic
        assert 0 < len(diagnostic.message) < 300


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes_give_diagnostics_not_exceptions(data: bytes) -> None:
    check(parse_file("notes/acme/n.md", data, "note"), data)


@SETTINGS
@given(mutated(), st.sampled_from(["note", "account"]))
def test_mutated_notes_give_diagnostics_not_exceptions(data: bytes, kind: str) -> None:
    check(parse_file("notes/acme/n.md", data, kind), data)


@SETTINGS
@given(st.lists(st.sampled_from([*STRAY, "a", "b", "1", " ", "\n", "  ", "- ", "x: "]), max_size=200).map("".join))
def test_yaml_reader_never_raises(text: str) -> None:
    value, lines, problems = yamlstrict.parse(text)
    assert problems or () in lines or value is None


def test_unmutated_fixtures_are_valid() -> None:
    """The mutations start from notes that load cleanly, so every failure above is the mutation's."""
    assert parse_file("notes/acme/n.md", NOTE.encode(), "note").diagnostics == ()
    assert parse_file("notes/acme/account.md", ACCOUNT.encode(), "account").diagnostics == ()
