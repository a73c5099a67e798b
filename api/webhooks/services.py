"""Operations on platforms' webhook endpoints: the API, the console and the admin call these.

An endpoint starts at the registry's latest change: it receives what changes from then on (a
platform that wants the past reads `/api/v1/changes`, or replays from a sequence). Its secret
is returned once, by the operation that creates or rotates it. Every operation that changes
delivery state takes the endpoint's row lock, so it waits for a POST in flight (at most the
delivery timeout) instead of racing it, and queues a delivery run once it commits.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api.models import WebhookEndpoint
from api.webhooks import batches, client, dispatch, signing, tasks
from consent.identifiers import normalize_host
from consent.models import Creator, Platform
from consent.policies import last_sequence

MAX_ENDPOINTS = 20  # per platform: one per environment and purpose is plenty
MAX_FILTER_ITEMS = 100
MAX_OVERLAP_HOURS = 7 * 24
MAX_URL_LENGTH = 1000
MAX_DESCRIPTION_LENGTH = 200


class WebhookError(Exception):
    """A request that cannot be carried out, with a sentence for the person who made it."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Rotation:
    secret: str
    previous_secret_expires_at: datetime | None


# --- Validation -------------------------------------------------------------------------------


def clean_url(raw: str) -> str:
    url = (raw or "").strip()
    if not url:
        raise WebhookError("Give the URL that receives the webhooks.", "url")
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        raise WebhookError(
            f"The URL must be at most {MAX_URL_LENGTH} characters, without spaces.", "url"
        )
    try:
        _, host, port, _ = client.check_url(url, require_https=settings.WEBHOOK_REQUIRE_HTTPS)
    except ValueError as exc:
        raise WebhookError(str(exc), "url") from exc
    try:
        client.resolve(host, port, dispatch.http_options()["allowed"])
    except client.AddressRefused as exc:
        raise WebhookError(str(exc), "url") from exc
    except OSError:
        pass  # not resolvable yet; each attempt resolves again, and the log will say why
    return url


def clean_event_types(values: Iterable[str] | None) -> list[str]:
    """The types asked for, in a stable order; an empty list means every type."""
    values = list(values or [])
    unknown = [v for v in values if v not in batches.EVENT_TYPES]
    if unknown or not all(isinstance(v, str) for v in values):
        raise WebhookError(
            f"Unknown event type {unknown[0]!r}; use any of {', '.join(batches.EVENT_TYPES)}.",
            "event_types",
        )
    return [t for t in batches.EVENT_TYPES if t in values]


def clean_hosts(values: Iterable[str] | None) -> list[str]:
    hosts = []
    for value in values or []:
        if not isinstance(value, str) or not value.strip():
            raise WebhookError("Each host is a name such as soundcloud.com.", "hosts")
        text = value.strip()
        if "://" in text:
            text = text.split("://", 1)[1]
        text = text.split("/", 1)[0].split(":", 1)[0]
        try:
            host = normalize_host(text)
        except (UnicodeError, ValueError):
            host = ""
        if not host or "." not in host:
            raise WebhookError(f"“{value}” is not a host name such as soundcloud.com.", "hosts")
        hosts.append(host)
    return _limited(sorted(set(hosts)), "hosts")


def clean_creators(values: Iterable[str] | None) -> list[str]:
    """Creators by public id or handle, stored as public ids; unknown ones are an error."""
    ids: set[str] = set()
    handles: set[str] = set()
    for value in values or []:
        if not isinstance(value, str) or not value.strip():
            raise WebhookError("Each creator is a creator id or a handle.", "creators")
        try:
            ids.add(str(uuid.UUID(value.strip())))
        except ValueError:
            handles.add(value.strip().lstrip("@").lower())
    found = {
        str(p)
        for p in Creator.objects.filter(public_id__in=ids).values_list("public_id", flat=True)
    }
    by_handle = dict(Creator.objects.filter(handle__in=handles).values_list("handle", "public_id"))
    missing = sorted(ids - found) + sorted(handles - set(by_handle))
    if missing:
        raise WebhookError(f"No creator is registered as “{missing[0]}”.", "creators")
    return _limited(sorted(found | {str(p) for p in by_handle.values()}), "creators")


def _limited(items: list[str], field: str) -> list[str]:
    if len(items) > MAX_FILTER_ITEMS:
        raise WebhookError(f"A filter lists at most {MAX_FILTER_ITEMS} {field}.", field)
    return items


def clean_description(raw: str | None) -> str:
    text = (raw or "").strip()
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise WebhookError(
            f"The description is at most {MAX_DESCRIPTION_LENGTH} characters.", "description"
        )
    return text


# --- Operations -------------------------------------------------------------------------------


def create_endpoint(
    platform: Platform,
    url: str,
    *,
    description: str = "",
    event_types: Iterable[str] | None = None,
    hosts: Iterable[str] | None = None,
    creators: Iterable[str] | None = None,
    enabled: bool = True,
    created_by=None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, following changes from now on, and its secret (shown once)."""
    if not platform.is_approved:
        raise WebhookError(f"{platform.name} is not approved, so it cannot receive webhooks.")
    fields = {
        "url": clean_url(url),
        "description": clean_description(description),
        "event_types": clean_event_types(event_types),
        "filter_hosts": clean_hosts(hosts),
        "filter_creators": clean_creators(creators),
    }
    secret = signing.generate_secret()
    with transaction.atomic():
        # Locked so two creations at once cannot both pass the limit.
        Platform.objects.select_for_update().get(pk=platform.pk)
        if platform.webhook_endpoints.count() >= MAX_ENDPOINTS:
            raise WebhookError(
                f"{platform.name} already has {MAX_ENDPOINTS} webhook endpoints; delete one "
                "it no longer uses first."
            )
        endpoint = WebhookEndpoint.objects.create(
            platform=platform,
            secret=secret,
            cursor=last_sequence(),
            enabled=enabled,
            disabled_reason="" if enabled else "Created disabled.",
            disabled_at=None if enabled else timezone.now(),
            created_by=created_by,
            **fields,
        )
    return endpoint, secret


def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    description: str | None = None,
    event_types: Iterable[str] | None = None,
    hosts: Iterable[str] | None = None,
    creators: Iterable[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (None leaves a field as it is).

    New filters or types drop a batch that was formed but not acknowledged yet: the next batch
    is formed from the same cursor under the new rules. Enabling resumes from the cursor, with
    the pending batch under its same webhook-id, so nothing is skipped.
    """
    changes: dict = {}
    if url is not None:
        changes["url"] = clean_url(url)
    if description is not None:
        changes["description"] = clean_description(description)
    if event_types is not None:
        changes["event_types"] = clean_event_types(event_types)
    if hosts is not None:
        changes["filter_hosts"] = clean_hosts(hosts)
    if creators is not None:
        changes["filter_creators"] = clean_creators(creators)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        rules = ("event_types", "filter_hosts", "filter_creators")
        if any(f in changes and changes[f] != getattr(locked, f) for f in rules):
            locked.clear_batch()
        for field, value in changes.items():
            setattr(locked, field, value)
        if enabled is True and not locked.enabled:
            locked.enabled = True
            locked.disabled_reason = ""
            locked.disabled_at = None
            locked.attempts = 0
            locked.next_attempt_at = None
        elif enabled is False and locked.enabled:
            locked.enabled = False
            locked.disabled_reason = "Disabled by the platform."
            locked.disabled_at = timezone.now()
            locked.next_attempt_at = None
        locked.save()
        _wake_on_commit(locked)
    return locked


def rotate_secret(endpoint: WebhookEndpoint, overlap_hours: int | None = None) -> Rotation:
    """A new secret (returned once); the old one keeps signing beside it for the overlap."""
    if overlap_hours is None:
        overlap_hours = settings.WEBHOOK_SECRET_OVERLAP_HOURS
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise WebhookError(
            f"The overlap is between 0 and {MAX_OVERLAP_HOURS} hours.", "overlap_hours"
        )
    secret = signing.generate_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if overlap_hours:
            locked.previous_secret = locked.secret
            locked.previous_secret_expires_at = timezone.now() + timedelta(hours=overlap_hours)
        else:
            locked.previous_secret = ""
            locked.previous_secret_expires_at = None
        locked.secret = secret
        locked.save(
            update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
        )
        _wake_on_commit(locked)  # a run that found the row locked by us left it to us
    endpoint.refresh_from_db()
    return Rotation(secret, endpoint.previous_secret_expires_at)


def replay_from(endpoint: WebhookEndpoint, sequence: int) -> WebhookEndpoint:
    """Send again every change from `sequence` on (in new batches, with new webhook-ids)."""
    latest = last_sequence()
    if not 1 <= sequence <= latest + 1:
        raise WebhookError(
            f"Replay from a change between #1 and #{latest + 1} (the next one).", "from_sequence"
        )
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.clear_batch()
        locked.cursor = sequence - 1
        locked.save()
        _wake_on_commit(locked)
    return locked


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        # Lock first: a POST in flight logs its attempt before the log is deleted with the row.
        locked = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        if locked is not None:
            locked.delete()


def send_test_event(endpoint: WebhookEndpoint) -> str:
    """Queue one `webhook.test` message; returns its webhook-id, to find it in the log."""
    if not endpoint.platform.is_approved:
        raise WebhookError(
            f"{endpoint.platform.name} is not approved, so it cannot receive webhooks."
        )
    webhook_id = signing.new_message_id()
    transaction.on_commit(
        lambda: tasks.publish(tasks.send_test_event, None, (endpoint.pk, webhook_id))
    )
    return webhook_id


def _wake_on_commit(endpoint: WebhookEndpoint) -> None:
    if endpoint.enabled:
        transaction.on_commit(lambda: tasks.wake_endpoint(endpoint.pk))


def lag(endpoint: WebhookEndpoint, latest: int | None = None) -> int:
    """Change events after the endpoint's cursor (some may not pass its filters)."""
    latest = last_sequence() if latest is None else latest
    return max(0, latest - endpoint.cursor)
