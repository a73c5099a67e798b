"""Two tracks registered on one URL: the compatible API (`POST /api/v2/query/urls/`) and the
per-host feeds (`/hosts/<host>/robots.txt` and `ai.txt`) combine them the same way, the most
restrictive value per purpose winning (docs/architecture.md, "Resolution"), so a crawler that
reads the host's files and a dataset tool that asks the API are told the same thing."""

import re

import pytest
from protego import Protego

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.api.conftest import KeyClient
from tests.conftest import make_artist, verify_claims_of

pytestmark = pytest.mark.django_db

URL = "https://soundcloud.com/split-sheet/shared-song"
PATH = "/split-sheet/shared-song"
A, D, L, U = Value.ALLOW, Value.DENY, Value.LICENSE, Value.UNSET
RANK = {U: 0, A: 1, L: 2, D: 3}
# The crawlers that only train: one per training purpose, and one for both.
TRAINING_CRAWLERS = {
    "FacebookBot": (Purpose.TRAIN_AI,),
    "GPTBot": (Purpose.TRAIN_GENAI,),
    "cohere-training-data-crawler": (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI),
}
# Each case: (train-ai, train-genai) of the first track, then of the second.
CASES = {
    "a denial beats a permission": ((A, D), (A, A)),
    "a licence beats a permission": ((L, A), (A, A)),
    "a denial beats a licence": ((L, L), (D, U)),
    "two permissions stay a permission": ((A, A), (A, A)),
    "a permission beats no choice": ((A, A), (U, U)),
    "no choice on either says nothing": ((U, U), (U, U)),
}


def register(name: str, values: tuple[Value, Value]) -> None:
    """A verified owner's track with the shared link, and its two training values."""
    owner = make_artist(name, name.lower().replace(" ", "-"))
    data = TrackData(title=name, artist_credit=name, roles=["recording"], links=[URL])
    track = register_track(owner, data).tracks[0]
    verify_claims_of(owner)
    choices = {
        purpose: PurposeChoice(value, "https://terms.example/" if value == L else "")
        for purpose, value in zip((Purpose.TRAIN_AI, Purpose.TRAIN_GENAI), values, strict=True)
        if value != U
    }
    if choices:
        declare(owner, choices, track=track)


def content_usage(robots_txt: str) -> dict[str, str]:
    """The aipref preferences the `*` group states for the shared path."""
    stated = re.findall(rf"^Content-Usage: {re.escape(PATH)}\$? (.+)$", robots_txt, re.M)
    return dict(item.strip().split("=") for item in stated[0].split(",")) if stated else {}


@pytest.mark.parametrize(("first", "second"), CASES.values(), ids=CASES.keys())
def test_the_compatible_api_and_the_host_files_combine_two_tracks_on_one_url_alike(
    client, platform_key, first, second
):
    register("First Owner", first)
    register("Second Owner", second)
    # Each track's `train-genai` falls back to its broader `train-ai` when unset.
    first, second = ((ai, ai if genai == U else genai) for ai, genai in (first, second))
    combined = {
        purpose: max(a, b, key=RANK.__getitem__)
        for purpose, a, b in zip(
            (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI), first, second, strict=True
        )
    }
    reserved = {purpose: value in (D, L) for purpose, value in combined.items()}

    compat = KeyClient(platform_key, scheme="API")
    (answer,) = compat.post("/api/v2/query/urls/", URL, content_type="text/plain").json()["urls"]
    assert answer["optOut"] == any(reserved.values())
    assert answer["optIn"] == all(value == A for value in combined.values())

    response = client.get("/hosts/soundcloud.com/robots.txt")
    assert response.status_code == 200
    robots_txt = response.content.decode()
    robots = Protego.parse(robots_txt)
    # robots.txt keeps a crawler out for a denial only: a licence-only URL stays open to a
    # crawler that took the licence (RSL 1.0), with `train-ai=n` saying it is not free.
    denied = {purpose: value == D for purpose, value in combined.items()}
    for crawler, purposes in TRAINING_CRAWLERS.items():
        kept_out = any(denied[purpose] for purpose in purposes)
        assert robots.can_fetch(URL, crawler) is not kept_out, crawler
    # The host file kept out every training crawler exactly when the API's optOut is a denial.
    assert (answer["optOut"] and any(denied.values())) == (
        not robots.can_fetch(URL, "cohere-training-data-crawler")
    )
    # aipref's `train-ai` is the registry's `train-genai`: `n` reserved, `y` allowed, else absent.
    genai = combined[Purpose.TRAIN_GENAI]
    expected = {D: "n", L: "n", A: "y"}.get(genai)
    assert content_usage(robots_txt).get("train-ai") == expected

    ai_txt = Protego.parse(client.get("/hosts/soundcloud.com/ai.txt").content.decode())
    assert ai_txt.can_fetch(URL, "img2dataset") is not reserved[Purpose.TRAIN_GENAI]
