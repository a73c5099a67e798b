"""Platforms, the readers of consent: applying for access, the review, and who applied what.

A platform applies on the website and reads nothing until someone with the
`consent.approve_platform` permission approves it. Every review (approval, refusal, suspension)
sends `signals.platform_reviewed` inside its transaction, so the website can tell the platform's
contact without the domain knowing that email exists.

Platforms acknowledge the change log (`Acknowledgement`: "applied every change up to #N"), and an
acknowledgement is never lowered. That makes the answer artists care about, "has this platform
applied my latest change, and since when?", one comparison per platform: a platform has applied
a track's latest change (its `policy.sequence`, S) once it acknowledged some N >= S, and the
earliest such acknowledgement says when.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.utils import timezone

from consent import signals
from consent.models import Acknowledgement, Platform
from consent.policies import last_sequence
from consent.services import ConsentError

# A person may have this many applications waiting at once: enough for a real organisation that
# made a mistake, few enough that nobody floods the reviewers' queue.
MAX_PENDING_APPLICATIONS = 3
MAX_INTENDED_USE_CHARS = 2_000
Status = Platform.Status

# Which statuses each review may start from. Refusal answers an application; an approved
# platform that must lose its access is suspended, which keeps the record of its approval.
APPROVABLE = (Status.PENDING, Status.REFUSED, Status.SUSPENDED)
REFUSABLE = (Status.PENDING,)
SUSPENDABLE = (Status.APPROVED,)


def name_taken(name: str) -> bool:
    """Organisation names are unique regardless of case, so "Acme" cannot pose as "ACME"."""
    return Platform.objects.filter(name__iexact=name.strip()).exists()


def name_taken_message(name: str) -> str:
    return (
        f"An organisation named “{name.strip()}” has already applied. If it is yours, ask the "
        "colleague who applied to add you; otherwise, enter your organisation's full name."
    )


def apply_for_platform(
    user: AbstractBaseUser,
    *,
    name: str,
    contact_email: str,
    intended_use: str,
    website: str = "",
) -> Platform:
    """A new platform waiting for approval, with the person who applied as its first member."""
    name = name.strip()
    if name_taken(name):
        raise ConsentError(name_taken_message(name))
    waiting = Platform.objects.filter(members=user, status=Status.PENDING).count()
    if waiting >= MAX_PENDING_APPLICATIONS:
        raise ConsentError(
            f"You already have {waiting} applications waiting for approval. Please wait until "
            "an administrator has reviewed them before applying again."
        )
    try:
        with transaction.atomic():
            platform = Platform.objects.create(
                name=name,
                website=website,
                contact_email=contact_email,
                intended_use=intended_use.strip(),
            )
            platform.members.add(user)
    except IntegrityError:
        # Two applications under the same name at the same moment; the other one was first.
        if name_taken(name):
            raise ConsentError(name_taken_message(name)) from None
        raise
    return platform


def create_approved_platform(
    name: str,
    *,
    contact_email: str = "",
    website: str = "",
    intended_use: str = "",
    rate_limit_per_minute: int | None = None,
) -> Platform:
    """A platform an operator sets up directly (the `create_platform` command): approved at once.

    No review happens, so no `platform_reviewed` signal is sent and nobody is emailed.
    """
    name = name.strip()
    if not name:
        raise ConsentError("A platform needs a name.")
    if name_taken(name):
        raise ConsentError(f"A platform named “{name}” already exists.")
    now = timezone.now()
    try:
        with transaction.atomic():
            return Platform.objects.create(
                name=name,
                website=website,
                contact_email=contact_email,
                intended_use=intended_use or "Set up by an operator.",
                status=Status.APPROVED,
                reviewed_at=now,
                rate_limit_per_minute=rate_limit_per_minute,
            )
    except IntegrityError:
        raise ConsentError(f"A platform named “{name}” already exists.") from None


def approve_platform(platform: Platform, reviewer: AbstractBaseUser) -> bool:
    """Give the platform access (its keys work from the next request). False: nothing to do."""
    return _review(platform, reviewer, Status.APPROVED, APPROVABLE)


def refuse_platform(platform: Platform, reviewer: AbstractBaseUser) -> bool:
    """Turn down an application. False when the platform was not waiting for a decision."""
    return _review(platform, reviewer, Status.REFUSED, REFUSABLE)


def suspend_platform(platform: Platform, reviewer: AbstractBaseUser) -> bool:
    """Withdraw an approved platform's access; its keys stop working, and stay listed."""
    return _review(platform, reviewer, Status.SUSPENDED, SUSPENDABLE)


def _review(
    platform: Platform, reviewer: AbstractBaseUser, status: str, allowed_from: tuple[str, ...]
) -> bool:
    if not reviewer.is_superuser and platform.members.filter(pk=reviewer.pk).exists():
        raise ConsentError(f"You are a member of {platform.name}: another reviewer must decide.")
    with transaction.atomic():
        # Locked, so two reviewers acting at once produce one decision and one email.
        locked = Platform.objects.select_for_update().get(pk=platform.pk)
        if locked.status not in allowed_from:
            platform.status = locked.status
            return False
        locked.status = status
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = reviewer
        locked.save(update_fields=["status", "reviewed_at", "reviewed_by"])
        signals.platform_reviewed.send(sender=Platform, platform=locked, event=status)
    platform.status, platform.reviewed_at = locked.status, locked.reviewed_at
    platform.reviewed_by = reviewer
    return True


# --- What platforms have applied --------------------------------------------------------------


def latest_acknowledgement(platform: Platform) -> Acknowledgement | None:
    return platform.acknowledgements.order_by("-sequence", "-acknowledged_at").first()


def acknowledge(platform: Platform, sequence: int) -> Acknowledgement | None:
    """Record that the platform applied every change up to `sequence`; never goes backwards.

    Returns the platform's latest acknowledgement afterwards. ConsentError when the change does
    not exist yet.
    """
    with transaction.atomic():
        # Locked, so two acknowledgements at once cannot both think they are the newest.
        Platform.objects.select_for_update().filter(pk=platform.pk).exists()
        latest = last_sequence()
        if sequence > latest:
            raise ConsentError(f"Change #{sequence} does not exist yet; the latest is #{latest}.")
        current = latest_acknowledgement(platform)
        if current is None or sequence > current.sequence:
            current = Acknowledgement.objects.create(platform=platform, sequence=sequence)
    return current


@dataclass(frozen=True)
class AppliedCount:
    """How many approved platforms have applied one track's latest change."""

    applied: int
    total: int

    @property
    def everyone(self) -> bool:
        return self.total > 0 and self.applied == self.total


def applied_counts(track_sequences: dict[int, int]) -> dict[int, AppliedCount]:
    """Per track id, how many approved platforms have applied its latest change (sequence S).

    One query whatever the number of tracks: each approved platform's highest acknowledged
    sequence, compared in Python with every track's S. Tracks without a change (S = 0) are left
    out, as there is nothing to apply.
    """
    track_sequences = {track: seq for track, seq in track_sequences.items() if seq > 0}
    if not track_sequences:
        return {}
    highest = list(
        Platform.objects.filter(status=Status.APPROVED)
        .annotate(highest=Max("acknowledgements__sequence"))
        .values_list("highest", flat=True)
    )
    total = len(highest)
    return {
        track: AppliedCount(sum(1 for h in highest if h is not None and h >= seq), total)
        for track, seq in track_sequences.items()
    }


@dataclass(frozen=True)
class Application:
    """One approved platform and when it applied a change; `applied_at` None means not yet."""

    platform: Platform
    applied_at: datetime | None

    @property
    def applied(self) -> bool:
        return self.applied_at is not None


def applied_by(sequence: int) -> list[Application]:
    """Every approved platform and when it first acknowledged change `sequence` or a later one.

    Acknowledgements only ever rise, so the earliest acknowledgement at or above `sequence` is
    the one with the smallest sequence there: found by the (platform, sequence) index, one query.
    Platforms that applied come first, earliest first; the others follow by name.
    """
    if sequence <= 0:
        return []
    first = (
        Acknowledgement.objects.filter(platform=OuterRef("pk"), sequence__gte=sequence)
        .order_by("sequence", "acknowledged_at")
        .values("acknowledged_at")[:1]
    )
    platforms = (
        Platform.objects.filter(status=Status.APPROVED)
        .annotate(applied_at=Subquery(first))
        .order_by(F("applied_at").asc(nulls_last=True), "name")
    )
    return [Application(platform, platform.applied_at) for platform in platforms]
