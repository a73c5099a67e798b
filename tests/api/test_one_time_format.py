"""Every instant the API writes is spelled one way (consent.times): RFC 3339, in UTC, with six
digits of microseconds and `Z`. The real answers of every endpoint (tests/api/real_answers.py)
and the bodies webhooks POST are scanned for anything that looks like a time, so a field added
later in another spelling fails here."""

import base64
import re
from datetime import UTC, datetime, timedelta
from datetime import timezone as fixed_offset

import orjson
import pytest
from django.utils import timezone

from api.models import WebhookEndpoint
from api.webhooks import batches
from consent.policies import last_sequence
from consent.times import PATTERN, parse_rfc3339, rfc3339
from tests.api.real_answers import CALLS, build_scene, decoded
from tests.conftest import resolve_example_hosts_publicly

# Anything that looks like an instant, in any spelling: what the scan collects.
LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# Answers with no instant in them at all (the log's proofs are hashes).
TIMELESS = {
    "compatible-query",
    "webhook-test",
    "webhook-delete",
    "log-inclusion",
    "log-consistency",
}


def times_in(value) -> list[str]:
    if isinstance(value, dict):
        return [t for key, item in value.items() for t in times_in(key) + times_in(item)]
    if isinstance(value, list):
        return [t for item in value for t in times_in(item)]
    if isinstance(value, str) and LOOKS_LIKE_A_TIME.search(value):
        return [value]
    return []


@pytest.fixture
def resolvable_hosts(monkeypatch):
    """Example hosts resolve to a public documentation address, without a DNS lookup."""
    resolve_example_hosts_publicly(monkeypatch)


SUCCESSES = [
    pytest.param(call, id=call.name, marks=[pytest.mark.django_db(transaction=call.transactional)])
    for call in CALLS
    if call.status < 300
]


@pytest.mark.parametrize("call", SUCCESSES)
def test_every_time_in_an_answer_is_written_one_way(call, platform, resolvable_hosts):
    scene = build_scene(platform)
    response = call.perform(scene)
    assert response.status_code == call.status, response.content
    values = decoded(response)
    if call.name == "log-entries":
        # The log's entries travel base64-encoded: the times are inside their canonical JSON.
        values = [orjson.loads(base64.b64decode(e["data"])) for e in values[0]["entries"]]
    found = [time for value in values for time in times_in(value)]
    assert [time for time in found if not PATTERN.fullmatch(time)] == []
    if call.name not in TIMELESS:
        assert found, "the answer carries no time: the scan would prove nothing"


@pytest.mark.django_db
def test_every_time_in_a_webhook_body_is_written_one_way(platform, resolvable_hosts):
    scene = build_scene(platform)
    endpoint = WebhookEndpoint.objects.get(public_id=scene.endpoint())
    endpoint.cursor = 0
    batch = batches.next_batch(endpoint, 100)
    assert batch is not None and batch.events
    at = timezone.now().replace(microsecond=0)  # a whole second: no microseconds to drop
    bodies = [
        batches.batch_body(endpoint, batch, at),
        batches.body_of_test_event(endpoint, at, last_sequence()),
    ]
    for body in bodies:
        payload = orjson.loads(body)
        found = times_in(payload)
        assert found and [time for time in found if not PATTERN.fullmatch(time)] == []
        assert payload["timestamp"] == rfc3339(at) == at.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    events = orjson.loads(bodies[0])["data"]["events"]
    assert all(PATTERN.fullmatch(event["created_at"]) for event in events)


def test_the_one_format_is_utc_with_microseconds_and_z():
    at = datetime(2026, 1, 31, 13, 0, 0, tzinfo=fixed_offset(timedelta(hours=1)))
    assert rfc3339(at) == "2026-01-31T12:00:00.000000Z"
    assert rfc3339(at.replace(microsecond=5)) == "2026-01-31T12:00:00.000005Z"
    assert parse_rfc3339(rfc3339(at)) == at
    assert parse_rfc3339("2026-01-31T12:00:00+00:00") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        rfc3339(datetime(2026, 1, 31, 12))  # naive: which instant is unknown
    with pytest.raises(ValueError):
        parse_rfc3339("2026-01-31T12:00:00")
