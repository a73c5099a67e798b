"""Operations on platforms' keys; the console, the admin and commands all call these."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from api import keys
from api.models import ApiKey
from consent.models import Platform

ALL_SCOPES = tuple(ApiKey.Scope.values)


def create_key(
    platform: Platform, name: str, scopes: Iterable[str] = ALL_SCOPES, created_by=None
) -> tuple[ApiKey, str]:
    """A new key for the platform and its secret, which is shown once and never stored."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(ALL_SCOPES)
    if unknown or not scopes:
        raise ValueError(f"Scopes must be among {', '.join(ALL_SCOPES)}.")
    new = keys.generate()
    key = ApiKey.objects.create(
        platform=platform,
        name=name.strip() or "Unnamed key",
        prefix=new.prefix,
        hashed_key=new.hashed,
        scopes=scopes,
        created_by=created_by,
    )
    return key, new.secret


def revoke_key(key: ApiKey) -> None:
    """Effective from the next request: authentication reads the key on every request."""
    with transaction.atomic():
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
