"""A title or artist credit with a line break is refused on the website, with the field named."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consent.models import Track

pytestmark = pytest.mark.django_db

REFUSAL = "cannot contain a line break"


def track_form(**overrides) -> dict:
    return {
        "title": "Night Drive",
        "artist_credit": "Owner Band",
        "role": "recording",
        "isrc": "",
        "iswc": "",
        "duration": "",
        "links": "",
    } | overrides


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("title", "Night\nDrive", "The title"),
        ("title", "Night\u2028Drive", "The title"),
        ("title", "Night\x1eDrive", "The title"),
        ("artist_credit", "Owner Band\u2029feat. Guest", "The artist credit"),
        ("artist_credit", "Owner Band\r\nBcc: all@example.org", "The artist credit"),
    ],
)
def test_the_track_form_refuses_a_line_break_next_to_the_field(owner_client, field, value, label):
    response = owner_client.post(reverse("track_new"), track_form(**{field: value}))
    assert response.status_code == 200
    (error,) = response.context["form"].errors[field]
    assert error.startswith(f"{label} {REFUSAL}")
    assert "Write it on one line" in error
    assert f"{label} {REFUSAL}" in response.content.decode()
    assert Track.objects.count() == 0


def test_a_line_break_only_around_the_title_is_trimmed_and_the_track_registers(owner_client):
    response = owner_client.post(reverse("track_new"), track_form(title="\nNight Drive\u2028"))
    assert response.status_code == 302
    assert Track.objects.get().title == "Night Drive"


def test_the_import_page_lists_a_title_with_a_line_break_on_its_line(owner_client):
    csv = 'title,isrc\n"Night\u2028Drive",USRC17607839\n'.encode()
    response = owner_client.post(
        reverse("catalogue_import"),
        {"file": SimpleUploadedFile("catalogue.csv", csv, "text/csv")},
    )
    assert response.status_code == 400
    assert [str(error) for error in response.context["errors"]] == [
        f"Line 2, column “title”: The title {REFUSAL}: it contains a line separator (U+2028), an "
        "invisible one. Write it on one line: it is copied into emails and files that are read "
        "line by line, where a break would cut it in two."
    ]
    assert f"The title {REFUSAL}" in response.content.decode()
    assert Track.objects.count() == 0
