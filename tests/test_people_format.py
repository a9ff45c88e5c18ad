"""The people fields of the notes format: stakeholders' influence, cadence, joined, left and
successor in account.md, and a note's `client_rating`; each mistake with its exact `path:line`.
"""

from __future__ import annotations

import datetime as dt
import re

from allyreport.core.diagnostics import sort_key
from allyreport.notes.loader import load_notes

from .conftest import REPO
from .support import Files, Writer

ACCOUNT = """\
    ---
    account: Northwind Bank
    owner: Jo Park
    stakeholders:
      - name: Martin Hale
        role: COO
        influence: sponsor
        joined: 2019-03-01
        left: 2026-08-31
        successor: Sofia Brandt
      - name: Sofia Brandt
        influence: sponsor
        joined: 2026-09-01
        cadence: 30
      - name: Ben Adeyemi
        influence: user
    ---
    Profile.
    """


def messages(write_notes: Writer, files: Files) -> list[str]:
    root = write_notes({"nw/account.md": ACCOUNT, **files})
    _, diagnostics = load_notes(root, "notes")
    return [d.format() for d in sorted(diagnostics, key=sort_key)]


def account_messages(write_notes: Writer, text: str) -> list[str]:
    return messages(write_notes, {"nw/account.md": text})


def test_the_people_fields_load(write_notes: Writer) -> None:
    root = write_notes({"nw/account.md": ACCOUNT, "nw/2026-09-10.md": """\
        ---
        date: 2026-09-10
        with: [Sofia Brandt]
        context: strategy
        client_rating: {reliability: 8, credibility: 7, intimacy: 5, self_orientation: 4, source: survey}
        ---
        """})
    portfolio, diagnostics = load_notes(root, "notes")
    assert diagnostics == []
    (account,) = portfolio.accounts
    martin, sofia, ben = account.meta.stakeholders
    assert (martin.influence, martin.joined, martin.left, martin.successor, martin.cadence) == (
        "sponsor", dt.date(2019, 3, 1), dt.date(2026, 8, 31), "Sofia Brandt", None)
    assert (sofia.cadence, ben.influence, ben.left) == (30, "user", None)
    assert (martin.current(dt.date(2026, 8, 30)), martin.current(dt.date(2026, 8, 31))) == (True, False)
    assert (sofia.current(dt.date(2026, 8, 31)), sofia.current(dt.date(2026, 9, 1))) == (False, True)
    rating = account.notes[0].meta.client_rating
    assert rating is not None
    assert (rating.reliability, rating.self_orientation, rating.source) == (8, 4, "survey")


def test_left_before_joined_is_an_error_at_left(write_notes: Writer) -> None:
    text = ACCOUNT.replace("joined: 2019-03-01\n        left: 2026-08-31", "joined: 2026-09-01\n        left: 2026-08-31")
    assert account_messages(write_notes, text) == [
        "notes/nw/account.md:9: stakeholder 'Martin Hale' left (2026-08-31) before joining (2026-09-01)"]


def test_left_on_the_day_joined_is_fine(write_notes: Writer) -> None:
    text = ACCOUNT.replace("joined: 2019-03-01", "joined: 2026-08-31")
    assert account_messages(write_notes, text) == []


def test_an_unknown_influence_names_the_vocabulary_and_the_closest_word(write_notes: Writer) -> None:
    text = ACCOUNT.replace("influence: user", "influence: sponser")
    assert account_messages(write_notes, text) == [
        "notes/nw/account.md:16: 'stakeholders.influence' must be one of decision-maker, sponsor, champion, user "
        "or gatekeeper, got 'sponser'; did you mean 'sponsor'?"]
    far = ACCOUNT.replace("influence: user", "influence: boss")
    assert account_messages(write_notes, far) == [
        "notes/nw/account.md:16: 'stakeholders.influence' must be one of decision-maker, sponsor, champion, user "
        "or gatekeeper, got 'boss'"]


def test_a_successor_who_is_not_a_stakeholder_is_an_error_with_the_closest_name(write_notes: Writer) -> None:
    text = ACCOUNT.replace("successor: Sofia Brandt", "successor: Sofia Brand")
    assert account_messages(write_notes, text) == [
        "notes/nw/account.md:10: successor 'Sofia Brand' of 'Martin Hale' is not a stakeholder in this account.md; "
        "did you mean 'Sofia Brandt'?"]


def test_a_successor_needs_a_left_date_and_is_someone_else(write_notes: Writer) -> None:
    no_left = ACCOUNT.replace("        left: 2026-08-31\n", "")
    assert account_messages(write_notes, no_left) == [
        "notes/nw/account.md:9: 'Martin Hale' has a successor but no 'left' date"]
    oneself = ACCOUNT.replace("successor: Sofia Brandt", "successor: Martin Hale")
    assert account_messages(write_notes, oneself) == [
        "notes/nw/account.md:10: 'Martin Hale' cannot be their own successor"]


def test_cadence_is_a_whole_number_of_days(write_notes: Writer) -> None:
    assert account_messages(write_notes, ACCOUNT.replace("cadence: 30", "cadence: 0")) == [
        "notes/nw/account.md:14: 'stakeholders.cadence' must be from 1 to 3650, got 0"]
    assert account_messages(write_notes, ACCOUNT.replace("cadence: 30", "cadence: monthly")) == [
        "notes/nw/account.md:14: 'stakeholders.cadence' must be a whole number from 1 to 3650, got 'monthly'"]


def test_dates_of_joining_and_leaving_are_real_dates(write_notes: Writer) -> None:
    assert account_messages(write_notes, ACCOUNT.replace("left: 2026-08-31", "left: 31/08/2026")) == [
        "notes/nw/account.md:9: 'stakeholders.left': '31/08/2026' is not a date written YYYY-MM-DD"]


def test_a_client_rating_out_of_range_or_without_its_source(write_notes: Writer) -> None:
    note = """\
        ---
        date: 2026-09-10
        context: strategy
        client_rating:
          reliability: 11
          credibility: 7
          intimacy: 0
          self_orientation: 4
          source: lunch
        ---
        """
    assert messages(write_notes, {"nw/2026-09-10.md": note}) == [
        "notes/nw/2026-09-10.md:5: 'client_rating.reliability' must be from 1 to 10, got 11",
        "notes/nw/2026-09-10.md:7: 'client_rating.intimacy' must be from 1 to 10, got 0",
        "notes/nw/2026-09-10.md:9: 'client_rating.source' must be one of survey, review or conversation, got 'lunch'",
    ]
    missing = ("---\ndate: 2026-09-10\ncontext: strategy\n"
               "client_rating: {reliability: 8, credibility: 7, intimacy: 5, self_orientation: 4}\n---\n")
    assert messages(write_notes, {"nw/2026-09-10.md": missing}) == [
        "notes/nw/2026-09-10.md:4: 'client_rating.source' is required"]


def test_a_note_naming_someone_after_they_left_is_a_warning(write_notes: Writer) -> None:
    files: Files = {
        "nw/2026-08-31.md": "---\ndate: 2026-08-31\nwith: [Martin Hale]\ncontext: strategy\n---\n",  # their last day
        "nw/2026-09-02.md": "---\ndate: 2026-09-02\nwith: [Sofia Brandt, Martin Hale]\ncontext: strategy\n---\n",
    }
    assert messages(write_notes, files) == [
        "notes/nw/2026-09-02.md:3: warning: 'Martin Hale' left on 2026-08-31 (notes/nw/account.md:9), before this note"]


def test_the_documented_account_md_mistakes_give_the_documented_messages(write_notes: Writer) -> None:
    doc = (REPO / "docs" / "notes-format.md").read_text("utf-8")
    part = doc.split("### Stakeholders' dates, influence and successor\n", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", part, re.DOTALL)
    assert [lang for lang, _ in blocks] == ["yaml", "text", "text"]
    text, influence = blocks[0][1], blocks[2][1]
    root = write_notes({"acme-foods/account.md": text + "Profile.\n"})
    assert [d.format() for d in sorted(load_notes(root, "notes")[1], key=sort_key)] == blocks[1][1].splitlines()
    root = write_notes({"acme-foods/account.md": text.replace("influence: sponsor", "influence: sponser")})
    assert [d.format() for d in load_notes(root, "notes")[1]] == influence.splitlines()
