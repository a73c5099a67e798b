"""Property: whatever artists, reviewers and claimants do (register, declare, link, unlink,
withdraw a claim, contest one, decide a dispute), a mirror built and kept by `sync` answers every
identifier exactly as the live API does: a mirror kept by the feed in everything but the sources
of values re-declared unchanged (which the feed does not announce), one built from the snapshot
in everything."""

import contextlib

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from registry_client import Mirror, sync

from consent.contests import contest_claim
from consent.disputes import decide
from consent.links import add_links, remove_link
from consent.models import Claim, Dispute, Track, TrackLink
from consent.purposes import Purpose, Value
from consent.services import (
    ConsentError,
    PurposeChoice,
    TrackData,
    declare,
    register_track,
    withdraw_claim,
)
from tests.client.compare import assert_mirror_answers_as_live, identifiers_of_registry
from tests.conftest import make_artist, verify_claims_of

LINKS = [
    "https://soundcloud.com/band/one",
    "https://youtube.com/watch?v=abcdefghijk",
    "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
    "https://band.bandcamp.com/track/one",
    "https://example.org/music/one",
]
ISRCS = ["USRC17607839", "GBX7Q2400101", "USRC17607840"]
ISWCS = ["T0345246801", "T1234567894"]

index = st.integers(min_value=0, max_value=20)
operation = st.one_of(
    st.tuples(
        st.just("register"),
        index,
        st.lists(st.sampled_from(LINKS), max_size=2, unique=True),
        st.none() | st.sampled_from(ISRCS),
        st.none() | st.sampled_from(ISWCS),
    ),
    st.tuples(
        st.just("declare"),
        index,
        st.none() | index,
        st.sampled_from(list(Purpose)),
        st.sampled_from(list(Value)),
    ),
    st.tuples(st.just("link"), index, index, st.sampled_from(LINKS)),
    st.tuples(st.just("unlink"), index, index),
    st.tuples(st.just("verify"), index),
    st.tuples(st.just("withdraw"), index),
    st.tuples(st.just("contest"), index, index),
    st.tuples(st.just("decide"), index, st.booleans()),
)


def pick(items, n):
    return items[n % len(items)] if items else None


def run(op, artists, reviewer) -> None:
    kind, *args = op
    tracks = list(Track.objects.order_by("id"))
    if kind == "register":
        who, links, isrc, iswc = args
        artist = pick(artists, who)
        data = TrackData(
            title=f"Song {len(tracks)}",
            artist_credit=artist.artist_name,
            roles=["recording"],
            isrc=isrc,
            iswc=iswc or "",
            links=links,
        )
        register_track(artist, data)
    elif kind == "declare":
        who, track, purpose, value = args
        terms = "https://owner.example/licence" if value == Value.LICENSE else ""
        track = None if track is None else pick(tracks, track)
        declare(pick(artists, who), {purpose: PurposeChoice(value, terms)}, track=track)
    elif kind == "link":
        who, track, url = args
        if tracks:
            add_links(pick(artists, who), pick(tracks, track), [url])
    elif kind == "unlink":
        who, link = args
        link = pick(list(TrackLink.objects.order_by("id")), link)
        if link is not None:
            remove_link(pick(artists, who), link)
    elif kind == "verify":
        verify_claims_of(pick(artists, args[0]))
    elif kind == "withdraw":
        claim = pick(list(Claim.objects.filter(status=Claim.Status.ACTIVE).order_by("id")), *args)
        if claim is not None:
            withdraw_claim(claim)
    elif kind == "contest":
        who, claim = args
        claim = pick(list(Claim.objects.filter(status=Claim.Status.ACTIVE).order_by("id")), claim)
        if claim is not None:
            contest_claim(pick(artists, who), claim, reason="Mine", statement="I recorded it.")
    elif kind == "decide":
        which, uphold_first = args
        dispute = pick(list(Dispute.objects.active().order_by("id")), which)
        if dispute is not None:
            claims = list(dispute.claims.active().order_by("id"))
            if claims:
                upheld = claims[0] if uphold_first else claims[-1]
                decide(reviewer, dispute, "upheld", "Evidence read.", upheld_claim=upheld)


@pytest.mark.slow
def test_a_synced_mirror_answers_every_identifier_as_the_live_api(
    live_registry, tmp_path, settings
):
    settings.DISPUTES_PER_DAY = 10_000
    artists = [make_artist() for _ in range(3)]
    reviewer = get_user_model().objects.create_user(
        username="property-reviewer", email="r@example.org", password="x" * 20, is_staff=True
    )
    registry = live_registry.client()
    mirror = Mirror(tmp_path / "mirror")
    examples = []

    @hypothesis_settings(
        max_examples=15,
        deadline=None,
        database=None,
        # Each example costs a sync and a batch against a live server: no long shrinking.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(operation, min_size=1, max_size=6))
    def property_holds(operations):
        for op in operations:
            # Refused as it would be on the website: nothing changed.
            with contextlib.suppress(ConsentError, ValidationError):
                run(op, artists, reviewer)
        # Kept in sync across examples, and once from empty on the first.
        sync(registry, mirror)
        identifiers = identifiers_of_registry() + [("url", "https://soundcloud.com/no/one")]
        assert mirror.cursor == registry.last_sequence()
        assert_mirror_answers_as_live(mirror, registry, identifiers, sources=False)
        examples.append(len(identifiers))

    try:
        property_holds()
    finally:
        mirror.close()
    assert examples and Track.objects.exists()
    # A second mirror built from empty at the end agrees too.
    with Mirror(tmp_path / "fresh") as fresh:
        sync(registry, fresh)
        assert_mirror_answers_as_live(fresh, registry, identifiers_of_registry())
