"""The catalogue: creators, their tracks, where the tracks live on the web, and who claims them."""

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import MD5
from django.urls import reverse

from consent.identifiers import format_isni, format_isrc, format_iswc

from .questions import TRACK_POLICIES, AsksPolicies

if TYPE_CHECKING:  # `trust` imports this module for its foreign keys; only annotations need it.
    from .trust import ClaimVerification


class TrackQuerySet(AsksPolicies, QuerySet):
    ask = TRACK_POLICIES


class Creator(models.Model):
    """An artist, band, label or songwriter: the party that claims tracks and declares."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="creator"
    )
    artist_name = models.CharField(max_length=200)
    handle = models.SlugField(
        max_length=40,
        unique=True,
        help_text="Public, used in URLs: letters, digits and hyphens.",
    )
    isni = models.CharField("ISNI", max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by an admin's recorded decision (consent.disputes.suspend_creator). A suspended
    # creator's claims keep counting only for their reservations: an opt-out is never dropped
    # because an account is suspended.
    suspended_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["artist_name"]

    def __str__(self) -> str:
        return self.artist_name

    @property
    def isni_display(self) -> str:
        return format_isni(self.isni)


class Track(models.Model):
    """A recording and/or composition, identified by ISRC where it has one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=300)
    artist_credit = models.CharField(max_length=300)
    # NULL, not "", for "no ISRC": the unique constraint must not treat all blanks as one.
    isrc = models.CharField("ISRC", max_length=12, null=True, blank=True)  # noqa: DJ001
    iswc = models.CharField("ISWC", max_length=11, blank=True, db_index=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    audio_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            # One track per recording: a second registration of the same ISRC becomes a claim.
            models.UniqueConstraint(
                fields=["isrc"], condition=Q(isrc__isnull=False), name="track_unique_isrc"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("track_public", args=[self.public_id])

    @property
    def isrc_display(self) -> str:
        return format_isrc(self.isrc or "")

    @property
    def iswc_display(self) -> str:
        return format_iswc(self.iswc)


class VisibleLinks(models.Manager):
    """Links that count: every answer, feed and page reads links through this manager."""

    def get_queryset(self) -> QuerySet["TrackLink"]:
        return super().get_queryset().filter(hidden_at__isnull=True)


class TrackLink(models.Model):
    """Where a track lives on the web, stored normalized so lookups by URL match.

    A link belongs to the claim that added it. When that claim ends (withdrawn or revoked), or a
    verified owner hides a link an unverified claimant added, the row stays for the record but
    is hidden: `TrackLink.objects` and every plain-SQL reader skip hidden links.
    """

    class Hidden(models.TextChoices):
        CLAIM_ENDED = "claim-ended", "The claim that added it ended"
        BY_OWNER = "by-owner", "Hidden by a verified owner, pending review"
        REMOVED = "removed", "Removed by the claimant who added it"

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="links")
    url = models.CharField(max_length=2000)
    host = models.CharField(max_length=253, db_index=True)
    added_by = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="+")
    claim = models.ForeignKey(
        "Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=12, choices=Hidden.choices, blank=True)
    hidden_by = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The first manager is the default one, which related managers (`track.links`) also use.
    objects = VisibleLinks()
    all_objects = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        ordering = ["url"]
        base_manager_name = "all_objects"
        permissions = [("restore_tracklink", "Can restore a link a verified owner hid")]
        constraints = [
            # One visible row per URL and track; hidden rows stay for the record.
            models.UniqueConstraint(
                fields=["track", "url"],
                condition=Q(hidden_at__isnull=True),
                name="tracklink_unique_per_track",
            ),
        ]
        indexes = [
            models.Index(fields=["url"], name="tracklink_url_idx"),
            # A host's feed shards are the links whose MD5 starts with the shard's digits
            # (registry.feed_store): one range of this index. Lowercase hex digits sort the same
            # in every collation, so no collation is named (SQLite knows no "C").
            models.Index("host", MD5("url"), name="tracklink_host_md5_idx"),
        ]

    def __str__(self) -> str:
        return self.url


class ClaimQuerySet(QuerySet):
    """Which claims count: every reader asks through these, never by spelling the status."""

    def active(self) -> "ClaimQuerySet":
        """Claims that count now: neither withdrawn nor revoked."""
        return self.filter(status=Claim.Status.ACTIVE)

    def in_force_at(self, at) -> "ClaimQuerySet":
        """Claims that counted at the instant `at` (`ended_at` records when a claim stopped)."""
        return self.filter(Q(created_at__lte=at) & (Q(ended_at__isnull=True) | Q(ended_at__gt=at)))


class Claim(models.Model):
    """A creator's statement that they own a track's recording or its composition."""

    class Role(models.TextChoices):
        RECORDING = "recording", "Recording"
        COMPOSITION = "composition", "Composition"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REVOKED = "revoked", "Revoked"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="claims")
    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="claims")
    role = models.CharField(max_length=12, choices=Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the claim stopped counting (withdrawn or revoked), so `as_of=` answers know which
    # claims were in force at a past instant. Null while active.
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "creator", "role"], name="claim_unique_creator_role"
            ),
        ]
        indexes = [
            # Serves "the active claims of this track" in every resolution.
            models.Index(
                fields=["track"], condition=Q(status="active"), name="claim_active_by_track"
            ),
            # Serves "a creator's catalogue, in track order, from here": a catalogue-wide
            # change's job reads it a chunk at a time (consent.jobs), without reading all of it.
            models.Index(
                fields=["creator", "track"],
                condition=Q(status="active"),
                name="claim_active_by_creator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator} — {self.get_role_display()} of {self.track}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def current_verification(self) -> "ClaimVerification | None":
        """The verification in force now, if any (the oldest when several are)."""
        return self.verifications.in_force().order_by("started_at").first()
