"""The signed-in artist's pages: parse the request, call `consent.services`/`links`, render.

The profile, the dashboard, registering a track and one track's page; the whole catalogue and
the history are in registry.views_catalogue. Guards are in registry.decorators, the artist's
claims, tracks and disputes in registry.queries, what the pages show is built by
registry.presenters, and what is in force on a track, in words, by registry.in_force.
"""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from consent.identifiers import InvalidIdentifier
from consent.jobs import current_job, resume_if_idle
from consent.links import add_links, remove_link
from consent.models import TRACK_POLICIES, Claim, Creator, Track, TrackLink
from consent.platforms import applied_by, applied_counts
from consent.policies import latest_statements
from consent.purposes import AI_OPT_OUT, LABELS
from consent.services import ConsentError, TrackData, declare, register_track, withdraw_claim
from consent.text import LineBreakError
from registry.decorators import CreatorRequest, creator_required, safe_next
from registry.forms import (
    DASHBOARD_ORDER,
    SHORT_LABELS,
    AddLinksForm,
    DashboardFilterForm,
    ProfileForm,
    PurposesForm,
    TrackForm,
)
from registry.in_force import INHERIT, explain_track
from registry.presenters import (
    dashboard_row,
    describe_dispute,
    describe_saved,
    format_duration,
    join_words,
    opt_out_state,
    own_choices_url,
    registration_message,
    sentence_label,
)
from registry.queries import (
    active_claims,
    catalogue_declarations,
    claimed_tracks,
    has_own_choices,
    open_disputes,
    owner_count,
    policy_of,
    registered_first,
)
from registry.uploads import AudioHashUploadHandler, HashedAudioFile
from registry.verification_ui import (
    loosens,
    track_context,
    unverified_track_notice,
    with_notice,
    with_verification,
)

PAGE_SIZE = 50
# Open disputes listed on the dashboard; the "Disputed only" filter shows every disputed track.
DISPUTES_SHOWN = 20


# --- Profile --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    creator = Creator.objects.filter(user=request.user).first()
    is_new = creator is None
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        instance=creator or Creator(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:
            if is_new and Creator.objects.filter(user=request.user).exists():
                # The form was sent twice at once and the first submission created the profile.
                return redirect(safe_next(request) or "dashboard")
            # Two people chose the same handle at the same moment; the other one was first.
            if not Creator.objects.filter(handle=form.cleaned_data["handle"]).exists():
                raise
            form.add_error(
                "handle",
                f"The handle “{form.cleaned_data['handle']}” is already taken. "
                "Please choose another one.",
            )
        else:
            if is_new:
                messages.success(
                    request,
                    f"Welcome, {saved.artist_name}. Your profile is saved: register your first "
                    "track, or set choices for your whole catalogue.",
                )
            else:
                messages.success(request, "Your profile is saved.")
            return redirect(safe_next(request) or "dashboard")
    return render(
        request,
        "registry/artist/profile.html",
        {"form": form, "is_new": is_new, "next": safe_next(request) or ""},
    )


# --- Dashboard ------------------------------------------------------------------------------


@creator_required
@require_http_methods(["GET"])
def dashboard(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    claimed = claimed_tracks(creator)
    summary = claimed.aggregate(
        total=Count("pk"),
        ai_denied=Count("pk", filter=TRACK_POLICIES.opted_out_of_ai()),
        licensed=Count("pk", filter=TRACK_POLICIES.licensing()),
        disputed=Count("pk", filter=TRACK_POLICIES.disputed()),
        own=Count("pk", filter=has_own_choices(creator)),
    )
    filters = DashboardFilterForm(request.GET)
    tracks = (
        filters.apply(claimed, creator)
        .select_related("policy")
        .prefetch_related(
            Prefetch(
                "claims",
                queryset=with_verification(active_claims(creator).order_by("role")),
                to_attr="my_claims",
            )
        )
        .order_by("title", "id")
    )
    page = Paginator(tracks, PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = list(page.object_list)
    applied = applied_counts(
        {track.id: policy.sequence for track in on_page if (policy := policy_of(track))}
    )
    disputes = list(open_disputes(creator)[: DISPUTES_SHOWN + 1])
    catalogue_job = current_job(creator)
    resume_if_idle(catalogue_job)
    return render(
        request,
        "registry/artist/dashboard.html",
        {
            "creator": creator,
            "summary": summary,
            "filters": filters,
            "filtering": filters.active,
            "page_obj": page,
            "rows": [dashboard_row(track, applied.get(track.id)) for track in on_page],
            "show_applied": any(count.total for count in applied.values()),
            "disputes": [describe_dispute(d, creator) for d in disputes[:DISPUTES_SHOWN]],
            "catalogue_job": catalogue_job,
            "more_disputes": len(disputes) > DISPUTES_SHOWN,
            "opt_out_purposes": join_words([sentence_label(p) for p in AI_OPT_OUT]),
            "opt_out": opt_out_state(catalogue_declarations(creator)),
            "columns": [(SHORT_LABELS[p], LABELS[p]) for p in DASHBOARD_ORDER],
            "ai_columns": len(AI_OPT_OUT),
            "other_columns": len(DASHBOARD_ORDER) - len(AI_OPT_OUT),
            "own_choices_url": own_choices_url(),
        },
    )


@require_safe
@creator_required
def catalogue_job_progress(request: CreatorRequest) -> HttpResponse:
    """How far the artist's catalogue-wide change has got, for the dashboard's progress bar
    (static/js/catalogue-job.js polls it; without the script the page shows it as loaded)."""
    job = current_job(request.creator)
    resume_if_idle(job)
    if job is None:
        return JsonResponse({"job": None}, headers={"Cache-Control": "no-store"})
    job.refresh_from_db()
    return JsonResponse(
        {
            "job": {
                "done": job.done,
                "total": job.total,
                "percent": job.percent,
                "finished": job.finished_at is not None,
            }
        },
        headers={"Cache-Control": "no-store"},
    )


# --- Registering a track --------------------------------------------------------------------


@csrf_exempt
@creator_required
def track_new(request: CreatorRequest) -> HttpResponse:
    # The hashing handler must be in place before anything reads request.POST, which is why
    # CSRF is checked in the inner view, after the upload has been streamed through it.
    handler = AudioHashUploadHandler(request, field_name="audio")
    request.upload_handlers.insert(0, handler)
    return _track_new(request, handler)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _track_new(request: CreatorRequest, handler: AudioHashUploadHandler) -> HttpResponse:
    creator = request.creator
    if request.method != "POST":
        form = TrackForm(initial={"artist_credit": creator.artist_name})
        return render(request, "registry/artist/track_new.html", {"form": form})

    form = TrackForm(request.POST, request.FILES, upload_errors=handler.errors)
    if form.is_valid():
        data = TrackData(
            title=form.cleaned_data["title"],
            artist_credit=form.cleaned_data["artist_credit"],
            roles=form.roles,
            isrc=form.cleaned_data["isrc"],
            iswc=form.cleaned_data["iswc"],
            duration_seconds=form.cleaned_data["duration"],
            links=form.cleaned_data["links"],
            audio_sha256=form.audio_sha256,
        )
        try:
            result = register_track(creator, data)
        except (ConsentError, InvalidIdentifier, LineBreakError) as exc:
            form.add_error(None, str(exc))
        else:
            upload = form.cleaned_data.get("audio")
            if isinstance(upload, HashedAudioFile):
                upload.keep()
            track = result.tracks[0]
            messages.success(request, registration_message(creator, track, result.disputes))
            return redirect("track_detail", public_id=track.public_id)
    return render(request, "registry/artist/track_new.html", {"form": form})


# --- One track ------------------------------------------------------------------------------


@creator_required
@require_http_methods(["GET", "POST"])
def track_detail(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    creator = request.creator
    track = get_object_or_404(claimed_tracks(creator).select_related("policy"), public_id=public_id)
    my_claims = list(active_claims(creator).filter(track=track).order_by("role"))
    action = request.POST.get("action") if request.method == "POST" else None
    # Actions that only redirect are done before the page's explanations are worked out.
    if action == "remove-link":
        _remove_link(request, track)
        return redirect("track_detail", public_id=track.public_id)
    if action == "withdraw":
        return _withdraw(request, track, my_claims)
    if request.method == "POST" and action not in ("permissions", "add-links"):
        return HttpResponseBadRequest("This form sent an action the page does not know.")
    links_form = AddLinksForm()
    if action == "add-links":
        links_form = AddLinksForm(request.POST)
        if _add_links(request, track, links_form):
            return redirect("track_detail", public_id=track.public_id)

    in_force = latest_statements([creator.id], [track.id]).get((creator.id, track.id), {})
    policy = policy_of(track)
    # "Inherit" says what it leads to and where that comes from, as the API resolves it, so
    # nobody has to work out the rule to know what a track is answered with.
    explained = explain_track(creator, track, policy, my_claims)
    labels = explained.inherit_labels()
    permissions_form = PurposesForm(
        initial=PurposesForm.initial_from(in_force), unset_label=INHERIT, unset_labels=labels
    )
    if action == "permissions":
        permissions_form = PurposesForm(request.POST, unset_label=INHERIT, unset_labels=labels)
        if _save_track_permissions(request, track, permissions_form):
            return redirect("track_detail", public_id=track.public_id)

    disputes = open_disputes(creator).filter(track=track)
    context = {
        "track": track,
        "roles": [claim.get_role_display() for claim in my_claims],
        "my_claims": my_claims,
        "owners": owner_count(track),
        "cells": explained.rows,
        "disputed": bool(policy and policy.disputed),
        "disputes": [describe_dispute(dispute, creator) for dispute in disputes],
        "policy": policy,
        "applications": applied_by(policy.sequence) if policy else [],
        "links": list(track.links.all()),
        # The audio hash belongs to whoever registered the track first; a later co-claimant
        # must not learn a fingerprint of audio they never uploaded.
        "audio_sha256": track.audio_sha256 if registered_first(creator, track) else "",
        "duration": format_duration(track.duration_seconds),
        "permissions_form": permissions_form,
        "links_form": links_form,
    }
    context |= track_context(creator, my_claims, context["links"])
    return render(request, "registry/artist/track_detail.html", context)


def _save_track_permissions(request: CreatorRequest, track: Track, form: PurposesForm) -> bool:
    if not form.is_valid():
        return False
    try:
        saved = declare(request.creator, form.choices(), track=track)
    except ConsentError as exc:
        form.add_error(None, str(exc))
        return False
    scope = f"“{track.title}”"
    if saved:
        text = describe_saved(saved, scope, track_level=True)
        if loosens(saved):
            claims = list(active_claims(request.creator).filter(track=track))
            text = with_notice(text, unverified_track_notice(claims))
        messages.success(request, text)
    else:
        messages.info(request, f"Nothing changed for {scope}.")
    return True


def _add_links(request: CreatorRequest, track: Track, form: AddLinksForm) -> bool:
    if not form.is_valid():
        return False
    try:
        added = add_links(request.creator, track, form.cleaned_data["links"])
    except (ConsentError, InvalidIdentifier) as exc:
        form.add_error("links", str(exc))
        return False
    if added:
        count = len(added)
        messages.success(request, f"Added {count} link{'s' if count != 1 else ''}.")
    else:
        messages.info(request, "Those links were already listed; nothing changed.")
    return True


def _remove_link(request: CreatorRequest, track: Track) -> None:
    # Links are addressed by their URL, unique per track, so no database id leaves the server.
    link = TrackLink.objects.filter(track=track, url=request.POST.get("url", "")).first()
    if link is None:
        messages.info(request, "That link was already removed.")
        return
    try:
        remove_link(request.creator, link)
    except ConsentError as exc:
        messages.error(request, str(exc))
        return
    messages.success(request, f"Removed the link {link.url}.")


def _withdraw(request: CreatorRequest, track: Track, my_claims: list[Claim]) -> HttpResponse:
    claim = next((c for c in my_claims if str(c.public_id) == request.POST.get("claim")), None)
    if claim is None:
        messages.info(request, "That claim was already withdrawn.")
        return redirect("track_detail", public_id=track.public_id)
    withdraw_claim(claim)
    messages.success(
        request,
        f"You withdrew your claim on the {claim.get_role_display().lower()} of “{track.title}”. "
        "Your choices no longer apply to it.",
    )
    if len(my_claims) > 1:
        return redirect("track_detail", public_id=track.public_id)
    return redirect("dashboard")
