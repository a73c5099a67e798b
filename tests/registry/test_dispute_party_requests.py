"""The parties' side of a request for information and of a decision: the asked party is told
what to answer and by when, the other party that the case waits for someone else, and after a
decision each side reads what it can do next."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consent import disputes
from consent.contests import contest_claim
from consent.services import opt_out_of_ai_training
from tests.disputes_helpers import claim_of, owned_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(artist, other_artist):
    track = owned_track(artist)
    opt_out_of_ai_training(other_artist)
    return contest_claim(other_artist, claim_of(artist, track), "I own this recording", "Mine.")


def test_only_the_asked_party_is_emailed_and_asked_on_its_page(
    client, dispute, reviewer, artist, other_artist, django_capture_on_commit_callbacks
):
    deadline = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        disputes.request_information(
            reviewer, dispute, "Send the session files.", other_artist, deadline=deadline
        )
    assert [m.to for m in mail.outbox] == [[other_artist.user.email]]
    stamp = timezone.localtime(deadline).strftime("%H:%M:%S")
    assert stamp in mail.outbox[0].body and "Send the session files." in mail.outbox[0].body

    client.force_login(other_artist.user)
    asked = client.get(dispute.get_absolute_url()).content.decode()
    assert "The reviewer needs information from you by" in asked and stamp in asked
    client.force_login(artist.user)
    other = client.get(dispute.get_absolute_url()).content.decode()
    assert "The reviewer asked another party for information." in other
    assert "needs information from you" not in other


def test_after_a_decision_each_party_reads_what_it_can_do_next(
    client, dispute, reviewer, artist, other_artist
):
    disputes.decide(reviewer, dispute, disputes.REJECT_CONTEST, "The owner proved it.")
    client.force_login(artist.user)
    kept = client.get(dispute.get_absolute_url()).content.decode()
    assert "Your claim stands: nothing more is needed" in kept
    client.force_login(other_artist.user)
    lost = client.get(dispute.get_absolute_url()).content.decode()
    assert "cannot be contested again" in lost and "/terms/#contact" in lost
