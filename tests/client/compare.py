"""Holding a mirror's answers to the live API's, identifier by identifier."""

from registry_client import Mirror, Registry

from consent.models import Track, TrackLink
from consent.purposes import PURPOSES

# What a mirror knows of an answer: the fields every answer shares (docs/api.md).
TRACK_FIELDS = ("id", "isrc", "iswc", "audio_sha256", "links")


def essentials(answer: dict) -> dict:
    track = answer.get("track")
    return {
        "status": answer["status"],
        "track": {k: track[k] for k in TRACK_FIELDS} if track else None,
        "disputed": answer["disputed"],
        "verification": answer["verification"],
        "policy": {p.value: value_and_terms(answer["policy"][p.value]) for p in PURPOSES},
        "sequence": answer["sequence"],
        "normalized": answer.get("normalized"),
        "matches": sorted(m["track"]["id"] for m in answer.get("matches", [])),
    }


def value_and_terms(item: dict) -> tuple:
    """A purpose's value, and for a licence where to ask for it."""
    terms = item.get("terms") or {}
    return item["value"], terms.get("terms_url"), terms.get("contact_email")


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
    mirror: Mirror, registry: Registry, identifiers: list[tuple[str, str]]
) -> None:
    """Each identifier answered by the mirror as by the live API: the single lookup for a few,
    and one batch (the same answers, cheaper on the rate limit) for all of them."""
    for kind, value in identifiers[:3]:
        assert essentials(mirror.answer(kind, value)) == essentials(registry.lookup(kind, value)), (
            kind,
            value,
        )
    results = registry.batch([{kind: value} for kind, value in identifiers])["results"]
    for (kind, value), live in zip(identifiers, results, strict=True):
        assert essentials(mirror.answer(kind, value)) == essentials(live), (kind, value)
