"""The rule engine's shortcuts give exactly what the long way gives.

Judging has to stay a small part of a build (docs/benchmarks.md), so the engine takes three
shortcuts: conditions run as compiled closures instead of through simpleeval's evaluator; a
window that only decides a level (an earlier quarter, a person) computes only the families
of metrics its level and its trust read; and a window's evidence is made when it is cited.
Each is checked here against the long way, on the example notes and on the shipped rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from simpleeval import SimpleEval

from allyreport.core.quarters import Quarter, span
from allyreport.notes.data import Account, Source
from allyreport.notes.loader import load_notes
from allyreport.rules import metrics
from allyreport.rules.engine import HISTORY_METRICS, _reads
from allyreport.rules.expressions import FUNCTIONS, compiled, parse
from allyreport.rules.facts import Evidence, Sink, Span, gather
from allyreport.rules.relationship import history_values
from allyreport.rules.ruleset import Condition, RuleSet, compile_rules, default_rules_text

from .conftest import EXAMPLES

REVIEW = Quarter(2026, 3)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    ruleset, problems = compile_rules([("allyreport/rules/default.yaml", default_rules_text())])
    assert ruleset is not None, problems
    return ruleset


@pytest.fixture(scope="module")
def accounts(rules: RuleSet) -> tuple[Account, ...]:
    portfolio, _ = load_notes(EXAMPLES, "notes", rules.signals)
    assert len(portfolio.accounts) == 7
    return portfolio.accounts


def conditions(rules: RuleSet) -> Iterator[Condition]:
    """Every condition of the shipped rules: levels, referral starts, insights, their cases."""
    for model in rules.models.values():
        for level in model.levels:
            yield from level.conditions
        if model.referral:
            yield from model.referral.conditions
    for rule in (*rules.insights, *(r for m in rules.models.values() for r in m.insights)):
        yield from (*rule.conditions, *rule.critical_when, *(c for case in rule.cases for c in case.conditions))


def quarters(account: Account) -> list[Quarter]:
    return span(Quarter.of(account.notes[0].date), REVIEW) if account.notes else [REVIEW]


def slow(text: str, parsed: Any, values: dict[str, Any]) -> tuple[str, Any]:
    """What simpleeval's own evaluator makes of it: ('ok', value) or ('error', its message)."""
    evaluator = SimpleEval(functions=FUNCTIONS)
    evaluator.names = values
    try:
        return "ok", evaluator.eval(text, previously_parsed=parsed)
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def agree(text: str, parsed: Any, values: dict[str, Any]) -> None:
    """The compiled closure gives simpleeval's value, of the same type; where it raises, the
    engine asks simpleeval, so only the successes have to agree."""
    run = compiled(parsed)
    assert run is not None, text
    try:
        fast = run(values)
    except Exception:
        return
    assert slow(text, parsed, values) == ("ok", fast), text
    assert type(slow(text, parsed, values)[1]) is type(fast), text


def test_every_shipped_condition_compiles_and_agrees_on_the_examples(rules: RuleSet,
                                                                     accounts: tuple[Account, ...]) -> None:
    samples = [metrics.sample_values(rules.signals)]
    for account in accounts:
        facts = gather(account, rules.people)
        for q in quarters(account):
            values = dict(metrics.window(facts, q, 2, rules.signals).values)
            values.update(history_values(("partner", 1), ("ally", 0), 4))
            samples.append({**values, **metrics.level_values("ally", 0, 4, "Ally", "Keep it.")})
    checked = 0
    for condition in conditions(rules):
        assert condition.run is not None, condition.text
        for values in samples:
            agree(condition.text, condition.parsed, values)
            checked += 1
    assert checked > 1000


VALUES = [{"a": 3, "b": 0, "x": 2.5, "t": "rising", "s": ""}, {"a": 0, "b": 7, "x": -1.0, "t": "steady", "s": "Ana"}]


@pytest.mark.parametrize("text", [
    "a > 2 and b == 0", "a or b", "a and b", "b or s", "not a", "-x < 0", "+x", "1 < a <= 3 < 10", "a < b < 1",
    "a if b else x", "min(a, b, 1) + max(x, 0)", "abs(x) * 2 // 1 % 3", "round(x / 3, 2)", "t == 'rising' or t != s",
    "s + t", "a / (b + 1) - 1", "a + 'x'", "b / b", "missing > 1", "(a and 3) == 3", "a == 3 == 3.0",
])
def test_compiled_expressions_do_what_simpleeval_does(text: str) -> None:
    parsed = parse(text)
    for values in VALUES:
        agree(text, parsed, values)


def test_a_compiled_failure_leaves_simpleevals_words(rules: RuleSet) -> None:
    """A division by zero raises in the closure: the engine runs simpleeval again, whose error
    the diagnostic quotes (tests/test_rules.py checks the whole message)."""
    text = "business / firm_due > 1"
    run = compiled(parse(text))
    assert run is not None
    with pytest.raises(ZeroDivisionError):
        run({"business": 3, "firm_due": 0})
    assert slow(text, parse(text), {"business": 3, "firm_due": 0}) == ("error", "ZeroDivisionError: division by zero")


@pytest.mark.parametrize("model", ["ally", "pyramid", "s-curve"])
@pytest.mark.parametrize("as_of", [None, dt.date(2026, 8, 15)])
def test_a_window_that_only_decides_a_level_agrees_with_the_full_one(rules: RuleSet, accounts: tuple[Account, ...],
                                                                     model: str, as_of: dt.date | None) -> None:
    level_model = rules.models[model]
    reads = _reads(level_model)
    for account in accounts:
        facts = gather(account, rules.people)
        for q in quarters(account):
            full = metrics.window(facts, q, level_model.window, rules.signals, metrics.Detail(), as_of)
            brief = metrics.window(facts, q, level_model.window, rules.signals, metrics.Detail(False, reads), as_of)
            assert reads - HISTORY_METRICS <= brief.values.keys()
            assert brief.values == {k: full.values[k] for k in brief.values}
            assert (brief.start, brief.end, len(brief.sources)) == (full.start, full.end, 0)
            assert len(brief.values) < len(full.values)


def test_each_family_gives_the_metrics_it_is_known_for(rules: RuleSet, accounts: tuple[Account, ...]) -> None:
    signals = tuple(rules.signals)
    names = metrics.family_names(signals)
    assert frozenset().union(*names) == metrics.window(gather(accounts[0]), REVIEW, 2, signals).values.keys()
    assert sum(len(n) for n in names) == len(frozenset().union(*names))  # no metric in two families
    for account in accounts:
        facts = gather(account, rules.people)
        notes = [r for r in facts.reads if dt.date(2026, 4, 1) <= r.date <= REVIEW.end]
        for family, known in zip(metrics.FAMILIES, names, strict=True):
            sink = Sink(True)
            family(facts, notes, Span(dt.date(2026, 4, 1), dt.date(2025, 10, 1), REVIEW.end, REVIEW.end, signals), sink)
            assert sink.values.keys() == known, family.__name__


def test_counting_back_quarters_is_stepping_back_one_at_a_time() -> None:
    """`Quarter.back` is arithmetic (a window asks for it twice): the same as `prev` repeated."""
    for start in (Quarter(2026, 1), Quarter(2026, 3), Quarter(1901, 4)):
        stepped = start
        for count in range(10):
            assert start.back(count) == stepped
            stepped = stepped.prev()
    assert Quarter(2026, 3).back(-1) == Quarter(2026, 3)


def test_evidence_is_made_once_when_read(accounts: tuple[Account, ...]) -> None:
    note = next(n for a in accounts for n in a.notes if n.meta.trust is not None)
    ready = Source("notes/x/account.md", 4, None)
    evidence = Evidence()
    evidence.give("trust_notes", [note], "trust")
    evidence.give("relevance", [ready], "")
    evidence.give("notes", [note], "")
    assert sorted(evidence) == ["notes", "relevance", "trust_notes"]
    assert evidence["trust_notes"] == (Source(note.path, note.line_of("trust"), note.date),)
    assert evidence["trust_notes"] is evidence["trust_notes"]
    assert evidence["relevance"] == (ready,)
    assert evidence["notes"] == (Source(note.path, 1, note.date),)
    assert evidence.get("business") is None
