"""The review page of one dispute and its actions: assignment, a request for information to one
party, a decision previewed and confirmed before it is made, and evidence shown inline.

Every action goes through consent.disputes, which records it and refuses what the rules refuse
(a case another reviewer works on, a decision with no reason); the page only asks and shows.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from consent import disputes, pdf_pages
from consent.decision_preview import preview_decision
from consent.models import Declaration, Dispute, Evidence
from consent.services import ConsentError

# Evidence types shown inline, as images (a PDF page by page, drawn by consent.pdf_pages); only
# ever for a type the upload check recognised from the file's bytes (settings.EVIDENCE_TYPES).
# Others are download-only.
INLINE_IMAGES = ("image/png", "image/jpeg")
INLINE_DOCUMENTS = ("application/pdf",)
EVIDENCE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


def inline_kind(evidence: Evidence) -> str:
    """ "image", "document" or "" (download only) for a piece of evidence."""
    if not evidence.file or evidence.content_type not in settings.EVIDENCE_TYPES:
        return ""
    if evidence.content_type in INLINE_IMAGES:
        return "image"
    if evidence.content_type in INLINE_DOCUMENTS:
        return "document"
    return ""


class RequestInformationForm(forms.Form):
    party = forms.TypedChoiceField(label="Ask", coerce=int)
    deadline = forms.DateTimeField(
        label="Answer by",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}),
    )
    message = forms.CharField(
        label="Message to the party",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Only the party asked is emailed and must answer, but every party reads the "
            "reviewers' messages on the dispute page: do not quote one side's case to the other."
        ),
    )

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = {creator.pk: creator for creator in parties}
        self.fields["party"].choices = [(c.pk, c.artist_name) for c in parties]
        if not self.is_bound:
            default = timezone.localtime() + timedelta(days=settings.DISPUTE_INFORMATION_DAYS)
            self.initial["deadline"] = default.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S")


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[*Dispute.Outcome.choices, (disputes.REJECT_CONTEST, "")])
    claim = forms.UUIDField(required=False)
    duplicate_of = forms.UUIDField(required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    confirmed = forms.BooleanField(required=False)


class DisputeReviewMixin:
    """The review page and its actions, mixed into the dispute ModelAdmin."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/request-information/",
                view(self.request_information_view),
                name="consent_dispute_request_information",
            ),
            path("<path:object_id>/decide/", view(self.decide_view), name="consent_dispute_decide"),
            path("<path:object_id>/assign/", view(self.assign_view), name="consent_dispute_assign"),
            path(
                "<path:object_id>/evidence/<uuid:evidence_id>/",
                view(self.evidence_view),
                name="consent_dispute_evidence",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page replaces the row editor: nothing here is edited field by field."""
        dispute = self._dispute(request, object_id)
        if not self.has_view_or_change_permission(request, dispute):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponse(status=405)
        return self._review_page(request, dispute)

    def _review_page(self, request, dispute, request_form=None, status=200):
        claims = list(dispute.claims.select_related("creator", "creator__user", "track"))
        evidence = list(dispute.evidence.select_related("creator"))
        for piece in evidence:
            piece.inline = inline_kind(piece)
            if piece.inline == "document":
                _count_pages(piece)
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
        active_claims = [c for c in claims if c.is_active]
        parties = list({c.creator_id: c.creator for c in active_claims}.values())
        can_change = self.has_change_permission(request, dispute)
        context = self.admin_site.each_context(request) | {
            "title": str(dispute),
            "opts": self.opts,
            "dispute": dispute,
            "original": dispute,
            "sides": sides,
            "timeline": disputes.timeline(dispute, for_staff=True),
            "can_review": dispute.is_active and can_change,
            "assigned_to_me": dispute.assigned_to_id == request.user.pk,
            "assigned_to_other": dispute.assigned_to_id not in (None, request.user.pk),
            # A duplicate repeats an earlier decision over the same track and role.
            "other_disputes": Dispute.objects.filter(
                track=dispute.track, role=dispute.role, status=Dispute.Status.DECIDED
            ).exclude(pk=dispute.pk),
            "active_claims": active_claims,
            "request_form": request_form or RequestInformationForm(parties=parties),
        }
        return TemplateResponse(
            request, "admin/consent/dispute/review.html", context, status=status
        )

    def _dispute(self, request, object_id) -> Dispute:
        dispute = self.get_object(request, object_id)
        if dispute is None:
            raise Http404("No such dispute.")
        return dispute

    def _reviewable(self, request, object_id) -> Dispute:
        dispute = self._dispute(request, object_id)
        if not self.has_change_permission(request, dispute) or request.method != "POST":
            raise PermissionDenied
        return dispute

    def _back(self, dispute: Dispute) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:consent_dispute_change", args=[dispute.pk]))

    def assign_view(self, request, object_id) -> HttpResponse:
        dispute = self._reviewable(request, object_id)
        action = request.POST.get("action")
        try:
            if action == "release":
                disputes.release(request.user, dispute)
                done = "The case is back in the queue for any reviewer."
            else:
                disputes.assign(request.user, dispute, take_over=action == "take-over")
                done = "The case is assigned to you."
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return self._back(dispute)

    def request_information_view(self, request, object_id) -> HttpResponse:
        dispute = self._reviewable(request, object_id)
        parties = list(
            {
                c.creator_id: c.creator for c in dispute.claims.active().select_related("creator")
            }.values()
        )
        form = RequestInformationForm(request.POST, parties=parties)
        if not form.is_valid():
            self.message_user(
                request,
                "Choose the party to ask, a deadline and the message to them.",
                messages.ERROR,
            )
            return self._review_page(request, dispute, request_form=form, status=400)
        party = form.parties[form.cleaned_data["party"]]
        try:
            disputes.request_information(
                request.user,
                dispute,
                form.cleaned_data["message"],
                party,
                deadline=form.cleaned_data["deadline"],
            )
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"{party.artist_name} is asked for information. The case returns to the queue "
                "when they answer or the deadline passes.",
                messages.SUCCESS,
            )
        return self._back(dispute)

    def decide_view(self, request, object_id) -> HttpResponse:
        """Preview the decision first; only the confirmed form decides."""
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
        upheld = (
            dispute.claims.select_related("creator").filter(public_id=data["claim"]).first()
            if data["claim"]
            else None
        )
        duplicate_of = (
            Dispute.objects.filter(public_id=data["duplicate_of"]).first()
            if data["duplicate_of"]
            else None
        )
        arguments = {"upheld_claim": upheld, "duplicate_of": duplicate_of}
        try:
            if not data["confirmed"]:
                preview = preview_decision(request.user, dispute, data["outcome"], **arguments)
                context = self.admin_site.each_context(request) | {
                    "title": f"Confirm the decision: {dispute}",
                    "opts": self.opts,
                    "dispute": dispute,
                    "original": dispute,
                    "preview": preview,
                    "data": data,
                    "decision": _decision_label(dispute, upheld, duplicate_of),
                }
                return TemplateResponse(request, "admin/consent/dispute/confirm.html", context)
            disputes.decide(request.user, dispute, data["outcome"], data["reason"], **arguments)
        except ConsentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, "The dispute is decided.", messages.SUCCESS)
        return self._back(dispute)

    def evidence_view(self, request, object_id, evidence_id) -> HttpResponse:
        """One file of evidence, inline, locked down: no script, no plugin, no sniffing."""
        dispute = self._dispute(request, object_id)
        if not self.has_view_or_change_permission(request, dispute):
            raise PermissionDenied
        evidence = dispute.evidence.filter(public_id=evidence_id).first()
        if evidence is None or not disputes.can_read_evidence(request.user, evidence):
            raise Http404("No evidence here.")
        kind = inline_kind(evidence)
        if not kind:
            raise Http404("This evidence can only be downloaded.")
        if kind == "document":
            try:
                number = int(request.GET.get("page", "1"))
                with evidence.file.open("rb") as stream:
                    png = pdf_pages.render_page(stream.read(), number)
            except (ValueError, pdf_pages.UnreadablePdf) as exc:
                raise Http404("This page of the evidence cannot be shown.") from exc
            response = HttpResponse(png, content_type="image/png")
        else:
            response = FileResponse(
                evidence.file.open("rb"),
                as_attachment=False,
                filename=evidence.original_name or "evidence",
                content_type=evidence.content_type,
            )
        response["Content-Security-Policy"] = EVIDENCE_CSP
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


def _count_pages(evidence: Evidence) -> None:
    """Set `pages` (numbers shown inline) and `page_count` on PDF evidence; `unreadable` when
    the renderer cannot open it."""
    evidence.unreadable = False
    try:
        with evidence.file.open("rb") as stream:
            evidence.page_count = pdf_pages.page_count(stream.read())
    except (OSError, pdf_pages.UnreadablePdf):
        evidence.unreadable, evidence.page_count = True, 0
    evidence.pages = range(1, min(evidence.page_count, pdf_pages.MAX_PAGES) + 1)


def _decision_label(dispute: Dispute, upheld, duplicate_of) -> str:
    if duplicate_of is not None:
        return f"Mark as a duplicate of “{duplicate_of}”, whose decision stands"
    if upheld is None:
        contested = dispute.contested_claim
        return f"Reject the contest: uphold the claim of {contested.creator.artist_name}"
    if upheld.pk == dispute.contested_claim_id:
        return f"Uphold the claim of {upheld.creator.artist_name} (rejects the contest)"
    return f"Uphold the claim of {upheld.creator.artist_name}"
