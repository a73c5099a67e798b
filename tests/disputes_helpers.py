"""Shared set-up of the dispute tests: a track owned by one artist, and files of each kind."""

import io

from consent.evidence import EvidenceFile
from consent.models import Claim, Track
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, register_track
from tests.conftest import verify_claims_of

ISRC = "USRC17607839"
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def owned_track(
    creator, *, allow_everything: bool = True, isrc: str = ISRC, verified: bool = True
) -> Track:
    """A track its owner registered and proved (so their `allow` counts), allowing every use."""
    choices = {p: PurposeChoice(Value.ALLOW) for p in Purpose} if allow_everything else {}
    data = TrackData(
        title="Night Drive",
        artist_credit=creator.artist_name,
        roles=["recording"],
        isrc=isrc,
        choices=choices,
    )
    track = register_track(creator, data).tracks[0]
    if verified:
        verify_claims_of(creator)
    return track


def claim_of(creator, track: Track) -> Claim:
    return Claim.objects.get(creator=creator, track=track, role="recording")


def upload(name: str, content: bytes) -> EvidenceFile:
    return EvidenceFile(name=name, size=len(content), file=io.BytesIO(content))
