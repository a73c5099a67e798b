"""The import page: who may use it, what a bad file shows, and what a good file registers."""

import csv
import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consent.importing.columns import COLUMNS, EXAMPLE_ROWS
from consent.models import Claim, Declaration, EffectivePolicy, Track

pytestmark = pytest.mark.django_db

ISRC = "US-RC1-76-07839"
OTHER_ISRC = "GB-AYE-24-00001"


def upload(*lines: str, name: str = "catalogue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), "text/csv")


def counts() -> tuple[int, int, int]:
    return Track.objects.count(), Claim.objects.count(), Declaration.objects.count()


def post(client, file, **headers):
    return client.post(reverse("catalogue_import"), {"file": file}, headers=headers)


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    for method in (client.get, client.post):
        response = method(reverse("catalogue_import"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert counts() == (0, 0, 0)


def test_a_signed_in_person_without_an_artist_profile_is_sent_to_create_one(client):
    user = get_user_model().objects.create_user(
        username="newcomer", email="newcomer@example.org", password="a long enough password"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    response = client.get(reverse("catalogue_import"))
    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    assert "Create your artist profile first" in str(list(get_messages(response.wsgi_request))[0])


def test_the_page_documents_every_column_and_offers_the_example(owner_client):
    response = owner_client.get(reverse("catalogue_import"))
    assert response.status_code == 200
    page = response.content.decode()
    for column in COLUMNS:
        assert f">{column.name}</code>" in page
    assert reverse("catalogue_import_example") in page
    assert 'accept=".csv,text/csv"' in page
    assert "10,000 tracks" in page
    assert "-ness" in page


def test_the_example_downloads_as_a_csv_file_with_every_example_track(client):
    response = client.get(reverse("catalogue_import_example"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="catalogue-example.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == [row["title"] for row in EXAMPLE_ROWS]


def test_a_valid_file_imports_and_returns_to_the_dashboard_with_a_summary(owner_client, artist):
    response = post(
        owner_client,
        upload(
            "title,isrc,role,train-ai",
            f"Night Drive,{ISRC},both,deny",
            f"Harbour Lights,{OTHER_ISRC},,",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Imported 2 tracks (3 new claims, 0 disputes opened)."
    ]
    assert Claim.objects.filter(creator=artist).count() == 3
    assert EffectivePolicy.objects.get(track__isrc="USRC17607839").train_ai == "deny"


def test_the_upload_script_is_answered_with_the_address_to_go_to(owner_client):
    response = post(
        owner_client, upload("title,isrc", f"Night Drive,{ISRC}"), Accept="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"redirect": reverse("dashboard")}
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Imported 1 track (1 new claim, 0 disputes opened)."
    ]


def test_a_file_with_errors_changes_nothing_and_lists_each_bad_line(owner_client):
    before = counts()
    response = post(
        owner_client,
        upload(
            "title,isrc,train-ai",
            f"Good,{ISRC},deny",
            "Bad ISRC,US-RC1,deny",
            f"Bad choice,{OTHER_ISRC},perhaps",
            name="my catalogue.csv",
        ),
    )
    assert response.status_code == 400
    assert counts() == before
    page = response.content.decode()
    assert "Nothing was imported: 2 problems in “my catalogue.csv”" in page
    assert [(e.line, e.column) for e in response.context["errors"]] == [
        (3, "isrc"),
        (4, "train-ai"),
    ]
    assert "“US-RC1” is not a valid ISRC" in page
    assert "“perhaps” is not a choice for train-ai" in page


def test_html_in_a_cell_is_shown_as_text_in_the_error_list(owner_client):
    response = post(owner_client, upload("title,isrc", "<script>alert(1)</script>,<b>bold</b>"))
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<b>bold</b>" not in page
    assert "“&lt;b&gt;bold&lt;/b&gt;” is not a valid ISRC" in page


def test_only_the_first_200_problems_are_listed_with_the_total(owner_client):
    lines = [f"Song {n},not-an-isrc-{n}" for n in range(250)]
    response = post(owner_client, upload("title,isrc", *lines))
    page = response.content.decode()
    assert "Nothing was imported: 250 problems" in page
    assert len(response.context["errors"]) == 200
    assert "not-an-isrc-199" in page
    assert "not-an-isrc-200" not in page
    assert "Showing the first 200 of 250 problems" in page
    assert "see the other 50" in page


def test_a_problem_with_the_whole_file_is_shown_without_a_line(owner_client):
    # 0x81 is neither UTF-8 nor a Windows-1252 character.
    file = SimpleUploadedFile("binary.csv", b"title,isrc\nCaf\x81,X\n")
    response = post(owner_client, file)
    assert response.status_code == 400
    assert "Whole file" in response.content.decode()
    assert "neither UTF-8 nor Windows-1252 text" in response.content.decode()


def test_a_file_over_the_size_limit_is_refused_from_its_declared_size(owner_client, settings):
    settings.IMPORT_MAX_BYTES = 100
    file = upload("title,isrc", *[f"Song {n},QZES52400{n:03d}" for n in range(20)])
    response = post(owner_client, file)
    assert response.status_code == 400
    assert "more than the limit of 100 bytes" in response.content.decode()
    assert counts() == (0, 0, 0)


def test_submitting_without_a_file_asks_for_one(owner_client):
    response = owner_client.post(reverse("catalogue_import"), {})
    assert response.status_code == 400
    assert "Choose the CSV file of your catalogue." in response.content.decode()


def test_importing_a_file_twice_refuses_every_line_the_second_time(owner_client):
    lines = ("title,isrc", f"Night Drive,{ISRC}", f"Harbour Lights,{OTHER_ISRC}")
    assert post(owner_client, upload(*lines)).status_code == 302
    before = counts()
    response = post(owner_client, upload(*lines))
    assert response.status_code == 400
    assert response.context["error_count"] == 2
    assert "You have already registered the recording of “Night Drive”" in (
        response.content.decode()
    )
    assert counts() == before
