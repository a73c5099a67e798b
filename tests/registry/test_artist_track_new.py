"""Registering a track from the website: identifiers, links, audio fingerprint, competing claims."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consent.models import Claim, Dispute, Track, TrackLink
from consent.services import TrackData, register_track
from tests.conftest import make_artist

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_the_form_suggests_the_artist_name_as_credit(owner_client):
    page = owner_client.get(reverse("track_new")).content.decode()
    assert 'name="artist_credit"' in page
    assert 'value="Owner Band"' in page


def test_registering_a_track_normalizes_a_lowercase_hyphenated_isrc(owner_client, artist):
    response = owner_client.post(
        reverse("track_new"),
        track_form(isrc="us-rc1-76-07839", iswc="t-034.524.680-1", duration="3:45"),
        follow=True,
    )
    track = Track.objects.get()
    assert track.isrc == "USRC17607839"
    assert track.iswc == "T0345246801"
    assert track.duration_seconds == 225
    assert Claim.objects.get(track=track).creator == artist
    assert response.redirect_chain[-1][0] == reverse("track_detail", args=[track.public_id])
    page = response.content.decode()
    assert "“Night Drive” is registered." in page
    assert "US-RC1-76-07839" in page
    assert "T-034.524.680-1" in page


def test_both_roles_create_two_claims(owner_client, artist):
    owner_client.post(reverse("track_new"), track_form(role="both", duration="225"))
    roles = set(Claim.objects.filter(creator=artist).values_list("role", flat=True))
    assert roles == {"recording", "composition"}
    assert Track.objects.get().duration_seconds == 225


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("isrc", "US-RC1-76-0783", "is not a valid ISRC"),
        ("iswc", "T-034.524.680-2", "its check digit does not match"),
        ("duration", "three minutes", "is not a duration"),
        ("duration", "3:75", "has 75 seconds after the colon"),
    ],
)
def test_a_bad_identifier_is_explained_and_nothing_is_created(owner_client, field, value, message):
    response = owner_client.post(reverse("track_new"), track_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert message in response.content.decode()
    assert not Track.objects.exists()
    assert not Claim.objects.exists()


def test_a_bad_link_names_its_line_and_nothing_is_created(owner_client):
    links = "https://soundcloud.com/owner/night-drive\n\nftp://files.example.com/song"
    response = owner_client.post(reverse("track_new"), track_form(links=links))
    errors = response.context["form"].errors["links"]
    assert errors == [
        "Line 3: “ftp://files.example.com/song” is not a web link: ftp: addresses are for file "
        "transfer. Write the full address of a web page, starting with https://."
    ]
    assert not Track.objects.exists()
    assert not TrackLink.objects.exists()


def test_links_are_stored_normalized_without_duplicates(owner_client):
    links = "https://www.soundcloud.com/owner/night-drive/?utm_source=x\nsoundcloud.com/owner/night-drive"
    owner_client.post(reverse("track_new"), track_form(links=links))
    assert list(TrackLink.objects.values_list("url", flat=True)) == [
        "https://soundcloud.com/owner/night-drive"
    ]


def test_the_audio_hash_is_computed_while_uploading_and_no_file_is_kept(
    owner_client, private_media
):
    audio = bytes(range(256)) * 1000  # 256 kB: several chunks of the upload handler
    upload = SimpleUploadedFile("night-drive.mp3", audio, content_type="audio/mpeg")
    response = owner_client.post(reverse("track_new"), track_form(audio=upload))
    assert response.status_code == 302
    assert Track.objects.get().audio_sha256 == hashlib.sha256(audio).hexdigest()
    assert stored_files(private_media) == []


def test_with_keep_audio_uploads_the_file_is_kept_privately_under_its_hash(
    owner_client, settings, private_media
):
    settings.KEEP_AUDIO_UPLOADS = True
    audio = b"RIFF" + b"\x01\x02" * 50_000
    upload = SimpleUploadedFile("night-drive.wav", audio, content_type="audio/wav")
    owner_client.post(reverse("track_new"), track_form(audio=upload))
    digest = hashlib.sha256(audio).hexdigest()
    assert Track.objects.get().audio_sha256 == digest
    assert stored_files(private_media) == [private_media / "audio" / f"{digest}.wav"]
    assert (private_media / "audio" / f"{digest}.wav").read_bytes() == audio


def test_with_keep_audio_uploads_a_refused_form_keeps_no_file(
    owner_client, settings, private_media
):
    settings.KEEP_AUDIO_UPLOADS = True
    upload = SimpleUploadedFile("night-drive.mp3", b"ID3" + b"x" * 5000, content_type="audio/mpeg")
    response = owner_client.post(reverse("track_new"), track_form(isrc="nonsense", audio=upload))
    assert response.status_code == 200
    assert not Track.objects.exists()
    assert stored_files(private_media) == []


def test_it_refuses_an_audio_file_over_the_size_limit(owner_client, settings, private_media):
    settings.AUDIO_MAX_BYTES = 100_000
    settings.KEEP_AUDIO_UPLOADS = True
    upload = SimpleUploadedFile("long-mix.flac", b"f" * 300_000, content_type="audio/flac")
    response = owner_client.post(reverse("track_new"), track_form(audio=upload))
    assert response.status_code == 200
    error = response.context["form"].errors["audio"][0]
    assert error.startswith("“long-mix.flac” is larger than the 97.7\xa0KB limit for audio files.")
    assert "larger than the" in response.content.decode()
    # The rest of what the artist typed is still there to submit again.
    assert 'value="Night Drive"' in response.content.decode()
    assert not Track.objects.exists()
    assert stored_files(private_media) == []


def test_it_refuses_a_file_that_is_not_audio(owner_client):
    upload = SimpleUploadedFile("cover.jpg", b"\xff\xd8\xff" * 100, content_type="image/jpeg")
    response = owner_client.post(reverse("track_new"), track_form(audio=upload))
    assert "“cover.jpg” is not an audio file" in response.context["form"].errors["audio"][0]
    assert not Track.objects.exists()


def test_it_refuses_a_post_without_the_csrf_token(client, artist):
    client.handler.enforce_csrf_checks = True
    client.force_login(artist.user)
    response = client.post(reverse("track_new"), track_form())
    assert response.status_code == 403
    assert not Track.objects.exists()


def test_a_second_creator_registering_the_same_isrc_opens_a_dispute_seen_by_both(client, artist):
    first = register_track(
        artist,
        TrackData(
            title="Night Drive",
            artist_credit="Owner Band",
            roles=["recording"],
            isrc="USRC17607839",
        ),
    ).tracks[0]
    rival = make_artist("Rival Records", "rival-records")
    client.force_login(rival.user)
    response = client.post(
        reverse("track_new"),
        track_form(title="Night Drive (copy)", isrc="USRC17607839"),
        follow=True,
    )
    page = response.content.decode()
    assert (
        "This ISRC is already claimed by another creator; both claims stay recorded, the most "
        "restrictive choice applies, and a dispute has been opened."
    ) in page
    assert response.redirect_chain[-1][0] == reverse("track_detail", args=[first.public_id])
    assert Track.objects.count() == 1
    assert Claim.objects.filter(track=first, status=Claim.Status.ACTIVE).count() == 2
    dispute = Dispute.objects.get(track=first, status=Dispute.Status.OPEN)

    rival_dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Open disputes" in rival_dashboard
    assert "Owner Band" in rival_dashboard
    assert "while an administrator reviews it" in rival_dashboard

    client.force_login(artist.user)
    owner_dashboard = client.get(reverse("dashboard"))
    assert [item.dispute for item in owner_dashboard.context["disputes"]] == [dispute]
    assert "Rival Records" in owner_dashboard.content.decode()
    assert "badge-disputed" in owner_dashboard.content.decode()


def test_registering_the_same_recording_twice_is_refused_with_a_sentence(owner_client, artist):
    owner_client.post(reverse("track_new"), track_form(isrc="USRC17607839"))
    response = owner_client.post(reverse("track_new"), track_form(isrc="USRC17607839"))
    assert response.status_code == 200
    assert "You have already registered the recording of “Night Drive”." in (
        response.content.decode()
    )
    assert Claim.objects.count() == 1


def test_a_title_with_html_is_shown_as_text_everywhere(owner_client):
    title = '<script>alert("owned")</script>'
    response = owner_client.post(reverse("track_new"), track_form(title=title), follow=True)
    detail = response.content.decode()
    dashboard = owner_client.get(reverse("dashboard")).content.decode()
    for page in (detail, dashboard):
        assert '<script>alert("owned")' not in page
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page
