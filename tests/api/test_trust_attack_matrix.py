"""A stranger with nothing but a verified email attacks a verified owner's track through every
identifier the two can share; every surface a platform reads must neutralise the attack.

The owner registered "Night Drive" with an ISRC, an ISWC, a link and an audio SHA-256, proved
the claim, and declared: `tdm` and `train-ai` unset, `train-genai` allowed, `ai-input` only under
licence (the owner's terms), `search` denied. The stranger then comes in through (a) the same
ISRC and role, (b) the same ISRC and the other role, (c) a new track with the same ISWC, (d) a
new track carrying the owner's link, (e) a new track with the same audio hash, and in turn:

- loosens: `allow` for every purpose, on its claim's track and catalogue-wide;
- sells: `license` with its own terms where the owner allowed and where the owner licenses;
- reserves: `deny` for `train-ai`, which must count (reserving is always safe);

and tries to add links and to remove or hide the owner's. After each step every surface is read
by the identifier the stranger used: the single and batch lookups, the compatibility endpoint,
the snapshot, the change feed, a webhook delivery to a real receiver, the track pages' headers
(and the policy and licence documents they point to) and the host's robots.txt. The snapshot
reads on its own connection, so these tests commit.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import http_sfv
import pytest
from django.conf import settings
from django.utils import timezone

from api.webhooks import dispatch
from api.webhooks import services as webhooks
from consent.links import add_links, hide_link, remove_link
from consent.models import (
    ChangeEvent,
    Claim,
    Declaration,
    Dispute,
    Notice,
    Track,
    TrackLink,
)
from consent.purposes import PURPOSES, Purpose, Value
from consent.ratelimits import disputes_left_today
from consent.services import ConsentError, PurposeChoice, TrackData, declare, register_track
from tests.api.conftest import KeyClient
from tests.api.webhooks_support import Receiver
from tests.conftest import make_artist, verify_claims_of

ISRC = "USRC17607839"
ISWC = "T0345246801"
SHA = hashlib.sha256(b"night drive, master").hexdigest()
OWNER_URL = "https://soundcloud.com/owner/night-drive"
STRANGER_URL = "https://soundcloud.com/stranger/night-drive"
CONTROL_URL = "https://soundcloud.com/owner/morning-drive"
HOST = "soundcloud.com"

OWNER_TERMS_URL = "https://owner.example/licence"
OWNER_EMAIL = "licensing@owner.example"
STRANGER_TERMS_URL = "https://pay.stranger.example/night-drive"
STRANGER_EMAIL = "cash@stranger.example"
# Whatever form they take in a body (JSON, XML, mailto:, a header), both contain this.
STRANGER_MARK = b"stranger.example"

OWNER, STRANGER = "owner", "stranger"
T, TAI, TGEN, AIN, SEARCH = (p.value for p in PURPOSES)

# --- What each party declares -------------------------------------------------------------------

OWNER_CHOICES = {
    Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW),
    Purpose.AI_INPUT: PurposeChoice(Value.LICENSE, OWNER_TERMS_URL, OWNER_EMAIL),
    Purpose.SEARCH: PurposeChoice(Value.DENY),
}
STRANGER_LICENCE = PurposeChoice(Value.LICENSE, STRANGER_TERMS_URL, STRANGER_EMAIL)
# (choices on the stranger's claimed track, catalogue-wide choices) per step.
ATTACKS = {
    "loosen": (
        {Purpose.TDM: PurposeChoice(Value.ALLOW), Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)},
        {p: PurposeChoice(Value.ALLOW) for p in PURPOSES},
    ),
    "sell": (
        {Purpose.TRAIN_GENAI: STRANGER_LICENCE, Purpose.AI_INPUT: STRANGER_LICENCE},
        {Purpose.TRAIN_GENAI: STRANGER_LICENCE, Purpose.AI_INPUT: STRANGER_LICENCE},
    ),
    "reserve": ({Purpose.TRAIN_AI: PurposeChoice(Value.DENY)}, {}),
}

# --- What platforms must be told after each step: purpose -> (value, whose word) ---------------

UNSET = {p.value: ("unset", None) for p in PURPOSES}
# The owner's track alone, untouched by any step.
OWNER_ONLY = UNSET | {TGEN: ("allow", OWNER), AIN: ("license", OWNER), SEARCH: ("deny", OWNER)}
# The owner's word and the stranger's together: the stranger's track shares the identifier, or
# its claim is on the owner's track.
TOGETHER = {
    "loosen": OWNER_ONLY,
    "sell": OWNER_ONLY | {TGEN: ("license", STRANGER)},
    "reserve": OWNER_ONLY | {TGEN: ("license", STRANGER), TAI: ("deny", STRANGER)},
}
# The stranger's own track (vectors c-e), claimed by nobody else.
STRANGER_ONLY = {
    "loosen": UNSET,
    "sell": UNSET | {TGEN: ("license", STRANGER), AIN: ("license", STRANGER)},
    "reserve": UNSET
    | {TGEN: ("license", STRANGER), AIN: ("license", STRANGER)}
    | {TAI: ("deny", STRANGER)},
}
# A second track of the owner that allows all of TDM (its `tdm` reaches the narrower
# purposes) and that no stranger touches.
CONTROL = UNSET | {p: ("allow", OWNER) for p in (T, TAI, TGEN, AIN)}
RESERVED = {"deny", "license"}


@dataclass(frozen=True)
class Vector:
    name: str
    kind: str  # the identifier kind the stranger used, and platforms look up
    value: str
    roles: tuple[str, ...] = ("recording",)
    isrc: str | None = None
    iswc: str = ""
    sha: str = ""
    links: tuple[str, ...] = ()
    notice_kind: str = Notice.Kind.IDENTIFIER

    @property
    def on_the_owners_track(self) -> bool:
        """The stranger's claim lands on the owner's track (the same ISRC)."""
        return self.isrc is not None


VECTORS = [
    Vector("same-isrc-same-role", "isrc", ISRC, isrc=ISRC, notice_kind=Notice.Kind.SAME_TRACK),
    Vector(
        "same-isrc-other-role",
        "isrc",
        ISRC,
        roles=("composition",),
        isrc=ISRC,
        notice_kind=Notice.Kind.SAME_TRACK,
    ),
    Vector("same-iswc", "iswc", ISWC, iswc=ISWC, links=(STRANGER_URL,)),
    Vector("owners-link", "url", OWNER_URL, links=(OWNER_URL, STRANGER_URL)),
    Vector("same-audio", "sha256", SHA, sha=SHA, links=(STRANGER_URL,)),
]


@dataclass
class Scene:
    vector: Vector
    owner: object
    stranger: object
    track: Track  # the owner's
    control: Track
    attacked: Track  # the track the stranger's claim is on
    api: KeyClient
    compat: KeyClient
    receiver: Receiver
    endpoint: object
    first_sequence: int
    people: dict = field(default_factory=dict)

    @property
    def stranger_track(self) -> Track | None:
        return None if self.vector.on_the_owners_track else self.attacked

    def expected_for(self, kind: str, value: str, step: str) -> dict:
        """What an identifier must answer after `step`."""
        if (kind, value) == ("url", CONTROL_URL):
            return CONTROL
        if self.vector.on_the_owners_track:
            return TOGETHER[step]
        if (kind, value) == (self.vector.kind, self.vector.value):
            return TOGETHER[step]
        if (kind, value) == ("url", STRANGER_URL):
            return STRANGER_ONLY[step]
        return OWNER_ONLY

    def expected_for_track(self, track_id, step: str) -> dict:
        if track_id == self.control.public_id:
            return CONTROL
        if track_id == self.track.public_id:
            return TOGETHER[step] if self.vector.on_the_owners_track else OWNER_ONLY
        return STRANGER_ONLY[step]


# --- Reading the surfaces -----------------------------------------------------------------------


def no_stranger_terms(raw: bytes, where: str) -> None:
    for mark in (STRANGER_MARK, STRANGER_TERMS_URL.encode(), STRANGER_EMAIL.encode()):
        at = raw.find(mark)
        assert at < 0, f"{where} carries the stranger's terms: …{raw[max(0, at - 300) : at + 60]!r}"


def raw_response(response) -> bytes:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.items()).encode()
    return headers + b"\n\n" + content


def check_answer(answer: dict, expected: dict, scene: Scene, where: str) -> None:
    """One API answer (lookup, batch result, snapshot line) says exactly `expected`."""
    people = scene.people
    for purpose, (value, who) in expected.items():
        item = answer["policy"][purpose]
        assert item["value"] == value, f"{where}: {purpose} is {item['value']}, not {value}"
        source = item["source"]
        if who is None:
            assert source is None, where
            continue
        assert source["creator"] == people[who], f"{where}: {purpose} is not the {who}'s word"
        status = "verified" if who == OWNER else "unverified"
        assert source["verification"]["status"] == status, where
        if value == "license" and who == OWNER:
            assert item["terms"] == {
                "terms_url": OWNER_TERMS_URL,
                "contact_email": OWNER_EMAIL,
                "withheld": False,
            }, where
        elif value == "license":
            assert item["terms"] == {"terms_url": "", "contact_email": "", "withheld": True}, where
    check_invariants(answer, scene, where)


def check_invariants(answer: dict, scene: Scene, where: str) -> None:
    """What holds of every answer whatever was asked: only a verified owner's word permits, and
    every unverified word is the stranger's."""
    for item in answer["policy"].values():
        source = item["source"] or {}
        status = (source.get("verification") or {}).get("status")
        if item["value"] == "allow":
            assert status == "verified" and source["creator"] == scene.people[OWNER], where
        if status == "unverified":
            assert source["creator"] == scene.people[STRANGER], where
        if item.get("terms", {}).get("withheld"):
            assert status == "unverified", where


def content_usage(response) -> dict[str, str]:
    if "Content-Usage" not in response:
        return {}
    parsed = http_sfv.Dictionary()
    parsed.parse(response["Content-Usage"].encode())
    return {key: str(item.value) for key, item in parsed.items()}


def expected_usage(expected: dict) -> dict[str, str]:
    """What Content-Usage must say (aipref `train-ai` is the registry's `train-genai`, `ai-use`
    its `ai-input`)."""
    usage = {}
    for key, purpose in (("train-ai", TGEN), ("ai-use", Purpose.AI_INPUT), ("search", SEARCH)):
        value = expected[purpose][0]
        if value in RESERVED:
            usage[key] = "n"
        elif value == "allow":
            usage[key] = "y"
    return usage


def check_lookups(scene: Scene, step: str) -> None:
    asked = [
        (scene.vector.kind, scene.vector.value),
        ("isrc", ISRC),
        ("url", OWNER_URL),
        ("url", STRANGER_URL),
        ("url", CONTROL_URL),
    ]
    for kind, value in asked:
        response = scene.api.get("/api/v1/consent", {kind: value})
        assert response.status_code == 200
        no_stranger_terms(raw_response(response), f"the lookup by {kind}")
        answer = response.json()
        check_answer(answer, scene.expected_for(kind, value, step), scene, f"lookup {kind}={value}")
        if (kind, value) == (scene.vector.kind, scene.vector.value):
            assert answer["verification"] == {
                "status": "partly-verified",
                "verified_claims": 1,
                "unverified_claims": 1,
            }

    # An answer as of an instant is recomputed from declarations and proofs: the same rule.
    kind, value = asked[0]
    response = scene.api.get("/api/v1/consent", {kind: value, "as_of": timezone.now().isoformat()})
    assert response.status_code == 200
    no_stranger_terms(raw_response(response), "the lookup as of now")
    check_answer(response.json(), TOGETHER[step], scene, f"lookup {kind} as of now")

    response = scene.api.post(
        "/api/v1/consent/batch",
        {"items": [{kind: value} for kind, value in asked]},
        content_type="application/json",
    )
    assert response.status_code == 200
    no_stranger_terms(raw_response(response), "the batch")
    results = response.json()["results"]
    for (kind, value), result in zip(asked, results, strict=True):
        check_answer(result, scene.expected_for(kind, value, step), scene, f"batch {kind}")


def check_compat(scene: Scene, step: str) -> None:
    urls = [OWNER_URL, STRANGER_URL, CONTROL_URL]
    response = scene.compat.post("/api/v2/query/urls/", "\n".join(urls), content_type="text/plain")
    assert response.status_code == 200
    no_stranger_terms(raw_response(response), "the compatibility endpoint")
    answers = {entry["url"]: entry for entry in response.json()["urls"]}
    for url in urls:
        expected = scene.expected_for("url", url, step)
        opt_in = all(expected[p] == ("allow", OWNER) for p in (TAI, TGEN))
        opt_out = expected[TAI][0] in RESERVED or expected[TGEN][0] in RESERVED
        answer = {key: answers[url][key] for key in ("url", "optOut", "optIn")}
        assert answer == {"url": url, "optOut": opt_out, "optIn": opt_in}, (step, url)
        assert answers[url]["status"] == "registered"
    assert answers[CONTROL_URL]["optIn"], "a verified owner's allow is an opt-in"
    assert not answers[STRANGER_URL]["optIn"]


def check_snapshot(scene: Scene, step: str) -> None:
    response = scene.api.get("/api/v1/snapshot")
    assert response.status_code == 200
    raw = b"".join(response.streaming_content)
    no_stranger_terms(raw, "the snapshot")
    lines = [json.loads(line) for line in raw.splitlines()]
    by_track = {line["track"]["id"]: line for line in lines}
    tracks = [scene.track, scene.control] + ([scene.stranger_track] if scene.stranger_track else [])
    assert set(by_track) == {str(t.public_id) for t in tracks}
    for track in tracks:
        expected = scene.expected_for_track(track.public_id, step)
        check_answer(by_track[str(track.public_id)], expected, scene, f"snapshot of {track.title}")


def check_events(events: list[dict], scene: Scene, step: str, where: str) -> None:
    """No event ever tells platforms that anything but the owner's own allow is allowed."""
    owner_allows = {
        str(scene.track.public_id): {TGEN},
        str(scene.control.public_id): {T, TAI, TGEN, AIN},
    }
    for event in events:
        allowed = owner_allows.get(event["track"]["id"], set())
        for state in (event["policy"], event["previous"]):
            for purpose in (p.value for p in PURPOSES):
                if state.get(purpose) == "allow":
                    assert purpose in allowed, (
                        f"{where}: event {event['sequence']} allows {purpose}"
                    )
            for terms in state.get("terms", {}).values():
                assert terms["terms_url"] in ("", OWNER_TERMS_URL), where
                assert terms["contact_email"] in ("", OWNER_EMAIL), where
    latest = {}
    for event in events:
        latest[event["track"]["id"]] = event
    for track_id, event in latest.items():
        expected = scene.expected_for_track(uuid.UUID(track_id), step)
        assert {p: event["policy"][p] for p in expected} == {
            p: value for p, (value, _) in expected.items()
        }, where
        assert "verification" in event["policy"], where


def check_feed(scene: Scene, step: str) -> None:
    response = scene.api.get("/api/v1/changes", {"after": 0, "limit": 10_000})
    assert response.status_code == 200
    no_stranger_terms(raw_response(response), "the change feed")
    check_events(response.json()["events"], scene, step, "the change feed")


def check_webhook(scene: Scene, step: str) -> None:
    dispatch.deliver(scene.endpoint.pk)
    messages = scene.receiver.received()
    assert messages and all(m.verified for m in messages)
    for message in messages:
        no_stranger_terms(message.body, "a webhook delivery")
    events = [e for m in messages for e in m.payload["data"]["events"]]
    expected = set(
        ChangeEvent.objects.filter(sequence__gt=scene.first_sequence).values_list(
            "sequence", flat=True
        )
    )
    assert {e["sequence"] for e in events} == expected, "every change was delivered"
    check_events(sorted(events, key=lambda e: e["sequence"]), scene, step, "the webhook")


def check_track_page(client, scene: Scene, track: Track, expected: dict, step: str) -> None:
    response = client.get(f"/t/{track.public_id}/")
    assert response.status_code == 200
    no_stranger_terms(raw_response(response), f"the page of {track.title}")
    where = f"{step}: the page of {track.title}"
    assert content_usage(response) == expected_usage(expected), where
    family = [expected[p][0] for p in (T, TAI, TGEN, AIN)]
    if any(value in RESERVED for value in family):
        assert response["tdm-reservation"] == "1", where
    elif "allow" in family:
        assert response["tdm-reservation"] == "0", where
    else:
        assert "tdm-reservation" not in response, where
    assert ("X-Robots-Tag" in response) == (expected[TGEN][0] in RESERVED), where
    # A TDMRep offer only for a verified owner's licence, and never beside a denial.
    offered = "deny" not in family and any(
        expected[p] == ("license", OWNER) for p in (T, TAI, TGEN, AIN)
    )
    assert ("tdm-policy" in response) == offered, where
    if not offered:
        assert client.get(f"/policies/{track.public_id}.json").status_code == 404, where
    for header in ("tdm-policy", "Link"):
        if header not in response:
            continue
        url = response[header].split(">")[0].lstrip("<")
        document = client.get(urlsplit(url).path)
        assert document.status_code == 200, url
        no_stranger_terms(raw_response(document), f"{header} of {track.title}")
        if header == "tdm-policy":
            # The offer names who to ask: only ever a verified owner.
            assigner = document.json()["assigner"]
            assert assigner["uid"] == f"urn:uuid:{scene.people[OWNER]}", where
            assert assigner.get("vcard:hasEmail") == f"mailto:{OWNER_EMAIL}", where


def check_track_pages(client, scene: Scene, step: str) -> None:
    for track in (scene.track, scene.control, scene.stranger_track):
        if track is not None:
            expected = scene.expected_for_track(track.public_id, step)
            check_track_page(client, scene, track, expected, step)


def check_robots(client, scene: Scene, step: str) -> None:
    response = client.get(f"/hosts/{HOST}/robots.txt")
    assert response.status_code == 200
    no_stranger_terms(raw_response(response), "the host's robots.txt")
    said: dict[str, set[str]] = {}
    for line in response.content.decode().splitlines():
        if line.startswith("Content-Usage: "):
            path, prefs = line.removeprefix("Content-Usage: ").split(" ", 1)
            said.setdefault(path.rstrip("$"), set()).add(prefs)
    for url in (OWNER_URL, STRANGER_URL, CONTROL_URL):
        path = url.removeprefix(f"https://{HOST}")
        usage = expected_usage(scene.expected_for("url", url, step))
        want = {", ".join(f"{k}={v}" for k, v in usage.items())} if usage else set()
        assert said.get(path, set()) == want, (step, path, said)


def check_every_surface(scene: Scene, client, step: str) -> None:
    check_lookups(scene, step)
    check_compat(scene, step)
    check_snapshot(scene, step)
    check_feed(scene, step)
    check_webhook(scene, step)
    check_track_pages(client, scene, step)
    check_robots(client, scene, step)


# --- The scene ----------------------------------------------------------------------------------


@pytest.fixture
def local_receivers(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 2


def owners_tracks(owner) -> tuple[Track, Track]:
    track = register_track(
        owner,
        TrackData(
            title="Night Drive",
            artist_credit="Owner Band",
            roles=["recording"],
            isrc=ISRC,
            iswc=ISWC,
            links=[OWNER_URL],
            audio_sha256=SHA,
            choices=OWNER_CHOICES,
        ),
    ).tracks[0]
    control = register_track(
        owner,
        TrackData(
            title="Morning Drive",
            artist_credit="Owner Band",
            roles=["recording"],
            links=[CONTROL_URL],
            choices={Purpose.TDM: PurposeChoice(Value.ALLOW)},
        ),
    ).tracks[0]
    verify_claims_of(owner)
    return track, control


def stranger_registers(stranger, vector: Vector) -> Track:
    return register_track(
        stranger,
        TrackData(
            title="Night Drive",
            artist_credit="Not The Owner",
            roles=list(vector.roles),
            isrc=vector.isrc,
            iswc=vector.iswc,
            links=list(vector.links),
            audio_sha256=vector.sha,
        ),
    ).tracks[0]


@pytest.mark.slow  # real webhook deliveries to local receivers, per vector
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_a_stranger_can_neither_loosen_nor_sell_a_verified_owners_track(
    vector, platform, platform_key, client, local_receivers
):
    owner = make_artist("Owner Band", "owner-band")
    stranger = make_artist("Not The Owner", "not-the-owner")  # a verified email, nothing more
    track, control = owners_tracks(owner)
    with Receiver() as receiver:
        endpoint, secret = webhooks.create_endpoint(platform, receiver.url("/hook"))
        receiver.accept("/hook", secret)
        first_sequence = ChangeEvent.objects.order_by("-sequence").values_list(
            "sequence", flat=True
        )[0]

        attacked = stranger_registers(stranger, vector)
        scene = Scene(
            vector=vector,
            owner=owner,
            stranger=stranger,
            track=track,
            control=control,
            attacked=attacked,
            api=KeyClient(platform_key),
            compat=KeyClient(platform_key, scheme="API"),
            receiver=receiver,
            endpoint=endpoint,
            first_sequence=first_sequence,
            people={OWNER: str(owner.public_id), STRANGER: str(stranger.public_id)},
        )
        assert (attacked == track) == vector.on_the_owners_track
        the_collision_reached_the_owner_and_review(scene)
        the_stranger_cannot_take_the_owners_links(scene)

        for step, (on_track, catalogue) in ATTACKS.items():
            declare(stranger, on_track, track=attacked)
            if catalogue:
                declare(stranger, catalogue)
            check_every_surface(scene, client, step)

        # The owner's own word still counts where no stranger reserved it.
        body = scene.api.get("/api/v1/consent", {"track": str(control.public_id)}).json()
        check_answer(body, CONTROL, scene, "the owner's other track")


def the_collision_reached_the_owner_and_review(scene: Scene) -> None:
    claim = Claim.objects.get(creator=scene.stranger)
    owners_claim = Claim.objects.get(creator=scene.owner, track=scene.track)
    dispute = Dispute.objects.get(claims=claim)
    assert dispute.status in Dispute.ACTIVE
    assert set(dispute.claims.all()) == {claim, owners_claim}
    if scene.vector.name == "same-isrc-same-role":  # two claims on one role: plain competition
        assert dispute.contester_claim is None and dispute.contested_claim is None
    else:  # the newcomer's claim is contested against the verified one
        assert dispute.contester_claim == claim and dispute.contested_claim == owners_claim
    notice = Notice.objects.get(creator=scene.owner)
    assert (notice.claim, notice.dispute, notice.kind) == (claim, dispute, scene.vector.notice_kind)
    assert notice.track == scene.track
    if scene.vector.notice_kind == Notice.Kind.IDENTIFIER:
        assert (notice.identifier_kind, notice.identifier) == (
            scene.vector.kind,
            scene.vector.value,
        )
    assert disputes_left_today(scene.stranger.user_id) == settings.DISPUTES_PER_DAY - 1


def the_stranger_cannot_take_the_owners_links(scene: Scene) -> None:
    owners_link = TrackLink.objects.get(track=scene.track, url=OWNER_URL)
    with pytest.raises(ConsentError):
        remove_link(scene.stranger, owners_link)
    with pytest.raises(ConsentError):
        hide_link(scene.stranger, owners_link)
    assert TrackLink.objects.filter(pk=owners_link.pk).exists(), "the owner's link is still there"
    if scene.vector.on_the_owners_track:
        (added,) = add_links(scene.stranger, scene.track, [STRANGER_URL])
        assert added.claim == Claim.objects.get(creator=scene.stranger)
    else:
        with pytest.raises(ConsentError, match="tracks you have claimed"):
            add_links(scene.stranger, scene.track, ["https://soundcloud.com/stranger/other"])
    owner_urls = set(scene.track.links.values_list("url", flat=True))
    assert OWNER_URL in owner_urls


# --- The daily limit on collisions -------------------------------------------------------------


def iswc(n: int) -> str:
    from consent.identifiers import iswc_check_digit

    digits = f"{100000000 + n:09d}"
    return f"T{digits}{iswc_check_digit(digits)}"


def nth(n: int) -> dict:
    """The identifiers of the owner's n-th track."""
    return {
        "isrc": f"USRC1760780{n}",
        "iswc": iswc(n),
        "url": f"https://soundcloud.com/owner/track-{n}",
        "sha": hashlib.sha256(f"track {n}".encode()).hexdigest(),
    }


def collide(stranger, vector: str, ids: dict) -> None:
    """The stranger collides with the owner's track of these identifiers through `vector`."""
    data = {"title": "Copy", "artist_credit": "Not The Owner", "roles": ["recording"]}
    if vector == "same-isrc-same-role":
        data["isrc"] = ids["isrc"]
    elif vector == "same-isrc-other-role":
        data |= {"isrc": ids["isrc"], "roles": ["composition"]}
    elif vector == "same-iswc":
        data["iswc"] = ids["iswc"]
    elif vector == "owners-link":
        data["links"] = [ids["url"]]
    elif vector == "same-audio":
        data["audio_sha256"] = ids["sha"]
    register_track(stranger, TrackData(**data))


def state() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Track, Claim, Dispute, Notice, Declaration, ChangeEvent)
    } | {"TrackLink": TrackLink.all_objects.count()}


@pytest.mark.django_db
@pytest.mark.parametrize("sixth", [v.name for v in VECTORS] + ["added-link"])
def test_the_sixth_collision_in_a_day_is_refused_with_nothing_written(
    sixth, settings, django_capture_on_commit_callbacks
):
    settings.DISPUTES_PER_DAY = 5
    owner = make_artist("Owner Band", "owner-band")
    stranger = make_artist("Not The Owner", "not-the-owner")
    for n in range(6):
        ids = nth(n)
        register_track(
            owner,
            TrackData(
                title=f"Track {n}",
                artist_credit="Owner Band",
                roles=["recording"],
                isrc=ids["isrc"],
                iswc=ids["iswc"],
                links=[ids["url"]],
                audio_sha256=ids["sha"],
            ),
        )
    verify_claims_of(owner)

    for n, vector in enumerate(v.name for v in VECTORS):
        with django_capture_on_commit_callbacks(execute=True):  # counted once committed
            collide(stranger, vector, nth(n))
        assert disputes_left_today(stranger.user_id) == 4 - n
    assert Dispute.objects.count() == 5
    assert Notice.objects.filter(creator=owner, dispute__isnull=False).count() == 5

    own = register_track(
        stranger, TrackData(title="Mine", artist_credit="Not The Owner", roles=["recording"])
    ).tracks[0]
    before = state()
    with pytest.raises(ConsentError, match="you can open 0 more today"):
        if sixth == "added-link":
            add_links(stranger, own, [nth(5)["url"]])
        else:
            collide(stranger, sixth, nth(5))
    assert state() == before, "a refused collision writes nothing"
