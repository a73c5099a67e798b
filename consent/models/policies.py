"""What creators declared, the policy in force per track derived from it, and the numbered log
of its changes (see the package's docstring)."""

import uuid
from collections.abc import Iterable

from django.db import models
from django.db.models import Q, QuerySet

from consent.provenance import Source, read_sources
from consent.purposes import PURPOSES, VALUE_LABELS, Purpose, Value

from .catalogue import Creator, Track
from .questions import POLICIES, POLICY_FIELDS, AsksPolicies

PURPOSE_CHOICES = [(p.value, p.value) for p in PURPOSES]
VALUE_CHOICES = [(v.value, VALUE_LABELS[v]) for v in Value]


class EffectivePolicyQuerySet(AsksPolicies, QuerySet):
    ask = POLICIES


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
    # when it is written (consent.policies.policy_from_provenance), so answers send it as is.
    answer_policy = models.JSONField(default=dict)
    # How far the track's active claims are proven (consent.policies.verification_summary).
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


class CatalogueJob(models.Model):
    """A catalogue-wide change being applied to the tracks of a large catalogue (consent.jobs).

    The declarations are recorded (and logged) when the artist saves; this row, written in the
    same transaction, says which tracks still have to be brought up to date. Each chunk of
    tracks is refreshed and `cursor` moved past it in one transaction, so a worker that dies
    loses at most the chunk it was on, which the next run does again.
    """

    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="catalogue_jobs")
    # The declarations' batch: what the dashboard names as the change being applied.
    batch = models.UUIDField()
    total = models.PositiveIntegerField(help_text="Tracks the catalogue held when it started.")
    done = models.PositiveIntegerField(default=0)
    # Tracks are taken in id order; the last one brought up to date.
    cursor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    # Moved by every chunk: a job idle for CATALOGUE_JOB_STALE_SECONDS is resumed by beat.
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["creator", "-id"],
                name="cataloguejob_unfinished_idx",
                condition=Q(finished_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Catalogue change of {self.creator}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        """How far it has got, 0 to 100; 99 until it has finished."""
        if self.finished_at is not None:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)
