"""The demo platform of `make run`: one approved platform and one live key, printed every time."""

import pytest
from django.core.management import CommandError, call_command

from api import keys
from api.management.commands.load_demo_platform import DEMO_PLATFORM
from api.models import ApiKey
from consent.models import Platform

pytestmark = pytest.mark.django_db


def load(path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_demo_platform", key_file=str(path), stdout=out)
    return out.getvalue()


def live_keys():
    return ApiKey.objects.filter(platform__name=DEMO_PLATFORM, revoked_at__isnull=True)


def test_it_refuses_to_run_without_debug(tmp_path, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        load(tmp_path / "key")
    assert not Platform.objects.exists()
    assert not (tmp_path / "key").exists()


def test_running_again_reuses_the_platform_and_the_key(tmp_path, settings):
    settings.DEBUG = True
    first, second = load(tmp_path / "key"), load(tmp_path / "key")
    secret = (tmp_path / "key").read_text().strip()
    assert secret in first and secret in second
    assert Platform.objects.get(name=DEMO_PLATFORM).is_approved
    assert Platform.objects.count() == 1
    key = live_keys().get()
    assert ApiKey.objects.count() == 1
    assert keys.matches(secret, key.hashed_key)


def test_a_lost_or_stale_key_file_gets_a_new_key_and_the_old_one_is_revoked(tmp_path, settings):
    settings.DEBUG = True
    load(tmp_path / "key")
    old = (tmp_path / "key").read_text().strip()
    (tmp_path / "key").unlink()
    load(tmp_path / "key")
    new = (tmp_path / "key").read_text().strip()
    assert new != old
    assert live_keys().count() == 1 and keys.matches(new, live_keys().get().hashed_key)
    # A file naming a key that no longer authenticates (revoked, or another database's).
    (tmp_path / "key").write_text("crk_aaaaaaaaaaaa_not-a-real-secret\n")
    printed = load(tmp_path / "key")
    newest = (tmp_path / "key").read_text().strip()
    assert newest not in (new, "crk_aaaaaaaaaaaa_not-a-real-secret") and newest in printed
    assert live_keys().count() == 1
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
