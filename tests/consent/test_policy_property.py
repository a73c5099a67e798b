"""Properties, on the real database path, whatever claims, verifications and declarations a track
has: its stored effective value is never less restrictive than what any single active claim
resolves to alone, and nothing an unverified claim declares makes it looser than the verified
claims alone would make it."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.models import Claim, EffectivePolicy
from consent.policies import latest_statements
from consent.purposes import PURPOSES, RESTRICTIVENESS, Purpose, Value
from consent.resolution import combine, resolve_claim, unverified
from consent.services import PurposeChoice, TrackData, declare, register_track, withdraw_claim
from tests.conftest import make_artist, verify_claims_of

ISRC = "USRC17607839"
TERMS = "https://example.org/licensing"

choices = st.dictionaries(st.sampled_from(PURPOSES), st.sampled_from(list(Value)), max_size=5)
party = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["recording", "composition"]),
        "catalogue": choices,
        "track": choices,
        "withdraw": st.booleans(),
        "verified": st.booleans(),
    }
)


def as_choices(values: dict[Purpose, Value]) -> dict[Purpose, PurposeChoice]:
    return {
        purpose: PurposeChoice(value, terms_url=TERMS if value == Value.LICENSE else "")
        for purpose, value in values.items()
    }


class Rollback(Exception):
    pass


@pytest.mark.slow  # dozens of catalogues written to the database
@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parties=st.lists(party, min_size=1, max_size=4))
def test_the_stored_policy_is_at_least_as_restrictive_as_every_active_claim_alone(parties):
    try:
        with transaction.atomic():  # each example starts from an empty registry
            track = None
            for spec in parties:
                creator = make_artist()
                declare(creator, as_choices(spec["catalogue"]))
                data = TrackData(title="Shared", artist_credit="X", roles=[spec["role"]], isrc=ISRC)
                track = register_track(creator, data).tracks[0]
                declare(creator, as_choices(spec["track"]), track=track)
                if spec["verified"]:
                    verify_claims_of(creator)
                if spec["withdraw"]:
                    withdraw_claim(Claim.objects.get(track=track, creator=creator))

            stored = EffectivePolicy.objects.get(track=track)
            active = list(Claim.objects.filter(track=track, status="active"))
            statements = latest_statements([c.creator_id for c in active], [track.id])
            verified_alone = []
            for claim in active:
                alone = resolve_claim(
                    statements.get((claim.creator_id, track.id), {}),
                    statements.get((claim.creator_id, None), {}),
                )
                if claim.verifications.filter(ended_at__isnull=True).exists():
                    verified_alone.append(alone)
                else:
                    alone = unverified(alone)
                for purpose in PURPOSES:
                    assert (
                        RESTRICTIVENESS[stored.value_of(purpose)]
                        >= RESTRICTIVENESS[alone[purpose].value]
                    )
            # An `allow` in force always comes from a verified claim, and licence terms in force
            # are always a verified claim's.
            owners = combine(verified_alone)
            for purpose in PURPOSES:
                value = stored.value_of(purpose)
                if value == Value.ALLOW:
                    assert owners[purpose].value == Value.ALLOW
                if value == Value.LICENSE and stored.provenance[purpose.value]["terms_url"]:
                    assert stored.provenance[purpose.value]["verification"]["status"] == "verified"
            if not active:
                assert set(stored.values().values()) == {"unset"}
            raise Rollback
    except Rollback:
        pass
