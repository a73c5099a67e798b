"""Shared fixtures: an owner, another artist, a reviewer and their clients, for every view test.

Under pytest-xdist (`make test` runs `-n auto`) each worker has a Redis database of its own, the
number in TEST_REDIS_URL plus the worker's index, for the cache, the rate limits and the Celery
broker of the worker tests; pytest-django gives each worker its own test database.
"""

import itertools
import os
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from consent.models import Creator

_counter = itertools.count(1)
_worker_settings = None
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def worker_index(config: pytest.Config) -> int:
    """0 for a serial run or xdist's first worker (gw0), 1 for gw1, ..."""
    worker = getattr(config, "workerinput", {}).get("workerid", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def redis_url_for_worker(url: str, index: int) -> str:
    """`url` with its database number (0 when it names none) raised by `index`."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + index
    return urlunsplit(parts._replace(path=f"/{database}"))


def pytest_configure(config: pytest.Config) -> None:
    """Point this worker's cache, rate limits and worker tests at its own Redis database.

    Django read REDIS_URL before this file was imported, so the settings are overridden (which
    also drops cache connections already made); the environment is changed too, for the Celery
    workers and the Redis clients the tests start.
    """
    global _worker_settings
    from django.conf import settings
    from django.test import override_settings

    # Django's advice for tests: a fast password hasher. The production one (PBKDF2, a million
    # iterations) spends about half a second of CPU on every user a test creates.
    override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS).enable()
    base = os.environ.get("REDIS_URL", "")
    index = worker_index(config)
    if not base or index == 0:
        return
    url = redis_url_for_worker(base, index)
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=3) as client:
            client.ping()
    except redis.ResponseError as exc:  # e.g. "DB index is out of range"
        raise pytest.UsageError(
            f"xdist worker {index} needs the Redis database of {url} ({exc}): run fewer "
            "workers (make test TEST_WORKERS=2) or start from a lower TEST_REDIS_URL database"
        ) from exc
    caches = {name: dict(cache) for name, cache in settings.CACHES.items()}
    caches["default"]["LOCATION"] = url
    os.environ["REDIS_URL"] = url
    _worker_settings = override_settings(REDIS_URL=url, CACHES=caches)
    _worker_settings.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _worker_settings is not None:
        _worker_settings.disable()


def make_artist(name: str = "", handle: str = "", verified: bool = True) -> Creator:
    n = next(_counter)
    email = f"artist{n}@example.org"
    user = get_user_model().objects.create_user(
        username=f"artist{n}", email=email, password="correct horse battery staple"
    )
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return Creator.objects.create(
        user=user, artist_name=name or f"Artist {n}", handle=handle or f"artist-{n}"
    )


def give_second_factor(user) -> str:
    """Equip a user with a real authenticator app (allauth.mfa's TOTP), as staff and reviewers
    must have before the admin opens to them; returns its secret, for `totp_code`."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code an authenticator app holding `secret` shows now."""
    from allauth.mfa import app_settings

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser (behind `admin_client`), with the second factor staff need."""
    give_second_factor(admin_user)
    return admin_user


@pytest.fixture
def artist(db) -> Creator:
    return make_artist("Owner Band", "owner-band")


@pytest.fixture
def other_artist(db) -> Creator:
    return make_artist("Someone Else", "someone-else")


@pytest.fixture
def reviewer(db):
    """A member of the reviewer group: staff, with the second factor the admin asks of staff."""
    email = "reviewer@example.org"
    user = get_user_model().objects.create_user(
        username="reviewer", email=email, password="correct horse battery staple", is_staff=True
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name="reviewer"))
    give_second_factor(user)
    return user


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def owner_client(client, artist):
    client.force_login(artist.user)
    return client


@pytest.fixture
def other_client(client, other_artist):
    client.force_login(other_artist.user)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the (real Redis) cache; no test may inherit another's, nor
    the registry state a receipt read in another test's database, nor the keys and counts the
    API keeps in this process."""
    from django.core.cache import cache

    from api.auth import reset_local_state
    from consent.transparency import receipts

    receipts.forget_state()
    cache.clear()
    reset_local_state()
    yield


@pytest.fixture(autouse=True)
def _snapshot_folder(settings, tmp_path_factory):
    """Snapshot files go to a folder of this test (made when the first is built): a file built
    from another test's database must never be served as this one's."""
    settings.SNAPSHOT_DIR = tmp_path_factory.getbasetemp() / f"snapshots-{uuid.uuid4().hex}"


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads go to a folder of this test, never the project's media folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def verify_claims_of(creator: Creator, reviewer=None) -> None:
    """A reviewer verified every active claim of this creator, as after reading their evidence.

    Only a verified claim's `allow` and licence terms reach platforms; tests of what a permission
    or a licence looks like in the outputs verify the owner first, as a real owner would.
    """
    from django.db import transaction

    from consent.models import Claim
    from consent.policies import lock_consent_writes
    from consent.verification import Method, verify_claims

    with transaction.atomic():
        lock_consent_writes()
        claims = Claim.objects.filter(creator=creator, status=Claim.Status.ACTIVE)
        verify_claims(list(claims), Method.REVIEW, "Distribution statement checked.", by=reviewer)


def stored_provenance(**values) -> dict:
    """EffectivePolicy.provenance as the registry stores it, for rows built in memory: each
    keyword a purpose (`train_genai=...`), a value, or a (value, terms_url, contact_email[,
    withheld]) tuple for a licence. The declaration, claim and creator behind each are made up."""
    import uuid
    from datetime import UTC, datetime

    from consent.provenance import ClaimProof, Source, provenance_json
    from consent.purposes import Purpose, Value

    sources = {}
    for name, given in values.items():
        purpose = Purpose(name.replace("_", "-"))
        value, terms_url, contact_email, withheld = (
            (*given, False)[:4] if isinstance(given, tuple) else (given, "", "", False)
        )
        sources[purpose] = Source(
            purpose=purpose,
            value=Value(value),
            level="track",
            declared_for=purpose,
            declaration=1,
            declared_at=datetime(2026, 1, 31, 12, tzinfo=UTC),
            claim=uuid.uuid4(),
            role="recording",
            creator=uuid.uuid4(),
            proof=ClaimProof("" if withheld else "review"),
            terms_url=terms_url,
            contact_email=contact_email,
            terms_withheld=withheld,
        )
    return provenance_json(sources)


def resolve_example_hosts_publicly(monkeypatch) -> None:
    """Every host name but this machine's resolves to a public documentation address, with no
    DNS lookup: webhook and proof URLs such as `hooks.acme.example` pass the public-address check,
    while the registry's own PostgreSQL and Redis on 127.0.0.1 still resolve as they are."""
    import socket

    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in ("127.0.0.1", "localhost", "::1"):
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port or 443))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
