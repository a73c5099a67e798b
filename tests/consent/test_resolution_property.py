"""Property: a track's effective value is never less restrictive than any single claim's own."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from consent.purposes import PURPOSES, RESTRICTIVENESS, Purpose, Value
from consent.resolution import Statement, combine, resolve_claim

T0 = datetime(2026, 1, 1, tzinfo=UTC)

statement = st.builds(
    lambda value, n: Statement(value, declaration_id=n, declared_at=T0),
    st.sampled_from(list(Value)),
    st.integers(min_value=1, max_value=10_000),
)
level = st.dictionaries(st.sampled_from(PURPOSES), statement, max_size=len(PURPOSES))
claim = st.tuples(level, level)  # (track-level, catalogue-level)


@given(st.lists(claim, min_size=1, max_size=5))
def test_effective_value_is_at_least_as_restrictive_as_every_claim_alone(claims):
    per_claim = [
        resolve_claim(track, catalogue, claim_id=i) for i, (track, catalogue) in enumerate(claims)
    ]
    effective = combine(per_claim)
    for alone in per_claim:
        for purpose in PURPOSES:
            assert (
                RESTRICTIVENESS[effective[purpose].value] >= RESTRICTIVENESS[alone[purpose].value]
            )


@given(st.lists(claim, min_size=1, max_size=5))
def test_effective_value_is_one_that_some_claim_actually_resolves_to(claims):
    per_claim = [
        resolve_claim(track, catalogue, claim_id=i) for i, (track, catalogue) in enumerate(claims)
    ]
    effective = combine(per_claim)
    for purpose in PURPOSES:
        assert effective[purpose].value in {alone[purpose].value for alone in per_claim}


@given(level, level, st.sampled_from(PURPOSES))
def test_a_deny_at_track_level_for_a_purpose_always_denies_it(track, catalogue, purpose: Purpose):
    track = dict(track) | {purpose: Statement(Value.DENY, 99_999, T0)}
    assert resolve_claim(track, catalogue)[purpose].value == Value.DENY
