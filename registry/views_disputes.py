"""Disputes on the artists' website: contest a claim, follow and add to a dispute.

A dispute page exists only for its parties: anyone else gets a 404, never a glimpse of it. A
party sees its own statements and evidence and the reviewers' messages, not the other side's.
Evidence files are streamed as attachments by a view that checks who is asking; they have no
public address.
"""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from consent.contests import add_evidence, add_statement, contest_claim
from consent.disputes import can_read_evidence, party_of, timeline
from consent.models import Dispute, Evidence, Track
from consent.services import ConsentError, withdraw_claim
from registry.decorators import CreatorRequest, creator_required
from registry.forms_disputes import ContestForm, EvidenceForm, StatementForm


@creator_required
@require_http_methods(["GET", "POST"])
def contest(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    creator = request.creator
    track = get_object_or_404(Track, public_id=public_id)
    claims = list(
        track.claims.active()
        .exclude(creator=creator)
        .select_related("creator")
        .order_by("role", "created_at")
    )
    form = ContestForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        claims=claims,
    )
    if request.method == "POST" and form.is_valid():
        try:
            dispute = contest_claim(
                creator,
                form.chosen_claim(),
                reason=form.cleaned_data["reason"],
                statement=form.cleaned_data["statement"],
                files=form.evidence_files(),
                links=form.evidence_links(),
            )
        except ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "Your contest is recorded and both parties have been told. Until a reviewer "
                "decides, the most restrictive choice of every claim applies to this track.",
            )
            return redirect(dispute)
    return render(
        request,
        "registry/disputes/contest.html",
        {"track": track, "form": form, "has_claims": bool(claims)},
    )


@creator_required
@require_http_methods(["GET", "POST"])
def dispute_detail(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    dispute = get_object_or_404(Dispute.objects.select_related("track"), public_id=public_id)
    creator = party_of(request.user, dispute)
    if creator is None:
        raise Http404("No dispute here.")
    statement_form = StatementForm()
    evidence_form = EvidenceForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "statement":
                statement_form = StatementForm(request.POST)
                if statement_form.is_valid():
                    add_statement(creator, dispute, statement_form.cleaned_data["text"])
                    messages.success(request, "Your statement is added to the dispute.")
                    return redirect(dispute)
            elif action == "evidence":
                evidence_form = EvidenceForm(request.POST, request.FILES)
                if evidence_form.is_valid():
                    added = add_evidence(
                        creator,
                        dispute,
                        evidence_form.evidence_files(),
                        evidence_form.evidence_links(),
                    )
                    count = len(added)
                    messages.success(
                        request, f"Added {count} piece{'s' if count != 1 else ''} of evidence."
                    )
                    return redirect(dispute)
            elif action == "withdraw":
                return _withdraw(request, dispute)
            else:
                return HttpResponseBadRequest("This form sent an action the page does not know.")
        except ConsentError as exc:
            form = evidence_form if action == "evidence" else statement_form
            form.add_error(None, str(exc))

    claims = list(dispute.claims.select_related("creator").order_by("created_at"))
    return render(
        request,
        "registry/disputes/detail.html",
        {
            "dispute": dispute,
            "claims": claims,
            "my_active_claims": [c for c in claims if c.creator_id == creator.id and c.is_active],
            # A request for information is addressed to one party; only they are asked.
            "asked_me": dispute.information_from_id in (None, creator.id),
            "timeline": timeline(dispute, viewer=creator),
            "evidence": list(dispute.evidence.filter(creator=creator)),
            "statement_form": statement_form,
            "evidence_form": evidence_form,
        },
    )


def _withdraw(request: CreatorRequest, dispute: Dispute) -> HttpResponse:
    try:
        public_id = UUID(request.POST.get("claim", ""))
    except ValueError:
        return HttpResponseBadRequest("This form did not say which claim to withdraw.")
    claim = dispute.claims.active().filter(creator=request.creator, public_id=public_id).first()
    if claim is None:
        messages.info(request, "That claim was already withdrawn.")
        return redirect(dispute)
    withdraw_claim(claim)
    messages.success(
        request,
        f"You withdrew your claim on the {claim.get_role_display().lower()} of "
        f"“{dispute.track.title}”. Your choices no longer apply to it.",
    )
    return redirect(dispute)


@login_required
@require_GET
def evidence_download(request, public_id: UUID, evidence_id: UUID) -> FileResponse:
    evidence = get_object_or_404(
        Evidence.objects.select_related("dispute"),
        public_id=evidence_id,
        dispute__public_id=public_id,
    )
    if not evidence.file or not can_read_evidence(request.user, evidence):
        raise Http404("No evidence here.")
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name or "evidence",
        content_type=evidence.content_type or "application/octet-stream",
    )
