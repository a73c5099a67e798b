"""Holding a mirror's answers to the live API's, identifier by identifier."""

import copy

from registry_client import Mirror, Registry

from consent.models import Track, TrackLink

# What is not the answer itself: when and how it was asked.
ASKED = ("query", "index", "as_of")


def comparable(answer: dict, sources: bool = True) -> dict:
    """The answer as the mirror must give it: everything but how and when it was asked.

    `sources=False` leaves out each value's `source`: a new declaration of the value already in
    force changes only the source, and the registry's feed announces changes of values, not of
    sources, so a mirror kept by the feed learns of it at the track's next change.
    """
    kept = {key: value for key, value in answer.items() if key not in ASKED}
    kept = copy.deepcopy(kept)
    if not sources:
        for holder in [kept, *kept.get("matches", [])]:
            for item in holder["policy"].values():
                item.pop("source", None)
    return kept


def identifiers_of_registry() -> list[tuple[str, str]]:
    """Every identifier of every track, including hidden links (which must answer as the live
    API answers them: unregistered, unless another track holds them)."""
    found: list[tuple[str, str]] = []
    for track in Track.objects.order_by("id"):
        found.append(("track", str(track.public_id)))
        if track.isrc:
            found.append(("isrc", track.isrc))
        if track.iswc:
            found.append(("iswc", track.iswc))
        if track.audio_sha256:
            found.append(("sha256", track.audio_sha256))
    for url in TrackLink.all_objects.order_by("url").values_list("url", flat=True).distinct():
        found.append(("url", url))
    return found


def assert_mirror_answers_as_live(
    mirror: Mirror, registry: Registry, identifiers: list[tuple[str, str]], sources: bool = True
) -> None:
    """Each identifier answered by the mirror as by the live API: the single lookup for a few,
    and one batch (the same answers, cheaper on the rate limit) for all of them."""
    for kind, value in identifiers[:3]:
        mirrored = comparable(mirror.answer(kind, value), sources)
        assert mirrored == comparable(registry.lookup(kind, value), sources), (kind, value)
    results = registry.batch([{kind: value} for kind, value in identifiers])["results"]
    for (kind, value), live in zip(identifiers, results, strict=True):
        mirrored = comparable(mirror.answer(kind, value), sources)
        assert mirrored == comparable(live, sources), (kind, value)
