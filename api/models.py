"""What the machine face stores: platforms' API keys (webhook endpoints join them later)."""

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
