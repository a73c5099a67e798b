"""The reviewers' dispute queue and review page, with the notices, statements and evidence
around disputes."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from consent import disputes
from consent.models import Declaration, Dispute, DisputeStatement, Evidence, Notice
from consent.services import ConsentError

from .records import ReadOnlyAdmin


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """What creators were told when someone else's claim touched their music."""

    list_display = ["created_at", "creator", "kind", "track", "newcomer", "identifier", "dispute"]
    list_filter = ["kind", ("dismissed_at", admin.EmptyFieldListFilter)]
    search_fields = ["creator__artist_name", "track__title", "track__isrc", "identifier"]
    list_select_related = ["creator", "track", "claim__creator", "dispute__track"]
    date_hierarchy = "created_at"

    @admin.display(description="claim by")
    def newcomer(self, notice: Notice) -> str:
        return notice.claim.creator.artist_name


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


class RequestInformationForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=Dispute.Outcome.choices)
    claim = forms.UUIDField(required=False)
    duplicate_of = forms.UUIDField(required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """The reviewers' queue (oldest first) and review page; decisions go through the domain."""

    list_display = ["__str__", "role", "status", "age", "opened_by", "opened_at"]
    list_filter = ["status", AgeFilter, "role"]
    list_select_related = ["track", "opened_by"]
    search_fields = ["track__title", "track__isrc"]
    ordering = ["opened_at"]
    change_list_template = "admin/consent/dispute/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="age", ordering="opened_at")
    def age(self, dispute: Dispute) -> str:
        end = dispute.closed_at or timezone.now()
        days = (end - dispute.opened_at).days
        return "under a day" if days == 0 else f"{days} day{'s' if days != 1 else ''}"

    def changelist_view(self, request, extra_context=None):
        counts = dict(
            Dispute.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        )
        status_counts = [(label, counts.get(value, 0)) for value, label in Dispute.Status.choices]
        extra_context = (extra_context or {}) | {"status_counts": status_counts}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/request-information/",
                view(self.request_information_view),
                name="consent_dispute_request_information",
            ),
            path(
                "<path:object_id>/decide/",
                view(self.decide_view),
                name="consent_dispute_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page replaces the row editor: nothing here is edited field by field."""
        dispute = self.get_object(request, object_id)
        if dispute is None:
            raise Http404("No such dispute.")
        if not self.has_view_or_change_permission(request, dispute):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponse(status=405)
        claims = list(dispute.claims.select_related("creator", "creator__user", "track"))
        evidence = list(dispute.evidence.select_related("creator"))
        sides = [
            {
                "claim": claim,
                "declarations": list(
                    Declaration.objects.filter(
                        Q(track=claim.track) | Q(track__isnull=True), creator=claim.creator
                    ).order_by("-id")[:30]
                ),
                "evidence": [e for e in evidence if e.creator_id == claim.creator_id],
                "is_contester": claim.pk == dispute.contester_claim_id,
                "is_contested": claim.pk == dispute.contested_claim_id,
            }
            for claim in claims
        ]
        context = self.admin_site.each_context(request) | {
            "title": str(dispute),
            "opts": self.opts,
            "dispute": dispute,
            "original": dispute,
            "sides": sides,
            "timeline": disputes.timeline(dispute, for_staff=True),
            "can_review": dispute.is_active and self.has_change_permission(request, dispute),
            # A duplicate repeats an earlier decision over the same track and role.
            "other_disputes": Dispute.objects.filter(
                track=dispute.track, role=dispute.role, status=Dispute.Status.DECIDED
            ).exclude(pk=dispute.pk),
            "active_claims": [c for c in claims if c.is_active],
            "request_form": RequestInformationForm(),
        }
        return TemplateResponse(request, "admin/consent/dispute/review.html", context)

    def _reviewable(self, request, object_id) -> Dispute:
        dispute = self.get_object(request, object_id)
        if dispute is None:
            raise Http404("No such dispute.")
        if not self.has_change_permission(request, dispute):
            raise PermissionDenied
        if request.method != "POST":
            raise PermissionDenied
        return dispute

    def _back(self, dispute: Dispute) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:consent_dispute_change", args=[dispute.pk]))

    def request_information_view(self, request, object_id) -> HttpResponse:
        dispute = self._reviewable(request, object_id)
        form = RequestInformationForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Write the message to the parties.", messages.ERROR)
            return self._back(dispute)
        try:
            disputes.request_information(request.user, dispute, form.cleaned_data["message"])
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, "The parties are asked for information.", messages.SUCCESS)
        return self._back(dispute)

    def decide_view(self, request, object_id) -> HttpResponse:
        dispute = self._reviewable(request, object_id)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request,
                "Write the reason for the decision: every decision is on the record.",
                messages.ERROR,
            )
            return self._back(dispute)
        data = form.cleaned_data
        upheld = dispute.claims.filter(public_id=data["claim"]).first() if data["claim"] else None
        duplicate_of = (
            Dispute.objects.filter(public_id=data["duplicate_of"]).first()
            if data["duplicate_of"]
            else None
        )
        try:
            disputes.decide(
                request.user,
                dispute,
                data["outcome"],
                data["reason"],
                upheld_claim=upheld,
                duplicate_of=duplicate_of,
            )
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, "The dispute is decided.", messages.SUCCESS)
        return self._back(dispute)


@admin.register(DisputeStatement)
class DisputeStatementAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "party", "creator", "created_at"]
    list_select_related = ["dispute__track", "creator"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dispute", "creator", "content_type", "size", "download"]
    list_select_related = ["dispute__track", "creator"]
    exclude = ["file"]

    @admin.display(description="file")
    def download(self, evidence: Evidence) -> str:
        if not evidence.file:
            return format_html('<a href="{}" rel="noopener">link</a>', evidence.url)
        url = reverse("evidence_download", args=[evidence.dispute.public_id, evidence.public_id])
        return format_html('<a href="{}">download</a>', url)
