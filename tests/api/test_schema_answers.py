"""Real answers validate against what /api/schema/ documents, strictly: a field an answer carries
and the schema does not document (or the reverse) fails, so the two cannot drift.

Every documented operation is called (tests/api/real_answers.py) and its answer validated against
the schema of the status and media type it answered with, for the consent API and the webhook
API alike; a date-time it documents must be written in the one time format (consent.times). The
answers come from a registry where a verified owner licenses and a stranger's unverified claim
reserves with withheld terms, so every new field (`verification`, each source's `verification`,
`terms.withheld`, change events' `policy.verification`) is present with each of its shapes.
"""

import json

import jsonschema
import pytest
import yaml

from consent.times import PATTERN
from tests.api.real_answers import CALLS, ISRC, ISWC, build_registry, build_scene, decoded
from tests.conftest import resolve_example_hosts_publicly
from tests.schemas import openapi_to_json_schema

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")
def one_time_format(value) -> bool:
    """A documented date-time is written one way on every answer: RFC 3339, UTC, microseconds,
    `Z` (consent.times)."""
    return not isinstance(value, str) or bool(PATTERN.fullmatch(value))


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def check(instance, schema: dict, components: dict) -> None:
    """Raise when `instance` is not what the (OpenAPI) `schema` says."""
    root = openapi_to_json_schema(schema) | {"components": {"schemas": components}}
    jsonschema.Draft202012Validator(root, format_checker=FORMATS).validate(instance)


@pytest.fixture
def validate(openapi):
    """validate(instance, "Component") raises when the instance is not what the schema says."""
    components = openapi_to_json_schema(openapi["components"]["schemas"])

    def validate(instance, component: str) -> None:
        check(instance, {"$ref": f"#/components/schemas/{component}"}, components)

    return validate


@pytest.fixture
def registry(db):
    return build_registry()


@pytest.fixture
def resolvable_hosts(monkeypatch):
    """Example hosts resolve to a public documentation address, without a DNS lookup."""
    resolve_example_hosts_publicly(monkeypatch)


def _param(call):
    marks = [pytest.mark.django_db(transaction=call.transactional)]
    return pytest.param(call, id=call.name, marks=marks)


@pytest.mark.parametrize("call", [_param(call) for call in CALLS])
def test_every_answer_is_what_its_operation_documents(call, platform, resolvable_hosts, openapi):
    scene = build_scene(platform)
    response = call.perform(scene)
    assert response.status_code == call.status, response.content
    documented = openapi["paths"][call.path][call.method.lower()]["responses"]
    assert str(call.status) in documented, f"{call.status} is not documented"
    content = documented[str(call.status)].get("content", {})
    values = decoded(response)
    if not content:
        assert values == [], "a body the schema says is empty"
        return
    media_type = response["Content-Type"].split(";")[0].strip()
    assert media_type in content, f"answered {media_type}, documented {sorted(content)}"
    assert values, "an empty body where the schema documents one"
    components = openapi_to_json_schema(openapi["components"]["schemas"])
    for value in values:
        check(value, content[media_type]["schema"], components)


@pytest.mark.django_db
def test_every_documented_operation_and_success_is_called(openapi):
    called = {(call.path, call.method.lower(), str(call.status)) for call in CALLS}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status in operation["responses"]:
                if status.startswith("2"):
                    assert (path, method, status) in called, f"{method.upper()} {path} {status}"


@pytest.mark.django_db
def test_a_documented_time_is_refused_in_any_other_spelling(registry, api, validate):
    answer = api.get("/api/v1/consent", {"isrc": ISRC}).json()
    validate(answer, "Answer")
    for spelling in ("2026-01-31T12:00:00Z", "2026-01-31T12:00:00.000000+00:00"):
        with pytest.raises(jsonschema.ValidationError):
            validate(answer | {"as_of": spelling}, "Answer")


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
