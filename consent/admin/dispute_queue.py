"""The reviewers' queue of disputes: its views (needs action first), triage columns and search.

Every column is computed in the list's own query (annotations and one prefetch of the claims),
so the page costs the same number of queries for 5 disputes or 500.
"""

import re
from datetime import timedelta

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from consent.models import AuditEntry, Claim, Dispute, Evidence


class ViewFilter(admin.SimpleListFilter):
    """Which cases the list shows; "needs action" unless the reviewer picks another view."""

    title = "view"
    parameter_name = "view"
    DEFAULT = "needs-action"
    VIEWS = {
        "needs-action": "Needs action",
        "mine": "Assigned to me",
        "waiting": "Waiting for a party",
        "undecided": "All undecided",
        "decided": "Decided or closed",
        "all": "Every dispute",
    }

    def lookups(self, request, model_admin):
        return list(self.VIEWS.items())

    def value(self):
        chosen = super().value()
        return chosen if chosen in self.VIEWS else self.DEFAULT

    def choices(self, changelist):
        for key, label in self.VIEWS.items():
            yield {
                "selected": self.value() == key,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request, queryset):
        view = self.value()
        now = timezone.now()
        if view == "needs-action":
            return queryset.needs_action(now)
        if view == "mine":
            return queryset.active().filter(assigned_to=request.user)
        if view == "waiting":
            return queryset.filter(
                status=Dispute.Status.INFO_REQUESTED, information_deadline__gt=now
            )
        if view == "undecided":
            return queryset.active()
        if view == "decided":
            return queryset.exclude(status__in=Dispute.ACTIVE)
        return queryset


class OpenerFilter(admin.SimpleListFilter):
    """Disputes opened by one account (`?opener=<user id>`), linked from the triage column."""

    title = "opened by"
    parameter_name = "opener"

    def lookups(self, request, model_admin):
        value = self.value()
        if value and value.isdigit():
            user = get_user_model().objects.filter(pk=value).first()
            if user is not None:
                return [(value, user.get_username())]
        return []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(opener_user=int(value))
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    BUCKETS = {
        "day": ("Under a day", 0, 1),
        "week": ("1 to 7 days", 1, 7),
        "month": ("7 to 30 days", 7, 30),
        "older": ("Over 30 days", 30, None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.BUCKETS.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.BUCKETS:
            return queryset
        _, younger, older = self.BUCKETS[self.value()]
        now = timezone.now()
        queryset = queryset.filter(opened_at__lte=now - timedelta(days=younger))
        if older is not None:
            queryset = queryset.filter(opened_at__gt=now - timedelta(days=older))
        return queryset


def _count(queryset: QuerySet, group_by: str) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]),
        0,
    )


def triage(queryset: QuerySet) -> QuerySet:
    """The queue's rows with every triage column computed in the same query.

    The opener is the account that contested, or for a dispute the registry opened over a
    collision, the newcomer whose claim it weighs.
    """
    queryset = queryset.annotate(
        opener_user=Coalesce(F("opened_by"), F("contester_claim__creator__user"))
    )
    users = get_user_model().objects.filter(pk=OuterRef("opener_user"))
    return (
        queryset.select_related("track", "assigned_to", "information_from")
        .annotate(
            last_activity=Subquery(
                AuditEntry.objects.filter(dispute=OuterRef("pk"))
                .order_by("-created_at")
                .values("created_at")[:1]
            ),
            evidence_count=_count(Evidence.objects.filter(dispute=OuterRef("pk")), "dispute"),
            opener_name=Subquery(users.values("username")[:1]),
            opener_joined=Subquery(users.values("date_joined")[:1]),
            opener_catalogue=_count(
                Claim.objects.active().filter(creator__user=OuterRef("opener_user")),
                "creator__user",
            ),
            opener_open_disputes=_count(
                Dispute.objects.active()
                .annotate(its_opener=Coalesce(F("opened_by"), F("contester_claim__creator__user")))
                .filter(its_opener=OuterRef("opener_user"))
                .exclude(pk=OuterRef("pk")),
                "its_opener",
            ),
        )
        .prefetch_related(
            Prefetch(
                "claims", queryset=Claim.objects.select_related("creator").order_by("created_at")
            )
        )
    )


# An ISRC or ISWC as any page prints it: with hyphens, dots or spaces, in any case.
_SEPARATORS = re.compile(r"[\s.\-_/]")
_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}\d{7}")
_ISWC = re.compile(r"T\d{10}")


def identifier_matches(term: str) -> Q | None:
    """Q matching the tracks whose ISRC or ISWC `term` spells, however it is printed."""
    compact = _SEPARATORS.sub("", term).upper()
    if _ISRC.fullmatch(compact):
        return Q(track__isrc=compact)
    if _ISWC.fullmatch(compact):
        return Q(track__iswc=compact)
    if len(compact) >= 5 and compact.isalnum():
        return Q(track__isrc__icontains=compact) | Q(track__iswc__icontains=compact)
    return None
