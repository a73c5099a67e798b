"""The verification desk: claims, their verification periods, and requests for review."""

from uuid import UUID

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from consent import verification_requests
from consent.models import (
    AuditEntry,
    Claim,
    ClaimVerification,
    Declaration,
    TrackLink,
    VerificationRequest,
)
from consent.services import ConsentError
from consent.verification import verify_by_review, withdraw_review

from .records import ReadOnlyAdmin


class VerifiedFilter(admin.SimpleListFilter):
    title = "verification"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", "Verified"), ("no", "Not verified"), ("requested", "Review requested")]

    def queryset(self, request, queryset):
        in_force = ClaimVerification.objects.in_force().filter(claim=OuterRef("pk"))
        if self.value() == "yes":
            return queryset.filter(Exists(in_force))
        if self.value() == "no":
            return queryset.exclude(Exists(in_force))
        if self.value() == "requested":
            waiting = VerificationRequest.objects.filter(
                claim=OuterRef("pk"), status=VerificationRequest.Status.OPEN
            )
            return queryset.filter(Exists(waiting))
        return queryset


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    """Read-only: a claim's status changes only through the domain services, which keep the
    effective policy and the change log in step (editing the row here would not).

    A claim's page is the verification desk: what proves the claim (the documents its creator
    sent for review, their evidence in disputes), its verifications so far, and the reviewer's
    decisions, which go through `consent.verification` and `consent.verification_requests`.
    """

    list_display = ["track", "creator", "role", "status", "verified", "created_at"]
    list_filter = ["role", "status", VerifiedFilter]
    search_fields = ["track__title", "track__isrc", "creator__artist_name"]
    list_select_related = ["track", "creator"]

    def get_queryset(self, request):
        in_force = ClaimVerification.objects.in_force().filter(claim=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_verified=Exists(in_force))

    @admin.display(description="verified", boolean=True, ordering="is_verified")
    def verified(self, claim: Claim) -> bool:
        return claim.is_verified

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/verify/", view(self.verify_view), name="consent_claim_verify"),
            path(
                "<path:object_id>/withdraw-verification/",
                view(self.withdraw_view),
                name="consent_claim_withdraw_verification",
            ),
            path(
                "<path:object_id>/decline-request/",
                view(self.decline_view),
                name="consent_claim_decline_request",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page replaces the row view: a claim is never edited field by field."""
        claim = self.get_object(request, object_id)
        if claim is None:
            raise Http404("No such claim.")
        if not self.has_view_permission(request, claim):
            raise PermissionDenied
        if request.method != "GET":
            raise PermissionDenied
        claim = Claim.objects.select_related("track", "creator__user").get(pk=claim.pk)
        verifications = list(claim.verifications.select_related("verified_by").order_by("-id"))
        by_review = next(
            (v for v in verifications if v.ended_at is None and v.method == "review"), None
        )
        requests = list(
            claim.verification_requests.select_related("decided_by").order_by("-created_at")
        )
        waiting = next((r for r in requests if r.status == VerificationRequest.Status.OPEN), None)
        own = claim.creator.user_id == request.user.pk
        may_decide = request.user.has_perm("consent.verify_by_review") and not own
        in_force = ClaimVerification.objects.in_force().filter(claim=OuterRef("pk"))
        context = self.admin_site.each_context(request) | {
            "title": str(claim),
            "opts": self.opts,
            "claim": claim,
            "original": claim,
            "verified": any(v.ended_at is None for v in verifications),
            "verifications": verifications,
            "requests": requests,
            "dispute_evidence": list(verification_requests.dispute_evidence_of(claim)),
            "declarations": list(
                Declaration.objects.filter(
                    Q(track=claim.track) | Q(track__isnull=True), creator=claim.creator
                ).order_by("-id")[:30]
            ),
            "other_claims": list(
                Claim.objects.filter(track=claim.track)
                .exclude(pk=claim.pk)
                .select_related("creator")
                .annotate(is_verified=Exists(in_force))
            ),
            "links": list(TrackLink.all_objects.filter(claim=claim).order_by("created_at")),
            "audit": list(
                AuditEntry.objects.filter(claim=claim).select_related("user").order_by("-id")[:50]
            ),
            "own": own,
            "can_verify": may_decide and claim.is_active and by_review is None,
            "can_withdraw": request.user.has_perm("consent.verify_by_review")
            and by_review is not None,
            "waiting": waiting if may_decide else None,
        }
        return TemplateResponse(request, "admin/consent/claim/review.html", context)

    def _decidable(self, request, object_id) -> Claim:
        claim = self.get_object(request, object_id)
        if claim is None:
            raise Http404("No such claim.")
        if request.method != "POST" or not request.user.has_perm("consent.verify_by_review"):
            raise PermissionDenied
        return claim

    def _back(self, claim: Claim) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:consent_claim_change", args=[claim.pk]))

    def verify_view(self, request, object_id) -> HttpResponse:
        claim = self._decidable(request, object_id)
        try:
            verify_by_review(request.user, claim, request.POST.get("reason", ""))
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                "The claim is verified: what it allows and the licence terms it names now "
                "count, and platforms are told.",
                messages.SUCCESS,
            )
        return self._back(claim)

    def withdraw_view(self, request, object_id) -> HttpResponse:
        claim = self._decidable(request, object_id)
        try:
            withdraw_review(request.user, claim, request.POST.get("reason", ""))
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                "The verification is withdrawn: the claim's reservations still count, what it "
                "allows and its licence terms no longer do, and platforms are told.",
                messages.SUCCESS,
            )
        return self._back(claim)

    def decline_view(self, request, object_id) -> HttpResponse:
        claim = self._decidable(request, object_id)
        public_id = _uuid(request.POST.get("request", ""))
        waiting = (
            claim.verification_requests.filter(public_id=public_id).first() if public_id else None
        )
        if waiting is None:
            self.message_user(request, "That request is no longer waiting.", messages.ERROR)
            return self._back(claim)
        try:
            verification_requests.decline(request.user, waiting, request.POST.get("reason", ""))
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request, "The request is declined; the claimant sees your reason.", messages.SUCCESS
            )
        return self._back(claim)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@admin.register(ClaimVerification)
class ClaimVerificationAdmin(ReadOnlyAdmin):
    """Every period during which a claim counted as proven, and how; kept when it ends."""

    list_display = ["claim", "method", "detail", "verified_by", "started_at", "ended_at"]
    list_filter = ["method", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["claim__track__title", "claim__track__isrc", "claim__creator__artist_name"]
    list_select_related = ["claim__track", "claim__creator", "verified_by"]
    date_hierarchy = "started_at"


class WaitingFirst(admin.SimpleListFilter):
    """The queue opens on the requests waiting for a reviewer."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*VerificationRequest.Status.choices, ("all", "All")]

    def choices(self, changelist):
        value = self.value() or VerificationRequest.Status.OPEN
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or VerificationRequest.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(VerificationRequest)
class VerificationRequestAdmin(ReadOnlyAdmin):
    """The queue of requests for verification by review, oldest first; each opens its claim."""

    list_display = ["claim", "claimant", "document", "status", "claim_status", "created_at"]
    list_filter = [WaitingFirst, "document"]
    list_select_related = ["claim__track", "claim__creator"]
    search_fields = ["claim__track__title", "claim__track__isrc", "claim__creator__artist_name"]
    ordering = ["created_at"]

    @admin.display(description="claimant")
    def claimant(self, request: VerificationRequest) -> str:
        return request.claim.creator.artist_name

    @admin.display(description="claim status")
    def claim_status(self, request: VerificationRequest) -> str:
        return request.claim.get_status_display()

    def get_urls(self):
        return [
            path(
                "<path:object_id>/document/",
                self.admin_site.admin_view(self.document_view),
                name="consent_verificationrequest_document",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A request is read on its claim's review page, beside everything else about it."""
        waiting = self.get_object(request, object_id)
        if waiting is None:
            raise Http404("No such request.")
        if not self.has_view_permission(request, waiting):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:consent_claim_change", args=[waiting.claim_id]))

    def document_view(self, request, object_id) -> FileResponse:
        waiting = self.get_object(request, object_id)
        if waiting is None or not waiting.file:
            raise Http404("No document here.")
        if not self.has_view_permission(request, waiting):
            raise PermissionDenied
        return FileResponse(
            waiting.file.open("rb"),
            as_attachment=True,
            filename=waiting.original_name or "document",
            content_type=waiting.content_type or "application/octet-stream",
        )
