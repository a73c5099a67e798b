"""Identifier and address refusals name the actual problem and quote what was typed; the domain
commands refuse a link that is no web page even when no form stands in front of them."""

import re

import pytest

from consent.addresses import clean_contact_email, clean_terms_url, normalize_web_link
from consent.identifiers import InvalidIdentifier, normalize_isrc, normalize_sha256
from consent.links import add_links
from consent.models import TrackLink
from consent.services import TrackData, register_track, register_tracks


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "XX-RC1-76-07839",
            "“XX-RC1-76-07839” is not a valid ISRC: “XX” is not a country code ISRCs are issued "
            "under.",
        ),
        ("USRC1760783", "“USRC1760783” is not a valid ISRC: it has 11 letters and digits"),
        ("USRC176078391", "“USRC176078391” is not a valid ISRC: it has 13 letters and digits"),
        ("US RC1 76 0783?", "“US RC1 76 0783?” is not a valid ISRC: it contains “?”."),
        (
            "US-RC1-76-0783\u200b9",
            "is not a valid ISRC: it contains the zero width space (U+200B).",
        ),
    ],
)
def test_an_isrc_refusal_says_what_is_wrong(raw, message):
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_isrc(raw)
    assert message in str(refused.value)


def test_a_twelve_character_isrc_is_never_told_it_needs_twelve_characters():
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_isrc("XX-RC1-76-07839")
    assert "12" not in str(refused.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc123", "“abc123” is not a valid SHA-256: it has 6 characters, but a SHA-256 has 64"),
        ("g" * 64, "is not a valid SHA-256: it contains “g”, but a SHA-256 has only the digits"),
    ],
)
def test_an_audio_hash_refusal_says_what_is_wrong(raw, message):
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_sha256(raw)
    assert message in str(refused.value)


def test_an_audio_hash_is_stored_in_lowercase():
    assert normalize_sha256(" " + "AB" * 32 + " ") == "ab" * 32


@pytest.mark.parametrize(
    "raw",
    ["mailto:a@example.net", "tel:+123", "ftp://example.net/a", "javascript:alert(1)", "/a/b"],
)
def test_the_link_terms_and_email_rules_refuse_with_the_input_quoted(raw):
    for rule in (normalize_web_link, clean_terms_url):
        with pytest.raises(InvalidIdentifier, match=f"^“{re.escape(raw)}” "):
            rule(raw)


def test_an_email_is_kept_as_written_and_a_terms_url_is_completed_with_https():
    assert clean_contact_email(" Rights@Owner.example ") == "Rights@Owner.example"
    assert clean_terms_url("owner.example/terms?lang=en") == "https://owner.example/terms?lang=en"


@pytest.mark.django_db
def test_registering_refuses_an_email_link_even_without_a_form(artist):
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        isrc="USRC17607839",
        links=["mailto:someone@example.net"],
    )
    with pytest.raises(InvalidIdentifier, match="it is an email link"):
        register_tracks(artist, [data])
    assert not TrackLink.objects.exists()


@pytest.mark.django_db
def test_adding_links_refuses_an_email_address_even_without_a_form(artist):
    data = TrackData(title="Night Drive", artist_credit="Owner Band", roles=["recording"])
    track = register_track(artist, data).tracks[0]
    with pytest.raises(InvalidIdentifier, match="it is an email address"):
        add_links(artist, track, ["someone@example.net"])
    assert not TrackLink.objects.exists()
