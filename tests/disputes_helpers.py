"""Shared set-up of the dispute tests: a track owned by one artist, files of each kind, and a
queue of disputes."""

import io

import pypdfium2
from PIL import Image

from consent.contests import contest_claim
from consent.evidence import EvidenceFile
from consent.models import Claim, Dispute, Track
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, register_track, register_tracks
from tests.conftest import make_artist, verify_claims_of

ISRC = "USRC17607839"
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def real_pdf(pages: int = 2) -> bytes:
    """A PDF that opens, of `pages` A4 pages (PDF_BYTES only starts like one)."""
    document = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def real_png() -> bytes:
    """A small PNG that decodes (PNG_BYTES only starts like one)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


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


SURNAMES = ["Adler", "Baker", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad"]


def seed_queue(count: int = 50, per_account: int = 5, start: int = 0) -> list[Dispute]:
    """`count` open disputes, as a desk sees on a busy day, oldest first.

    Owners ("Owner 0" …) hold `per_account` verified tracks each, titled "Track 00" … with
    ISRCs printed DE-A4K-23-00400, DE-A4K-23-00401 …; each contester ("Adler Records",
    handle adler-records, then "Baker Records" …, numbered past eight) contests
    `per_account` of them, so every opener has other open disputes. `start` numbers a second
    seeding after the first.
    """
    accounts = (count - 1) // per_account + 1
    owners = [make_artist(f"Owner {n}", f"owner-{n}") for n in range(start, start + accounts)]
    tracks: list[Track] = []
    for index, owner in enumerate(owners):
        first = start * per_account + index * per_account
        batch = [
            TrackData(
                title=f"Track {first + n:02d}",
                artist_credit=owner.artist_name,
                roles=["recording"],
                isrc=f"DEA4K23{400 + first + n:05d}",
            )
            for n in range(min(per_account, count - index * per_account))
        ]
        tracks.extend(register_tracks(owner, batch).tracks)
        verify_claims_of(owner)
    contesters = []
    for n in range(start, start + accounts):
        name = SURNAMES[n % len(SURNAMES)] + (str(n // len(SURNAMES)) if n >= len(SURNAMES) else "")
        contesters.append(make_artist(f"{name} Records", f"{name.lower()}-records"))
    opened = []
    for n, track in enumerate(tracks):
        claim = Claim.objects.get(track=track, role="recording")
        contester = contesters[n % len(contesters)]
        opened.append(contest_claim(contester, claim, "I own this recording", f"Mine, {n}."))
    return opened
