"""docs/promises.md, "Limits": every input has a documented size or depth limit (docs/notes-format.md,
docs/rules.md), checked when it is read, before any expensive work, and reported at path:line."""

from __future__ import annotations

import textwrap
import time

from allyreport.rules.ruleset import compile_rules, default_rules_text


def problems(text: str) -> list[str]:
    ruleset, found = compile_rules([("default.yaml", default_rules_text()),
                                    ("rules.yaml", textwrap.dedent(text).lstrip())])
    assert (ruleset is None) == bool(found)
    return [d.format() for d in found]


def insight(when: str = "open_sell > 3", message: str = "Many open deals.") -> str:
    return (f"insights:\n  - key: big-deal\n    title: Big\n    severity: info\n    when: {when!r}\n"
            f"    message: {message!r}\n")


def test_rules_message_with_a_huge_format_width_is_refused() -> None:
    started = time.monotonic()
    assert problems(insight(message="{business:>5000000}")) == [
        "rules.yaml:6: message field '{business:>5000000}' asks for a width or precision of 5,000,000; at most 100"]
    assert time.monotonic() - started < 5


def test_rules_message_with_a_huge_precision_or_nested_format_is_refused() -> None:
    assert problems(insight(message="{trust:.999999f}")) == [
        "rules.yaml:6: message field '{trust:.999999f}' asks for a width or precision of 999,999; at most 100"]
    assert problems(insight(message="{trust:{business}}")) == [
        "rules.yaml:6: message field '{trust:{business}}' nests a field in its format; write a plain format like :>8.1f"]


def test_rules_message_of_five_million_characters_is_refused() -> None:
    assert problems(insight(message="x" * 5_000_000)) == [
        "rules.yaml:6: message is 5,000,000 characters long; a message may have at most 2,000"]


def test_rules_condition_nested_100000_deep_is_refused_not_a_recursion_error() -> None:
    depth = 100_000
    found = problems(insight(when="(" * depth + "open_sell > 3" + ")" * depth))
    assert found == [f"rules.yaml:5: condition '{'(' * 59}…' is {2 * depth + 13:,} characters long; "
                     "a condition may have at most 2,000"]


def test_rules_condition_nested_with_operators_is_refused() -> None:
    when = " and ".join(["open_sell > 3"] * 2) + "".join(f" or (open_sell > {i}" for i in range(40)) + ")" * 40
    found = problems(insight(when=when))
    assert len(found) == 1
    assert found[0].startswith("rules.yaml:5: condition 'open_sell > 3 and open_sell > 3 or (open_sell > 0 or (op")
    assert found[0].endswith("nests more than 32 levels deep; split it into several conditions")
