"""The client normalizes identifiers exactly as the registry does (registry_client/urls.py is a
port of consent/identifiers.py): every link of tests/link_variants.py, generated everyday forms
and awkward edge cases give the same form, or are refused by both."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registry_client import urls as client

from consent import identifiers as registry
from consent.lookup import parse_query
from tests.link_variants import PLATFORMS, UNRESOLVED_SHORT_LINKS, everyday_variant

EDGE_CASES = [
    "soundcloud.com/a/b",
    "HTTPS://WWW.SoundCloud.com:443/a/b/",
    "http://example.org:80/x?b=2&a=1&utm_campaign=z#frag",
    "http://example.org:443/x",
    "https://example.org:8443/x",
    "http://example.org:8080/x",
    "https://example.org/a/./b/../c//d",
    "https://example.org/a%2Fb/c%20d/%7Euser",
    "https://example.org/ünï/çødé?q=é",
    "https://bücher.example/titel",
    "https://example.org/?",
    "https://example.org/x?a=&b",
    "https://example.org/x?A=1&a=2&FBCLID=3",
    "https://example.org.",
    "https://youtu.be/",
    "https://youtu.be/abc/def",
    "https://www.youtube.com/live/abc?t=3",
    "https://www.youtube.com/watch?list=PL1&v=abc&index=2",
    "https://www.youtube.com/playlist?list=PL1&si=x",
    "https://open.spotify.com/intl-pt_br/album/xyz?si=1",
    "https://x.bandcamp.com/album/y?search_rank=1&from=discover&other=1",
    "https://www.deezer.com/en-gb/album/1?utm_source=x",
    "https://tidal.com/browse/playlist/abc?u",
    "https://music.apple.com/us/album/x/1?i=2&uo=4&l=en",
    "https://on.soundcloud.com/AbCd?si=1",
    "https://deezer.page.link/x?utm_source=y",
    "https://example.org/" + "a" * 1990,
    "https://example.org/" + "é" * 400,
    "ftp://example.org/x",
    "mailto:someone@example.org",
    "https://localhost/x",
    "https://exa mple.org/x",
    "https://example.org:99999/x",
    "https://[::1]/x",
    "",
    "   ",
    "not a link",
    "https://-.example/x",
    "https://a..b/x",
    "https://xn--/x",
]


def both(value: str, kind: str = "url") -> tuple[str, str]:
    """What each side makes of `value`: the normalized form, or `refused`."""
    try:
        theirs = parse_query(kind, value).value
    except registry.InvalidIdentifier:
        theirs = "refused"
    try:
        ours = client.normalize(kind, value)
    except client.InvalidIdentifier:
        ours = "refused"
    return theirs, ours


def listed_links() -> list[str]:
    found = list(UNRESOLVED_SHORT_LINKS)
    for platform in PLATFORMS:
        found += [platform.registered, platform.stored, *platform.variants]
    return found


@pytest.mark.parametrize("url", listed_links() + EDGE_CASES)
def test_every_listed_link_and_edge_case_normalizes_identically(url):
    theirs, ours = both(url)
    assert ours == theirs, url


def test_every_listed_variant_finds_its_stored_form():
    for platform in PLATFORMS:
        for variant in (platform.registered, *platform.variants):
            assert client.normalize_url(variant) == platform.stored, variant


@settings(max_examples=300, deadline=None)
@given(everyday_variant())
def test_generated_everyday_variants_agree(drawn):
    _, url = drawn
    theirs, ours = both(url)
    assert ours == theirs == registry.normalize_url(url), url


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        lambda scheme, host, path, query: f"{scheme}{host}{path}{query}",
        st.sampled_from(["https://", "http://", "HTTP://", "", "https://www."]),
        st.sampled_from(
            ["example.org", "youtu.be", "m.youtube.com", "x.bandcamp.com", "open.spotify.com"]
            + ["tidal.com", "deezer.com", "music.apple.com", "EXAMPLE.org:80", "m.soundcloud.com"]
        ),
        st.text(alphabet="/abc.%2F~é -_:@", max_size=20),
        st.text(alphabet="?&=abcsiutm_#%é+", max_size=20),
    )
)
def test_generated_links_agree(url):
    theirs, ours = both(url)
    assert ours == theirs, url


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("isrc", "us-rc1-76-07839"),
        ("isrc", "USRC17607839"),
        ("isrc", " gb x7q 24 00101 "),
        ("isrc", "US–RC1–76–07839"),  # en dashes
        ("isrc", "XXRC17607839"),
        ("isrc", "USRC1760783"),
        ("isrc", "USRC1760783X"),
        ("iswc", "T-034.524.680-1"),
        ("iswc", "t0345246801"),
        ("iswc", "T0345246802"),
        ("iswc", "0345246801"),
        ("sha256", "AB" * 32),
        ("sha256", "ab" * 31),
        ("sha256", "zz" * 32),
        ("track", "12345678-1234-5678-1234-567812345678"),
        ("track", "{12345678123456781234567812345678}"),
        ("track", "not-a-uuid"),
    ],
)
def test_other_identifiers_agree(kind, value):
    theirs, ours = both(value, kind)
    assert ours == theirs, (kind, value)


SHAPES = st.sampled_from(
    [
        "https://{h}/{p}",
        "http://{h}/{p}?{q}",
        "https://www.{h}/{p}/?{q}",
        "http://m.{h}/{p}",
        "https://{h}/intl-de/{p}?{q}",
        "https://{h}/{p}//{p}?{q}",
        "https://{h}/./{p}/..?{q}",
        "https://{h}?{q}",
    ]
)
HOSTS = st.sampled_from(
    [
        "youtube.com",
        "music.youtube.com",
        "youtu.be",
        "soundcloud.com",
        "open.spotify.com",
        "x.bandcamp.com",
        "deezer.com",
        "tidal.com",
        "music.apple.com",
        "example.org",
        "on.soundcloud.com",
    ]
)
PATH_TEXT = st.text(alphabet="abcXYZ019-._~!$&'()*+,;=:@/", max_size=20)
QUERY_TEXT = st.lists(
    st.tuples(
        st.sampled_from(["v", "t", "si", "utm_source", "i", "a", "", "from", "search_x", "V"]),
        st.text(alphabet="abc019-._~=", max_size=6),
        st.booleans(),
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(SHAPES, HOSTS, PATH_TEXT, QUERY_TEXT)
def test_the_fast_path_for_plain_links_gives_the_full_normalization(shape, host, path, pairs):
    """`normalize_url` reads links of plain characters without urllib; whatever it answers that
    way is what the full normalization (and so the registry) answers."""
    query = "&".join(f"{k}={v}" if has_value else k for k, v, has_value in pairs)
    link = shape.format(h=host, p=path, q=query)
    fast = client._normalize_simple(link)
    if fast is not None:
        assert fast == client._normalize_url_fully(link), link
    theirs, ours = both(link)
    assert ours == theirs, link
