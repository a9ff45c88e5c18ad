"""The scaffold's placeholders, known both to `scaffold` (which writes them into a new account
or note) and to the loader (which reports any left unchanged and keeps them out of the figures).

A placeholder left in place is not data: an owner called "Your name", a stakeholder called
"First Contact" or a trust reading of 5 for every factor would otherwise flow into the report
as if someone had written them. Text placeholders are recognised by their text; the trust block
by the scaffold's values together with the marker comment on its `trust:` line (a real reading
may well be 5 all round; one the writer has touched has lost the 5s or the comment).
"""

from __future__ import annotations

from typing import Any

from ..core.diagnostics import Diagnostic
from ..core.strict import Loc
from .data import line_for

OWNER = "Your name"
STAKEHOLDER = "First Contact"
ROLE = "Their role"
CONCERN = "What keeps them up at night"
OFFERING = "What we provide"
TRUST: dict[str, int | None] = {"reliability": 5, "credibility": 5, "intimacy": 5, "character": None,
                                "self_orientation": 5}
TRUST_MARK = "# placeholder"  # on the `trust:` line of a new note
TRUST_COMMENT = f"{TRUST_MARK}: score each factor from 1 to 10, then delete this comment"

ACCOUNT_BODY = """\
Where is this client heading? Write their strategy, their pressures and what their
leaders care about, in your own words. Keep it current: the review shows when it was
last touched.
"""

NOTE_BODY = """\
What was said, in a few sentences. Who raised what? What did they ask of us?
"""

_LEFT_OUT = "left out of the report until then"


class _Found:
    """The warnings for one file, each at the line of its key."""

    def __init__(self, path: str, lines: dict[Loc, int]) -> None:
        self.path, self.lines = path, lines
        self.items: list[Diagnostic] = []

    def add(self, loc: Loc, message: str, line: int | None = None) -> None:
        self.items.append(Diagnostic(self.path, line or line_for(self.lines, loc), message, "warning"))


def _text_line(body: str, body_line: int) -> int:
    """The file line of the body's first words (the body starts with the blank lines after `---`)."""
    return body_line + len(body) - len(body.lstrip("\n")) if body.strip() else body_line


def clean_account(path: str, meta: Any, body: str, body_line: int,
                  lines: dict[Loc, int]) -> tuple[Any, str, list[Diagnostic]]:
    """account.md without its placeholders, and a warning for each one."""
    found = _Found(path, lines)
    update: dict[str, Any] = {}
    if meta.owner == OWNER:
        found.add(("owner",), f"owner '{OWNER}' is the template's placeholder: write the account lead's name "
                              "(until then the account has no owner)")
        update["owner"] = ""
    people = []
    for i, person in enumerate(meta.stakeholders):
        if person.name == STAKEHOLDER:
            found.add(("stakeholders", i, "name"), f"stakeholder '{STAKEHOLDER}' is the template's placeholder: "
                                                   f"name a real person or remove the entry ({_LEFT_OUT})")
            continue
        people.append(_clean_person(found, i, person))
    if people != list(meta.stakeholders):
        update["stakeholders"] = tuple(people)
    if OFFERING in meta.offerings:
        i = meta.offerings.index(OFFERING)
        found.add(("offerings", i), f"offering '{OFFERING}' is the template's placeholder: "
                                    f"write what we provide ({_LEFT_OUT})")
        update["offerings"] = tuple(o for o in meta.offerings if o != OFFERING)
    if len(body) < 2 * len(ACCOUNT_BODY) and body.strip() == ACCOUNT_BODY.strip():
        found.add((), f"the profile is still the template's prompt: write where the client is heading ({_LEFT_OUT})",
                  _text_line(body, body_line))
        body = ""
    return (meta.model_copy(update=update) if update else meta), body, found.items


def _clean_person(found: _Found, i: int, person: Any) -> Any:
    update: dict[str, Any] = {}
    if person.role == ROLE:
        found.add(("stakeholders", i, "role"), f"role '{ROLE}' is the template's placeholder: "
                                               f"write their role ({_LEFT_OUT})")
        update["role"] = None
    if CONCERN in person.concerns:
        found.add(("stakeholders", i, "concerns", person.concerns.index(CONCERN)),
                  f"concern '{CONCERN}' is the template's placeholder: write what worries them ({_LEFT_OUT})")
        update["concerns"] = tuple(c for c in person.concerns if c != CONCERN)
    return person.model_copy(update=update) if update else person


def clean_note(path: str, meta: Any, body: str, body_line: int, lines: dict[Loc, int],
               text: tuple[str, int]) -> tuple[Any, str, list[Diagnostic]]:
    """A note without its placeholders, and a warning for each one. `text`: its frontmatter's text,
    and the file line of its first line (the trust marker is a comment, which only the text keeps)."""
    frontmatter, offset = text
    found = _Found(path, lines)
    update: dict[str, Any] = {}
    if STAKEHOLDER in meta.with_:
        found.add(("with", meta.with_.index(STAKEHOLDER)), f"'{STAKEHOLDER}' is the template's placeholder "
                                                           f"stakeholder: name who you met ({_LEFT_OUT})")
        update["with_"] = tuple(name for name in meta.with_ if name != STAKEHOLDER)
    if meta.trust is not None and _marked(lines, frontmatter, offset) and \
            {f: getattr(meta.trust, f) for f in TRUST} == TRUST:
        found.add(("trust",), "trust is still the template's placeholder (5 for every factor): score the meeting "
                              "or remove the block; it does not count toward the trust quotient until edited")
        update["trust"] = None
    if len(body) < 2 * len(NOTE_BODY) and body.strip() == NOTE_BODY.strip():
        found.add((), f"the note's text is still the template's prompt: write what was said ({_LEFT_OUT})",
                  _text_line(body, body_line))
        body = ""
    return (meta.model_copy(update=update) if update else meta), body, found.items


def _marked(lines: dict[Loc, int], frontmatter: str, offset: int) -> bool:
    """The `trust:` line carries the scaffold's marker comment."""
    if TRUST_MARK not in frontmatter:  # most notes: no need to find the line
        return False
    text = frontmatter.splitlines()
    index = lines.get(("trust",), 0) - offset
    return 0 <= index < len(text) and TRUST_MARK in text[index]
