"""A claim's life: which claims count, how a withdrawn one comes back, where disputes open."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.contests import contest_claim
from consent.models import AuditEntry, Claim, Dispute
from consent.services import TrackData, register_track, withdraw_claim
from tests.conftest import make_artist

pytestmark = pytest.mark.django_db

ISRC = "USRC17607839"


def track_data(isrc: str = ISRC) -> TrackData:
    return TrackData(
        title="Night Drive", artist_credit="Owner Band", roles=["recording"], isrc=isrc
    )


def test_active_claims_are_neither_withdrawn_nor_revoked_and_as_of_sees_those_of_then(artist):
    kept = register_track(artist, track_data()).tracks[0]
    gone = register_track(artist, track_data("GBAYE2400001")).tracks[0]
    before = timezone.now()
    withdraw_claim(Claim.objects.get(track=gone))

    assert [c.track for c in Claim.objects.active()] == [kept]
    assert list(gone.claims.active()) == []
    assert set(Claim.objects.in_force_at(before)) == set(Claim.objects.all())
    assert list(Claim.objects.in_force_at(before - timedelta(days=1))) == []


def test_a_contest_joins_the_dispute_the_registry_opened_over_the_same_track_and_role(
    artist, other_artist
):
    track = register_track(artist, track_data()).tracks[0]
    register_track(other_artist, track_data())  # the same ISRC: the registry opens a dispute
    third = make_artist("Third Party")
    contested = Claim.objects.get(track=track, creator=artist)

    dispute = contest_claim(third, contested, "I own this recording", "My statement.")

    assert Dispute.objects.get() == dispute
    assert dispute.claims.active().count() == 3
    entries = list(dispute.audit_entries.filter(action__in=["opened", "joined"]))
    assert [(e.action, e.user_id, e.claim.creator) for e in entries] == [
        (AuditEntry.Action.OPENED, None, other_artist),
        (AuditEntry.Action.JOINED, third.user_id, artist),
    ]
    assert entries[1].details["statement"] == dispute.statements.get(creator=third).pk


def test_a_withdrawn_claim_comes_back_in_its_own_row_when_its_holder_contests(artist, other_artist):
    track = register_track(artist, track_data()).tracks[0]
    register_track(other_artist, track_data())
    own = Claim.objects.get(track=track, creator=other_artist)
    withdraw_claim(own)
    assert not Dispute.objects.active().exists()

    dispute = contest_claim(
        other_artist, Claim.objects.get(creator=artist), "I own this recording", "Mine."
    )

    own.refresh_from_db()
    assert (own.status, own.ended_at) == (Claim.Status.ACTIVE, None)
    assert Claim.objects.filter(creator=other_artist).count() == 1
    assert dispute.contester_claim == own
