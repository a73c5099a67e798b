"""The admins' desk: browse everything; declarations and change events are read-only records.

Disputes are reviewed here: a queue, and a review page whose buttons post to the desk's own
views, which call `consent.disputes` so every decision is recorded and reaches platforms as
change events. Claims are verified by review the same way, on each claim's page, and a link a
verified owner hid is restored through `consent.services.restore_link`. Nothing about a dispute
or a claim is edited as a raw row.
"""

from datetime import timedelta
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from consent import disputes, verification_requests
from consent.links import restore_link
from consent.models import (
    AuditEntry,
    ChangeEvent,
    Claim,
    ClaimVerification,
    Creator,
    Declaration,
    Dispute,
    DisputeStatement,
    EffectivePolicy,
    Evidence,
    Notice,
    Track,
    TrackLink,
    VerificationRequest,
)
from consent.services import ConsentError
from consent.verification import verify_by_review, withdraw_review


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: visible to admins, never edited or deleted through the admin."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SuspendForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Recorded in the audit log. The creator's denials stay in force.",
    )


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):
    list_display = ["artist_name", "handle", "isni", "user", "created_at", "suspended_at"]
    list_filter = [("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["artist_name", "handle", "user__email"]
    readonly_fields = ["suspended_at"]
    change_form_template = "admin/consent/creator/change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/suspend/",
                self.admin_site.admin_view(self.suspend_view),
                name="consent_creator_suspend",
            ),
            *super().get_urls(),
        ]

    def suspend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        creator = self.get_object(request, object_id)
        if creator is None:
            raise Http404("No such creator.")
        if not self.has_change_permission(request, creator):
            raise PermissionDenied
        form = SuspendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                disputes.suspend_creator(request.user, creator, form.cleaned_data["reason"])
            except ConsentError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"{creator.artist_name} is suspended; their denials stay in force.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:consent_creator_change", args=[creator.pk])
                )
        context = self.admin_site.each_context(request) | {
            "title": f"Suspend {creator.artist_name}",
            "creator": creator,
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/consent/creator/suspend.html", context)


class TrackLinkInline(admin.TabularInline):
    model = TrackLink
    extra = 0
    readonly_fields = ["url", "host", "added_by", "created_at"]


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    readonly_fields = ["creator", "role", "status", "created_at"]
    can_delete = False


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    # Deleting a track would orphan its declarations and change log; the database refuses it.
    list_display = ["title", "artist_credit", "isrc", "iswc", "created_at"]
    search_fields = ["title", "isrc", "iswc", "artist_credit"]
    readonly_fields = ["public_id", "audio_sha256", "created_at"]
    inlines = [ClaimInline, TrackLinkInline]


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


class HiddenFilter(admin.SimpleListFilter):
    title = "visibility"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("visible", "Visible"), *TrackLink.Hidden.choices]

    def queryset(self, request, queryset):
        if self.value() == "visible":
            return queryset.filter(hidden_at__isnull=True)
        if self.value() in TrackLink.Hidden.values:
            return queryset.filter(hidden_reason=self.value())
        return queryset


class RestoreForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Recorded in the audit log: why the owner should not have hidden this link.",
    )


@admin.register(TrackLink)
class TrackLinkAdmin(ReadOnlyAdmin):
    """Every link, hidden ones included; a link a verified owner hid can be restored."""

    list_display = ["url", "track", "added_by", "visibility", "hidden_by", "hidden_at", "restore"]
    list_filter = [HiddenFilter]
    search_fields = ["url", "track__title", "track__isrc"]
    list_select_related = ["track", "added_by", "hidden_by"]

    def get_queryset(self, request):
        # Hidden links stay for the record; the desk must see them to restore them.
        return TrackLink.all_objects.select_related("track", "added_by", "hidden_by")

    @admin.display(description="visibility")
    def visibility(self, link: TrackLink) -> str:
        return link.get_hidden_reason_display() if link.hidden_at else "Visible"

    @admin.display(description="")
    def restore(self, link: TrackLink) -> str:
        if link.hidden_reason != TrackLink.Hidden.BY_OWNER:
            return ""
        url = reverse("admin:consent_tracklink_restore", args=[link.pk])
        return format_html('<a href="{}">Restore…</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="consent_tracklink_restore",
            ),
            *super().get_urls(),
        ]

    def restore_view(self, request, object_id) -> HttpResponse:
        link = self.get_object(request, object_id)
        if link is None:
            raise Http404("No such link.")
        if not request.user.has_perm("consent.restore_tracklink"):
            raise PermissionDenied
        form = RestoreForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                restore_link(request.user, link, form.cleaned_data["reason"])
            except ConsentError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, f"The link {link.url} is visible again.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:consent_tracklink_changelist"))
        context = self.admin_site.each_context(request) | {
            "title": "Restore a hidden link",
            "link": link,
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/consent/tracklink/restore.html", context)


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


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The record of every dispute change and admin decision; the database refuses edits."""

    list_display = ["created_at", "action", "user", "dispute", "creator", "reason"]
    list_filter = ["action"]
    list_select_related = ["user", "dispute__track", "creator"]
    date_hierarchy = "created_at"


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ["declared_at", "creator", "track", "purpose", "value"]
    list_filter = ["purpose", "value"]
    search_fields = ["creator__artist_name", "track__title", "track__isrc"]
    list_select_related = ["creator", "track"]


@admin.register(EffectivePolicy)
class EffectivePolicyAdmin(ReadOnlyAdmin):
    list_display = ["track", "tdm", "train_ai", "train_genai", "ai_input", "search", "disputed"]
    list_filter = ["disputed", "train_genai"]
    list_select_related = ["track"]


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "track", "cause", "disputed", "created_at"]
    list_select_related = ["track"]
