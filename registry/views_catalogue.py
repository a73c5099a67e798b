"""The signed-in artist's whole catalogue: its choices, the one-click AI opt-out, and the history
of every choice declared.

Guards are in registry.decorators, the artist's claims and declarations in registry.queries,
and what the pages show is built by registry.presenters.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from consent.jobs import current_job
from consent.models import POLICIES, Declaration, EffectivePolicy
from consent.policies import latest_statements
from consent.purposes import AI_OPT_OUT
from consent.services import ConsentError, declare, opt_out_of_ai_training
from consent.transparency.declaration_receipts import logged_declarations
from registry.decorators import CreatorRequest, creator_required
from registry.forms import PurposesForm
from registry.presenters import (
    HistoryBatch,
    applying_message,
    catalogue_defaults,
    covers,
    describe_saved,
    join_words,
    opt_out_message,
    opt_out_state,
    own_choices_url,
    resolution_example,
    sentence_label,
)
from registry.queries import (
    active_claims,
    catalogue_declarations,
    claimed_tracks,
    has_own_choices,
    previous_value,
)
from registry.verification_ui import loosens, unverified_catalogue_notice, with_notice

NO_RESERVATION_LABEL = "No reservation"


# --- The whole catalogue --------------------------------------------------------------------


@creator_required
@require_http_methods(["GET", "POST"])
def catalogue_permissions(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    in_force = latest_statements([creator.id], []).get((creator.id, None), {})
    form = PurposesForm(
        request.POST if request.method == "POST" else None,
        initial=PurposesForm.initial_from(in_force),
        unset_label=NO_RESERVATION_LABEL,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = declare(creator, form.choices())
        except ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            if saved:
                text = describe_saved(saved, "your whole catalogue", track_level=False)
                job = current_job(creator)
                if job is not None and job.finished_at is None:
                    text = f"{text} {applying_message(job.total)}"
                if loosens(saved):
                    text = with_notice(text, unverified_catalogue_notice(creator))
                messages.success(request, text)
            else:
                messages.info(request, "Nothing changed: these were already your choices.")
            return redirect("catalogue_permissions")
    tracks = claimed_tracks(creator).aggregate(
        total=Count("pk"), own=Count("pk", filter=has_own_choices(creator))
    )
    return render(
        request,
        "registry/artist/catalogue_permissions.html",
        {
            "form": form,
            "current": catalogue_defaults(in_force),
            "track_count": tracks["total"],
            "own_count": tracks["own"],
            "own_choices_url": own_choices_url(),
            "covers": covers(),
            "example": resolution_example(),
            "opt_out_purposes": join_words([sentence_label(p) for p in AI_OPT_OUT]),
            "opt_out": opt_out_state(catalogue_declarations(creator)),
        },
    )


@require_POST
@creator_required
def opt_out_ai(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    try:
        saved = opt_out_of_ai_training(creator)
    except ConsentError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard")
    policies = EffectivePolicy.objects.filter(
        Exists(active_claims(creator).filter(track=OuterRef("track")))
    )
    counts = policies.aggregate(
        total=Count("pk"), denying=Count("pk", filter=POLICIES.opted_out_of_ai())
    )
    job = current_job(creator)
    if saved and job is not None and job.finished_at is None:
        purposes = join_words([sentence_label(p) for p in AI_OPT_OUT])
        text = f"{purposes} are now Not allowed for your whole catalogue. " + applying_message(
            job.total
        )
    else:
        text = opt_out_message(bool(saved), counts["total"], counts["denying"], own_choices_url())
    messages.success(request, text)
    return redirect("dashboard")


# --- History --------------------------------------------------------------------------------


HISTORY_PAGE_SIZE = 100


@creator_required
@require_http_methods(["GET"])
def history(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    # Paged by declaration, not by save: one import can be a single save of 50,000 rows, and a
    # page must stay small whatever the artist did. A save cut by a page break simply continues.
    declarations = (
        Declaration.objects.filter(creator=creator)
        .select_related("track")
        .annotate(previous_value=previous_value())
        .order_by("-id")
    )
    page = Paginator(declarations, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    grouped: dict = {}
    for row in reversed(rows):  # within a save, in the order it was written
        grouped.setdefault(row.batch, []).append(row)
    grouped = dict(reversed(grouped.items()))  # saves newest first
    claimed_ids = set(
        active_claims(creator)
        .filter(track_id__in={row.track_id for row in rows if row.track_id})
        .values_list("track_id", flat=True)
    )
    return render(
        request,
        "registry/artist/history.html",
        {
            "page_obj": page,
            "batches": [
                HistoryBatch(declared_at=group[0].declared_at, rows=group)
                for group in grouped.values()
                if group
            ],
            "claimed_ids": claimed_ids,
            # Declarations with a log entry have a receipt; older ones wait for the backfill.
            "logged_ids": set(logged_declarations(row.pk for row in rows)),
        },
    )
