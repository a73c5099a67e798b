"""A platform asking about any everyday form of a registered link gets the artist's answer: the
single lookup, the batch, the compatibility query and the host feeds all match the link as the
registry stores it, and say which form they matched on."""

import random
from urllib.parse import urlsplit

import pytest
from protego import Protego

from consent.contests import contest_claim
from consent.identifiers import canonical_host, normalize_url, url_host
from consent.models import Claim
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track, register_tracks
from tests.api.conftest import KeyClient
from tests.conftest import make_artist, verify_claims_of
from tests.link_variants import PLATFORMS

pytestmark = pytest.mark.django_db

# Each platform's track gets another answer, so a variant matched to the wrong track shows.
CHOICES = [
    {Purpose.TRAIN_AI: PurposeChoice(Value.DENY), Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)},
    {Purpose.TRAIN_GENAI: PurposeChoice(Value.LICENSE, "https://owner.example/licence")},
    {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW), Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)},
]


@pytest.fixture
def compat(platform_key) -> KeyClient:
    return KeyClient(platform_key, scheme="API")


@pytest.fixture
def registered(artist):
    for n, platform in enumerate(PLATFORMS):
        data = TrackData(
            title=f"Song on {platform.name}",
            artist_credit="Owner Band",
            roles=["recording"],
            links=[platform.registered],
        )
        track = register_track(artist, data).tracks[0]
        declare(artist, CHOICES[n % len(CHOICES)], track=track)
    verify_claims_of(artist)


def without_as_of(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k not in ("as_of", "query", "normalized")}


@pytest.mark.parametrize("site", PLATFORMS, ids=lambda p: p.name)
def test_every_listed_form_of_a_link_answers_the_registered_links_policy(
    api, compat, client, registered, site
):
    canonical = api.get("/api/v1/consent", {"url": site.stored}).json()
    assert canonical["status"] == "registered"
    assert canonical["normalized"] == site.stored
    variants = [site.registered, *site.variants]

    for variant in variants:
        answer = api.get("/api/v1/consent", {"url": variant}).json()
        assert answer["query"] == {"url": variant}
        assert answer["normalized"] == site.stored, variant
        assert without_as_of(answer) == without_as_of(canonical), variant

    items = [{"url": v} for v in variants]
    batch = api.post("/api/v1/consent/batch", {"items": items}, content_type="application/json")
    for variant, result in zip(variants, batch.json()["results"], strict=True):
        assert result["normalized"] == site.stored, variant
        assert without_as_of(result) | {"index": 0} == without_as_of(canonical) | {"index": 0}

    lines = "\n".join([site.stored, *variants])
    urls = compat.post("/api/v2/query/urls/", lines, content_type="text/plain").json()["urls"]
    expected = (urls[0]["optOut"], urls[0]["optIn"])
    assert expected == (
        canonical["policy"]["train-genai"]["value"] in ("deny", "license"),
        canonical["policy"]["train-genai"]["value"] == "allow",
    )
    for variant, url in zip(variants, urls[1:], strict=True):
        assert url["url"] == variant
        assert url["normalized"] == site.stored and url["status"] == "registered"
        assert (url["optOut"], url["optIn"]) == expected, variant

    # The host file a crawler finds from the host it met the link on states the stored path.
    stored = urlsplit(site.stored)
    path = stored.path + (f"?{stored.query}" if stored.query else "")
    # robots.txt keeps GPTBot out only for a denial: a licence-only path stays open to a crawler
    # that took the licence (RSL 1.0), its preferences saying the use is not free.
    reservation = canonical["policy"]["train-genai"]["value"] == "deny"
    for variant in variants:
        host = urlsplit(variant).hostname.removeprefix("www.")
        if canonical_host(host) != url_host(site.stored):
            host = url_host(site.stored)  # youtu.be/ID: a path of another host
        response = client.get(f"/hosts/{host}/robots.txt", follow=True)
        assert response.status_code == 200, variant
        parser = Protego.parse(response.content.decode())
        assert parser.can_fetch(site.stored, "GPTBot") is not reservation, variant
        assert parser.can_fetch(f"https://{host}{path}", "GPTBot") is not reservation, variant


def test_a_manifest_of_a_thousand_urls_is_judged_as_the_registered_links_are(api, artist, settings):
    """A platform's manifest: about 300 everyday forms of registered links of tracks with a deny,
    a licence or a dispute, the rest unregistered; each is answered as its stored form is."""
    licensor = make_artist("Licensing Band", "licensing-band")
    claimant = make_artist("Claimant", "claimant")
    owners = [(artist, CHOICES[0]), (licensor, CHOICES[1])]
    stored_links: list[str] = []
    for index, (owner, choices) in enumerate(owners):
        items = [
            TrackData(
                title=f"Track {index}-{n}",
                artist_credit=owner.artist_name,
                roles=["recording"],
                links=[f"https://soundcloud.com/{owner.handle}/track-{n}"]
                + [f"https://www.youtube.com/watch?v={index}x{n:08d}"]
                + [f"https://open.spotify.com/track/{index}s{n:020d}"],
            )
            for n in range(50)
        ]
        result = register_tracks(owner, items)
        declare(owner, choices)
        verify_claims_of(owner)
        for track in result.tracks:
            stored_links.extend(track.links.values_list("url", flat=True))
    # A stranger contests some of the denying artist's tracks: they answer disputed.
    settings.DISPUTES_PER_DAY = 10
    for claim in Claim.objects.filter(creator=artist).order_by("id")[:10]:
        contest_claim(claimant, claim, reason="It is mine", statement="I recorded it.")

    rng = random.Random(318)
    registered = []
    for url in stored_links:
        host = url_host(url)
        platform = next(p for p in PLATFORMS if url_host(p.stored) == host)
        registered.append((url, variant_of(url, platform, rng)))
    unregistered = [
        (None, f"https://{rng.choice(['youtu.be', 'soundcloud.com', 'example.org'])}/u{n}?t=1")
        for n in range(1000 - len(registered))
    ]
    manifest = registered + unregistered
    rng.shuffle(manifest)
    assert len(manifest) == 1000 and len(registered) == 300

    def ask(urls):
        items = [{"url": u} for u in urls]
        response = api.post(
            "/api/v1/consent/batch", {"items": items}, content_type="application/json"
        )
        assert response.status_code == 200
        return response.json()["results"]

    answers = ask([variant for _, variant in manifest])
    canonical = dict(zip(stored_links, ask(stored_links), strict=True))
    judged = {"deny": 0, "license": 0, "disputed": 0}
    for (stored, variant), answer in zip(manifest, answers, strict=True):
        if stored is None:
            assert answer["status"] == "unregistered", variant
            continue
        expected = canonical[stored]
        assert answer["normalized"] == stored, variant
        assert answer["policy"] == expected["policy"], variant
        assert answer["disputed"] == expected["disputed"], variant
        assert answer["track"] == expected["track"], variant
        judged[answer["policy"]["train-genai"]["value"]] = (
            judged.get(answer["policy"]["train-genai"]["value"], 0) + 1
        )
        judged["disputed"] += answer["disputed"]
    assert judged["deny"] == 150 and judged["license"] == 150
    assert judged["disputed"] == 30


def variant_of(url: str, platform, rng: random.Random) -> str:
    """An everyday form of a stored link, shaped like one of the platform's listed variants."""
    parts = urlsplit(url)
    key = parts.path.rsplit("/", 1)[-1] if "youtube" not in url else parts.query[2:]
    forms = {
        "youtube": [
            f"https://youtu.be/{key}?si=share&t=42",
            f"http://m.youtube.com/watch?v={key}&feature=share",
            f"https://www.youtube.com/shorts/{key}",
            f"https://music.youtube.com/watch?v={key}&list=PL1",
        ],
        "soundcloud": [
            f"http://m.soundcloud.com{parts.path}?si=abc",
            f"https://www.soundcloud.com{parts.path}/?utm_source=clipboard&in=x/sets/y",
        ],
        "spotify": [
            f"https://open.spotify.com/intl-de/track/{key}?si=1a2b",
            f"http://open.spotify.com/track/{key}?context=x&nd=1",
        ],
    }[platform.name]
    variant = rng.choice(forms)
    assert normalize_url(variant) == url, (variant, url)
    return variant
