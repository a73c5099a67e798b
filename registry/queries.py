"""What the signed-in artist may reach: their active claims, and the tracks and disputes
those claims take part in.

Tracks are found only through the signed-in creator's active claims, so someone else's track is
a 404, never a glimpse of their data.
"""

from django.db.models import Case, Exists, OuterRef, Prefetch, QuerySet, Subquery, When

from consent.models import Claim, Creator, Declaration, Dispute, EffectivePolicy, Track
from consent.purposes import Value


def active_claims(creator: Creator) -> QuerySet[Claim]:
    return Claim.objects.active().filter(creator=creator)


def claimed_tracks(creator: Creator) -> QuerySet[Track]:
    """Every track the creator has an active claim on, each once."""
    return Track.objects.filter(Exists(active_claims(creator).filter(track=OuterRef("pk"))))


def owner_count(track: Track) -> int:
    """How many creators hold an active claim on the track: one artist who owns both the
    recording and the composition is one owner, not two."""
    return Claim.objects.active().filter(track=track).values("creator").distinct().count()


def own_track_choices(creator: Creator) -> QuerySet[Declaration]:
    """The creator's track-level choices still in force: no later declaration for the same track
    and purpose, and not "inherit" (an `unset` declaration gives the purpose back to the
    catalogue)."""
    later = Declaration.objects.filter(
        creator=OuterRef("creator"),
        track=OuterRef("track"),
        purpose=OuterRef("purpose"),
        id__gt=OuterRef("id"),
    )
    return (
        Declaration.objects.filter(creator=creator, track__isnull=False)
        .exclude(value=Value.UNSET.value)
        .filter(~Exists(later))
    )


def has_own_choices(creator: Creator) -> Exists:
    """A condition on tracks: the creator has a choice of their own for it, which comes before
    their catalogue's."""
    return Exists(own_track_choices(creator).filter(track=OuterRef("pk")))


def catalogue_declarations(creator: Creator) -> QuerySet[Declaration]:
    """Every catalogue-wide declaration of the creator, oldest first: the history of their
    catalogue's choices."""
    return (
        Declaration.objects.filter(creator=creator, track__isnull=True)
        .order_by("id")
        .only("id", "purpose", "value", "terms_url", "contact_email", "declared_at")
    )


def policy_of(track: Track) -> EffectivePolicy | None:
    try:
        return track.policy
    except EffectivePolicy.DoesNotExist:
        return None


def open_disputes(creator: Creator) -> QuerySet[Dispute]:
    """Open disputes in which one of the creator's active claims takes part."""
    mine = active_claims(creator).filter(disputes=OuterRef("pk"))
    return (
        Dispute.objects.filter(Exists(mine), status__in=Dispute.ACTIVE)
        .select_related("track")
        .prefetch_related(Prefetch("claims", queryset=Claim.objects.select_related("creator")))
        .order_by("-opened_at")
    )


def registered_first(creator: Creator, track: Track) -> bool:
    first = Claim.objects.filter(track=track).order_by("created_at", "id").first()
    return first is not None and first.creator_id == creator.id


def previous_value() -> Case:
    """The value in force for the same (creator, track, purpose) just before each declaration."""
    earlier = Declaration.objects.filter(
        creator=OuterRef("creator"), purpose=OuterRef("purpose"), id__lt=OuterRef("id")
    ).order_by("-id")
    return Case(
        When(
            track__isnull=True,
            then=Subquery(earlier.filter(track__isnull=True).values("value")[:1]),
        ),
        default=Subquery(earlier.filter(track=OuterRef("track")).values("value")[:1]),
    )
