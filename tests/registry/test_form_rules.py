"""Every form refuses what the registry cannot use, with the same sentence as the CSV import.

Each case goes through the website's forms (registering a track, adding links on a track's page,
the catalogue's and a track's permissions, the profile) and through an import row, and must be
refused on both with a message that names the problem and quotes what was typed.
"""

import csv
import io

import pytest
from django.urls import reverse

from consent.importing.catalogue import parse_catalogue_csv
from consent.models import Creator, Declaration, Track, TrackLink
from consent.services import TrackData, register_track
from registry.forms_disputes import EvidenceForm
from registry.forms_verification import VerificationRequestForm

pytestmark = pytest.mark.django_db

WRITE_A_PAGE = "Write the full address of a web page, starting with https://."

# (what was typed, what the refusal must say besides quoting it)
NOT_WEB_PAGES = [
    ("mailto:someone@example.net", "is not a web link: it is an email link (mailto:)"),
    ("tel:+4930123456", "is not a web link: it is a phone number (tel:)"),
    ("ftp://files.example.com/song.mp3", "is not a web link: ftp: addresses are for file"),
    ("javascript:alert(1)", "is not a web link: it is a script (javascript:)"),
    ("data:text/html,hello", "is not a web link: it holds data inside the link itself (data:)"),
    ("file:///home/me/song.mp3", "is not a web link: it points to a file on one computer"),
    ("/music/night-drive", "is only part of an address: it has no site name"),
    ("../night-drive", "is only part of an address: it has no site name"),
    ("someone@example.net", "is not a web link: it is an email address"),
]
BAD_EMAILS = [
    ("licensing at example.org", "is not a valid email address: it has no “@”"),
    ("licensing@example", "“example” after the “@” is not a full domain name"),
    ("two@@example.org", "is not a valid email address: it has more than one “@”"),
    ("mailto:licensing@example.org", "is an email link: write only the address after “mailto:”"),
    ("https://example.org/licensing", "is a web address, not an email address"),
    ("a@example.org; b@example.org", "is not one email address"),
]
ONE_LINE = [
    ("Night\u2028Drive", "cannot contain a line break: it contains a line separator (U+2028)"),
    ("Night\u2029Drive", "cannot contain a line break: it contains a paragraph separator (U+2029)"),
    ("Night\x85Drive", "cannot contain a line break: it contains a next-line character (U+0085)"),
    ("Night\u202eDrive", "cannot contain invisible control characters: it contains “right-to-left"),
    ("Night\u200bDrive", "cannot contain invisible control characters: it contains “zero width"),
    (
        "Night\x07Drive",
        "cannot contain invisible control characters: it contains the control character U+0007",
    ),
]
BAD_ISRCS = [
    ("XX-RC1-76-07839", "“XX” is not a country code ISRCs are issued under"),
    (
        "US-RC1-76-0783",
        "it has 11 letters and digits (hyphens and spaces aside), but an ISRC has 12",
    ),
    (
        "US-RC1-76-078390",
        "it has 13 letters and digits (hyphens and spaces aside), but an ISRC has 12",
    ),
    ("US-RC1-76-0783!", "it contains “!”. An ISRC has only letters and digits"),
    ("US_RC1_76_07839", "it contains “_”. An ISRC has only letters and digits"),
    ("12-RC1-76-07839", "it must start with a two-letter country code, but starts with “12”"),
]
BAD_ISWCS = [
    ("T-034.524.680-2", "its check digit does not match"),
    ("T-034.524.68-1", "it has 9 digits after the T, but an ISWC is T followed by ten digits"),
    ("034.524.680-1", "an ISWC starts with the letter T"),
    ("T-034.52A.680-1", "it contains “A”. After the T an ISWC has only digits"),
]


def ids(cases) -> list[str]:
    return [repr(typed) for typed, _ in cases]


def track_form(**overrides) -> dict:
    return {
        "title": "Night Drive",
        "artist_credit": "Owner Band",
        "role": "recording",
        "isrc": "USRC17607839",
        "iswc": "",
        "duration": "",
        "links": "",
    } | overrides


def permissions(**values) -> dict:
    form = {"terms_url": "", "contact_email": "", "train_ai": "license"}
    for field in ("tdm", "train_genai", "ai_input", "search"):
        form[field] = "unset"
    return form | values


def import_error(**cells: str) -> str:
    """The one refusal of an import row with these cells (and a title and an ISRC)."""
    row = {"title": "Night Drive", "isrc": "US-RC1-76-07839"} | cells
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(row))
    writer.writeheader()
    writer.writerow(row)
    result = parse_catalogue_csv(
        buffer.getvalue().encode(),
        max_rows=10,
        max_bytes=100_000,
        default_artist_credit="Owner Band",
    )
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    (error,) = result.errors
    assert error.line == 2
    return error.message


def form_error(response, field: str, form: str = "form") -> str:
    assert response.status_code == 200
    (error,) = response.context[form].errors[field]
    return error


@pytest.fixture
def track(artist) -> Track:
    data = TrackData(
        title="Harbour Lights", artist_credit="Owner Band", roles=["recording"], isrc="GBAYE2400001"
    )
    return register_track(artist, data).tracks[0]


# --- Links: only web pages ------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "problem"), NOT_WEB_PAGES, ids=ids(NOT_WEB_PAGES))
def test_a_link_that_is_no_web_page_is_refused_by_the_track_form_and_the_import(
    owner_client, typed, problem
):
    response = owner_client.post(
        reverse("track_new"), track_form(links=f"https://ownerband.example/a\n{typed}")
    )
    message = form_error(response, "links")
    assert message.startswith(f"Line 2: “{typed}” {problem}")
    assert not Track.objects.exists()
    assert not TrackLink.objects.exists()
    assert import_error(links=typed) == message.removeprefix("Line 2: ")


@pytest.mark.parametrize(("typed", "problem"), NOT_WEB_PAGES, ids=ids(NOT_WEB_PAGES))
def test_a_link_that_is_no_web_page_is_refused_on_the_tracks_page(
    owner_client, track, typed, problem
):
    response = owner_client.post(
        reverse("track_detail", args=[track.public_id]), {"action": "add-links", "links": typed}
    )
    assert response.status_code == 200
    (message,) = response.context["links_form"].errors["links"]
    assert message.startswith(f"Line 1: “{typed}” {problem}")
    assert not TrackLink.objects.filter(track=track).exists()


def test_an_email_link_is_no_longer_stored_as_the_homepage_of_its_domain(owner_client):
    owner_client.post(reverse("track_new"), track_form(links="mailto:someone@example.net"))
    assert not TrackLink.objects.filter(host="example.net").exists()
    robots = owner_client.get("/hosts/example.net/robots.txt")
    assert "Disallow: /$" not in robots.content.decode()


def test_the_refusal_of_an_email_link_says_where_an_email_address_belongs(owner_client):
    response = owner_client.post(reverse("track_new"), track_form(links="mailto:a@example.net"))
    message = form_error(response, "links")
    assert WRITE_A_PAGE in message
    assert "An email address for licensing belongs in the contact email." in message


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ownerband.example/night-drive", "https://ownerband.example/night-drive"),
        ("http://ownerband.example/night-drive", "https://ownerband.example/night-drive"),
        ("ownerband.example:8080/night-drive", "https://ownerband.example:8080/night-drive"),
    ],
)
def test_a_web_page_written_without_https_is_still_accepted(owner_client, typed, stored):
    response = owner_client.post(reverse("track_new"), track_form(links=typed))
    assert response.status_code == 302
    assert list(TrackLink.objects.values_list("url", flat=True)) == [stored]


# --- Licence terms URL and contact email ----------------------------------------------------

TERMS_URLS = [
    *NOT_WEB_PAGES,
    (
        "x" * 490 + ".example/terms",
        "The licence terms URL is 504 characters long; the limit is 500",
    ),
]


@pytest.mark.parametrize(("typed", "problem"), TERMS_URLS, ids=ids(TERMS_URLS))
def test_a_terms_url_that_is_no_web_page_is_refused_by_both_permission_forms_and_the_import(
    owner_client, track, typed, problem
):
    catalogue = form_error(
        owner_client.post(reverse("catalogue_permissions"), permissions(terms_url=typed)),
        "terms_url",
    )
    assert problem in catalogue
    if not problem.startswith("The licence"):
        assert catalogue.startswith(f"“{typed}” {problem}")
    on_track = form_error(
        owner_client.post(
            reverse("track_detail", args=[track.public_id]),
            permissions(terms_url=typed, action="permissions"),
        ),
        "terms_url",
        "permissions_form",
    )
    assert on_track == catalogue
    assert import_error(**{"train-ai": "license", "terms_url": typed}) == catalogue
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(("typed", "problem"), BAD_EMAILS, ids=ids(BAD_EMAILS))
def test_a_contact_email_that_is_no_address_is_refused_by_both_permission_forms_and_the_import(
    owner_client, track, typed, problem
):
    catalogue = form_error(
        owner_client.post(reverse("catalogue_permissions"), permissions(contact_email=typed)),
        "contact_email",
    )
    assert catalogue.startswith(f"“{typed}” ")
    assert problem in catalogue
    on_track = form_error(
        owner_client.post(
            reverse("track_detail", args=[track.public_id]),
            permissions(contact_email=typed, action="permissions"),
        ),
        "contact_email",
        "permissions_form",
    )
    assert on_track == catalogue
    assert import_error(**{"train-ai": "license", "contact_email": typed}) == catalogue
    assert not Declaration.objects.exists()


def test_a_good_terms_url_and_email_are_accepted_by_the_form_and_the_import(owner_client, artist):
    response = owner_client.post(
        reverse("catalogue_permissions"),
        permissions(terms_url="ownerband.example/licensing", contact_email="rights@ownerband.eu"),
    )
    assert response.status_code == 302
    declaration = Declaration.objects.get(creator=artist)
    assert declaration.terms_url == "https://ownerband.example/licensing"
    assert declaration.contact_email == "rights@ownerband.eu"


# --- One-line texts: titles, credits, the artist name ---------------------------------------


@pytest.mark.parametrize(("typed", "problem"), ONE_LINE, ids=ids(ONE_LINE))
@pytest.mark.parametrize(
    ("field", "column", "label"),
    [("title", "title", "title"), ("artist_credit", "artist_credit", "artist credit")],
)
def test_a_title_or_credit_that_breaks_its_line_is_refused_by_the_form_and_the_import(
    owner_client, field, column, label, typed, problem
):
    message = form_error(
        owner_client.post(reverse("track_new"), track_form(**{field: typed})), field
    )
    assert message.startswith(f"The {label} {problem}")
    assert not Track.objects.exists()
    assert import_error(**{column: typed}) == message


@pytest.mark.parametrize(("typed", "problem"), ONE_LINE, ids=ids(ONE_LINE))
def test_an_artist_name_that_breaks_its_line_is_refused_by_the_profile(
    owner_client, artist, typed, problem
):
    response = owner_client.post(
        reverse("profile"), {"artist_name": typed, "handle": artist.handle, "isni": ""}
    )
    assert form_error(response, "artist_name").startswith(f"The artist name {problem}")
    assert Creator.objects.get(pk=artist.pk).artist_name == "Owner Band"


@pytest.mark.parametrize(
    "title",
    [
        "Sigur Rós — Ágætis Byrjun",
        "می\u200cخواهم",  # Persian's zero-width non-joiner is spelling
        "👩\u200d🎤 Rock Star",  # an emoji joined with the zero-width joiner
        "\u05e9\u05d9\u05e8 \u200fNight",  # a right-to-left mark between scripts
    ],
)
def test_titles_in_any_script_are_accepted(owner_client, title):
    response = owner_client.post(reverse("track_new"), track_form(title=title))
    assert response.status_code == 302
    assert Track.objects.get().title == title


def test_spaces_and_tabs_in_a_title_become_one_space_on_the_form_as_in_the_import(owner_client):
    owner_client.post(reverse("track_new"), track_form(title="Night\t  Drive"))
    assert Track.objects.get().title == "Night Drive"


# --- Identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "problem"), BAD_ISRCS, ids=ids(BAD_ISRCS))
def test_an_isrc_refusal_names_the_problem_in_the_form_and_the_import(owner_client, typed, problem):
    message = form_error(owner_client.post(reverse("track_new"), track_form(isrc=typed)), "isrc")
    assert message.startswith(f"“{typed}” is not a valid ISRC: ")
    assert problem in message
    assert "expected 12 characters" not in message
    assert import_error(isrc=typed) == message


@pytest.mark.parametrize(("typed", "problem"), BAD_ISWCS, ids=ids(BAD_ISWCS))
def test_an_iswc_refusal_names_the_problem_in_the_form_and_the_import(owner_client, typed, problem):
    message = form_error(owner_client.post(reverse("track_new"), track_form(iswc=typed)), "iswc")
    assert message.startswith(f"“{typed}” is not a valid ISWC: ")
    assert problem in message
    assert import_error(iswc=typed) == message


# --- Links in evidence and verification requests --------------------------------------------


@pytest.mark.parametrize(("typed", "problem"), NOT_WEB_PAGES, ids=ids(NOT_WEB_PAGES))
def test_an_evidence_link_that_is_no_web_page_is_refused_saying_what_it_is(typed, problem):
    form = EvidenceForm(data={"links": f"https://label.example/release\n{typed}"})
    assert not form.is_valid()
    (message,) = form.errors["links"]
    assert message.startswith(f"Line 2: “{typed}” {problem}")


@pytest.mark.parametrize(("typed", "problem"), NOT_WEB_PAGES, ids=ids(NOT_WEB_PAGES))
def test_a_verification_link_that_is_no_web_page_is_refused_saying_what_it_is(typed, problem):
    form = VerificationRequestForm(data={"url": typed}, claims=[])
    assert not form.is_valid()
    (message,) = form.errors["url"]
    assert message.startswith(f"“{typed}” {problem}")
