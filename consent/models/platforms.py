"""The organisations that read consent, and what each says it has applied."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Platform(models.Model):
    """An organisation that reads consent: an AI company, a dataset builder, a streaming service.

    It applies on the website and has no access until an admin approves it. Its members manage
    its API keys and webhooks in the platform console.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        SUSPENDED = "suspended", "Suspended"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("organisation", max_length=200, unique=True)
    website = models.URLField(max_length=500, blank=True)
    contact_email = models.EmailField()
    intended_use = models.TextField(help_text="What the platform will use the consent data for.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="platforms")
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Units per minute for all the platform's keys together (a lookup costs 1, a batch "
            "1 per item); empty means the default from settings."
        ),
    )
    # The public page /platforms/ lists every approved platform that follows the registry, with
    # how quickly it applies changes, unless the platform chose (in its console) to stay off it;
    # the page still counts the unlisted ones.
    listed_on_platforms_page = models.BooleanField(
        "listed on the public platforms page",
        default=True,
        help_text="Shown on /platforms/ with how quickly it applies changes.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        permissions = [("approve_platform", "Can approve or refuse platforms")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class Acknowledgement(models.Model):
    """A platform's statement that it has applied every change event up to `sequence`.

    One row per acknowledgement, never lowered: artists see, per track, which platforms have
    applied its latest change and since when.
    """

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    sequence = models.BigIntegerField()
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["platform", "sequence"], name="ack_platform_sequence")]

    def __str__(self) -> str:
        return f"{self.platform} applied up to #{self.sequence}"
