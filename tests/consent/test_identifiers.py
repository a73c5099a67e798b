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
from consent.lookup import parse_query
from tests.link_variants import PLATFORMS, UNRESOLVED_SHORT_LINKS, everyday_variant


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
        ("http://example.org:8080/x", "https://example.org:8080/x"),
        ("http://example.org/x", "https://example.org/x"),
        ("http://example.org:80/x", "https://example.org/x"),
        ("http://example.org:443/x", "https://example.org/x"),
        (
            "https://example.org/x?_ga=1&igshid=2&mc_cid=3&mc_eid=4&ref_src=5",
            "https://example.org/x",
        ),
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
# Paths a platform rule rewrites, so the shortcut meets them too.
_RULE_PATHS = st.sampled_from(
    ["shorts/a", "embed/a", "live/a", "watch", "intl-de/track/a", "intl-pt_br/track/a"]
    + ["fr/track/1", "pt-br/album/1", "browse/track/1", "browse/x", "a", "track/a/b"]
)
_HOSTS = st.sampled_from(
    ["open.spotify.com", "www.youtube.com", "Bandcamp.COM", "a-b.c0", "x", "youtube.com"]
    + ["youtu.be", "m.youtube.com", "music.youtube.com", "m.soundcloud.com", "soundcloud.com"]
    + ["on.soundcloud.com", "music.apple.com", "artist.bandcamp.com", "deezer.com"]
    + ["deezer.page.link", "tidal.com", "listen.tidal.com"]
)


@settings(max_examples=600)
@given(
    scheme=st.sampled_from(["https", "http", "HTTPS"]),
    host=_HOSTS,
    port=st.sampled_from(["", ":443", ":80", ":8080"]),
    path=st.one_of(_URL_PIECES, _RULE_PATHS),
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


@pytest.mark.parametrize(
    ("platform", "variant"),
    [(p.name, v) for p in PLATFORMS for v in (p.registered, *p.variants)],
)
def test_every_everyday_form_of_a_platform_link_normalizes_to_the_stored_one(platform, variant):
    stored = next(p.stored for p in PLATFORMS if p.name == platform)
    assert normalize_url(variant) == stored


@pytest.mark.parametrize("short", UNRESOLVED_SHORT_LINKS)
def test_short_links_that_need_the_platform_to_resolve_stay_as_they_are(short):
    assert normalize_url(short) == short
    assert normalize_url(short.replace("https://", "http://") + "?utm_source=x") == short


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://youtube.com/playlist?list=PL1&si=x", "https://youtube.com/playlist?list=PL1"),
        ("https://youtu.be/a/b", "https://youtu.be/a/b"),
        ("https://open.spotify.com/album/x?si=1", "https://open.spotify.com/album/x"),
        ("https://deezer.com/fr", "https://deezer.com/fr"),
        ("https://example.org/x?si=1&from=a&in=b", "https://example.org/x?from=a&in=b"),
    ],
)
def test_platform_rules_touch_only_what_they_name(raw, expected):
    assert normalize_url(raw) == expected


def test_a_page_the_registry_fetches_keeps_its_scheme():
    assert normalize_url("http://artist.example/about", keep_scheme=True) == (
        "http://artist.example/about"
    )
    assert normalize_url("http://m.soundcloud.com/a", keep_scheme=True) == (
        "http://soundcloud.com/a"
    )


@settings(max_examples=400)
@given(
    scheme=st.sampled_from(["https", "http", "HTTP"]),
    host=_HOSTS,
    port=st.sampled_from(["", ":443", ":80", ":8080"]),
    path=st.one_of(_URL_PIECES, _RULE_PATHS),
    query=st.lists(
        st.sampled_from(["v=a", "t=3", "si=x", "i=9", "uo=4", "u", "from=s", "search_x=1", "b=2"]),
        max_size=4,
    ),
)
def test_normalizing_a_normalized_link_changes_nothing(scheme, host, port, path, query):
    raw = f"{scheme}://{host}{port}/{path}" + ("?" + "&".join(query) if query else "")
    try:
        once = normalize_url(raw)
    except InvalidIdentifier:
        return
    assert normalize_url(once) == once
    assert normalize_url(once, keep_scheme=True) == once


@settings(max_examples=300)
@given(everyday_variant())
def test_a_lookup_of_any_everyday_form_finds_the_link_as_registration_stored_it(drawn):
    platform, variant = drawn
    stored = normalize_url(platform.registered)  # what registration stores
    assert stored == platform.stored
    assert parse_query("url", variant).value == stored
