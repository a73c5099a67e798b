"""Signatures as Standard Webhooks define them, checked with the `standardwebhooks` package."""

import base64
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from api.webhooks import signing

BODY = b'{"type":"consent.changes","data":{"events":[]}}'


def test_a_secret_is_whsec_and_base64_of_24_to_64_random_bytes():
    secrets = {signing.generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert len(signing.secret_key(signing.generate_secret(64))) == 64
    with pytest.raises(ValueError):
        signing.generate_secret(16)


def test_the_standard_library_verifies_what_we_sign():
    secret = signing.generate_secret()
    headers = signing.headers([secret], "msg_1", int(time.time()), BODY)

    assert Webhook(secret).verify(BODY, headers)["type"] == "consent.changes"
    assert (
        Webhook(secret).sign("msg_1", _at(headers), BODY.decode()) == headers["webhook-signature"]
    )


def test_a_changed_body_id_or_secret_does_not_verify():
    secret = signing.generate_secret()
    headers = signing.headers([secret], "msg_1", int(time.time()), BODY)
    for body, hdrs, key in [
        (BODY + b" ", headers, secret),
        (BODY, headers | {"webhook-id": "msg_2"}, secret),
        (BODY, headers, signing.generate_secret()),
    ]:
        with pytest.raises(WebhookVerificationError):
            Webhook(key).verify(body, hdrs)


def test_an_old_timestamp_is_refused_by_receivers():
    secret = signing.generate_secret()
    headers = signing.headers([secret], "msg_1", int(time.time()) - 3600, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def test_with_two_secrets_in_force_each_verifies_alone():
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = signing.headers([new, old], "msg_1", int(time.time()), BODY)

    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)


def _at(headers):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
