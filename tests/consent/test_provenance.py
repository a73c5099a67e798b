"""One typed reader of the provenance stored with each policy (consent.provenance): what is
written reads back as the same sources, with real datetimes and the claim's proof, and the API's
policy is derived from those sources alone."""

import importlib
import uuid
from datetime import UTC, datetime

import pytest

from consent.models import Claim, Declaration, EffectivePolicy
from consent.policies import find_policy_differences, policy_from_provenance
from consent.provenance import ClaimProof, Source, answer_policy, read_sources
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from consent.times import PATTERN
from tests.conftest import make_artist, verify_claims_of

pytestmark = pytest.mark.django_db

migration = importlib.import_module("consent.migrations.0014_one_time_format")
ISRC = "USRC17607839"
TERMS = PurposeChoice(Value.LICENSE, "https://owner.example/terms", "rights@owner.example")


@pytest.fixture
def track(artist):
    track = register_track(
        artist, TrackData(title="Glasshouse", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    verify_claims_of(artist)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    declare(artist, {Purpose.SEARCH: TERMS}, track=track)
    return track


def test_the_sources_of_a_policy_name_the_declaration_claim_and_proof_with_real_types(
    track, artist
):
    sources = EffectivePolicy.objects.get(track=track).sources()
    assert set(sources) == set(Purpose)
    claim = Claim.objects.get(track=track)
    catalogue = Declaration.objects.get(creator=artist, track=None, purpose="tdm")
    inherited = sources[Purpose.TRAIN_GENAI]
    assert inherited.value == Value.DENY
    assert inherited.level == "catalogue"
    assert inherited.declared_for == Purpose.TDM and inherited.inherited
    assert inherited.declaration == catalogue.id
    assert isinstance(inherited.declared_at, datetime)
    assert inherited.declared_at == catalogue.declared_at
    assert inherited.claim == claim.public_id and isinstance(inherited.claim, uuid.UUID)
    assert inherited.creator == artist.public_id
    assert inherited.proof == ClaimProof("review") and inherited.verified
    licence = sources[Purpose.SEARCH]
    assert licence.level == "track" and not licence.inherited
    assert (licence.terms_url, licence.contact_email) == (TERMS.terms_url, TERMS.contact_email)
    assert not licence.terms_withheld


def test_an_unverified_claims_licence_reads_as_withheld_and_unproven(artist):
    data = TrackData(title="Glasshouse", artist_credit="S", roles=["composition"], isrc=ISRC)
    track = register_track(artist, data).tracks[0]
    stranger = make_artist("Stranger", "stranger")
    register_track(stranger, data)
    licence = PurposeChoice(Value.LICENSE, "https://pay.example")
    declare(stranger, {Purpose.AI_INPUT: licence}, track=track)
    source = EffectivePolicy.objects.get(track=track).sources()[Purpose.AI_INPUT]
    assert source.claim == Claim.objects.get(track=track, creator=stranger).public_id
    assert source.value == Value.LICENSE
    assert source.terms_withheld and source.terms_url == ""
    assert source.proof == ClaimProof("") and not source.verified


def test_unset_purposes_have_no_source(artist):
    track = register_track(
        artist, TrackData(title="Quiet", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    assert EffectivePolicy.objects.get(track=track).sources() == {}


def test_what_is_written_reads_back_as_the_same_source(track):
    for source in EffectivePolicy.objects.get(track=track).sources().values():
        assert Source.from_json(source.purpose, source.as_json()) == source


def test_the_stored_time_is_written_in_the_one_format_and_the_old_spelling_still_reads(track):
    stored = EffectivePolicy.objects.get(track=track)
    for entry in stored.provenance.values():
        if "declared_at" in entry:
            assert PATTERN.fullmatch(entry["declared_at"]), entry["declared_at"]
    old = {
        purpose: entry | {"declared_at": "2026-01-31T13:00:00+01:00"}
        for purpose, entry in stored.provenance.items()
    }
    read = read_sources(old)[Purpose.SEARCH]
    assert read.declared_at == datetime(2026, 1, 31, 12, tzinfo=UTC)


def test_only_the_asked_purposes_are_read(track):
    stored = EffectivePolicy.objects.get(track=track)
    assert set(stored.sources([Purpose.SEARCH])) == {Purpose.SEARCH}


def test_the_api_policy_is_derived_from_the_sources(track):
    stored = EffectivePolicy.objects.get(track=track)
    assert stored.answer_policy == answer_policy(stored.sources())
    assert stored.answer_policy == policy_from_provenance(stored.provenance)
    answer = stored.answer_policy["search"]
    assert answer["terms"] == {
        "terms_url": TERMS.terms_url,
        "contact_email": TERMS.contact_email,
        "withheld": False,
    }
    assert PATTERN.fullmatch(answer["source"]["declared_at"])
    assert answer["source"]["verification"] == {"status": "verified", "method": "review"}


def test_the_migration_respells_stored_times_without_moving_them(track):
    stored = EffectivePolicy.objects.get(track=track)
    right = (stored.provenance, stored.answer_policy)

    def old_spelling(text: str) -> str:
        return datetime.fromisoformat(text).isoformat()  # `+00:00`, as isoformat() wrote it

    provenance = {
        p: e | {"declared_at": old_spelling(e["declared_at"])} if "declared_at" in e else e
        for p, e in stored.provenance.items()
    }
    answer = {
        p: e | {"source": e["source"] | {"declared_at": old_spelling(e["source"]["declared_at"])}}
        if e["source"]
        else e
        for p, e in stored.answer_policy.items()
    }
    EffectivePolicy.objects.filter(pk=stored.pk).update(provenance=provenance, answer_policy=answer)
    assert find_policy_differences([track.id]), "the old spelling differs from what is computed"

    assert migration.respell_declared_at(EffectivePolicy) == 1
    stored.refresh_from_db()
    assert (stored.provenance, stored.answer_policy) == right
    assert find_policy_differences([track.id]) == []
    assert migration.respell_declared_at(EffectivePolicy) == 0
