"""Tracks as tests need them, registered through the services as an artist would."""

from consent.models import Creator, Track
from consent.services import TrackData, register_tracks
from tests.conftest import verify_claims_of


def register(
    creator: Creator,
    *links: str,
    title: str = "Night Drive",
    isrc: str | None = None,
    count: int | None = None,
    verified: bool = False,
    **fields,
) -> Track | list[Track]:
    """Register tracks of `creator` in one batch (one transaction), as an import does.

    Returns the track; with `count`, a list of that many, whose `title` and `isrc` may hold
    `{n}` (0, 1, 2 ...) to tell them apart. `links` go to every track. `verified=True` then has
    a reviewer verify every active claim of the creator (`verify_claims_of`), as for an owner who
    has proven their claims: only then do their `allow` and licence terms reach platforms.
    Other keywords are TrackData's (artist_credit, roles, iswc, choices ...); the credit is the
    creator's name and the role `recording` unless given.
    """
    fields.setdefault("artist_credit", creator.artist_name)
    fields.setdefault("roles", ["recording"])
    if count is None:
        items = [TrackData(title=title, isrc=isrc, links=list(links), **fields)]
    else:
        items = [
            TrackData(
                title=title.format(n=n),
                isrc=isrc.format(n=n) if isrc else None,
                links=list(links),
                **fields,
            )
            for n in range(count)
        ]
    tracks = register_tracks(creator, items).tracks
    if verified:
        verify_claims_of(creator)
    return tracks if count is not None else tracks[0]
