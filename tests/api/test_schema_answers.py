"""Real answers validate against the components /api/schema/ documents, strictly: a field an
answer carries and the schema does not document (or the reverse) fails, so the two cannot drift.

The answers come from a registry where a verified owner licenses and a stranger's unverified
claim reserves with withheld terms, so every new field (`verification`, each source's
`verification`, `terms.withheld`, change events' `policy.verification`) is present with each of
its shapes.
"""

import json

import jsonschema
import pytest
import yaml

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import make_artist, verify_claims_of

ISRC = "USRC17607839"
ISWC = "T0345246801"
LICENCE = PurposeChoice(Value.LICENSE, "https://owner.example/licence", "licensing@owner.example")


def openapi_to_json_schema(node):
    """OpenAPI 3.0's dialect as JSON Schema: `nullable` becomes "or null", and every object with
    documented properties admits no others."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: openapi_to_json_schema(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def validate(client):
    """validate(instance, "Component") raises when the instance is not what the schema says."""
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schemas = openapi_to_json_schema(yaml.safe_load(response.content)["components"]["schemas"])

    def check(instance, component: str) -> None:
        root = {"$ref": f"#/components/schemas/{component}", "components": {"schemas": schemas}}
        validator = jsonschema.Draft202012Validator(
            root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        validator.validate(instance)

    return check


@pytest.fixture
def registry():
    """A verified owner's track, a stranger's unverified claim on it, a second track sharing its
    ISWC (an answer with `matches`)."""
    owner = make_artist("Owner Band", "owner-band")
    stranger = make_artist("Not The Owner", "not-the-owner")
    track = register_track(
        owner,
        TrackData(
            title="Night Drive",
            artist_credit="Owner Band",
            roles=["recording"],
            isrc=ISRC,
            iswc=ISWC,
            links=["https://soundcloud.com/owner/night-drive"],
            choices={Purpose.TRAIN_GENAI: LICENCE, Purpose.SEARCH: PurposeChoice(Value.ALLOW)},
        ),
    ).tracks[0]
    register_track(
        owner,
        TrackData(
            title="Night Drive (live)", artist_credit="Owner Band", roles=["recording"], iswc=ISWC
        ),
    )
    verify_claims_of(owner)
    register_track(
        stranger,
        TrackData(title="Night Drive", artist_credit="Not", roles=["composition"], isrc=ISRC),
    )
    declare(
        stranger,
        {
            Purpose.AI_INPUT: PurposeChoice(Value.LICENSE, "https://stranger.example/pay"),
            Purpose.SEARCH: PurposeChoice(Value.DENY),
        },
        track=track,
    )
    return track


@pytest.mark.django_db
def test_a_lookup_answer_is_what_the_schema_documents(api, registry, validate):
    answer = api.get("/api/v1/consent", {"isrc": ISRC}).json()
    policy = answer["policy"]
    assert answer["verification"]["status"] == "partly-verified"
    assert policy["train-genai"]["source"]["verification"] == {
        "status": "verified",
        "method": "review",
    }
    assert policy["ai-input"]["source"]["verification"] == {"status": "unverified"}
    assert policy["ai-input"]["terms"]["withheld"] is True
    assert policy["train-genai"]["terms"]["withheld"] is False
    validate(answer, "Answer")

    past = api.get("/api/v1/consent", {"isrc": ISRC, "as_of": answer["as_of"]}).json()
    validate(past, "Answer")
    shared = api.get("/api/v1/consent", {"iswc": ISWC}).json()
    assert len(shared["matches"]) == 2
    validate(shared, "Answer")
    unknown = api.get("/api/v1/consent", {"isrc": "GBAYE0601498"}).json()
    assert unknown["verification"] is None
    validate(unknown, "Answer")


@pytest.mark.django_db
def test_the_schema_is_strict_enough_to_catch_drift(api, registry, validate):
    answer = api.get("/api/v1/consent", {"isrc": ISRC}).json()
    with pytest.raises(jsonschema.ValidationError):
        validate(answer | {"undocumented": True}, "Answer")
    with pytest.raises(jsonschema.ValidationError):
        validate({k: v for k, v in answer.items() if k != "verification"}, "Answer")
    terms = answer["policy"]["train-genai"]["terms"]
    broken = answer | {
        "policy": answer["policy"]
        | {"train-genai": answer["policy"]["train-genai"] | {"terms": terms | {"withheld": "no"}}}
    }
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "Answer")


@pytest.mark.django_db
def test_a_batch_answer_is_what_the_schema_documents(api, registry, validate):
    items = [{"isrc": ISRC}, {"iswc": ISWC}, {"isrc": "GBAYE0601498"}, {"isrc": "nonsense"}]
    response = api.post("/api/v1/consent/batch", {"items": items}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "registered",
        "registered",
        "unregistered",
        "unrecognised",
    ]
    validate(body, "BatchResponse")
    links = [{"url": "http://www.soundcloud.com/owner/night-drive?si=x"}, {"url": "nonsense"}]
    links.append({"isrc": 12})
    body = api.post(
        "/api/v1/consent/batch", {"items": links}, content_type="application/json"
    ).json()
    assert [r["status"] for r in body["results"]] == ["registered", "unrecognised", "error"]
    assert body["results"][0]["normalized"] == "https://soundcloud.com/owner/night-drive"
    validate(body, "BatchResponse")


@pytest.mark.django_db
def test_a_url_lookup_answer_names_its_normalized_link_as_documented(api, registry, validate):
    asked = "http://m.soundcloud.com/owner/night-drive/?utm_source=x"
    answer = api.get("/api/v1/consent", {"url": asked}).json()
    assert answer["status"] == "registered"
    assert answer["query"] == {"url": asked}
    assert answer["normalized"] == "https://soundcloud.com/owner/night-drive"
    validate(answer, "Answer")


@pytest.mark.django_db
def test_a_compatibility_answer_is_what_the_schema_documents(api, registry, validate):
    lines = "https://m.soundcloud.com/owner/night-drive\nhttps://unknown.example/x\nnot a link"
    response = api.post("/api/v2/query/urls/", lines, content_type="text/plain")
    assert response.status_code == 200
    body = response.json()
    assert [u["status"] for u in body["urls"]] == ["registered", "unregistered", "unrecognised"]
    assert body["urls"][0]["normalized"] == "https://soundcloud.com/owner/night-drive"
    assert body["urls"][2]["normalized"] is None and body["urls"][2]["reason"]
    validate(body, "SpawningAnswer")


@pytest.mark.django_db
def test_change_events_are_what_the_schema_documents(api, registry, validate):
    body = api.get("/api/v1/changes", {"after": 0}).json()
    events = body["events"]
    assert any(event["previous"] == {} for event in events), "a new track's event"
    assert any(event["cause"] == "claim-verified" for event in events)
    assert all("verification" in event["policy"] for event in events)
    assert any(
        terms["terms_url"] == "" for e in events for terms in e["policy"].get("terms", {}).values()
    ), "a withheld licence in an event"
    validate(body, "ChangesResponse")


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_line_is_what_the_schema_documents(api, registry, validate):
    response = api.get("/api/v1/snapshot")
    assert response.status_code == 200
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert len(lines) == 2
    for line in lines:
        validate(line, "SnapshotLine")
