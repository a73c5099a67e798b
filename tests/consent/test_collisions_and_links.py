"""Collisions with other creators' music, and links that belong to the claim that added them."""

import pytest

from consent.links import add_links, hide_link, remove_link, restore_link
from consent.models import Claim, Dispute, EffectivePolicy, Notice, TrackLink
from consent.purposes import Purpose, Value
from consent.services import (
    ConsentError,
    PurposeChoice,
    TrackData,
    declare,
    register_track,
    withdraw_claim,
)
from tests.conftest import make_artist, verify_claims_of

pytestmark = pytest.mark.django_db

ISRC = "USRC17607839"
ISWC = "T0345246801"
LINK = "https://soundcloud.com/owner/night-drive"


def data(**overrides) -> TrackData:
    base = {"title": "Night Drive", "artist_credit": "Owner Band", "roles": ["recording"]}
    return TrackData(**(base | overrides))


@pytest.fixture
def owned(artist):
    track = register_track(artist, data(isrc=ISRC, iswc=ISWC, links=[LINK])).tracks[0]
    verify_claims_of(artist)
    return track


def test_a_new_claim_in_the_other_role_notifies_the_owner_and_goes_to_review(
    owned, artist, other_artist
):
    register_track(other_artist, data(isrc=ISRC, roles=["composition"]))
    notice = Notice.objects.get(creator=artist)
    assert (notice.kind, notice.track) == ("same-track", owned)
    assert notice.claim.creator == other_artist
    dispute = Dispute.objects.get(track=owned, role="composition")
    assert notice.dispute == dispute
    # It reads as a contest of the newcomer's claim, weighed against the verified one.
    assert dispute.contester_claim.creator == other_artist
    assert dispute.contested_claim.creator == artist
    assert EffectivePolicy.objects.get(track=owned).disputed


def test_between_unverified_claims_a_co_owner_is_notified_but_nothing_goes_to_review(
    artist, other_artist
):
    track = register_track(artist, data(isrc=ISRC)).tracks[0]
    register_track(other_artist, data(isrc=ISRC, roles=["composition"]))
    assert Notice.objects.filter(creator=artist, track=track).count() == 1
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [({"iswc": ISWC}, "iswc"), ({"links": [LINK + "?utm_source=x"]}, "url")],
)
def test_a_new_track_sharing_an_identifier_notifies_the_owner_and_goes_to_review(
    owned, artist, other_artist, identifier, kind
):
    copy = register_track(other_artist, data(title="Copy", **identifier)).tracks[0]
    notice = Notice.objects.get(creator=artist)
    assert (notice.kind, notice.identifier_kind, notice.track) == ("identifier", kind, owned)
    dispute = Dispute.objects.get(track=copy)
    assert set(dispute.claims.values_list("creator", flat=True)) == {artist.id, other_artist.id}
    assert EffectivePolicy.objects.get(track=copy).disputed
    assert not EffectivePolicy.objects.get(track=owned).disputed


def test_rejecting_the_collision_revokes_the_newcomer_and_never_the_owner(
    owned, artist, other_artist, django_user_model
):
    from consent.disputes import decide

    copy = register_track(other_artist, data(title="Copy", links=[LINK])).tracks[0]
    reviewer = django_user_model.objects.create_user("desk", "desk@example.org", is_staff=True)
    dispute = Dispute.objects.get(track=copy)
    decide(reviewer, dispute, "rejected", "The owner proved the link is theirs.")
    assert Claim.objects.get(track=copy).status == "revoked"
    assert Claim.objects.get(track=owned).status == "active"
    # The newcomer's copy of the link left with its claim.
    assert list(TrackLink.objects.filter(url=LINK).values_list("track", flat=True)) == [owned.id]


def test_upholding_the_newcomer_of_another_role_revokes_nobody(
    owned, artist, other_artist, django_user_model
):
    from consent.disputes import decide

    register_track(other_artist, data(isrc=ISRC, roles=["composition"]))
    reviewer = django_user_model.objects.create_user("desk", "desk@example.org", is_staff=True)
    dispute = Dispute.objects.get(track=owned)
    newcomer = Claim.objects.get(creator=other_artist)
    decide(reviewer, dispute, "upheld", "The publisher's letter shows it.", upheld_claim=newcomer)
    assert set(Claim.objects.values_list("status", flat=True)) == {"active"}


def test_collisions_count_against_the_daily_limit_and_over_it_nothing_is_written(
    owned, other_artist, settings, django_capture_on_commit_callbacks
):
    settings.DISPUTES_PER_DAY = 1
    with django_capture_on_commit_callbacks(execute=True):
        register_track(other_artist, data(title="Copy 1", iswc=ISWC))
    before = (Claim.objects.count(), Notice.objects.count(), Dispute.objects.count())
    with pytest.raises(ConsentError, match="you can open 0 more today"):
        register_track(other_artist, data(title="Copy 2", links=[LINK]))
    assert (Claim.objects.count(), Notice.objects.count(), Dispute.objects.count()) == before


def test_adding_a_link_another_owner_carries_is_a_collision(owned, artist, other_artist):
    mine = register_track(other_artist, data(title="Mine")).tracks[0]
    add_links(other_artist, mine, [LINK])
    assert Notice.objects.get(creator=artist).identifier == LINK
    assert Dispute.objects.filter(track=mine).exists()


def test_a_withdrawn_claims_links_leave_with_it(artist, other_artist):
    track = register_track(artist, data(isrc=ISRC)).tracks[0]
    register_track(other_artist, data(isrc=ISRC, roles=["composition"], links=[LINK]))
    assert list(track.links.values_list("url", flat=True)) == [LINK]
    withdraw_claim(Claim.objects.get(creator=other_artist))
    assert not track.links.exists()
    hidden = TrackLink.all_objects.get(url=LINK)
    assert hidden.hidden_reason == "claim-ended"


def test_a_verified_owner_hides_a_strangers_link_and_a_reviewer_can_restore_it(
    owned, artist, other_artist, django_user_model
):
    register_track(other_artist, data(isrc=ISRC, roles=["composition"], links=[LINK + "-x"]))
    stranger_link = TrackLink.objects.get(url=LINK + "-x")
    owner_link = TrackLink.objects.get(url=LINK)
    with pytest.raises(ConsentError, match="only they can remove it"):
        remove_link(other_artist, owner_link)
    with pytest.raises(ConsentError, match="Only a verified owner"):
        hide_link(other_artist, owner_link)
    hide_link(artist, stranger_link)
    assert list(owned.links.values_list("url", flat=True)) == [LINK]
    reviewer = django_user_model.objects.create_user("desk", "desk@example.org", is_staff=True)
    restore_link(reviewer, stranger_link, "The songwriter's own upload.")
    assert owned.links.count() == 2


def test_a_verified_owners_link_cannot_be_hidden(owned, artist, other_artist):
    register_track(other_artist, data(isrc=ISRC, roles=["composition"]))
    verify_claims_of(other_artist)
    with pytest.raises(ConsentError, match="added by a verified owner"):
        hide_link(other_artist, TrackLink.objects.get(url=LINK))


def test_links_per_claim_are_capped(artist, settings):
    settings.LINKS_PER_CLAIM = 2
    track = register_track(artist, data(links=[LINK, LINK + "-2"])).tracks[0]
    with pytest.raises(ConsentError, match="at most 2 links"):
        add_links(artist, track, [LINK + "-3"])
    assert track.links.count() == 2


def test_an_unverified_licence_reserves_without_publishing_terms(artist):
    track = register_track(artist, data()).tracks[0]
    terms = PurposeChoice(Value.LICENSE, terms_url="https://pay.example/me")
    declare(artist, {Purpose.TRAIN_AI: terms})
    stored = EffectivePolicy.objects.get(track=track)
    assert stored.train_ai == "license"
    assert stored.answer_policy["train-ai"]["terms"] == {
        "terms_url": "",
        "contact_email": "",
        "withheld": True,
    }
    assert stored.answer_policy["train-ai"]["source"]["verification"] == {"status": "unverified"}
    verify_claims_of(artist)
    stored.refresh_from_db()
    assert stored.answer_policy["train-ai"]["terms"]["terms_url"] == "https://pay.example/me"


def test_an_unverified_deny_counts_and_its_allow_does_not(artist, other_artist):
    track = register_track(artist, data(isrc=ISRC)).tracks[0]
    verify_claims_of(artist)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    stranger = make_artist()
    register_track(stranger, data(isrc=ISRC, roles=["composition"]))
    declare(
        stranger,
        {Purpose.TDM: PurposeChoice(Value.ALLOW), Purpose.SEARCH: PurposeChoice(Value.DENY)},
    )
    stored = EffectivePolicy.objects.get(track=track)
    assert stored.tdm == "unset"
    assert stored.search == "deny"
    assert stored.verification == {
        "status": "partly-verified",
        "verified_claims": 1,
        "unverified_claims": 1,
    }


def test_withdrawing_a_claim_closes_its_request_for_review(artist):
    from consent.models import VerificationRequest
    from consent.verification_requests import request_review

    track = register_track(artist, data(isrc=ISRC)).tracks[0]
    claim = Claim.objects.get(track=track)
    request_review(
        artist, claim, "distribution", "Our distributor's statement.", url="https://d.example/s"
    )
    withdraw_claim(claim)
    request = VerificationRequest.objects.get(claim=claim)
    assert request.status == "declined"
    assert "withdrawn" in request.decision_reason


def test_a_reviewer_who_claims_the_track_cannot_verify_a_claim_on_it(artist, other_artist):
    from consent.verification import verify_by_review

    track = register_track(artist, data(isrc=ISRC)).tracks[0]
    register_track(other_artist, data(isrc=ISRC, roles=["composition"]))
    other_artist.user.is_staff = True
    other_artist.user.save()
    with pytest.raises(ConsentError, match="another reviewer must"):
        verify_by_review(other_artist.user, Claim.objects.get(track=track, creator=artist), "ok")


def test_a_page_proven_after_a_stranger_arrived_does_not_let_the_owner_hide_their_links(
    artist, other_artist
):
    from consent.models import ClaimVerification

    track = register_track(artist, data(isrc=ISRC)).tracks[0]
    register_track(other_artist, data(isrc=ISRC, roles=["composition"], links=[LINK + "-x"]))
    # A link proof that started after the stranger's claim: it says nothing about who owns it.
    ClaimVerification.objects.create(
        claim=Claim.objects.get(track=track, creator=artist), method="link", detail=LINK
    )
    with pytest.raises(ConsentError, match="verified before that claimant arrived"):
        hide_link(artist, TrackLink.objects.get(url=LINK + "-x"))
