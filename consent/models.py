"""The registry's domain: who claims which track, what they declared, and what is in force.

Declarations are the one source of truth and are append-only (a database trigger refuses UPDATE
and DELETE, see migration 0002). EffectivePolicy is the materialized "now" derived from them and
ChangeEvent the ordered log of every change of it; both are written by `consent.services` in the
same transaction as the declaration that causes them.
"""

import uuid
from collections.abc import Iterable
from functools import reduce
from operator import and_, or_

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from consent.identifiers import format_isni, format_isrc, format_iswc
from consent.provenance import Source, read_sources
from consent.purposes import (
    AI_OPT_OUT,
    AI_TRAINING,
    PURPOSES,
    RESERVING,
    VALUE_LABELS,
    Purpose,
    Value,
)

PURPOSE_CHOICES = [(p.value, p.value) for p in PURPOSES]
VALUE_CHOICES = [(v.value, VALUE_LABELS[v]) for v in Value]
# The column of EffectivePolicy that holds each purpose's value.
POLICY_FIELDS: dict[Purpose, str] = {p: p.value.replace("-", "_") for p in PURPOSES}


class PolicyQuestions:
    """The questions the site asks of effective policies, each defined once, as conditions on
    EffectivePolicy's value columns. `PolicyQuestions("policy__")` asks them of tracks.

    Pages, counts and feeds filter with these (through the querysets below, or as `filter=` of an
    aggregate); the API answers the same questions in Python with `consent.standards.Policy` and
    `consent.standards.rules`, from the same `RESERVING` and `AI_TRAINING`.
    """

    def __init__(self, via: str = "") -> None:
        self.via = via

    def _is(self, purpose: Purpose, values: Iterable[Value]) -> Q:
        return Q(**{f"{self.via}{POLICY_FIELDS[purpose]}__in": sorted(v.value for v in values)})

    def reserving(self, *purposes: Purpose) -> Q:
        """Any of `purposes` is reserved: not allowed, or only under licence."""
        return reduce(or_, (self._is(p, RESERVING) for p in purposes))

    def reserving_ai_training(self) -> Q:
        """AI training is reserved: training any model, or training generative AI. The home
        page's count, and the compatible API's `optOut` (consent.standards.rules)."""
        return self.reserving(*AI_TRAINING)

    def denying_all(self, *purposes: Purpose) -> Q:
        """Every one of `purposes` is not allowed."""
        return reduce(and_, (self._is(p, [Value.DENY]) for p in purposes))

    def opted_out_of_ai(self) -> Q:
        """Everything the one-click AI opt-out denies is denied (AI_OPT_OUT)."""
        return self.denying_all(*AI_OPT_OUT)

    def licensing(self, *purposes: Purpose) -> Q:
        """Any of `purposes` (every purpose when none is named) is only under licence."""
        return reduce(or_, (self._is(p, [Value.LICENSE]) for p in purposes or PURPOSES))

    def stating_something(self) -> Q:
        """Some purpose is not `unset`: a feed writes a rule for it."""
        stated = [value for value in Value if value != Value.UNSET]
        return reduce(or_, (self._is(p, stated) for p in PURPOSES))

    def disputed(self) -> Q:
        return Q(**{f"{self.via}disputed": True})


POLICIES = PolicyQuestions()
TRACK_POLICIES = PolicyQuestions("policy__")


class AsksPolicies:
    """Queryset methods naming the policy questions (PolicyQuestions), for one model."""

    ask: PolicyQuestions

    def reserving(self, *purposes: Purpose):
        return self.filter(self.ask.reserving(*purposes))

    def reserving_ai_training(self):
        return self.filter(self.ask.reserving_ai_training())

    def denying_all(self, *purposes: Purpose):
        return self.filter(self.ask.denying_all(*purposes))

    def opted_out_of_ai(self):
        return self.filter(self.ask.opted_out_of_ai())

    def licensing(self, *purposes: Purpose):
        return self.filter(self.ask.licensing(*purposes))

    def stating_something(self):
        return self.filter(self.ask.stating_something())


class TrackQuerySet(AsksPolicies, QuerySet):
    ask = TRACK_POLICIES


class EffectivePolicyQuerySet(AsksPolicies, QuerySet):
    ask = POLICIES


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
        indexes = [models.Index(fields=["url"], name="tracklink_url_idx")]

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
        ]

    def __str__(self) -> str:
        return f"{self.creator} — {self.get_role_display()} of {self.track}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def current_verification(self) -> "ClaimVerification | None":
        """The verification in force now, if any (the oldest when several are)."""
        return self.verifications.in_force().order_by("started_at").first()


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


class DisputeQuerySet(QuerySet):
    def active(self) -> "DisputeQuerySet":
        """Disputes still under way: open, or waiting for information (Dispute.ACTIVE)."""
        return self.filter(status__in=Dispute.ACTIVE)

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
        UPHELD = "upheld", "One claim upheld"
        REJECTED = "rejected", "Contest rejected"
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
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"


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
    # The platform API's `policy` (per purpose: value, source, terms), derived from `provenance`
    # when it is written (consent.services.policy_from_provenance), so answers send it as is.
    answer_policy = models.JSONField(default=dict)
    # How far the track's active claims are proven (consent.services.verification_summary).
    verification = models.JSONField(default=dict)
    # The track's visible links (sorted) as of its last change event: refresh_policies compares
    # them like the values, so adding, removing, hiding or restoring a link is a change event.
    links = models.JSONField(default=list)
    sequence = models.BigIntegerField(default=0, help_text="The last change event of this track.")
    updated_at = models.DateTimeField()

    objects = EffectivePolicyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "effective policies"

    def __str__(self) -> str:
        return f"Policy of {self.track}"

    def value_of(self, purpose: Purpose) -> Value:
        return Value(getattr(self, POLICY_FIELDS[purpose]))

    def values(self) -> dict[str, str]:
        return {p.value: getattr(self, POLICY_FIELDS[p]) for p in PURPOSES}

    def sources(self, purposes: Iterable[Purpose] = PURPOSES) -> dict[Purpose, Source]:
        """Where each value in force comes from (consent.provenance): one `Source` per purpose
        of `purposes` that is not `unset`. The one reader of `provenance`."""
        return read_sources(self.provenance, purposes)

    def snapshot(self) -> dict:
        """Values, licence terms and the claims' verification summary: the shape of a
        ChangeEvent's `policy` (without `disputed`)."""
        snapshot: dict = self.values()
        licensed = [p for p in PURPOSES if snapshot[p.value] == Value.LICENSE]
        sources = self.sources(licensed)
        terms = {}
        for purpose in licensed:
            source = sources.get(purpose)
            terms[purpose.value] = {
                "terms_url": source.terms_url if source else "",
                "contact_email": source.contact_email if source else "",
            }
        if terms:
            snapshot["terms"] = terms
        if self.verification:
            snapshot["verification"] = self.verification
        return snapshot


class ChangeEvent(models.Model):
    """One change of a track's effective policy or of its visible links, numbered without gaps
    in commit order.

    The sequence comes from SequenceCounter inside the writing transaction, so a reader paging
    with `after=N` can never skip an event that commits later with a smaller number.
    """

    sequence = models.BigIntegerField(unique=True)
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="change_events")
    policy = models.JSONField(help_text="The values in force after the change.")
    previous = models.JSONField(help_text="The values in force before the change.")
    # Null on events recorded before link changes were change events: unknown then.
    links = models.JSONField(
        null=True, blank=True, help_text="The track's visible links after the change (sorted)."
    )
    previous_links = models.JSONField(
        null=True, blank=True, help_text="The track's visible links before the change (sorted)."
    )
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
        help_text="Requests per minute per key; empty means the default from settings.",
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
