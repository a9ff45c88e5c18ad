"""Strict schemas and their errors as plain messages: what the notes, the settings and the rules share.

pydantic does the type work (strict: no silent coercion of `"7"` to 7 or `"no"` to False) and
reports every problem of a file in one pass; `validate` turns each error into one plain message
(a suggestion for a misspelled key, the allowed values, why `off` is not a boolean) and keeps
its location (`actions.0.by`) for the caller to map to a file line. `suggest` is the one
did-you-mean of the program.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, StrictStr, StringConstraints, ValidationError
from pydantic.fields import FieldInfo

_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}

Text = Annotated[StrictStr, StringConstraints(min_length=1, strip_whitespace=True)]


class Strict(BaseModel):
    # Scalars are strict (StrictInt, StrictBool, StrictStr); lists may fill tuples.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Loc = tuple[str | int, ...]


def validate(model: type[Strict], data: Any) -> tuple[Any, list[tuple[Loc, str]]]:
    """Validate `data`; return (model or None, [(location, message)])."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "empty" if data is None else "a single value"
        return None, [((), f"frontmatter must be a mapping of keys to values, but it is {kind}")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors = [(_clean_loc(err["loc"]), err) for err in exc.errors()]
    # `contxt: problem` gives "unknown key 'contxt'; did you mean 'context'?" and not also
    # "'context' is required": one mistake, one message.
    suggested = {(loc[:-1], _suggestion(model, loc)) for loc, err in errors if err["type"] == "extra_forbidden"}
    return None, [_message(model, loc, err) for loc, err in errors
                  if not (err["type"] == "missing" and (loc[:-1], loc[-1]) in suggested)]


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    return tuple(p for p in loc if not (isinstance(p, str) and p in {"function-before", "nullable"}))


def _message(model: type[Strict], loc: Loc, err: Any) -> tuple[Loc, str]:
    kind, value = err["type"], err.get("input")
    name = ".".join(str(p) for p in loc if isinstance(p, str)) or "frontmatter"
    if kind == "extra_forbidden":
        close = _suggestion(model, loc)
        hint = f"; did you mean '{close}'?" if close else f"; expected one of: {', '.join(_keys(model, loc))}"
        return loc, f"unknown key '{short(str(loc[-1]))}'{hint}"
    if kind == "missing":
        return loc[:-1], f"'{name}' is required"
    if value is None or (isinstance(value, str) and not value.strip()):
        return loc, f"'{name}' is empty; give it a value"
    if kind == "literal_error":
        expected = err["ctx"]["expected"].replace("'", "")
        choices = re.findall(r"'([^']*)'", err["ctx"]["expected"])
        match = suggest(str(value), choices)
        hint = f"; did you mean '{match}'?" if match else ""
        return loc, f"'{name}' must be one of {expected}, got '{short(str(value))}'{hint}"
    if kind == "bool_type":
        return loc, f"'{name}' must be true or false, got '{short(str(value))}'{_yaml11_hint(value)}"
    if kind in {"int_type", "int_parsing"}:
        return loc, f"'{name}' must be a whole number{_range(model, loc)}, got '{short(str(value))}'"
    if kind in {"greater_than_equal", "less_than_equal"}:
        return loc, f"'{name}' must be{_range(model, loc) or ' in range'}, got {value}"
    if kind == "string_type":
        hint = " (an unquoted ': ' inside the text? put it in quotes)" if isinstance(value, dict) else ""
        return loc, f"'{name}' must be text, got {describe(value)}{hint}"
    if kind in {"tuple_type", "list_type"}:
        hint = f"; write [{short(value, 20)}] or one '- item' per line" if isinstance(value, str) else ""
        return loc, f"'{name}' must be a list, got {describe(value)}{hint}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return loc, f"'{name}' must be a mapping of keys to values, got {describe(value)}"
    if kind == "value_error":
        return loc, f"'{name}': {err['ctx']['error']!s}"
    return loc, f"'{name}': {err['msg']}"


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"'{short(str(value))}'"


def _yaml11_hint(value: Any) -> str:
    if isinstance(value, str) and value.lower() in _YAML11_BOOLS:
        return " (YAML 1.1 would read this as a yes/no; allyreport does not guess: write true or false)"
    return ""


def _suggestion(model: type[Strict], loc: Loc) -> str | None:
    """`contxt` -> `context`: the closest key the schema allows where the unknown one was written."""
    return suggest(str(loc[-1]), _keys(model, loc))


def _keys(model: type[Strict], loc: Loc) -> list[str]:
    """The keys allowed next to the last part of `loc`, found by walking the schema along it."""
    parent = _parent(model, loc)
    return [f.alias or n for n, f in parent.model_fields.items()] if parent else []


def _parent(model: type[Strict], loc: Loc) -> type[BaseModel] | None:
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = _field(current, part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field(model: Any, key: str) -> FieldInfo | None:
    fields: dict[str, FieldInfo] = getattr(model, "model_fields", {})
    return next((f for n, f in fields.items() if key in (n, f.alias)), None)


def _range(model: type[Strict], loc: Loc) -> str:
    """" from 1 to 10" for a trust score: the bounds declared on the field at `loc`."""
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    parent = _parent(model, loc[: loc.index(key) + 1] if key else loc)
    field = _field(parent, key) if parent else None
    bounds: dict[str, Any] = {}
    pending: list[Any] = [field] if field else []
    while pending:  # constraints may sit in Field(), Annotated[...] or inside `X | None`
        item = pending.pop()
        for bound in ("ge", "le"):
            if isinstance(getattr(item, bound, None), int):
                bounds[bound] = getattr(item, bound)
        pending += [*getattr(item, "metadata", ()), *getattr(item, "__metadata__", ()), *get_args(item)]
        pending += [item.annotation] if isinstance(item, FieldInfo) else []
    if "ge" in bounds and "le" in bounds:
        return f" from {bounds['ge']} to {bounds['le']}"
    return f" at least {bounds['ge']}" if "ge" in bounds else f" at most {bounds['le']}" if "le" in bounds else ""


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


def short(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to a misspelled `word`, or None: every did-you-mean uses this."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """"; did you mean 'x'?" to end a refusal with, or "" when nothing is close."""
    close = suggest(word, choices)
    return f"; did you mean '{close}'?" if close else ""
