"""The reviewers' dispute desk: the queue with its triage columns, search and bulk action, and
(consent.admin.dispute_review) the review page; with the notices, statements and evidence
around disputes."""

from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from consent import disputes
from consent.models import Dispute, DisputeStatement, Evidence, Notice
from consent.services import ConsentError

from .dispute_queue import (
    AgeFilter,
    OpenerFilter,
    ViewFilter,
    identifier_matches,
    triage,
)
from .dispute_review import DisputeReviewMixin
from .records import ReadOnlyAdmin


def _when(at) -> str:
    return timezone.localtime(at).strftime("%-d %b %Y, %H:%M:%S") if at else "—"


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """What creators were told when someone else's claim touched their music."""

    list_display = ["sent", "creator", "kind", "track", "newcomer", "identifier", "dispute"]
    list_filter = ["kind", ("dismissed_at", admin.EmptyFieldListFilter)]
    search_fields = ["creator__artist_name", "track__title", "track__isrc", "identifier"]
    list_select_related = ["creator", "track", "claim__creator", "dispute__track"]
    date_hierarchy = "created_at"

    @admin.display(description="sent", ordering="created_at")
    def sent(self, notice: Notice) -> str:
        return _when(notice.created_at)

    @admin.display(description="claim by")
    def newcomer(self, notice: Notice) -> str:
        return notice.claim.creator.artist_name


@admin.register(Dispute)
class DisputeAdmin(DisputeReviewMixin, admin.ModelAdmin):
    """The reviewers' queue (needs action first, oldest first) and review page; every decision
    goes through the domain."""

    list_display = [
        "case",
        "parties",
        "status_line",
        "answered",
        "last_activity_at",
        "evidence",
        "opener",
        "opener_account_age",
        "opener_catalogue_size",
        "opener_other_open",
        "assignee",
        "opened",
        "age",
    ]
    list_display_links = ["case"]
    list_filter = [ViewFilter, AgeFilter, "role", OpenerFilter]
    search_fields = [
        "track__title",
        "claims__creator__artist_name",
        "claims__creator__handle",
        "opened_by__email",
    ]
    search_help_text = (
        "Search by title, ISRC or ISWC (as printed, with or without hyphens or dots), or a "
        "party's name, handle or email."
    )
    ordering = ["opened_at"]
    list_per_page = 50
    actions = ["reject_everything_opened_by"]
    change_list_template = "admin/consent/dispute/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return triage(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(request, queryset, search_term)
        extra = identifier_matches(search_term.strip()) if search_term.strip() else None
        if extra is not None:
            found = found | queryset.filter(extra)
        return found, duplicates

    # --- Columns ----------------------------------------------------------------------------

    @admin.display(description="dispute", ordering="track__title")
    def case(self, dispute: Dispute) -> str:
        return f"{dispute.track.title} ({dispute.get_role_display().lower()})"

    @admin.display(description="parties")
    def parties(self, dispute: Dispute) -> str:
        claims = list(dispute.claims.all())
        contested = [c for c in claims if c.pk == dispute.contested_claim_id]
        others = [c for c in claims if c.pk != dispute.contested_claim_id]

        def named(claim) -> str:
            name = claim.creator.artist_name
            return name if claim.is_active else f"{name} (withdrawn or revoked)"

        if contested:
            return f"{named(contested[0])} v. " + ", ".join(named(c) for c in others)
        return " v. ".join(named(c) for c in claims)

    @admin.display(description="status", ordering="status")
    def status_line(self, dispute: Dispute) -> str:
        if dispute.status == Dispute.Status.INFO_REQUESTED and dispute.information_from:
            deadline = dispute.information_deadline
            if deadline and deadline <= timezone.now():
                return f"Deadline passed ({dispute.information_from.artist_name} did not answer)"
            return f"Waiting for {dispute.information_from.artist_name} until {_when(deadline)}"
        if dispute.status == Dispute.Status.DECIDED:
            return f"Decided: {dispute.get_outcome_display().lower()}"
        if dispute.status == Dispute.Status.OPEN:
            if dispute.answered_at:
                return "Answered, back for review"
            if dispute.information_requested_at:
                return "Deadline passed, back for review"
            return "New"
        return dispute.get_status_display()

    @admin.display(description="answered")
    def answered(self, dispute: Dispute) -> str:
        if dispute.information_requested_at is None:
            return "No request"
        if dispute.answered_at:
            return f"Yes, {_when(dispute.answered_at)}"
        return "Not yet"

    @admin.display(description="last activity", ordering="last_activity")
    def last_activity_at(self, dispute: Dispute) -> str:
        return _when(dispute.last_activity)

    @admin.display(description="evidence", ordering="evidence_count")
    def evidence(self, dispute: Dispute) -> int:
        return dispute.evidence_count

    @admin.display(description="opened by", ordering="opener_name")
    def opener(self, dispute: Dispute) -> str:
        who = dispute.opener_name or "—"
        return who if dispute.opened_by_id else f"{who} (registry, collision)"

    @admin.display(description="opener's age", ordering="-opener_joined")
    def opener_account_age(self, dispute: Dispute) -> str:
        if dispute.opener_joined is None:
            return "—"
        return timesince(dispute.opener_joined, depth=1)

    @admin.display(description="opener's claims", ordering="opener_catalogue")
    def opener_catalogue_size(self, dispute: Dispute) -> str:
        n = dispute.opener_catalogue
        return f"{n} claim{'s' if n != 1 else ''}"

    @admin.display(description="opener's other open", ordering="opener_open_disputes")
    def opener_other_open(self, dispute: Dispute) -> str:
        n = dispute.opener_open_disputes
        if not n or dispute.opener_user is None:
            return "0"
        url = reverse("admin:consent_dispute_changelist")
        return format_html(
            '<a href="{}?view=undecided&amp;opener={}">{}</a>', url, dispute.opener_user, n
        )

    @admin.display(description="reviewer", ordering="assigned_to__username")
    def assignee(self, dispute: Dispute) -> str:
        return dispute.assigned_to.get_username() if dispute.assigned_to else "—"

    @admin.display(description="age", ordering="opened_at")
    def age(self, dispute: Dispute) -> str:
        end = dispute.closed_at or timezone.now()
        days = (end - dispute.opened_at).days
        return "under a day" if days == 0 else f"{days} day{'s' if days != 1 else ''}"

    @admin.display(description="opened", ordering="opened_at")
    def opened(self, dispute: Dispute) -> str:
        return _when(dispute.opened_at)

    def changelist_view(self, request, extra_context=None):
        counts = dict(
            Dispute.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        )
        status_counts = [(label, counts.get(value, 0)) for value, label in Dispute.Status.choices]
        extra_context = (extra_context or {}) | {
            "status_counts": status_counts,
            "needs_action": Dispute.objects.needs_action().count(),
            # The queue is wide: it takes the whole page, the admin's menu stays one click away.
            "is_nav_sidebar_enabled": False,
        }
        return super().changelist_view(request, extra_context)

    # --- Bulk action ------------------------------------------------------------------------

    @admin.action(
        description="Reject every open dispute opened by the selected disputes' openers",
        permissions=["change"],
    )
    def reject_everything_opened_by(self, request, queryset):
        """Reject, with one reason, every open contest the selected disputes' openers made.

        Shows the disputes concerned first; only the confirmed form decides. Each dispute is
        decided on its own (upholding the contested claim) and on the record; a dispute another
        reviewer is working on, or one the rules refuse, is left and named.
        """
        openers = set(queryset.exclude(opened_by=None).values_list("opened_by", flat=True))
        concerned = (
            triage(Dispute.objects.active().filter(opened_by__in=openers))
            .select_related("opened_by")
            .order_by("opened_at")
        )
        if not openers:
            self.message_user(
                request,
                "None of the selected disputes was opened by an account (the registry opened "
                "them over collisions), so there is nothing to reject in bulk.",
                messages.WARNING,
            )
            return None
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("confirmed") != "yes" or not reason:
            context = self.admin_site.each_context(request) | {
                "title": "Reject every open dispute of these accounts",
                "opts": self.opts,
                "concerned": list(concerned),
                "selected": queryset.values_list("pk", flat=True),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "missing_reason": request.POST.get("confirmed") == "yes" and not reason,
            }
            return TemplateResponse(request, "admin/consent/dispute/bulk_reject.html", context)
        decided, refused = 0, []
        for dispute in concerned:
            try:
                disputes.decide(request.user, dispute, disputes.REJECT_CONTEST, reason)
            except ConsentError as exc:
                refused.append(f"{dispute}: {exc}")
            else:
                decided += 1
        self.message_user(
            request,
            f"Rejected {decided} dispute{'s' if decided != 1 else ''}.",
            messages.SUCCESS if decided else messages.WARNING,
        )
        if refused:
            self.message_user(
                request,
                format_html(
                    "Left undecided: {}",
                    format_html_join("", "<br>{}", ((line,) for line in refused)),
                ),
                messages.ERROR,
            )
        return None


@admin.register(DisputeStatement)
class DisputeStatementAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "party", "creator", "written"]
    list_select_related = ["dispute__track", "creator"]

    @admin.display(description="written", ordering="created_at")
    def written(self, statement: DisputeStatement) -> str:
        return _when(statement.created_at)


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dispute", "creator", "content_type", "size", "added", "download"]
    list_select_related = ["dispute__track", "creator"]
    exclude = ["file"]

    @admin.display(description="added", ordering="created_at")
    def added(self, evidence: Evidence) -> str:
        return _when(evidence.created_at)

    @admin.display(description="file")
    def download(self, evidence: Evidence) -> str:
        if not evidence.file:
            return format_html('<a href="{}" rel="noopener">link</a>', evidence.url)
        url = reverse("evidence_download", args=[evidence.dispute.public_id, evidence.public_id])
        return format_html('<a href="{}">download</a>', url)
