"""`create_platform`: an approved platform and a working key, the key alone on the last line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from api.auth import authenticate_key
from api.models import ApiKey
from consent.models import Platform
from tests.api.platform_helpers import make_platform

pytestmark = pytest.mark.django_db


def create_platform(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_platform", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_prints_a_working_key_alone_on_the_last_line():
    lines = create_platform(
        "Acme AI", "--email", "api@acme.example", "--scopes", "read", "--rate-limit", "120"
    )
    key = authenticate_key(lines[-1])
    platform = Platform.objects.get()
    assert key.platform == platform
    assert key.scopes == ["read"]
    assert platform.is_approved and platform.reviewed_at is not None
    assert (platform.contact_email, platform.rate_limit_per_minute) == ("api@acme.example", 120)
    assert "Acme AI" in lines[0] and lines[-1] not in lines[0]


def test_by_default_the_key_has_every_scope():
    key = authenticate_key(create_platform("Acme AI")[-1])
    assert key.scopes == ["read", "webhooks"]


def test_an_existing_name_is_an_error_and_nothing_is_created():
    make_platform("ACME AI")
    with pytest.raises(CommandError, match="A platform named “Acme AI” already exists."):
        create_platform("Acme AI")
    assert Platform.objects.count() == 1
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scopes", "read,admin"], "Unknown scope admin"),
        (["--scopes", ""], "Unknown scope"),
        (["--rate-limit", "0"], "--rate-limit must be"),
        (["--email", "not-an-address"], "is not an email address"),
    ],
)
def test_bad_options_are_errors_and_nothing_is_created(args, message):
    with pytest.raises(CommandError, match=message):
        create_platform("Acme AI", *args)
    assert not Platform.objects.exists()
