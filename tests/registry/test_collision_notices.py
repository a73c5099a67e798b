"""When another creator's claim touches an artist's music, the artist is told: a notice on the
dashboard, until dismissed, and one email per batch once the claim is committed."""

import pytest
from django.core import mail
from django.urls import reverse

from consent.models import Dispute, Notice, Track
from consent.purposes import Purpose, Value
from consent.services import (
    ConsentError,
    PurposeChoice,
    TrackData,
    register_track,
    register_tracks,
)
from consent.text import email_subject
from tests.conftest import make_artist, verify_claims_of
from tests.disputes_helpers import ISRC, owned_track

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


def registration(title="Night Drive", isrc=ISRC, roles=("recording",), **kwargs) -> TrackData:
    return TrackData(title=title, artist_credit="X", roles=list(roles), isrc=isrc, **kwargs)


def notice_emails() -> list:
    """The collision emails sent (a dispute that opens sends its own emails besides)."""
    return [m for m in mail.outbox if "What this means for your choices" in m.body]


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def newcomer(db):
    return make_artist("Copy Cat", "copy-cat")


def test_a_claim_on_a_claimed_track_writes_a_notice_for_each_existing_claimant(
    artist, other_artist, newcomer, django_capture_on_commit_callbacks
):
    track = owned_track(artist, verified=False)
    register_track(other_artist, registration(roles=["composition"]))
    with django_capture_on_commit_callbacks(execute=True):
        register_track(newcomer, registration())
    notices = Notice.objects.filter(claim__creator=newcomer)
    assert {n.creator for n in notices} == {artist, other_artist}
    assert all(n.kind == Notice.Kind.SAME_TRACK and n.track == track for n in notices)
    # The newcomer competes for the recording, so a dispute opened for review.
    dispute = Dispute.objects.get(track=track, role="recording")
    assert all(n.dispute == dispute for n in notices)
    assert not Notice.objects.filter(creator=newcomer).exists()

    emails = {m.to[0]: m.body for m in notice_emails()}
    assert set(emails) == {artist.user.email, other_artist.user.email}
    dispute_url = f"{SITE}{dispute.get_absolute_url()}"
    assert dispute_url in emails[artist.user.email]
    # The songwriter is not a party to the dispute over the recording: no page to send them to.
    assert dispute_url not in emails[other_artist.user.email]
    assert (
        "Dispute: opened over their claim; a reviewer will decide it."
        in (emails[other_artist.user.email])
    )


def test_each_recipient_gets_one_email_after_commit_saying_what_happened(
    artist, newcomer, django_capture_on_commit_callbacks
):
    first = owned_track(artist, verified=False)
    second = owned_track(artist, verified=False, isrc="USRC17607830")
    Track.objects.filter(pk=second.pk).update(title="Dawn Chorus")
    with django_capture_on_commit_callbacks() as callbacks:
        register_tracks(newcomer, [registration(), registration(isrc="USRC17607830")])
    assert notice_emails() == [], "nothing is sent before the claim is committed"
    for callback in callbacks:
        callback()

    (email,) = notice_emails()
    assert email.to == [artist.user.email]
    assert email.subject == email_subject("Copy Cat's claims touch 2 of your tracks")
    body = email.body
    assert "“Night Drive” (ISRC US-RC1-76-07839)" in body
    assert "“Dawn Chorus” (ISRC US-RC1-76-07830)" in body
    assert "Copy Cat claimed the recording of this track" in body
    assert f"{SITE}/t/{first.public_id}/" in body
    assert f"{SITE}/t/{first.public_id}/contest/" in body
    for dispute in Dispute.objects.filter(track__in=[first, second]):
        assert f"{SITE}{dispute.get_absolute_url()}" in body
    assert "Nothing you declared is loosened" in body
    assert "a reservation of theirs" in body
    assert "Verify your own claim" in body
    assert "hide them from your track's page" in body
    assert f"{SITE}/tracks/{first.public_id}/" in body


def test_an_identifier_collision_says_which_identifier_and_opens_a_review(
    artist, newcomer, django_capture_on_commit_callbacks
):
    mine = register_track(artist, registration(iswc="T0345246801")).tracks[0]
    verify_claims_of(artist)
    with django_capture_on_commit_callbacks(execute=True):
        theirs = register_track(
            newcomer, registration(title="Night Drive (Live)", isrc=None, iswc="T0345246801")
        ).tracks[0]

    notice = Notice.objects.get(creator=artist)
    assert (notice.kind, notice.identifier_kind, notice.track) == ("identifier", "iswc", mine)
    assert notice.dispute is not None and notice.dispute.track == theirs
    (email,) = notice_emails()
    assert email.subject == email_subject(
        "A track by Copy Cat shares an identifier with “Night Drive”"
    )
    assert "registered “Night Drive (Live)” with the same ISWC as your track" in email.body
    assert "T-034.524.680-1" in email.body
    assert f"{SITE}{notice.dispute.get_absolute_url()}" in email.body
    assert f"{SITE}/t/{theirs.public_id}/contest/" in email.body
    # A verified owner is not told to verify, and links on their track are not at stake.
    assert "Verify your own claim" not in email.body
    assert "hide them" not in email.body


def test_an_audio_hash_collision_does_not_reveal_the_hash(
    artist, other_artist, newcomer, django_capture_on_commit_callbacks
):
    audio = "ab" * 32
    register_track(artist, registration(audio_sha256=audio))
    # A co-owner who never uploaded the audio is told too, without its fingerprint.
    register_track(other_artist, registration(roles=["composition"]))
    with django_capture_on_commit_callbacks(execute=True):
        register_track(newcomer, registration(isrc="GBAYE2600001", audio_sha256=audio))
    assert len(notice_emails()) == 2
    for email in notice_emails():
        assert "same audio SHA-256 as your track" in email.body
        assert audio not in email.body


def test_the_subject_stays_on_one_line_whatever_the_title(
    artist, newcomer, django_capture_on_commit_callbacks
):
    track = owned_track(artist, verified=False)
    Track.objects.filter(pk=track.pk).update(title="Night\nDrive\r\nBcc: x@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        register_track(newcomer, registration())
    (email,) = notice_emails()
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject.endswith("claimed your track “Night Drive Bcc: x@example.org”")
    assert email.extra_headers == {}


def test_a_rolled_back_registration_notifies_nobody(
    artist, newcomer, django_capture_on_commit_callbacks
):
    owned_track(artist, verified=False)
    # The licence without terms is refused after the collision was settled: all is undone.
    refused = registration(choices={Purpose.TDM: PurposeChoice(Value.LICENSE)})
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ConsentError):
        register_track(newcomer, refused)
    assert mail.outbox == []
    assert not Notice.objects.exists()


def test_the_dashboard_shows_notices_newest_first_and_dismisses_one(
    owner_client, artist, other_artist, newcomer
):
    owned_track(artist, verified=False)
    owned_track(artist, verified=False, isrc="USRC17607830", allow_everything=False)
    register_track(newcomer, registration(roles=["composition"]))
    register_track(other_artist, registration(isrc="USRC17607830", roles=["composition"]))

    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "Other creators' claims on your music" in page
    assert page.index("Someone Else") < page.index("Copy Cat"), "newest first"
    assert "claimed the composition of your track" in page
    assert "Verify your claim" in page

    first = Notice.objects.get(claim__creator=newcomer)
    response = owner_client.post(reverse("dismiss_notice", args=[first.public_id]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.dismissed_at is not None
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "Copy Cat" not in page and "Someone Else" in page


def test_someone_elses_notice_cannot_be_dismissed(other_client, artist, newcomer):
    owned_track(artist, verified=False)
    register_track(newcomer, registration(roles=["composition"]))
    notice = Notice.objects.get(creator=artist)
    url = reverse("dismiss_notice", args=[notice.public_id])
    assert other_client.post(url).status_code == 404
    assert other_client.get(url).status_code == 405
    notice.refresh_from_db()
    assert notice.dismissed_at is None


def test_the_dashboard_caps_notices_and_counts_the_rest(owner_client, artist, newcomer):
    isrcs = [f"GBAYE26{n:05d}" for n in range(12)]
    register_tracks(
        artist, [registration(title=f"Song {n:02d}", isrc=i) for n, i in enumerate(isrcs)]
    )
    # The songwriter's claims make co-owners, not rivals: notices, and no dispute.
    register_tracks(newcomer, [registration(isrc=i, roles=["composition"]) for i in isrcs])
    assert Notice.objects.filter(creator=artist).count() == 12
    assert not Dispute.objects.exists()

    response = owner_client.get(reverse("dashboard"))
    page = response.content.decode()
    assert page.count("claimed the composition of your track") == 10
    assert "2 more notices not shown here" in page

    owner_client.post(reverse("dismiss_all_notices"))
    assert not Notice.objects.filter(creator=artist, dismissed_at__isnull=True).exists()
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "claimed the composition" not in page
