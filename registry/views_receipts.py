"""An artist's receipts: for each declaration, the JSON proof that the public log holds it, and a
printable page saying the same in plain words (docs/log.md, "Receipts for artists").

Only the creator who declared (or staff with a second factor) may fetch a declaration's
receipt; anyone else gets 404, as for a declaration that does not exist.
"""

from __future__ import annotations

import base64
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from consent.models import Declaration
from consent.purposes import Value
from consent.transparency import declaration_receipts as receipts
from consent.transparency import keys
from registry.staff_access import has_second_factor

VERIFIER_SCRIPT = "consent_verify.py"  # as /log/consent_verify.py downloads it


def receipt_filename(number: int) -> str:
    return f"declaration-{number}-receipt.json"


def _declaration(request: HttpRequest, number: int) -> Declaration:
    """The declaration, if this person may see its receipt; Http404 otherwise."""
    declaration = Declaration.objects.select_related("track", "creator").filter(pk=number).first()
    if declaration is None:
        raise Http404("No such declaration.")
    user = request.user
    if declaration.creator.user_id == user.pk:
        return declaration
    if (user.is_staff or user.is_superuser) and has_second_factor(user):
        return declaration
    raise Http404("No such declaration.")


def unavailable_reason(exc: Exception) -> str:
    if isinstance(exc, receipts.NotLogged):
        return (
            "This choice was declared before the registry's public log existed, and it has not "
            "been added to the log yet. The registry adds such choices to the log in one go; "
            "its receipt will be here once it has."
        )
    return (
        "The registry cannot sign its log at the moment (no signing key is configured on this "
        "server), so there is no signed checkpoint to prove this choice against yet."
    )


@require_safe
@login_required
def declaration_receipt(request: HttpRequest, number: int) -> HttpResponse:
    declaration = _declaration(request, number)
    try:
        receipt = receipts.declaration_receipt(declaration.pk)
    except (receipts.NotLogged, keys.NoSigningKey) as exc:
        response = HttpResponse(
            unavailable_reason(exc) + "\n", status=404, content_type="text/plain; charset=utf-8"
        )
        response["Cache-Control"] = "private, no-store"
        return response
    body = json.dumps(receipt.document, indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body.encode(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(number)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def value_words(declaration: Declaration) -> str:
    """The declared value as the history page says it."""
    if declaration.value == Value.UNSET:
        return "Inherit from catalogue" if declaration.track_id else "No reservation"
    return {
        Value.ALLOW: "Allowed",
        Value.DENY: "Not allowed",
        Value.LICENSE: "Only under licence",
    }[Value(declaration.value)]


@require_safe
@login_required
def declaration_receipt_page(request: HttpRequest, number: int) -> HttpResponse:
    declaration = _declaration(request, number)
    context: dict = {
        "declaration": declaration,
        "value_words": value_words(declaration),
        "filename": receipt_filename(number),
        "script": VERIFIER_SCRIPT,
        "site_url": settings.SITE_URL,
    }
    try:
        receipt = receipts.declaration_receipt(declaration.pk)
    except (receipts.NotLogged, keys.NoSigningKey) as exc:
        context["unavailable"] = unavailable_reason(exc)
    else:
        document = receipt.document
        context |= {
            "receipt": document,
            "index": receipt.index,
            "leaf_hash": base64.b64encode(receipt.leaf_hash).decode(),
            "tree_size": receipt.checkpoint.size,
            "root_hash": base64.b64encode(receipt.root_hash).decode(),
            "checkpoint_text": document["checkpoint"],
            "verifier_key": document["log"]["verifier_key"],
            "origin": document["log"]["origin"],
            "path_length": len(document["inclusion"]["path"]),
            "entry_text": base64.b64decode(document["entry"]["data"]).decode(),
        }
    response = render(request, "registry/artist/receipt.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
