"""Platforms with keys, and clients that call the API with them."""

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
