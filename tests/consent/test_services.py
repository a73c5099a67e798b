"""Registering, claiming and declaring: what the domain records and what is then in force."""

import pytest
from django.db import transaction

from consent.models import ChangeEvent, Claim, Declaration, Dispute, EffectivePolicy, Track
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import (
    ConsentError,
    PurposeChoice,
    TrackData,
    declare,
    opt_out_of_ai_training,
    register_track,
    withdraw_claim,
)
from tests.conftest import verify_claims_of

pytestmark = pytest.mark.django_db

ISRC = "USRC17607839"


def track_data(**overrides) -> TrackData:
    base = {"title": "Night Drive", "artist_credit": "Owner Band", "roles": ["recording"]}
    return TrackData(**(base | overrides))


def policy(track: Track) -> dict[str, str]:
    return EffectivePolicy.objects.get(track=track).values()


def test_registering_a_track_claims_it_and_publishes_an_unset_policy(artist):
    result = register_track(
        artist, track_data(isrc=ISRC, links=["https://www.soundcloud.com/a/b/"])
    )
    track = result.tracks[0]
    assert Claim.objects.get(track=track).creator == artist
    assert list(track.links.values_list("url", "host")) == [
        ("https://soundcloud.com/a/b", "soundcloud.com")
    ]
    assert set(policy(track).values()) == {"unset"}
    assert ChangeEvent.objects.filter(track=track).count() == 1


def test_new_tracks_inherit_the_catalogue_default(artist):
    opt_out_of_ai_training(artist)
    track = register_track(artist, track_data()).tracks[0]
    values = policy(track)
    assert all(values[p.value] == "deny" for p in AI_OPT_OUT)
    assert values["search"] == "unset"
    provenance = EffectivePolicy.objects.get(track=track).provenance["train-genai"]
    assert provenance["level"] == "catalogue"
    assert provenance["creator"] == str(artist.public_id)


def test_a_track_override_beats_the_catalogue_and_inherit_restores_it(artist):
    track = register_track(artist, track_data()).tracks[0]
    verify_claims_of(artist)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=track)
    assert policy(track)["train-genai"] == "allow"
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.UNSET)}, track=track)
    assert policy(track)["train-genai"] == "deny"


def test_one_click_opt_out_changes_every_track_and_logs_one_event_each(artist):
    tracks = [register_track(artist, track_data(title=f"Song {i}")).tracks[0] for i in range(3)]
    before = ChangeEvent.objects.count()
    opt_out_of_ai_training(artist)
    assert ChangeEvent.objects.count() == before + 3
    for track in tracks:
        assert policy(track)["train-ai"] == "deny"


def test_declaring_the_same_choice_again_writes_nothing(artist):
    register_track(artist, track_data())
    assert opt_out_of_ai_training(artist)
    count = Declaration.objects.count()
    assert opt_out_of_ai_training(artist) == []
    assert Declaration.objects.count() == count


def test_a_licence_needs_terms_or_a_contact(artist):
    with pytest.raises(ConsentError, match="terms URL or a contact email"):
        declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE)})
    assert not Declaration.objects.exists()
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, contact_email="a@b.org")})


def test_nobody_declares_for_a_track_they_do_not_claim(artist, other_artist):
    track = register_track(artist, track_data()).tracks[0]
    with pytest.raises(ConsentError):
        declare(other_artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=track)


def test_a_competing_claim_opens_a_dispute_and_the_most_restrictive_value_applies(
    artist, other_artist
):
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)})
    track = register_track(artist, track_data(isrc=ISRC)).tracks[0]
    verify_claims_of(artist)
    assert policy(track)["train-genai"] == "allow"

    declare(other_artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    result = register_track(other_artist, track_data(isrc=ISRC, title="Not The Same Title"))

    assert result.tracks[0] == track
    track.refresh_from_db()
    assert track.title == "Night Drive", "a second registration never overwrites the track"
    dispute = Dispute.objects.get(track=track)
    assert dispute.status == "open"
    assert set(dispute.claims.values_list("creator", flat=True)) == {artist.id, other_artist.id}
    stored = EffectivePolicy.objects.get(track=track)
    assert stored.disputed
    assert stored.train_genai == "deny"
    assert stored.provenance["train-genai"]["creator"] == str(other_artist.public_id)


def test_re_registering_after_withdrawing_renews_the_claim(artist):
    track = register_track(artist, track_data(isrc=ISRC)).tracks[0]
    withdraw_claim(Claim.objects.get(track=track))
    register_track(artist, track_data(isrc=ISRC))
    assert list(Claim.objects.values_list("status", flat=True)) == ["active"]


def test_registering_the_same_role_twice_is_refused(artist):
    register_track(artist, track_data(isrc=ISRC))
    with pytest.raises(ConsentError, match="already registered"):
        register_track(artist, track_data(isrc=ISRC))


def test_a_composition_claim_on_a_recording_is_a_co_owner_not_a_dispute(artist, other_artist):
    track = register_track(artist, track_data(isrc=ISRC)).tracks[0]
    register_track(other_artist, track_data(isrc=ISRC, roles=["composition"]))
    assert not Dispute.objects.exists()
    assert Claim.objects.filter(track=track, status="active").count() == 2


def test_withdrawing_a_claim_drops_its_declarations_from_the_policy(artist, other_artist):
    track = register_track(artist, track_data(isrc=ISRC)).tracks[0]
    register_track(other_artist, track_data(isrc=ISRC, roles=["composition"]))
    declare(other_artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    assert policy(track)["tdm"] == "deny"
    withdraw_claim(Claim.objects.get(creator=other_artist))
    assert policy(track)["tdm"] == "unset"


def test_a_failed_operation_leaves_no_trace(artist):
    bad = {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE)}
    with pytest.raises(ConsentError):
        register_track(artist, track_data(isrc=ISRC, links=["https://a.example/x"], choices=bad))
    assert not Track.objects.exists()
    assert not ChangeEvent.objects.exists()


def test_change_events_are_numbered_without_gaps_in_order(artist):
    register_track(artist, track_data(title="A"))
    register_track(artist, track_data(title="B"))
    opt_out_of_ai_training(artist)
    with transaction.atomic():
        numbers = list(ChangeEvent.objects.values_list("sequence", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    last = ChangeEvent.objects.last()
    assert last.previous["train-ai"] == "unset"
    assert last.policy["train-ai"] == "deny"


def test_withdrawing_one_of_two_competing_claims_closes_the_dispute(artist, other_artist):
    track = register_track(artist, track_data(isrc=ISRC)).tracks[0]
    register_track(other_artist, track_data(isrc=ISRC))
    assert EffectivePolicy.objects.get(track=track).disputed
    withdraw_claim(Claim.objects.get(creator=other_artist))
    assert Dispute.objects.get(track=track).status == "closed"
    assert not EffectivePolicy.objects.get(track=track).disputed


def test_new_licence_terms_are_a_change_platforms_see(artist):
    track = register_track(artist, track_data()).tracks[0]
    verify_claims_of(artist)
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url="https://a.org/1")})
    before = ChangeEvent.objects.count()
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url="https://a.org/2")})
    assert ChangeEvent.objects.count() == before + 1
    event = ChangeEvent.objects.filter(track=track).last()
    assert event.previous["terms"]["train-ai"]["terms_url"] == "https://a.org/1"
    assert event.policy["terms"]["train-genai"]["terms_url"] == "https://a.org/2"


def test_a_co_owner_cannot_remove_a_link_someone_else_added(artist, other_artist):
    from consent.links import remove_link

    track = register_track(artist, track_data(isrc=ISRC, links=["https://a.example/x"])).tracks[0]
    register_track(other_artist, track_data(isrc=ISRC, roles=["composition"]))
    with pytest.raises(ConsentError, match="Another owner"):
        remove_link(other_artist, track.links.get())
    assert track.links.count() == 1


def test_registering_others_isrcs_counts_against_the_daily_dispute_limit(
    artist, other_artist, settings, django_capture_on_commit_callbacks
):
    from consent.services import register_tracks

    settings.DISPUTES_PER_DAY = 2
    isrcs = ["USRC17607839", "USRC17607830", "USRC17607831"]
    register_tracks(artist, [track_data(isrc=code, title=code) for code in isrcs])
    with pytest.raises(ConsentError, match="open 3 disputes"):
        register_tracks(other_artist, [track_data(isrc=code) for code in isrcs])
    assert not Claim.objects.filter(creator=other_artist).exists()
    assert not Dispute.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):  # counted once committed
        register_tracks(other_artist, [track_data(isrc=code) for code in isrcs[:2]])
    assert Dispute.objects.count() == 2
    with pytest.raises(ConsentError, match="open 1 disputes .* 0 more today"):
        register_track(other_artist, track_data(isrc=isrcs[2]))
