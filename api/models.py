"""What the machine face stores: platforms' API keys, webhook endpoints and their delivery log."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from consent.models import Platform


class ApiKey(models.Model):
    """A platform's credential. Only a keyed hash of the key is stored; see `api.keys`."""

    class Scope(models.TextChoices):
        READ = "read", "Read consent"
        WEBHOOKS = "webhooks", "Manage webhooks"

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        indexes = [
            models.Index(
                fields=["platform"], condition=Q(revoked_at__isnull=True), name="apikey_live"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (crk_{self.prefix}_…)"

    @property
    def display(self) -> str:
        return f"crk_{self.prefix}_…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookEndpoint(models.Model):
    """A platform's URL that receives every change of consent, in order, signed.

    Delivery state lives on this row, not in Celery: `cursor` is the last change event the
    endpoint acknowledged with a 2xx. The next batch is fixed (`batch_*`, with its rendered body)
    before its first attempt, so every retry sends the same events under the same `webhook-id`.
    The wait before a retry is `next_attempt_at`, read by a beat sweep, because a Celery countdown
    lives in the broker: a broker restart or Redis's visibility timeout would lose or repeat it.
    Only one worker sends for an endpoint at a time: it holds this row's lock while it sends.

    Secrets are stored as issued (they must be, to sign); the database is trusted with them as
    with the rest of the registry, and they never leave it except once, to their owner.
    """

    class EventType(models.TextChoices):
        POLICY_CHANGED = "policy.changed", "A track's policy changed (registration included)"
        DISPUTE_OPENED = "dispute.opened", "A track became disputed"
        DISPUTE_CLOSED = "dispute.closed", "A track's dispute ended"
        LINKS_CHANGED = "links.changed", "A track's links changed (registration included)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField("URL", max_length=1000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Types of change sent; empty means every type."
    )
    filter_hosts = models.JSONField(
        default=list, blank=True, help_text="Only tracks with a link on one of these hosts."
    )
    filter_creators = models.JSONField(
        default=list, blank=True, help_text="Only tracks claimed by one of these creators (ids)."
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    secret = models.CharField(max_length=120, editable=False)
    previous_secret = models.CharField(max_length=120, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    cursor = models.BigIntegerField(default=0, help_text="The last change event acknowledged.")
    batch_id = models.CharField(max_length=40, blank=True, help_text="webhook-id of the batch.")
    batch_first = models.BigIntegerField(null=True, blank=True)
    batch_last = models.BigIntegerField(null=True, blank=True)
    batch_until = models.BigIntegerField(
        null=True, blank=True, help_text="The cursor once the batch is acknowledged."
    )
    batch_count = models.PositiveIntegerField(default=0)
    batch_body = models.TextField(blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts of the batch.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "webhook endpoint"
        indexes = [
            # The sweep: enabled endpoints that are behind or have a batch due.
            models.Index(fields=["cursor"], condition=Q(enabled=True), name="webhook_enabled"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} → {self.url}"

    @property
    def has_batch(self) -> bool:
        return bool(self.batch_id)

    @property
    def health(self) -> str:
        """One word for the console: disabled, failing, healthy or new."""
        if not self.enabled:
            return "disabled"
        if self.attempts:
            return "failing"
        if self.last_success_at:
            return "healthy"
        return "new"

    def clear_batch(self) -> None:
        self.batch_id = ""
        self.batch_first = self.batch_last = self.batch_until = None
        self.batch_count = 0
        self.batch_body = ""
        self.attempts = 0
        self.next_attempt_at = None


class WebhookDelivery(models.Model):
    """One attempt to deliver a batch (or a test event) to an endpoint: the delivery log."""

    class Kind(models.TextChoices):
        EVENTS = "events", "Change events"
        TEST = "test", "Test event"

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused (address not allowed)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EVENTS)
    webhook_id = models.CharField(max_length=40)
    attempt = models.PositiveIntegerField(default=1)
    first_sequence = models.BigIntegerField(null=True, blank=True)
    last_sequence = models.BigIntegerField(null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    attempted_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-attempted_at"], name="webhookdelivery_log"),
            models.Index(fields=["attempted_at"], name="webhookdelivery_age"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} attempt {self.attempt}: {self.outcome}"
