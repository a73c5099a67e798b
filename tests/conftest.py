"""Shared fixtures: an owner, another artist and an anonymous client, for every view test."""

import itertools
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model

from consent.models import Creator

_counter = itertools.count(1)


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
def owner_client(client, artist):
    client.force_login(artist.user)
    return client


@pytest.fixture
def other_client(client, other_artist):
    client.force_login(other_artist.user)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the (real Redis) cache; no test may inherit another's."""
    from django.core.cache import cache

    cache.clear()
    yield


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
    from consent.services import lock_consent_writes
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
