"""Operations on platforms' keys; the console, the admin and commands all call these."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from api import keys
from api.auth import keys_changed
from api.models import ApiKey
from consent.models import Platform
from consent.services import ConsentError

ALL_SCOPES = tuple(ApiKey.Scope.values)
# A platform rarely needs more than a key per environment; a cap keeps forgotten keys in view.
MAX_ACTIVE_KEYS = 20


def create_key(
    platform: Platform, name: str, scopes: Iterable[str] = ALL_SCOPES, created_by=None
) -> tuple[ApiKey, str]:
    """A new key for the platform and its secret, which is shown once and never stored.

    Refuses (ConsentError) a platform that already has MAX_ACTIVE_KEYS active keys; the
    platform's row is locked while counting, so two creations at once cannot both pass the cap.
    """
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(ALL_SCOPES)
    if unknown or not scopes:
        raise ValueError(f"Scopes must be among {', '.join(ALL_SCOPES)}.")
    new = keys.generate()
    with transaction.atomic():
        Platform.objects.select_for_update().only("pk").get(pk=platform.pk)
        if active_keys(platform).count() >= MAX_ACTIVE_KEYS:
            raise ConsentError(
                f"{platform.name} already has {MAX_ACTIVE_KEYS} active keys. Revoke one you no "
                "longer use, then create the new one."
            )
        key = ApiKey.objects.create(
            platform=platform,
            name=name.strip() or "Unnamed key",
            prefix=new.prefix,
            hashed_key=new.hashed,
            scopes=scopes,
            created_by=created_by,
        )
    return key, new.secret


def active_keys(platform: Platform):
    """The platform's keys that still authenticate (not revoked)."""
    return ApiKey.objects.filter(platform=platform, revoked_at__isnull=True)


def revoke_key(key: ApiKey) -> None:
    """Effective on this process from the next request, on every other within
    API_KEY_CACHE_CHECK_MS (api.auth keeps verified keys in memory)."""
    with transaction.atomic():
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        keys_changed()
    key.refresh_from_db(fields=["revoked_at"])
