"""Updating tracks from a sheet: the preview of every change, its confirmation, and the result.

The upload (on the import page, in update mode) is checked and planned but nothing is written:
the file is kept on the server under a random token (`consent.importing.staging`) and the page
shows what confirming would change, track by track. Confirming posts the token and the digest
of the plan shown; `consent.importing.updating.apply_update` re-plans those same bytes under the
consent write lock and writes only if the plan is still the one previewed.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from consent.importing import staging
from consent.importing.catalogue import ParseResult, parse_catalogue_csv
from consent.importing.columns import RowError, plural
from consent.importing.reading import WINDOWS_1252
from consent.importing.updating import (
    INHERIT,
    LinePlan,
    StalePlan,
    UpdatePlan,
    apply_update,
    plan_update,
)
from consent.models import Creator
from consent.purposes import LABELS, VALUE_LABELS, Purpose, PurposeChoice, Value
from consent.services import ConsentError
from registry.decorators import CreatorRequest, creator_required
from registry.views_import import CatalogueImportForm, import_page

INHERIT_LABEL = "Inherit from catalogue"
ENCODING_LABELS = {WINDOWS_1252: "Windows-1252 (Excel)"}
# A result page names this many changed tracks; the history page has every change.
RESULT_TRACKS_SHOWN = 200


def _parse(creator: Creator, data: bytes) -> ParseResult:
    return parse_catalogue_csv(
        data,
        max_rows=settings.IMPORT_MAX_ROWS,
        max_bytes=settings.IMPORT_MAX_BYTES,
        default_artist_credit=creator.artist_name,
    )


def choice_label(choice: PurposeChoice) -> str:
    if choice.value == Value.UNSET:
        return INHERIT_LABEL
    label = VALUE_LABELS[choice.value]
    terms = [text for text in (choice.terms_url, choice.contact_email) if text]
    return f"{label} ({', '.join(terms)})" if terms else label


def _line_context(line: LinePlan) -> dict:
    return {
        "line": line.line,
        "title": line.title,
        "public_id": line.public_id,
        "changes": [
            {
                "purpose": LABELS[Purpose(change.purpose)],
                "before": choice_label(change.before),
                "after": choice_label(change.after),
            }
            for change in line.changes
        ],
        "notes": line.notes,
        "isrc": line.new.isrc if line.new else "",
        "choices": [
            f"{LABELS[purpose]}: {choice_label(choice)}"
            for purpose, choice in (line.new.choices.items() if line.new else [])
            if choice != INHERIT
        ],
    }


def preview_update(
    request: HttpRequest,
    creator: Creator,
    data: bytes,
    filename: str,
    *,
    stale: bool = False,
) -> HttpResponse:
    """Check and plan the file; the page of its problems, or the preview with a confirm form."""
    parsed = _parse(creator, data)
    plan = plan_update(creator, parsed) if parsed.rows else None
    errors = plan.errors if plan else parsed.errors
    if errors:
        form = CatalogueImportForm(initial={"mode": "update"})
        return import_page(request, form, errors, filename)
    digest = plan.digest()
    token = staging.stage(creator.pk, data, filename, digest)
    return render(
        request,
        "registry/import/preview.html",
        _preview_context(plan, filename, token, digest, stale),
    )


def _preview_context(plan: UpdatePlan, filename: str, token: str, digest: str, stale: bool):
    changed = plan.of_kind("changed")
    new = plan.of_kind("new")
    return {
        "filename": filename,
        "encoding": ENCODING_LABELS.get(plan.encoding, plan.encoding),
        "token": token,
        "digest": digest,
        "stale": stale,
        "summary": plan.summary(),
        "changed": [_line_context(line) for line in changed],
        "new": [_line_context(line) for line in new],
        "unchanged": [_line_context(line) for line in plan.of_kind("unchanged")],
        "nothing_to_do": not changed and not new,
        "choice_count": plan.choice_count,
        "track_count": len(changed),
    }


@creator_required
@require_POST
def confirm_update(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    token = request.POST.get("token", "")
    staged = staging.load(token, creator.pk)
    if staged is None or request.POST.get("digest") != staged.digest:
        messages.error(
            request,
            "This preview has expired or was already applied, so nothing was written. "
            "Upload the file again to see a new preview.",
        )
        return redirect("catalogue_import")
    parsed = _parse(creator, staged.data)
    try:
        result = apply_update(creator, parsed, staged.digest)
    except StalePlan:
        staging.discard(token)
        return preview_update(request, creator, staged.data, staged.filename, stale=True)
    except ConsentError as exc:
        form = CatalogueImportForm(initial={"mode": "update"})
        return import_page(request, form, [RowError(None, "", str(exc))], staged.filename)
    staging.discard(token)
    staging.keep_result(
        token,
        creator.pk,
        {
            "filename": staged.filename,
            "tracks": [
                {"title": line.title, "public_id": str(line.public_id), "count": len(line.changes)}
                for line in result.changed
            ],
            "declarations": result.declarations,
            "registered": result.registered,
            "unchanged": result.unchanged,
            "disputes": result.disputes,
        },
    )
    return redirect("catalogue_update_result", token=token)


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts) or "nothing changed"
    return text[:1].upper() + text[1:] + "."


@creator_required
@require_GET
def update_result(request: CreatorRequest, token: str) -> HttpResponse:
    result = staging.load_result(token, request.creator.pk)
    if result is None:
        messages.info(
            request,
            "That update's summary is no longer kept; the history page lists every change.",
        )
        return redirect("history")
    tracks = result["tracks"]
    parts = [
        f"Changed {plural(result['declarations'], 'choice')} on {plural(len(tracks), 'track')}"
    ]
    if result["registered"]:
        parts.append(f"registered {plural(result['registered'], 'new track')}")
    if result["disputes"]:
        parts.append(f"{plural(result['disputes'], 'dispute')} opened")
    if result["unchanged"]:
        parts.append(f"{plural(result['unchanged'], 'track')} had no change")
    return render(
        request,
        "registry/import/result.html",
        {
            "filename": result["filename"],
            "sentence": _sentence(parts),
            "tracks": tracks[:RESULT_TRACKS_SHOWN],
            "tracks_hidden": max(0, len(tracks) - RESULT_TRACKS_SHOWN),
        },
    )
