"""The export download, and the update mode's pages: preview, confirmation and result."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consent.importing import staging
from consent.models import Declaration, Track
from consent.policies import latest_statements
from consent.purposes import Purpose, PurposeChoice, Value
from consent.services import declare
from tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, artist):
    client.force_login(artist.user)
    return client


@pytest.fixture
def tracks(artist):
    return [
        register(
            artist,
            title="Night Drive",
            isrc="QZES52400001",
            choices={Purpose.TRAIN_AI: PurposeChoice(Value.DENY)},
        ),
        register(artist, title="Café Noir", isrc="QZES52400002"),
    ]


def export(client) -> str:
    response = client.get(reverse("catalogue_export"))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def edit(text: str, title: str, **cells: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    for row in rows:
        if row["title"] == title:
            row.update({key.replace("_", "-"): value for key, value in cells.items()})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def post_update(client, data: bytes, name: str = "catalogue.csv"):
    file = SimpleUploadedFile(name, data, "text/csv")
    return client.post(reverse("catalogue_import"), {"file": file, "mode": "update"})


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


def own(artist, track) -> dict:
    statements = latest_statements([artist.id], [track.id]).get((artist.id, track.id), {})
    return {p: s.value for p, s in statements.items() if s.value != Value.UNSET}


def test_the_export_streams_a_named_csv_of_the_artists_tracks(owner_client, artist, tracks):
    response = owner_client.get(reverse("catalogue_export"))
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="catalogue-owner-band-\d{4}-\d{2}-\d{2}\.csv"',
        response["Content-Disposition"],
    )
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufefftrack_id,title,isrc,")
    assert str(tracks[0].public_id) in text


def test_the_export_needs_an_artist(client):
    response = client.get(reverse("catalogue_export"))
    assert response.status_code == 302


def test_the_import_page_and_the_dashboard_link_to_the_export(owner_client):
    for name in ("catalogue_import", "dashboard"):
        assert reverse("catalogue_export") in owner_client.get(reverse(name)).content.decode()


def test_the_preview_shows_before_and_after_and_writes_nothing(owner_client, artist, tracks):
    text = edit(export(owner_client), "Night Drive", train_ai="allow", search="deny")
    before = Declaration.objects.count()
    response = post_update(owner_client, text.encode())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Check the changes before they are made" in page
    assert "Read as UTF-8" in page
    assert re.search(r"Training any AI model</td>\s*<td[^>]*>Not allowed</td>", page)
    assert "<strong>Allowed</strong>" in page
    assert "Lines with no change (1)" in page and "Café Noir" in page
    assert Declaration.objects.count() == before


def test_confirming_applies_the_preview_and_shows_the_result(owner_client, artist, tracks):
    text = edit(export(owner_client), "Night Drive", train_ai="", search="deny")
    page = post_update(owner_client, text.encode()).content.decode()
    response = owner_client.post(
        reverse("catalogue_update_confirm"),
        {"token": hidden(page, "token"), "digest": hidden(page, "digest")},
    )
    assert response.status_code == 302
    assert own(artist, tracks[0]) == {Purpose.SEARCH: Value.DENY}
    result = owner_client.get(response["Location"]).content.decode()
    assert "Your tracks are updated" in result
    assert "Changed 2 choices on 1 track; 1 track had no change." in result
    # The token is spent: confirming twice writes nothing more.
    again = owner_client.post(
        reverse("catalogue_update_confirm"),
        {"token": hidden(page, "token"), "digest": hidden(page, "digest")},
        follow=True,
    )
    assert "already applied" in again.content.decode()


def test_a_confirmation_with_another_digest_is_refused(owner_client, artist, tracks):
    text = edit(export(owner_client), "Night Drive", train_ai="allow")
    page = post_update(owner_client, text.encode()).content.decode()
    before = Declaration.objects.count()
    response = owner_client.post(
        reverse("catalogue_update_confirm"), {"token": hidden(page, "token"), "digest": "0" * 64}
    )
    assert response.status_code == 302
    assert Declaration.objects.count() == before


def test_a_change_in_the_registry_after_the_preview_shows_a_new_preview(
    owner_client, artist, tracks
):
    text = edit(export(owner_client), "Café Noir", train_ai="deny")
    page = post_update(owner_client, text.encode()).content.decode()
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)}, track=tracks[1])
    before = Declaration.objects.count()
    response = owner_client.post(
        reverse("catalogue_update_confirm"),
        {"token": hidden(page, "token"), "digest": hidden(page, "digest")},
    )
    assert response.status_code == 200
    assert "changed since the previous preview, so nothing was written" in (
        response.content.decode()
    )
    assert Declaration.objects.count() == before


def test_another_artist_cannot_confirm_a_staged_file(
    owner_client, client, artist, other_artist, tracks
):
    text = edit(export(owner_client), "Night Drive", train_ai="allow")
    page = post_update(owner_client, text.encode()).content.decode()
    client.force_login(other_artist.user)
    client.post(
        reverse("catalogue_update_confirm"),
        {"token": hidden(page, "token"), "digest": hidden(page, "digest")},
    )
    assert own(artist, tracks[0]) == {Purpose.TRAIN_AI: Value.DENY}
    assert staging.load(hidden(page, "token"), artist.pk) is not None


def test_a_bad_line_shows_every_error_and_changes_nothing(owner_client, artist, tracks):
    text = edit(export(owner_client), "Night Drive", train_ai="maybe")
    text = edit(text, "Café Noir", isrc="QZ-ES5-24-00077")
    response = post_update(owner_client, text.encode())
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was changed: 2 problems" in page
    assert "“maybe” is not a choice for train-ai" in page
    assert "cannot change a registered track&#x27;s ISRC" in page
    assert own(artist, tracks[0]) == {Purpose.TRAIN_AI: Value.DENY}


def test_a_windows_1252_file_is_said_on_the_preview(owner_client, tracks):
    text = edit(export(owner_client), "Café Noir", search="deny")
    page = post_update(owner_client, text.encode("cp1252")).content.decode()
    assert "Read as Windows-1252 (Excel)" in page
    assert "Café Noir" in page


def test_an_unchanged_export_has_nothing_to_confirm(owner_client, tracks):
    page = post_update(owner_client, export(owner_client).encode()).content.decode()
    assert "No changes: the 2 tracks in the file match the registry." in page
    assert "Confirm and apply" not in page


def test_new_lines_in_update_mode_are_previewed_and_registered(owner_client, artist, tracks):
    text = export(owner_client) + ",Brand New,QZ-ES5-24-00050,,,,,,deny,,,,,,\r\n"
    page = post_update(owner_client, text.encode()).content.decode()
    assert "New tracks to register (1)" in page
    owner_client.post(
        reverse("catalogue_update_confirm"),
        {"token": hidden(page, "token"), "digest": hidden(page, "digest")},
    )
    assert Track.objects.filter(title="Brand New").exists()
