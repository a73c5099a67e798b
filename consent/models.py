"""The registry's domain: who claims which track, what they declared, and what is in force.

Declarations are the one source of truth and are append-only (a database trigger refuses UPDATE
and DELETE, see migration 0002). EffectivePolicy is the materialized "now" derived from them and
ChangeEvent the ordered log of every change of it; both are written by `consent.services` in the
same transaction as the declaration that causes them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from consent.identifiers import format_isni, format_isrc, format_iswc
from consent.purposes import PURPOSES, VALUE_LABELS, Purpose, Value

PURPOSE_CHOICES = [(p.value, p.value) for p in PURPOSES]
VALUE_CHOICES = [(v.value, VALUE_LABELS[v]) for v in Value]
# The column of EffectivePolicy that holds each purpose's value.
POLICY_FIELDS: dict[Purpose, str] = {p: p.value.replace("-", "_") for p in PURPOSES}


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


class TrackLink(models.Model):
    """Where a track lives on the web, stored normalized so lookups by URL match."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="links")
    url = models.CharField(max_length=2000)
    host = models.CharField(max_length=253, db_index=True)
    added_by = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]
        constraints = [
            models.UniqueConstraint(fields=["track", "url"], name="tracklink_unique_per_track"),
        ]
        indexes = [models.Index(fields=["url"], name="tracklink_url_idx")]

    def __str__(self) -> str:
        return self.url


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
        ]

    def __str__(self) -> str:
        return f"{self.creator} — {self.get_role_display()} of {self.track}"


class Dispute(models.Model):
    """Competing claims on the same role of a track, opened automatically or by a contest."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="disputes")
    role = models.CharField(max_length=12, choices=Claim.Role.choices)
    claims = models.ManyToManyField(Claim, related_name="disputes")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(max_length=300)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "role"],
                condition=Q(status="open"),
                name="dispute_one_open_per_track_role",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute over the {self.role} of {self.track}"


class Declaration(models.Model):
    """One statement by a creator: for a purpose, at catalogue level (track null) or one track.

    Append-only: a change is a new row, and the database refuses UPDATE and DELETE. The latest
    row per (creator, track, purpose) is in force; value `unset` means "inherit" again.
    """

    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="declarations")
    track = models.ForeignKey(
        Track, on_delete=models.PROTECT, null=True, blank=True, related_name="declarations"
    )
    purpose = models.CharField(max_length=12, choices=PURPOSE_CHOICES)
    value = models.CharField(max_length=8, choices=VALUE_CHOICES)
    terms_url = models.URLField(max_length=500, blank=True)
    contact_email = models.EmailField(blank=True)
    # Declarations saved by one action share a batch, so history can show them together.
    batch = models.UUIDField(default=uuid.uuid4, db_index=True)
    declared_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        indexes = [
            models.Index(
                fields=["creator", "track", "purpose", "-id"], name="declaration_latest_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(value="license") | ~Q(terms_url="") | ~Q(contact_email=""),
                name="declaration_license_has_terms",
            ),
        ]

    def __str__(self) -> str:
        scope = self.track.title if self.track_id else "whole catalogue"
        return f"{self.creator}: {self.purpose}={self.value} ({scope})"

    @property
    def level(self) -> str:
        return "track" if self.track_id else "catalogue"


class EffectivePolicy(models.Model):
    """The value in force now for each purpose of a track: a cache, rebuildable from declarations.

    One column per purpose so feeds and filters can query them; `provenance` holds, per purpose,
    where the value comes from (level, claim, declaration, time, terms).
    """

    track = models.OneToOneField(
        Track, on_delete=models.CASCADE, primary_key=True, related_name="policy"
    )
    tdm = models.CharField(max_length=8, choices=VALUE_CHOICES, default=Value.UNSET)
    train_ai = models.CharField(max_length=8, choices=VALUE_CHOICES, default=Value.UNSET)
    train_genai = models.CharField(max_length=8, choices=VALUE_CHOICES, default=Value.UNSET)
    ai_input = models.CharField(max_length=8, choices=VALUE_CHOICES, default=Value.UNSET)
    search = models.CharField(max_length=8, choices=VALUE_CHOICES, default=Value.UNSET)
    disputed = models.BooleanField(default=False)
    provenance = models.JSONField(default=dict)
    sequence = models.BigIntegerField(default=0, help_text="The last change event of this track.")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "effective policies"

    def __str__(self) -> str:
        return f"Policy of {self.track}"

    def value_of(self, purpose: Purpose) -> Value:
        return Value(getattr(self, POLICY_FIELDS[purpose]))

    def values(self) -> dict[str, str]:
        return {p.value: getattr(self, POLICY_FIELDS[p]) for p in PURPOSES}

    def snapshot(self) -> dict:
        """Values and licence terms, the shape of a ChangeEvent's `policy` (without `disputed`)."""
        snapshot: dict = self.values()
        terms = {
            purpose: {
                "terms_url": self.provenance.get(purpose, {}).get("terms_url", ""),
                "contact_email": self.provenance.get(purpose, {}).get("contact_email", ""),
            }
            for purpose, value in snapshot.items()
            if value == Value.LICENSE
        }
        if terms:
            snapshot["terms"] = terms
        return snapshot


class ChangeEvent(models.Model):
    """One change of a track's effective policy, numbered without gaps in commit order.

    The sequence comes from SequenceCounter inside the writing transaction, so a reader paging
    with `after=N` can never skip an event that commits later with a smaller number.
    """

    sequence = models.BigIntegerField(unique=True)
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="change_events")
    policy = models.JSONField(help_text="The values in force after the change.")
    previous = models.JSONField(help_text="The values in force before the change.")
    disputed = models.BooleanField(default=False)
    cause = models.CharField(max_length=40)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.track}"


class SequenceCounter(models.Model):
    """A one-row counter handing out ChangeEvent numbers; its row lock orders commits."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="sequencecounter_one_row")]

    def __str__(self) -> str:
        return f"Last change event: {self.value}"
