"""Run inside `manage.py shell` on a fresh SQLite database (see test_sqlite_fallback.py)."""

import base64
import json

from django.core.management import call_command
from django.test import Client

from api.services import create_key
from consent.models import Platform, Track
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import make_artist

call_command("migrate", verbosity=0)
artist = make_artist("Night Owls", "night-owls")
track = register_track(
    artist,
    TrackData(
        title="Night Drive",
        artist_credit="Night Owls",
        roles=["recording"],
        isrc="USRC17607839",
        links=["https://open.spotify.com/track/night"],
    ),
).tracks[0]
declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
platform = Platform.objects.create(
    name="SQLite AI", contact_email="a@b.example", intended_use="Tests", status="approved"
)
client = Client(HTTP_AUTHORIZATION=f"Bearer {create_key(platform, 'k')[1]}")

lookup = client.get("/api/v1/consent", {"isrc": "USRC17607839", "receipt": "true"})
receipt = json.loads(base64.urlsafe_b64decode(lookup["Registry-Receipt"].split(".")[1] + "=="))
by_id = client.get("/api/v1/consent", {"track": str(Track.objects.get().public_id)})
batch = client.post(
    "/api/v1/consent/batch",
    {"items": [{"url": "https://open.spotify.com/track/night"}, {"isrc": "GBAYE0601498"}]},
    content_type="application/json",
)
changes = client.get("/api/v1/changes", {"after": 0})
snapshot = client.get("/api/v1/snapshot")
snapshot_lines = b"".join(snapshot.streaming_content).splitlines()
compat = client.post(
    "/api/v2/query/urls/", "https://open.spotify.com/track/night", content_type="text/plain"
)
print(
    json.dumps(
        {
            "statuses": [r.status_code for r in (lookup, by_id, batch, changes, snapshot, compat)],
            "lookup": lookup.json(),
            "by_id": by_id.json()["status"],
            "batch": [r["status"] for r in batch.json()["results"]],
            "changes": changes.json(),
            "snapshot": [json.loads(line) for line in snapshot_lines],
            "sequence": snapshot["X-Registry-Sequence"],
            "compat": compat.json(),
            "receipt": receipt,
        }
    )
)
