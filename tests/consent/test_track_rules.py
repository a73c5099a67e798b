"""A duration and a role mean the same on the website's form, in a CSV import and in the domain."""

import pytest

from consent.importing.catalogue import parse_catalogue_csv
from consent.models import Track
from consent.services import ConsentError, TrackData, register_track
from consent.tracks import MAX_DURATION_SECONDS, ROLE_CHOICES, DurationError, parse_duration
from registry.forms import TrackForm

ISRC = "US-RC1-76-07839"


def form_duration(text: str) -> tuple[int | None, str]:
    form = TrackForm(
        {
            "title": "Night Drive",
            "artist_credit": "Owner Band",
            "role": "recording",
            "duration": text,
        }
    )
    form.is_valid()
    errors = form.errors.get("duration", [""])
    return form.cleaned_data.get("duration"), errors[0]


def csv_duration(text: str) -> tuple[int | None, str]:
    data = f"title,isrc,duration\nNight Drive,{ISRC},{text}\n".encode()
    result = parse_catalogue_csv(
        data, max_rows=10, max_bytes=10_000, default_artist_credit="Owner Band"
    )
    if result.errors:
        return None, result.errors[0].message
    return result.rows[0].duration_seconds, ""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("225", 225),
        ("3:45", 225),
        ("75:00", 4500),
        ("1:02:03", 3723),
        (" 4:05 ", 245),
        ("100:00:00", MAX_DURATION_SECONDS),
    ],
)
def test_the_form_and_the_import_read_a_duration_alike(text, seconds):
    assert parse_duration(text) == seconds
    assert form_duration(text) == (seconds, "")
    assert csv_duration(text.strip()) == (seconds, "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("three minutes", "is not a duration"),
        ("1:2:3:4", "is not a duration"),
        ("٣:٤٥", "is not a duration"),
        ("3:75", "has 75 seconds after the colon: minutes and seconds go up to 59"),
        ("1:75:00", "has 75 minutes after the hours: minutes and seconds go up to 59"),
        ("0:00", "cannot last zero seconds"),
        ("100:00:01", "is longer than 100 hours"),
    ],
)
def test_the_form_and_the_import_refuse_a_duration_with_the_same_sentence(text, message):
    with pytest.raises(DurationError, match=message):
        parse_duration(text)
    from_form, from_csv = form_duration(text)[1], csv_duration(text)[1]
    assert message in from_form
    assert from_form == from_csv


def test_the_domain_refuses_a_duration_beyond_the_limit_whoever_sends_it(artist):
    data = TrackData(
        title="Endless", artist_credit="Owner Band", roles=["recording"], isrc="USRC17607839"
    )
    data.duration_seconds = MAX_DURATION_SECONDS + 1
    with pytest.raises(ConsentError, match="“Endless”: .* is longer than 100 hours"):
        register_track(artist, data)
    data.duration_seconds = 0
    with pytest.raises(ConsentError, match="cannot last zero seconds"):
        register_track(artist, data)
    assert not Track.objects.exists()
    data.duration_seconds = MAX_DURATION_SECONDS
    register_track(artist, data)
    assert Track.objects.get().duration_seconds == MAX_DURATION_SECONDS


@pytest.mark.parametrize("choice", list(ROLE_CHOICES))
def test_the_form_and_the_import_claim_the_same_roles_for_each_choice(choice):
    form = TrackForm({"title": "Night Drive", "artist_credit": "Owner Band", "role": choice})
    assert form.is_valid(), form.errors
    data = f"title,isrc,role\nNight Drive,{ISRC},{choice.upper()}\n".encode()
    parsed = parse_catalogue_csv(
        data, max_rows=10, max_bytes=10_000, default_artist_credit="Owner Band"
    )
    assert list(parsed.rows[0].roles) == form.roles == list(ROLE_CHOICES[choice])
    assert {c for c, _ in form.fields["role"].choices} == set(ROLE_CHOICES)
