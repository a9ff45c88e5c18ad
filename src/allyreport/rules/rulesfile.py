"""The rules file format: strict pydantic specs, read from YAML with every key's line, and
pydantic's errors in the rules file's own words (`path:line: message`, with a did-you-mean).

`ruleset` compiles what this reads; this module knows nothing of conditions or metrics.
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictInt, ValidationError

from ..core import yamlstrict
from ..core.diagnostics import Diagnostic
from ..core.strict import Strict, Text, describe, did_you_mean, short
from ..core.yamlstrict import line_at
from ..notes.schema import Days, Influence

Lines = dict[Any, int]
Loc = tuple[Any, ...]


# -- the file format (strict pydantic, like the notes) ---------------------------------------


def _as_conditions(value: Any) -> Any:
    """`when` is one expression or a list of them; `true`/`false` mean always/never."""
    if value is None:
        raise ValueError("is empty; give it a condition such as business >= 3")
    items = value if isinstance(value, list) else [value]
    return tuple(("True" if item else "False") if isinstance(item, bool) else item for item in items)


class CheckSpec(Strict):
    """A condition with the sentence the explanation gives when it does not hold."""

    check: Text
    fails: Text


When = Annotated[tuple[Text | CheckSpec, ...], BeforeValidator(_as_conditions)]


class LevelSpec(Strict):
    key: Text
    title: Text | None = None
    when: When
    rated: StrictBool = True
    wins_work_by: Text | None = None
    summary: Text | None = None
    behaviour: Text | None = None
    move: Text | None = None
    source: Text | None = None  # where the idea comes from (docs/rules.md shows it)
    idea: Text | None = None  # the idea behind the conditions, in one line


class CaseSpec(Strict):
    """A variant of an insight: the first case whose conditions hold changes what it says."""

    when: When
    severity: Text | None = None
    message: Text | None = None
    move: Text | None = None
    steer: StrictBool | None = None


class InsightSpec(Strict):
    key: Text
    title: Text | None = None
    severity: Text | None = None
    when: When | None = None
    message: Text | None = None
    move: Text | None = None
    evidence: tuple[Text, ...] | None = None
    critical_when: When | None = None
    cases: tuple[CaseSpec, ...] | None = None
    steer: StrictBool | None = None  # its move replaces the level's on the plan and in explain
    source: Text | None = None
    idea: Text | None = None
    internal: StrictBool | None = None  # left out of the share-safe variant (build --share-safe)
    enabled: StrictBool = True


class ReferralSpec(Strict):
    """Where an account introduced by someone high on the client's scale starts."""

    level: Text
    when: When


class ModelSpec(Strict):
    title: Text | None = None
    credit: Text | None = None
    window: StrictInt = Field(default=2, ge=1, le=8)
    lookback: StrictInt = Field(default=4, ge=1, le=8)
    levels: tuple[LevelSpec, ...] = ()
    referral: ReferralSpec | None = None
    insights: tuple[InsightSpec, ...] = ()
    enabled: StrictBool = True


class PeopleSpec(Strict):
    cadence: dict[Influence, Days] = Field(default_factory=dict)
    due_percent: StrictInt = Field(default=80, ge=1, le=100)
    held_to_target: tuple[Influence, ...] | None = None


class PlansSpec(Strict):
    vague: Text | None = None  # a regular expression (`ruleset` compiles it)


class RulesFile(Strict):
    default_model: Text | None = None
    signals: dict[str, Text] = Field(default_factory=dict)
    people: PeopleSpec | None = None
    plans: PlansSpec | None = None
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    insights: tuple[InsightSpec, ...] = ()


def parse_rules_file(name: str, text: str) -> tuple[RulesFile | None, Lines, list[Diagnostic]]:
    value, lines, yaml_problems = yamlstrict.parse(text)
    if yaml_problems:
        return None, {}, [Diagnostic(name, p.line + 1, p.message.replace("{also}", str((p.also or 0) + 1))
                                     .replace(" in notes", " in rules files"), column=p.column + 1)
                          for p in yaml_problems]
    value = {} if value is None else value
    if not isinstance(value, dict):
        return None, {}, [Diagnostic(name, 1, "a rules file is a mapping (default_model, signals, models, insights), "
                                              f"but this one is {'a list' if isinstance(value, list) else 'a single value'}")]
    try:
        return RulesFile.model_validate(value), lines, []
    except ValidationError as exc:
        errors = [e for e in exc.errors() if not _other_branch(e)]
        return None, {}, [Diagnostic(name, line_of(lines, loc), message) for loc, message in map(_error, errors)]


def _other_branch(err: Any) -> bool:
    """A `when` item is text or {check, fails}: report only the branch the item was written as."""
    loc = err["loc"]
    if "CheckSpec" in loc:
        return loc[-1] == "CheckSpec" and not isinstance(err.get("input"), dict)
    return "constrained-str" in loc and isinstance(err.get("input"), dict) and "when" in loc


def line_of(lines: Lines, loc: Loc) -> int:
    """The file line (from 1) of `loc`; the YAML's own lines count from 0."""
    return line_at(lines, loc, 0) + 1


_ARTEFACT = re.compile(r"function-|nullable|constrained-|CheckSpec|\[")


def _error(err: Any) -> tuple[Loc, str]:
    """A pydantic error as (location in the file, message in the rules file's own words)."""
    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and _ARTEFACT.search(p)))
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    keys = [p for p in loc if isinstance(p, str)]
    name = f"'{keys[-1] if keys else 'rules'}'" + (f" item {loc[-1] + 1}" if loc and isinstance(loc[-1], int) else "")
    shown = describe(value)
    if kind == "extra_forbidden":
        return loc, f"unknown key '{short(str(loc[-1]))}'{_suggest_key(loc)}"
    if kind == "missing":
        return loc[:-1], f"'{loc[-1]}' is required"
    if kind == "string_too_short" or (value is None and kind != "value_error"):
        return loc, f"{name} is empty; give it a value"
    messages = {
        "string_type": f"{name} must be text, got {shown}",
        "bool_type": f"{name} must be true or false, got {shown}",
        "int_type": f"{name} must be a whole number, got {shown}",
        "greater_than_equal": f"{name} must be at least {ctx.get('ge')}, got {value}",
        "less_than_equal": f"{name} must be at most {ctx.get('le')}, got {value}",
        "tuple_type": f"{name} must be a list, got {shown}",
        "dict_type": f"{name} must be a mapping of keys to values, got {shown}",
        "model_type": f"{name} must be a mapping of keys to values, got {shown}",
        "value_error": f"{name} {ctx.get('error')}",
    }
    if kind == "literal_error":  # a value, or a key of a mapping (`people.cadence`) that is not in the vocabulary
        where = f"a key of '{keys[-2]}'" if len(keys) > 1 and keys[-1] == value else name
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected")))
        close = did_you_mean(str(value), choices)
        return loc, f"{where} must be one of {str(ctx.get('expected')).replace(chr(39), '')}, got {shown}{close}"
    return loc, messages.get(kind, f"{name}: {err['msg']}")


def _suggest_key(loc: Loc) -> str:
    """Walk the schema along the error's location to name the keys allowed there."""
    current: Any = RulesFile
    parts = list(loc[:-1])
    while parts and isinstance(current, type) and issubclass(current, BaseModel):
        part = parts.pop(0)
        field = current.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return ""
        current = field.annotation
        while typing.get_origin(current) in (dict, tuple):  # skip the key or index that follows
            current = typing.get_args(current)[-1 if typing.get_origin(current) is dict else 0]
            if parts:
                parts.pop(0)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return ""
    names = list(current.model_fields)
    return did_you_mean(str(loc[-1]), names) or f"; expected one of: {', '.join(names)}"
