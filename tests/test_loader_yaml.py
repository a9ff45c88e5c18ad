"""The frontmatter and its YAML subset: what is accepted, what is refused, and what the user is told.

Only text, whole numbers, true/false and empty values exist; YAML 1.1's guesses (`no`,
`off`, `0755`, `1:30`, `.nan`) stay text and are reported for a typed key. Tags, anchors and
aliases are refused before anything is built from them.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from allyreport.core import yamlstrict
from allyreport.notes.loader import parse_file

from .support import ACME_ACCOUNT, NOTE_PATH, SHOWN, Writer, billion_laughs, frontmatter, load, messages, note_messages

# -- the frontmatter block -----------------------------------------------------------------


def test_dots_close_the_frontmatter_as_pandoc_allows(write_notes: Writer) -> None:
    portfolio, diagnostics = load(write_notes, {NOTE_PATH: "---\ndate: 2026-03-05\ncontext: problem\n...\nBody.\n"})
    assert diagnostics == []
    note = portfolio.accounts[0].notes[0]
    assert (note.meta.context, note.body, note.body_line) == ("problem", "Body.\n", 5)


def test_frontmatter_never_closed(write_notes: Writer) -> None:
    assert note_messages(write_notes, "---\ndate: 2026-03-05\ncontext: problem\n\nBody.\n") == [
        f"{SHOWN}:1: frontmatter is never closed: add a '---' line after the YAML"]


def test_dashes_with_trailing_spaces_still_fence(write_notes: Writer) -> None:
    _, diagnostics = load(write_notes, {NOTE_PATH: "---  \ndate: 2026-03-05\ncontext: problem\n--- \nBody.\n"})
    assert diagnostics == []


@pytest.mark.parametrize(("lines", "kind"), [
    (("- date: 2026-03-05", "- context: problem"), "a list"),
    (("a note about Acme",), "a single value"),
    ((), "empty"),
    (("# only a comment",), "empty"),
], ids=["list_instead_of_mapping", "scalar_instead_of_mapping", "empty_frontmatter", "comment_only_frontmatter"])
def test_frontmatter_must_be_a_mapping(write_notes: Writer, lines: tuple[str, ...], kind: str) -> None:
    assert note_messages(write_notes, frontmatter(*lines)) == [
        f"{SHOWN}:1: frontmatter must be a mapping of keys to values, but it is {kind}"]


# -- YAML syntax errors: said plainly, at the offending line --------------------------------

SYNTAX_CASES = {
    "unquoted_colon_space_in_a_value": (
        ("date: 2026-03-05", "context: problem", "actions:", "  - do: Call Ann: the audit is late"),
        f"{SHOWN}:5:17: YAML syntax error: an unquoted ': ' inside a value; put the value in quotes "
        "(or fix this line's indentation)"),
    "unquoted_colon_space_in_a_list_item": (
        ("date: 2026-03-05", "context: problem", "with:", "  - Ann Lee", "  - Bob Tate: CFO"),
        f"{SHOWN}:6: 'with' must be text, got a mapping (an unquoted ': ' inside the text? put it in quotes)"),
    "key_indented_too_far": (
        ("date: 2026-03-05", "context: problem", "actions:", "  - do: Call Ann", "     by: 2026-03-20"),
        f"{SHOWN}:6:8: YAML syntax error: an unquoted ': ' inside a value; put the value in quotes "
        "(or fix this line's indentation)"),
    "key_indented_too_little": (
        ("date: 2026-03-05", "context: problem", "signals:", "  - coaching", " early: yes"),
        f"{SHOWN}:6:2: YAML syntax error: expected a 'key: value' line here; check the indentation, "
        "or put the value in quotes"),
    "mapping_inside_a_list": (
        ("date: 2026-03-05", "context: problem", "signals:", "  - coaching", "  advocacy: yes"),
        f"{SHOWN}:6:3: YAML syntax error: expected a '- item' line here; check the indentation"),
    "line_without_a_colon": (
        ("date: 2026-03-05", "context: problem", "signals: [coaching]", "price false", "opened_by: us"),
        f"{SHOWN}:5:1: YAML syntax error: this line is not 'key: value'; is a ':' missing?"),
    "list_never_closed": (
        ("date: 2026-03-05", "context: problem", "with: [Ann Lee"),
        f"{SHOWN}:4:7: YAML syntax error: a '[' list is not closed with ']', or an item in it needs quotes"),
    "mapping_never_closed": (
        ("date: 2026-03-05", "context: problem", "trust: {reliability: 5"),
        f"{SHOWN}:4:8: YAML syntax error: a '{{' mapping is not closed with '}}', or a value in it needs quotes"),
    "quote_never_closed": (
        ("date: 2026-03-05", 'context: "problem', "price: false"),
        f"{SHOWN}:3:10: YAML syntax error: a quoted value is never closed; add the closing quote"),
    "reserved_character_starts_a_value": (
        ("date: 2026-03-05", "context: problem", "with: [@ann]"),
        f"{SHOWN}:4:8: YAML syntax error: a value cannot start with '@'; put the value in quotes"),
    "backtick_starts_a_value": (
        ("date: 2026-03-05", "context: `problem`"),
        f"{SHOWN}:3:10: YAML syntax error: a value cannot start with '`'; put the value in quotes"),
}


@pytest.mark.parametrize(("lines", "expected"), SYNTAX_CASES.values(), ids=SYNTAX_CASES.keys())
def test_yaml_syntax_error(write_notes: Writer, lines: tuple[str, ...], expected: str) -> None:
    assert note_messages(write_notes, frontmatter(*lines)) == [expected]


# -- keys ----------------------------------------------------------------------------------


def test_duplicate_key_names_both_lines(write_notes: Writer) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "price: false", "context: strategy")
    assert note_messages(write_notes, text) == [f"{SHOWN}:5:1: duplicate key 'context' (first on line 3)"]


def test_duplicate_nested_key_names_both_lines(write_notes: Writer) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "trust:", "  reliability: 7", "  intimacy: 5",
                       "  reliability: 8")
    assert note_messages(write_notes, text) == [f"{SHOWN}:7:3: duplicate key 'reliability' (first on line 5)"]


@pytest.mark.parametrize(("line", "expected"), [
    ("1: one", "4:1: keys must be text, got 1; quote it"),
    ("true: yes", "4:1: keys must be text, got true; quote it"),
    ("~: nothing", "4:1: keys must be text, got ~; quote it"),
    ("[a, b]: list", "4:1: keys must be text, got a list or mapping; quote it"),
    ("? {a: 1}\n: mapping", "4:3: keys must be text, got a list or mapping; quote it"),
], ids=["number_key", "boolean_key", "null_key", "list_key", "mapping_key"])
def test_non_text_keys(write_notes: Writer, line: str, expected: str) -> None:
    assert note_messages(write_notes, frontmatter("date: 2026-03-05", "context: problem", line)) == [
        f"{SHOWN}:{expected}"]


# -- tags, anchors and aliases -------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [
    ('!!python/object/apply:os.system ["touch pwned"]', "!!python/object/apply:os.system"),
    ("!!python/name:os.system", "!!python/name:os.system"),
    ("!!str problem", "!!str"),
    ("!custom problem", "!custom"),
    ("! problem", "!"),
], ids=["python_object_apply", "python_name", "explicit_str", "local_tag", "non_specific_tag"])
def test_tags_are_refused(write_notes: Writer, value: str, shown: str) -> None:
    assert note_messages(write_notes, frontmatter("date: 2026-03-05", f"context: {value}")) == [
        f"{SHOWN}:3:10: YAML tags such as '{shown}' are not allowed; write the plain value"]


def test_tag_on_the_whole_frontmatter(write_notes: Writer) -> None:
    assert note_messages(write_notes, frontmatter("!!map", "date: 2026-03-05", "context: problem")) == [
        f"{SHOWN}:2:1: YAML tags such as '!!map' are not allowed; write the plain value"]


def test_anchor_is_refused(write_notes: Writer) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "with: &people [Ann Lee]")
    assert note_messages(write_notes, text) == [f"{SHOWN}:4:7: YAML anchors (&name) are not allowed; write the value out"]


def test_alias_is_refused(write_notes: Writer) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "with: *people")
    assert note_messages(write_notes, text) == [f"{SHOWN}:4:7: YAML aliases (*name) are not allowed; write the value out"]


def test_ampersand_and_star_inside_text_are_fine(write_notes: Writer) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "actions:", "  - do: R&D review *before* Q&A !",
                       "  - do: '&quoted *too'")
    portfolio, diagnostics = load(write_notes, {NOTE_PATH: text})
    assert diagnostics == []
    assert [a.do for a in portfolio.accounts[0].notes[0].meta.actions] == ["R&D review *before* Q&A !", "&quoted *too"]


def test_alias_bomb_fails_fast_in_bounded_memory() -> None:
    data = billion_laughs().encode()
    tracemalloc.start()
    started = time.perf_counter()
    parsed = parse_file(SHOWN, data, "note")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [d.format() for d in parsed.diagnostics] == [
        f"{SHOWN}:4:5: YAML anchors (&name) are not allowed; write the value out"]
    assert elapsed < 1.0
    assert peak < 5_000_000  # bytes; 9**9 expanded strings would need gigabytes


def test_node_walk_refuses_a_shared_node_should_the_text_precheck_ever_miss_an_alias() -> None:
    composer = yamlstrict._Composer("a: &x [lol, lol]\nb: *x\n")
    root = composer.get_single_node()
    with pytest.raises(yamlstrict._Refused, match="aliases"):
        yamlstrict._value(root, (), {}, set())


def test_deep_nesting_is_refused_without_recursing(write_notes: Writer) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "with: " + "[" * 40 + "]" * 40)
    assert note_messages(write_notes, text) == [
        f"{SHOWN}:4:39: nested more than {yamlstrict.MAX_DEPTH} levels deep; notes need only a few"]


def test_deeper_nesting_than_libyaml_allows(write_notes: Writer) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "with: " + "{a: " * 5000 + "}" * 5000)
    assert note_messages(write_notes, text) == [
        f"{SHOWN}:4:4003: YAML syntax error: nested more than {yamlstrict.MAX_DEPTH} levels deep; "
        "notes need only a few"]


# -- YAML 1.1's guesses stay text and are reported for a typed key -------------------------

YAML11 = "(YAML 1.1 would read this as a yes/no; allyreport does not guess: write true or false)"


@pytest.mark.parametrize(("line", "expected"), [
    ("price: NO", f"5: 'price' must be true or false, got 'NO' {YAML11}"),
    ("price: off", f"5: 'price' must be true or false, got 'off' {YAML11}"),
    ("price: yes", f"5: 'price' must be true or false, got 'yes' {YAML11}"),
    ("price: Y", f"5: 'price' must be true or false, got 'Y' {YAML11}"),
    ("price: 0", "5: 'price' must be true or false, got '0'"),
    ("trust: {reliability: 0755, credibility: 5, intimacy: 5, self_orientation: 5}",
     "5: 'trust.reliability' must be a whole number from 1 to 10, got '0755'"),
    ("trust: {reliability: 1:30, credibility: 5, intimacy: 5, self_orientation: 5}",
     "5: 'trust.reliability' must be a whole number from 1 to 10, got '1:30'"),
    ("trust: {reliability: .nan, credibility: 5, intimacy: 5, self_orientation: 5}",
     "5: 'trust.reliability' must be a whole number from 1 to 10, got '.nan'"),
    ("trust: {reliability: 0x0A, credibility: 5, intimacy: 5, self_orientation: 5}",
     "5: 'trust.reliability' must be a whole number from 1 to 10, got '0x0A'"),
    ("trust: {reliability: 1_0, credibility: 5, intimacy: 5, self_orientation: 5}",
     "5: 'trust.reliability' must be a whole number from 1 to 10, got '1_0'"),
    ("trust: {reliability: 1e1, credibility: 5, intimacy: 5, self_orientation: 5}",
     "5: 'trust.reliability' must be a whole number from 1 to 10, got '1e1'"),
    ("opened_by: off", "5: 'opened_by' must be one of client or us, got 'off'"),
], ids=["NO", "off", "yes", "Y", "zero", "octal_0755", "sexagesimal_1_30", "nan", "hex", "underscore", "float",
    "off_for_a_choice"])
def test_yaml11_coercions_are_errors_for_typed_keys(write_notes: Writer, line: str, expected: str) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "with: [Ann Lee]", line)
    assert note_messages(write_notes, text) == [f"{SHOWN}:{expected}"]


@pytest.mark.parametrize("value", ["no", "off", "NO", "1:30", "0755", ".nan", "2026-03-05", "1e3"])
def test_yaml11_lookalikes_are_text_where_text_is_expected(write_notes: Writer, value: str) -> None:
    text = frontmatter("date: 2026-03-05", "context: problem", "actions:", f"  - do: {value}")
    portfolio, diagnostics = load(write_notes, {NOTE_PATH: text})
    assert diagnostics == []
    assert portfolio.accounts[0].notes[0].meta.actions[0].do == value


def test_only_plain_true_and_false_are_booleans(write_notes: Writer) -> None:
    for value, expected in [("true", True), ("False", False), ("TRUE", True)]:
        portfolio, diagnostics = load(write_notes, {NOTE_PATH: frontmatter(
            "date: 2026-03-05", "context: problem", f"price: {value}")})
        assert (diagnostics, portfolio.accounts[0].notes[0].meta.price) == ([], expected)
    assert note_messages(write_notes, frontmatter("date: 2026-03-05", "context: problem", 'price: "true"')) == [
        f"{SHOWN}:4: 'price' must be true or false, got 'true'"]


# -- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-03-05", '"2026-03-05"', "'2026-03-05'"], ids=["plain", "double_quoted",
                                                                                        "single_quoted"])
def test_date_forms_accepted(write_notes: Writer, value: str) -> None:
    portfolio, diagnostics = load(write_notes, {NOTE_PATH: frontmatter(f"date: {value}", "context: problem")})
    assert diagnostics == []
    assert str(portfolio.accounts[0].notes[0].date) == "2026-03-05"


@pytest.mark.parametrize(("value", "expected"), [
    ("05/03/2026", "'date': '05/03/2026' is not a date written YYYY-MM-DD"),
    ("March 5, 2026", "'date': 'March 5, 2026' is not a date written YYYY-MM-DD"),
    ("2026-03-05T10:00:00", "'date': '2026-03-05T10:00:00' is not a date written YYYY-MM-DD"),
    ("20260305", "'date': the number 20260305 is not a date written YYYY-MM-DD"),
    ("2026-02-29", "'date': 2026-02-29 is not a real date"),
    ("2026-00-10", "'date': 2026-00-10 is not a real date"),
], ids=["day_first", "in_words", "with_time", "digits_only", "not_a_leap_year", "month_zero"])
def test_date_forms_refused(write_notes: Writer, value: str, expected: str) -> None:
    assert note_messages(write_notes, frontmatter(f"date: {value}", "context: problem")) == [f"{SHOWN}:2: {expected}"]


# -- empty values --------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "key"), [
    ("context:", "context"), ('context: ""', "context"), ("context: '  '", "context"), ("context: ~", "context"),
])
def test_empty_required_value(write_notes: Writer, line: str, key: str) -> None:
    assert note_messages(write_notes, frontmatter("date: 2026-03-05", line)) == [
        f"{SHOWN}:3: '{key}' is empty; give it a value"]


def test_empty_required_values_in_account_and_action(write_notes: Writer) -> None:
    account = "---\naccount:\nowner: ''\n---\n"
    note = frontmatter("date:", "context: problem", "actions:", "  - do:", "    by: 2026-03-20")
    assert messages(write_notes, {"acme/account.md": account, NOTE_PATH: note}) == [
        f"{SHOWN}:2: 'date' is empty; give it a value",
        f"{SHOWN}:5: 'actions.do' is empty; give it a value",
        "notes/acme/account.md:2: 'account' is empty; give it a value",
        "notes/acme/account.md:3: 'owner' is empty; give it a value",
    ]


def test_empty_optional_values_mean_not_given(write_notes: Writer) -> None:
    account = "---\naccount: Acme Foods\nowner: Dana Reyes\nindustry: ''\nsince:\nstakeholders:\n---\n"
    note = frontmatter("date: 2026-03-05", "context: problem", "with:", "price:", "signals:", "trust:",
                       "actions:", "  - do: Send the audit", "    by:", "    kind: ''")
    portfolio, diagnostics = load(write_notes, {"acme/account.md": account, NOTE_PATH: note})
    assert diagnostics == []
    account_meta = portfolio.accounts[0].meta
    assert (account_meta.industry, account_meta.since, account_meta.stakeholders) == (None, None, ())
    meta = portfolio.accounts[0].notes[0].meta
    assert (meta.with_, meta.price, meta.signals, meta.trust) == ((), False, (), None)
    assert (meta.actions[0].by, meta.actions[0].kind) == (None, "deliver")


# -- messages quote a short excerpt, never the whole value ---------------------------------

SECRET = "IBAN DE89 3704 0044 0532 0130 00, PIN 4921, the board wants to sell the Leeds plant quietly"


@pytest.mark.parametrize(("lines", "expected"), [
    ((f"context: {SECRET}",),
     "3: 'context' must be one of service, problem, strategy or social, got 'IBAN DE89 3704 0044 0532 0130 00, PIN 4…'"),
    (("context: problem", f"price: {SECRET}"),
     "4: 'price' must be true or false, got 'IBAN DE89 3704 0044 0532 0130 00, PIN 4…'"),
    (("context: problem", f"with: {SECRET}"),
     "4: 'with' must be a list, got 'IBAN DE89 3704 0044 0532 0130 00, PIN 4…'; write [IBAN DE89 3704 0044…] "
     "or one '- item' per line"),
    (("context: problem", f"{SECRET.replace(',', '')}: 1"),
     "4: unknown key 'IBAN DE89 3704 0044 0532 0130 00 PIN 49…'; expected one of: date, with, context, "
     "opened_by, price, signals, offerings, trust, client_rating, actions, private"),
    (("context: problem", f"context: {SECRET}"), "4:1: duplicate key 'context' (first on line 3)"),
    (("context: problem", f'with: ["{SECRET}]'), "4:8: YAML syntax error: a quoted value is never closed; add the closing quote"),
], ids=["literal", "boolean", "list", "unknown_key", "duplicate_key", "syntax_error"])
def test_long_secret_value_is_not_printed_whole(write_notes: Writer, lines: tuple[str, ...], expected: str) -> None:
    shown = note_messages(write_notes, frontmatter("date: 2026-03-05", *lines))
    assert shown == [f"{SHOWN}:{expected}"]
    assert "the board wants" not in shown[0]
    assert len(shown[0]) < 240


# -- the parser on its own -----------------------------------------------------------------


def test_parse_returns_each_key_line() -> None:
    value, lines, problems = yamlstrict.parse("date: 2026-03-05\nwith:\n  - Ann\n  - Bob\ntrust: {reliability: 5}\n")
    assert problems == []
    assert value == {"date": "2026-03-05", "with": ["Ann", "Bob"], "trust": {"reliability": 5}}
    assert lines == {(): 0, ("date",): 0, ("with",): 1, ("with", 0): 2, ("with", 1): 3, ("trust",): 4,
                     ("trust", "reliability"): 4}


def test_account_file_is_checked_against_the_account_schema(write_notes: Writer) -> None:
    assert messages(write_notes, {"acme/account.md": ACME_ACCOUNT.replace("owner:", "ownr:")}) == [
        "notes/acme/account.md:3: unknown key 'ownr'; did you mean 'owner'?"]
