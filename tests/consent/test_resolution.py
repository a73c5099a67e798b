"""The resolution rule, table by table: every level and every purpose."""

from datetime import UTC, datetime

import pytest

from consent.purposes import PURPOSES, Purpose, Value
from consent.resolution import CATALOGUE, TRACK, Resolved, Statement, combine, resolve_claim

T0 = datetime(2026, 1, 1, tzinfo=UTC)
P = Purpose
V = Value


def stmts(**values: Value) -> dict[Purpose, Statement]:
    """`stmts(train_ai=V.DENY)` → statements keyed by purpose, with distinct declaration ids."""
    return {
        Purpose(name.replace("_", "-")): Statement(value, declaration_id=i, declared_at=T0)
        for i, (name, value) in enumerate(values.items(), start=1)
    }


# (track statements, catalogue statements, purpose, expected value, expected level, declared for)
CASES = [
    # Nothing declared anywhere: unset, for every purpose.
    *[({}, {}, p, V.UNSET, None, None) for p in PURPOSES],
    # A statement for the purpose itself, at each level.
    *[(stmts(**{p.value.replace("-", "_"): V.DENY}), {}, p, V.DENY, TRACK, p) for p in PURPOSES],
    *[
        ({}, stmts(**{p.value.replace("-", "_"): V.ALLOW}), p, V.ALLOW, CATALOGUE, p)
        for p in PURPOSES
    ],
    # Track level beats catalogue level for the same purpose.
    *[
        (
            stmts(**{p.value.replace("-", "_"): V.ALLOW}),
            stmts(**{p.value.replace("-", "_"): V.DENY}),
            p,
            V.ALLOW,
            TRACK,
            p,
        )
        for p in PURPOSES
    ],
    # Narrower purposes fall back to broader ones at the same level.
    ({}, stmts(tdm=V.DENY), P.TRAIN_AI, V.DENY, CATALOGUE, P.TDM),
    ({}, stmts(tdm=V.DENY), P.TRAIN_GENAI, V.DENY, CATALOGUE, P.TDM),
    ({}, stmts(tdm=V.DENY), P.AI_INPUT, V.DENY, CATALOGUE, P.TDM),
    ({}, stmts(tdm=V.DENY), P.SEARCH, V.UNSET, None, None),
    ({}, stmts(train_ai=V.LICENSE), P.TRAIN_GENAI, V.LICENSE, CATALOGUE, P.TRAIN_AI),
    ({}, stmts(train_ai=V.LICENSE), P.TDM, V.UNSET, None, None),
    ({}, stmts(train_ai=V.LICENSE), P.AI_INPUT, V.UNSET, None, None),
    (stmts(tdm=V.ALLOW), {}, P.TRAIN_GENAI, V.ALLOW, TRACK, P.TDM),
    (stmts(train_ai=V.DENY, tdm=V.ALLOW), {}, P.TRAIN_GENAI, V.DENY, TRACK, P.TRAIN_AI),
    (stmts(train_genai=V.ALLOW, train_ai=V.DENY), {}, P.TRAIN_GENAI, V.ALLOW, TRACK, P.TRAIN_GENAI),
    # Any track-level statement in the chain beats a catalogue statement for the purpose itself.
    (stmts(tdm=V.ALLOW), stmts(train_genai=V.DENY), P.TRAIN_GENAI, V.ALLOW, TRACK, P.TDM),
    (stmts(train_ai=V.ALLOW), stmts(ai_input=V.DENY), P.AI_INPUT, V.DENY, CATALOGUE, P.AI_INPUT),
    # An explicit `unset` at track level means "inherit": the catalogue decides.
    (
        stmts(train_genai=V.UNSET),
        stmts(train_genai=V.DENY),
        P.TRAIN_GENAI,
        V.DENY,
        CATALOGUE,
        P.TRAIN_GENAI,
    ),
    (stmts(tdm=V.UNSET), stmts(tdm=V.LICENSE), P.TRAIN_AI, V.LICENSE, CATALOGUE, P.TDM),
    # Search is independent of the TDM tree.
    (stmts(search=V.ALLOW), stmts(tdm=V.DENY), P.SEARCH, V.ALLOW, TRACK, P.SEARCH),
    ({}, stmts(search=V.DENY, tdm=V.ALLOW), P.SEARCH, V.DENY, CATALOGUE, P.SEARCH),
]


@pytest.mark.parametrize(("track", "catalogue", "purpose", "value", "level", "declared_for"), CASES)
def test_one_claim_resolves_by_walking_track_then_catalogue(
    track, catalogue, purpose, value, level, declared_for
):
    resolved = resolve_claim(track, catalogue, claim_id=7)[purpose]
    assert resolved.value == value
    assert resolved.level == level
    assert resolved.declared_for == declared_for
    if value != V.UNSET:
        assert resolved.claim_id == 7
        assert resolved.declaration_id is not None


def test_provenance_names_the_declaration_that_decided():
    track = {P.TRAIN_AI: Statement(V.LICENSE, 41, T0, terms_url="https://example.org/terms")}
    resolved = resolve_claim(track, {}, claim_id=3)[P.TRAIN_GENAI]
    assert (resolved.declaration_id, resolved.declared_at, resolved.terms_url) == (
        41,
        T0,
        "https://example.org/terms",
    )


ORDER = [V.UNSET, V.ALLOW, V.LICENSE, V.DENY]


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("first", ORDER)
@pytest.mark.parametrize("second", ORDER)
def test_across_claims_the_most_restrictive_value_wins(purpose, first, second):
    a = {purpose: Resolved(first, TRACK, purpose, 1, T0, claim_id=1)}
    b = {purpose: Resolved(second, CATALOGUE, purpose, 2, T0, claim_id=2)}
    combined = combine([a, b])[purpose]
    assert combined.value == max(first, second, key=ORDER.index)
    if first == second and first != V.UNSET:
        assert combined.claim_id == 1, "ties keep the first (oldest) claim's provenance"


def test_no_claims_means_no_reservation_for_every_purpose():
    assert {p: r.value for p, r in combine([]).items()} == {p: V.UNSET for p in PURPOSES}
