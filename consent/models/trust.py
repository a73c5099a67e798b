"""How far a claim is proven: verification periods, profile proofs, requests for review."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from .catalogue import Claim, Creator
from .disputes import evidence_path


class ClaimVerificationQuerySet(QuerySet):
    def in_force(self) -> "ClaimVerificationQuerySet":
        """Verifications that count now: not ended."""
        return self.filter(ended_at__isnull=True)

    def in_force_at(self, at) -> "ClaimVerificationQuerySet":
        """Verifications that counted at the instant `at`."""
        return self.filter(Q(started_at__lte=at) & (Q(ended_at__isnull=True) | Q(ended_at__gt=at)))


class ClaimVerification(models.Model):
    """A period during which a claim counted as proven, and how it was proven.

    Reserving is always safe, permitting and selling need proof: a claim's `allow` and the
    licence terms it names count only while the claim has a verification in force (see
    consent.resolution.unverified). Periods are kept when they end, so an answer `as_of` a past
    instant knows which claims were verified then.
    """

    class Method(models.TextChoices):
        LINK = "link", "Link proof"
        REVIEW = "review", "Reviewer's decision with evidence"
        ACCOUNT = "account", "Connected account"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verifications")
    method = models.CharField(max_length=8, choices=Method.choices)
    # The proven URL for a link proof or connected account; the reviewer's reason for a review.
    detail = models.CharField(max_length=2000, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=300, blank=True)

    objects = ClaimVerificationQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "id"]
        permissions = [
            ("verify_by_review", "Can verify a claim by review, or withdraw such a verification")
        ]
        indexes = [
            # Serves "which of these claims are verified now" in every policy computation.
            models.Index(
                fields=["claim"], condition=Q(ended_at__isnull=True), name="verification_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim}: {self.get_method_display()}"


class ProfileProof(models.Model):
    """A page or profile a creator proved is theirs (consent.proofs).

    A link proof is proven when the registry finds the proof's token on the page (in its text,
    a `<meta>` tag or, for a site's root, `/.well-known/consent-registry.txt`) or a `rel="me"`
    link from it to the creator's public page; an account proof when the creator connected the
    account the profile belongs to. A proven proof of URL P verifies every active claim of its
    creator with a link at P or beneath it. Link proofs are checked again periodically: one that
    disappears is `lapsing` for a grace period, then its verifications end.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Not checked yet"
        PROVEN = "proven", "Proven"
        LAPSING = "lapsing", "Proof missing"
        FAILED = "failed", "Not proven"

    class Found(models.TextChoices):
        TEXT = "text", "the code in the page's text"
        META = "meta", "the code in a <meta> tag"
        WELL_KNOWN = "well-known", "the code in /.well-known/consent-registry.txt"
        REL_ME = "rel-me", 'a rel="me" link to your page on this registry'
        ACCOUNT = "account", "a connected account"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="proofs")
    # Normalized (consent.identifiers.normalize_url), so it compares with track links.
    url = models.CharField(max_length=2000)
    method = models.CharField(
        max_length=8,
        choices=[
            (ClaimVerification.Method.LINK, "Link proof"),
            (ClaimVerification.Method.ACCOUNT, "Connected account"),
        ],
        default=ClaimVerification.Method.LINK,
    )
    # For an account proof: the allauth provider and the account's id there.
    provider = models.CharField(max_length=30, blank=True)
    account_uid = models.CharField(max_length=255, blank=True)
    token = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    found_by = models.CharField(max_length=10, choices=Found.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    proven_at = models.DateTimeField(null=True, blank=True)
    # When a proven proof was first found missing: the grace period runs from here.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["url"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "url"], name="profileproof_unique_url"),
        ]
        indexes = [
            # Serves the periodic re-check: proofs in force, least recently checked first.
            models.Index(
                fields=["checked_at"],
                condition=Q(status__in=["proven", "lapsing"], method="link"),
                name="profileproof_recheck",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator}: {self.url}"

    @property
    def in_force(self) -> bool:
        """Its verifications count: proven, or missing but within the grace period."""
        return self.status in (self.Status.PROVEN, self.Status.LAPSING)


class VerificationRequest(models.Model):
    """A claimant asks a reviewer to verify their claim, with a document that proves it.

    The document (a distribution statement, a letter from the label, a publishing registration)
    is a file or a link, stored like dispute evidence: under MEDIA_ROOT/evidence/, never served,
    readable only by the reviewers through the admin. One request per claim waits at a time; the
    reviewer's decision (`consent.verification_requests`) closes it and is in the audit log.
    """

    class Document(models.TextChoices):
        DISTRIBUTION = "distribution", "Distribution statement or distributor's dashboard"
        LABEL_LETTER = "label-letter", "Letter from the label or publisher"
        REGISTRATION = "registration", "Registration with a collecting society or PRO"
        OTHER = "other", "Another document"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for review"
        VERIFIED = "verified", "Verified"
        DECLINED = "declined", "Declined"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verification_requests")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    document = models.CharField(max_length=12, choices=Document.choices)
    statement = models.TextField()
    file = models.FileField(upload_to=evidence_path, max_length=200, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status="open"),
                name="verificationrequest_one_open_per_claim",
            ),
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(url=""), name="verificationrequest_has_document"
            ),
        ]
        indexes = [
            # Serves the reviewers' queue: open requests, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(status="open"),
                name="verificationrequest_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Verification of {self.claim}"
