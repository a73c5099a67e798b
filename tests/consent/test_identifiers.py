"""Identifiers are validated, normalized and formatted the way artists type and read them."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.identifiers import (
    InvalidIdentifier,
    format_isrc,
    format_iswc,
    iswc_check_digit,
    normalize_isni,
    normalize_isrc,
    normalize_iswc,
    normalize_url,
)


@pytest.mark.parametrize("raw", ["USRC17607839", "us-rc1-76-07839", " US-RC1-76-07839 "])
def test_isrc_input_in_any_usual_form_is_normalized(raw):
    assert normalize_isrc(raw) == "USRC17607839"
    assert format_isrc("USRC17607839") == "US-RC1-76-07839"


@pytest.mark.parametrize("raw", ["USRC1760783", "not an isrc", "US-RC1-76-0783X", ""])
def test_invalid_isrc_is_refused_with_a_sentence(raw):
    with pytest.raises(InvalidIdentifier, match="not a valid ISRC"):
        normalize_isrc(raw)


def test_iswc_check_digit_follows_the_published_formula():
    # T-034.524.680-1 is the ISWC standard's own example.
    assert iswc_check_digit("034524680") == 1
    assert normalize_iswc("t-034.524.680-1") == "T0345246801"
    assert format_iswc("T0345246801") == "T-034.524.680-1"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("T-034.524.680-2", "check digit"), ("T-034.524.68-1", "ten digits"), ("X0345246801", "T")],
)
def test_invalid_iswc_is_refused(raw, reason):
    with pytest.raises(InvalidIdentifier, match=reason):
        normalize_iswc(raw)


def test_isni_is_validated_by_its_check_character():
    assert normalize_isni("0000 0001 2103 2683") == "0000000121032683"
    with pytest.raises(InvalidIdentifier):
        normalize_isni("0000 0001 2103 2684")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.SoundCloud.com:443/Artist/Track/", "https://soundcloud.com/Artist/Track"),
        ("soundcloud.com/artist/track", "https://soundcloud.com/artist/track"),
        (
            "https://youtube.com/watch?v=abc&utm_source=x&si=share&feature=yt",
            "https://youtube.com/watch?v=abc",
        ),
        ("https://bandcamp.com/track/a?b=2&a=1#listen", "https://bandcamp.com/track/a?a=1&b=2"),
        ("http://example.org:8080/x", "http://example.org:8080/x"),
        ("https://bücher.example/lied", "https://xn--bcher-kva.example/lied"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/a%20b", "https://example.org/a%20b"),
    ],
)
def test_links_written_two_ways_normalize_to_one(raw, expected):
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "ftp://example.org/x", "https://", "https://localhost:99999/", "javascript:alert(1)"],
)
def test_malformed_links_are_refused(raw):
    with pytest.raises(InvalidIdentifier):
        normalize_url(raw)


def test_a_host_longer_than_dns_allows_is_refused():
    host = ".".join(["a" * 60] * 5) + ".org"
    with pytest.raises(InvalidIdentifier, match="253"):
        normalize_url(f"https://{host}/x")


def test_a_link_that_grows_past_the_limit_when_encoded_is_refused():
    with pytest.raises(InvalidIdentifier, match="once encoded"):
        normalize_url("https://example.org/" + "é" * 1500)


def test_iswc_digits_must_be_ascii():
    with pytest.raises(InvalidIdentifier):
        normalize_iswc("T٠٣٤٥٢٤٦٨٠١")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456789- \\t", max_size=20))
def test_isrc_fast_path_agrees_with_stdnum(raw):
    from stdnum import isrc as stdnum_isrc
    from stdnum.exceptions import ValidationError

    try:
        expected = stdnum_isrc.validate(raw.strip())
    except ValidationError:
        expected = None
    try:
        got = normalize_isrc(raw)
    except InvalidIdentifier:
        got = None
    assert got == expected


_URL_PIECES = st.text(alphabet="aZ0-._~!$&'()*+,;=:@/%?#é ", max_size=12)


@settings(max_examples=400)
@given(
    scheme=st.sampled_from(["https", "http", "HTTPS"]),
    host=st.sampled_from(["open.spotify.com", "www.youtube.com", "Bandcamp.COM", "a-b.c0", "x"]),
    port=st.sampled_from(["", ":443", ":80", ":8080"]),
    path=_URL_PIECES,
)
def test_url_shortcut_agrees_with_the_full_normalization(scheme, host, port, path):
    from consent import identifiers

    raw = f"{scheme}://{host}{port}/{path}"
    try:
        expected = identifiers._normalize_url_fully(raw)
    except InvalidIdentifier:
        expected = None
    try:
        got = normalize_url(raw)
    except InvalidIdentifier:
        got = None
    assert got == expected
