"""The notes format as a typed schema (pydantic): the keys of account.md and of a note.

Strict scalars and the plain messages for pydantic's errors come from `core.strict`, shared
with the settings and the rules files; the loader maps each error's location to a file line.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from ..core.quarters import year_problem
from ..core.strict import Strict, Text, describe, short

Context = Literal["service", "problem", "strategy", "social"]
CONTEXTS: tuple[str, ...] = ("service", "problem", "strategy", "social")
BUSINESS_CONTEXTS: tuple[str, ...] = ("service", "problem", "strategy")
Kind = Literal["invest", "deliver", "sell"]
Commitment = Literal["firm", "best-effort", "intention"]
Test = Literal["own-time", "learn", "illustrate"]
TESTS: tuple[str, ...] = ("own-time", "learn", "illustrate")
Relevance = Literal["rising", "steady", "declining"]
Influence = Literal["decision-maker", "sponsor", "champion", "user", "gatekeeper"]
INFLUENCES: tuple[str, ...] = ("decision-maker", "sponsor", "champion", "user", "gatekeeper")
RatingSource = Literal["survey", "review", "conversation"]

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    """Dates are written YYYY-MM-DD (quoted or not); anything else is refused with a hint."""
    if isinstance(value, dt.date):
        day = value
    elif not isinstance(value, str):
        raise ValueError(f"{describe(value)} is not a date written YYYY-MM-DD")
    elif not _ISO.fullmatch(text := value.strip()):
        raise ValueError(f"'{short(text)}' is not a date written YYYY-MM-DD")
    else:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text} is not a real date") from None
    if problem := year_problem(day.year):
        raise ValueError(f"{day.isoformat()} {problem}")
    return day


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Score = Annotated[StrictInt, Field(ge=1, le=10)]
Days = Annotated[StrictInt, Field(ge=1, le=3650)]


class _Blankable(Strict):
    """A key left empty (`industry:` or `industry: ""`) means "not given" when the key is optional.

    That is what a note writer expects of a blank line in a template; a required key left
    empty is still an error ("'account' is empty").
    """

    @model_validator(mode="before")
    @classmethod
    def _blank_is_default(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        optional = _optional_keys(cls)
        return {k: v for k, v in data.items() if not (k in optional and _blank(v))}


@cache
def _optional_keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(f.alias or n for n, f in model.model_fields.items() if not f.is_required())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Trust(_Blankable):
    reliability: Score
    credibility: Score
    intimacy: Score
    character: Score | None = None
    self_orientation: Score


class ClientRating(_Blankable):
    """Trust as the client scores us (a survey, a review meeting, or said in a conversation)."""

    reliability: Score
    credibility: Score
    intimacy: Score
    self_orientation: Score
    source: RatingSource


class Action(_Blankable):
    do: Text
    by: IsoDate | None = None
    done: IsoDate | None = None
    kind: Kind = "deliver"
    commitment: Commitment = "firm"
    tests: tuple[Test, ...] = ()
    private: StrictBool = False  # never in the share-safe variant


class Stakeholder(_Blankable):
    name: Text
    role: Text | None = None
    concerns: tuple[Text, ...] = ()
    influence: Influence | None = None
    cadence: Days | None = None  # days between conversations; default per influence from the rules
    joined: IsoDate | None = None
    left: IsoDate | None = None
    successor: Text | None = None
    private: StrictBool = False  # never in the share-safe variant

    def current(self, day: dt.date) -> bool:
        """In the role on `day`: joined by then (or no date given) and not yet left."""
        return (self.joined is None or self.joined <= day) and (self.left is None or self.left > day)


class Introducer(_Blankable):
    """Who introduced us to the client: someone already high on the client's scale."""

    name: Text
    role: Text | None = None


class AccountMeta(_Blankable):
    account: Text
    owner: Text
    industry: Text | None = None
    since: IsoDate | None = None
    introduced_by: Introducer | None = None
    reviewed: IsoDate | None = None  # when the profile (where the client is heading) was last revisited
    target: Text | None = None
    relevance: Relevance = "steady"
    stakeholders: tuple[Stakeholder, ...] = ()
    offerings: tuple[Text, ...] = ()
    plan: tuple[Action, ...] = ()


class NoteMeta(_Blankable):
    date: IsoDate
    with_: tuple[Text, ...] = Field(default=(), alias="with")
    context: Context
    opened_by: Literal["client", "us"] = "client"
    price: StrictBool = False
    signals: tuple[Text, ...] = ()
    offerings: tuple[Text, ...] = ()  # which of account.md's offerings the conversation was about
    trust: Trust | None = None
    client_rating: ClientRating | None = None
    actions: tuple[Action, ...] = ()
    private: StrictBool = False  # the whole note stays out of the share-safe variant


