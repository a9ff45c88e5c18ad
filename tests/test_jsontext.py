"""core.jsontext writes the bytes json.dumps(indent=2, ensure_ascii=False) writes, faster."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allyreport.core.jsontext import indented

scalars = st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) \
    | st.floats(allow_nan=True, allow_infinity=True) | st.text()
keys = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(keys, inner, max_size=4), max_leaves=30)


@given(values)
@settings(max_examples=400, deadline=None)
def test_any_value_gives_the_bytes_json_dumps_gives(value: object) -> None:
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("level", [0, 1, 3])
def test_a_nested_level_indents_every_line_after_the_first(level: int) -> None:
    value = {"a": [1, {"b": "é\u2028\x00\"\\"}, [], {}], "c": math.inf, "d": -0.0, "e": (True, None)}
    assert indented(value, level) == json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)


def test_what_json_cannot_hold_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        indented({"a": {1, 2}})
    with pytest.raises(TypeError, match="keys must be str, int, float, bool or None, not tuple"):
        indented({(1, 2): 3})
