"""Collision notices as artists read them: on the dashboard, and by email after commit.

`consent.collisions` writes a `Notice` for each creator whose track another creator's claim
touches (the same track, or a track sharing an identifier with theirs), and sends
`notices_created` once the transaction has committed. Each recipient gets one email per batch,
however many of their tracks it touches, saying which tracks, who, through which identifier,
what it means for their choices, whether a dispute opened, and what they can do.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from consent.collisions import IDENTIFIER_LABELS
from consent.identifiers import format_isrc, format_iswc
from consent.mail import queue_email, render_email
from consent.models import Claim, ClaimVerification, Creator, Dispute, Notice, Track
from consent.text import email_subject
from registry.tasks import send_email

# Notices listed on the dashboard and in one email; the rest are counted.
NOTICES_SHOWN = 10
EMAIL_ITEMS = 20


@dataclass(frozen=True)
class NoticeView:
    """One notice with everything a sentence about it needs."""

    notice: Notice
    track: Track  # the recipient's own track
    newcomer: Creator
    their_claim: Claim
    identifier_label: str
    identifier_shown: str  # "" when the value must not be shown (an audio fingerprint)
    dispute: Dispute | None
    # The recipient is a party to the dispute, so its page opens for them.
    in_dispute: bool
    # The recipient's own claim on their track is verified.
    verified: bool

    @property
    def same_track(self) -> bool:
        return self.notice.kind == Notice.Kind.SAME_TRACK

    @property
    def role(self) -> str:
        return self.their_claim.get_role_display().lower()

    @property
    def their_track(self) -> Track:
        return self.their_claim.track

    @property
    def claim_ended(self) -> bool:
        return not self.their_claim.is_active

    @property
    def public_path(self) -> str:
        return self.their_track.get_absolute_url()

    @property
    def contest_path(self) -> str:
        return reverse("contest_claim", args=[self.their_track.public_id])

    @property
    def track_path(self) -> str:
        return reverse("track_detail", args=[self.track.public_id])

    @property
    def dispute_path(self) -> str:
        return self.dispute.get_absolute_url() if self.dispute and self.in_dispute else ""


def _shown(kind: str, value: str) -> str:
    if kind == "iswc":
        return format_iswc(value)
    if kind == "isrc":
        return format_isrc(value)
    if kind == "url":
        return value
    # An audio hash is a fingerprint of a file the recipient may never have uploaded.
    return ""


def describe(notices: Iterable[Notice]) -> list[NoticeView]:
    """Notices read through `with_relations`, ready for a sentence each."""
    views = []
    for notice in notices:
        kind = notice.identifier_kind
        views.append(
            NoticeView(
                notice=notice,
                track=notice.track,
                newcomer=notice.claim.creator,
                their_claim=notice.claim,
                identifier_label=IDENTIFIER_LABELS.get(kind, kind),
                identifier_shown=_shown(kind, notice.identifier),
                dispute=notice.dispute,
                in_dispute=notice.in_dispute,
                verified=notice.owner_verified,
            )
        )
    return views


def with_relations(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    """Notices with what `describe` reads, in one query however many there are."""
    return notices.select_related("track", "claim__creator", "claim__track", "dispute").annotate(
        # The recipient's own claim on their track is verified.
        owner_verified=Exists(
            ClaimVerification.objects.in_force().filter(
                claim__creator_id=OuterRef("creator_id"),
                claim__track_id=OuterRef("track_id"),
                claim__status=Claim.Status.ACTIVE,
            )
        ),
        # The recipient has a claim in the dispute, so its page opens for them.
        in_dispute=Exists(
            Claim.objects.filter(creator_id=OuterRef("creator_id"), disputes=OuterRef("dispute_id"))
        ),
    )


def open_notices(creator: Creator) -> QuerySet[Notice]:
    """The creator's notices not yet dismissed, newest first."""
    return with_relations(creator.notices.filter(dismissed_at__isnull=True)).order_by(
        "-created_at", "-id"
    )


# --- Email ----------------------------------------------------------------------------------


def subject_for(views: list[NoticeView], total: int) -> str:
    if total == 1:
        view = views[0]
        if view.same_track:
            return f"{view.newcomer.artist_name} claimed your track “{view.track.title}”"
        return (
            f"A track by {view.newcomer.artist_name} shares an identifier with “{view.track.title}”"
        )
    newcomers = {v.newcomer.pk: v.newcomer.artist_name for v in views}
    if len(newcomers) == 1:
        return f"{next(iter(newcomers.values()))}'s claims touch {total} of your tracks"
    return f"Other creators' claims touch {total} of your tracks"


def email_notices(sender, notice_ids: list[int], **kwargs) -> None:
    """Email each recipient of these notices once, listing what touches their music."""
    by_creator: dict[int, list[Notice]] = defaultdict(list)
    for notice in with_relations(Notice.objects.filter(pk__in=notice_ids)).order_by(
        "created_at", "id"
    ):
        by_creator[notice.creator_id].append(notice)
    recipients = Creator.objects.filter(pk__in=by_creator).select_related("user")
    for creator in recipients:
        if not creator.user.email:
            continue
        notices = by_creator[creator.pk]
        views = describe(notices[:EMAIL_ITEMS])
        body = render_email(
            "registry/artist/email/notices.txt",
            {
                "creator": creator,
                "items": views,
                "total": len(notices),
                "more": len(notices) - len(views),
                "site": settings.SITE_URL,
                "dashboard_url": settings.SITE_URL + reverse("dashboard"),
                "any_same_track": any(v.same_track for v in views),
                "any_unverified": any(not v.verified for v in views),
            },
        )
        subject = email_subject(subject_for(views, len(notices)))
        args = (subject, body, settings.DEFAULT_FROM_EMAIL, [creator.user.email])
        queue_email(send_email, *args, what="a collision notice email")
