"""Disputes over a track's claims, what the parties are told and give, and the audit log of
every dispute change and admin decision."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from .catalogue import Claim, Creator, Track


class DisputeQuerySet(QuerySet):
    def active(self) -> "DisputeQuerySet":
        """Disputes still under way: open, or waiting for information (Dispute.ACTIVE)."""
        return self.filter(status__in=Dispute.ACTIVE)

    def needs_action(self, now=None) -> "DisputeQuerySet":
        """Undecided cases waiting for a reviewer: new, answered since the last request for
        information, or waiting for an answer whose deadline has passed."""
        now = now or timezone.now()
        return self.filter(
            Q(status=Dispute.Status.OPEN)
            | Q(status=Dispute.Status.INFO_REQUESTED, information_deadline__lte=now)
        )

    def in_force_at(self, at) -> "DisputeQuerySet":
        """Disputes that were under way at the instant `at`."""
        return self.filter(Q(opened_at__lte=at) & (Q(closed_at__isnull=True) | Q(closed_at__gt=at)))


class Dispute(models.Model):
    """Competing claims on the same role of a track, opened automatically or by a contest.

    While a dispute is active (open, or waiting for information) every competing claim counts,
    so the most restrictive value applies; a decision revokes the claims that lost.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open, waiting for review"
        INFO_REQUESTED = "info-requested", "Waiting for information"
        DECIDED = "decided", "Decided"
        CLOSED = "closed", "Closed (a claim was withdrawn)"

    class Outcome(models.TextChoices):
        # Rejecting a contest is upholding the contested claim: one outcome, one effect
        # (migration 0016 turned the former "rejected" rows into this one).
        UPHELD = "upheld", "One claim upheld"
        DUPLICATE = "duplicate", "Duplicate of another dispute"

    ACTIVE = (Status.OPEN, Status.INFO_REQUESTED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="disputes")
    role = models.CharField(max_length=12, choices=Claim.Role.choices)
    claims = models.ManyToManyField(Claim, related_name="disputes")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(max_length=300)
    # Null when the registry opened it because the same ISRC was registered twice.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes_opened",
    )
    contested_claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contester_claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    upheld_claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The one reviewer working the case; another reviewer must take it over before acting.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes_assigned",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # The last request for information: the one party asked, by when, whether they were
    # reminded and when they answered. The case waits only for that party.
    information_from = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    information_requested_at = models.DateTimeField(null=True, blank=True)
    information_deadline = models.DateTimeField(null=True, blank=True)
    information_reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "role"],
                condition=Q(status__in=["open", "info-requested"]),
                name="dispute_one_open_per_track_role",
            ),
        ]
        indexes = [
            # Serves the reviewers' queue: active disputes, oldest first.
            models.Index(
                fields=["opened_at"],
                condition=Q(status__in=["open", "info-requested"]),
                name="dispute_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute over the {self.role} of {self.track}"

    def get_absolute_url(self) -> str:
        return reverse("dispute_detail", args=[self.public_id])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def parties(self) -> QuerySet[Creator]:
        """Every creator with a claim in the dispute, whatever became of that claim."""
        return Creator.objects.filter(claims__disputes=self).distinct()


class Notice(models.Model):
    """Something an artist must see: another creator's claim touches a track of theirs.

    Written in the same transaction as the claim that causes it, shown on the dashboard until
    dismissed, and emailed after commit (consent.signals.notices_created).
    """

    class Kind(models.TextChoices):
        SAME_TRACK = "same-track", "Another creator claimed your track"
        IDENTIFIER = "identifier", "Another track shares an identifier with yours"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The recipient's own track, and the newcomer's claim (on it, or on the other track).
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="notices")
    # For an identifier collision: which identifier ("url", "iswc", "sha256", "isrc") and value.
    identifier_kind = models.CharField(max_length=6, blank=True)
    identifier = models.CharField(max_length=2000, blank=True)
    dispute = models.ForeignKey(
        Dispute, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    created_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves the dashboard's "notices not yet dismissed".
            models.Index(
                fields=["creator", "-created_at"],
                condition=Q(dismissed_at__isnull=True),
                name="notice_open_by_creator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.track}"


class DisputeStatement(models.Model):
    """What a party or a reviewer wrote in a dispute, as plain text.

    A party's statement is shown to its author and the reviewers, never to the other side; a
    reviewer's message is shown to every party. Append-only in the database (migration 0006).
    """

    class Party(models.TextChoices):
        CREATOR = "creator", "Creator"
        ADMIN = "admin", "Administrator"

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="statements")
    party = models.CharField(max_length=8, choices=Party.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Statement by {self.creator or self.get_party_display()}"


def evidence_path(instance: "Evidence", filename: str) -> str:
    # A random name: nothing about the upload (its name, its owner) is guessable from the path.
    return f"evidence/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """A file or a link a party gives to support their claim, for that party and the reviewers.

    Files live under MEDIA_ROOT/evidence/, which is never served; the only way to read one is
    the dispute's download view, which checks who is asking: the party who gave it and the
    reviewers, never the other side. Append-only in the database (migration 0006).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="evidence")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to=evidence_path, max_length=200, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="evidence_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or self.url


class AuditEntry(models.Model):
    """One state change of a dispute or one admin decision: who, when, what, why.

    Append-only like declarations: the database refuses UPDATE and DELETE (migration 0004), so
    the record stands up later whatever the code or an operator does.
    """

    class Action(models.TextChoices):
        OPENED = "opened", "Dispute opened"
        JOINED = "joined", "Claim joined the dispute"
        STATEMENT = "statement", "Statement added"
        EVIDENCE = "evidence", "Evidence added"
        INFO_REQUESTED = "info-requested", "Information requested"
        REOPENED = "reopened", "Back in review"
        CLAIM_WITHDRAWN = "claim-withdrawn", "Claim withdrawn"
        CLOSED = "closed", "Dispute closed"
        DECIDED = "decided", "Dispute decided"
        CLAIM_REVOKED = "claim-revoked", "Claim revoked"
        CREATOR_SUSPENDED = "creator-suspended", "Creator suspended"
        CLAIM_VERIFIED = "claim-verified", "Claim verified"
        VERIFICATION_ENDED = "verification-ended", "Claim verification ended"
        LINK_HIDDEN = "link-hidden", "Link hidden by a verified owner"
        LINK_RESTORED = "link-restored", "Hidden link restored"
        REVIEW_REQUESTED = "review-requested", "Verification by review requested"
        REVIEW_DECLINED = "review-declined", "Verification request declined"
        ASSIGNED = "assigned", "Reviewer assigned"
        UNASSIGNED = "unassigned", "Reviewer released the case"
        REMINDED = "reminded", "Reminder sent"
        DEADLINE_PASSED = "deadline-passed", "Deadline for information passed"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.TextField(blank=True)
    dispute = models.ForeignKey(
        Dispute, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.get_action_display()}"
