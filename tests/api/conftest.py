"""Platforms with keys, and clients that call the API with them."""

import time

import pytest
from django.test import Client

from api.services import create_key
from consent.models import Platform
from tests.api.platform_helpers import make_platform


class KeyClient(Client):
    """A test client that sends `Authorization: Bearer <key>` on every request."""

    def __init__(self, key: str, scheme: str = "Bearer", **defaults):
        super().__init__(HTTP_AUTHORIZATION=f"{scheme} {key}", **defaults)
        self.key = key


@pytest.fixture
def platform(db) -> Platform:
    return make_platform("Acme AI")


@pytest.fixture
def platform_key(platform) -> str:
    return create_key(platform, "tests")[1]


@pytest.fixture
def api(platform_key) -> KeyClient:
    return KeyClient(platform_key)


@pytest.fixture
def one_window():
    """Limits count in fixed minutes: a test that counts to a limit starts at least 10 seconds
    before a minute ends, so that its counts all fall in one window."""
    if time.time() % 60 > 50:
        time.sleep(60.05 - time.time() % 60)
