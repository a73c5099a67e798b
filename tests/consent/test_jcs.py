"""RFC 8785 canonical JSON, with the RFC's own examples for the values records use."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.transparency.jcs import _write, canonical


def test_rfc_8785_sorting_example():
    # RFC 8785 §3.2.3: members sorted by UTF-16 code units.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical(value) == expected.encode("utf-8")


def test_rfc_8785_string_escaping_example():
    # RFC 8785 §3.2.2.2's example string, minus its numbers (records have none but integers).
    value = {"string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/"}
    assert canonical(value) == b'{"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'


def test_literals_integers_and_nesting_have_no_whitespace():
    value = {"b": [1, -2, 0, True, False, None], "a": {"y": "", "x": [{}]}}
    assert canonical(value) == b'{"a":{"x":[{}],"y":""},"b":[1,-2,0,true,false,null]}'
    assert json.loads(canonical(value)) == value


def test_controls_use_short_forms_or_lower_case_hex():
    assert canonical("\b\f\n\r\t\x01\x1f") == b'"\\b\\f\\n\\r\\t\\u0001\\u001f"'


@pytest.mark.parametrize("bad", [1.5, 2**53, {1: "x"}, object(), "\ud800"])
def test_values_with_no_exact_canonical_form_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        canonical(bad)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_fast_path_writes_what_the_rfc_rules_write(value):
    # `_write` spells out RFC 8785's rules one by one; `canonical` may take Python's encoder.
    parts: list[str] = []
    _write(value, parts)
    assert canonical(value) == "".join(parts).encode("utf-8")
    assert json.loads(canonical(value)) == value
