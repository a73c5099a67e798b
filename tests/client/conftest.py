"""The client against a real registry: pytest-django's live server (a real HTTP server on
127.0.0.1 serving the test database), an approved platform and its key."""

from dataclasses import dataclass
from pathlib import Path

import pytest
import registry_client
from registry_client import Registry

from api.services import create_key
from tests.api.platform_helpers import make_platform

# The client these tests import, for the processes they start: the same checkout's copy,
# whichever one the environment has installed.
CLIENT_PATH = str(Path(registry_client.__file__).resolve().parents[1])


@dataclass
class LiveRegistry:
    url: str
    key: str

    def client(self) -> Registry:
        return Registry(self.url, self.key, sleep=lambda seconds: None)

    def argv(self) -> list[str]:
        return ["--url", self.url, "--key", self.key]


@pytest.fixture
def live_registry(live_server, transactional_db) -> LiveRegistry:
    platform = make_platform("Dataset Builders")
    key = create_key(platform, "client tests", ("read", "webhooks"))[1]
    return LiveRegistry(live_server.url, key)
