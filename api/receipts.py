"""Receipts on the consent API's answers, when asked (docs/api.md, "Receipts").

A client asks with `?receipt=true` (or `1`) or with the header `Prefer: receipt` (RFC 7240, then
answered with `Preference-Applied: receipt`); a 200 answer then carries `Registry-Receipt`, a JWS
signed by consent.transparency.receipts over the exact bytes sent. The body is the same bytes
as without a receipt. Views mix in ReceiptMixin and state when they answered and as of when
(`answered`); nothing else changes in them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.http import HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from api.errors import invalid
from consent.times import rfc3339
from consent.transparency import keys, receipts

logger = logging.getLogger(__name__)

HEADER = "Registry-Receipt"
PARAMETER = "receipt"
PREFERENCE = "receipt"
_YES = {"true", "1"}
_NO = {"false", "0"}


def preferences(header: str) -> set[str]:
    """The preference names of a Prefer header (RFC 7240 §2): tokens, case-insensitive, each
    perhaps with `=value` and `;parameters`; several headers arrive joined by commas."""
    names = set()
    for preference in header.split(","):
        name = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
        if name:
            names.add(name)
    return names


def asked(request) -> str | None:
    """`parameter` or `prefer` when the request asks for a receipt, else None; 400 for a
    `receipt` parameter that is neither yes (true, 1) nor no (false, 0)."""
    raw = request.query_params.get(PARAMETER)
    if raw is not None and raw not in _YES | _NO:
        raise invalid(
            f"{PARAMETER} must be true or 1 (sign a receipt) or false or 0; got {raw!r}.",
            field=PARAMETER,
        )
    if PREFERENCE in preferences(request.headers.get("Prefer", "")):
        return "prefer"
    return "parameter" if raw in _YES else None


def depends_on(answers: Iterable[dict]) -> int | None:
    """The newest change sequence among the tracks these answers state, or None when one of
    them states that an identifier is not registered (which no sequence vouches for). Items
    refused as malformed depend on nothing. Views pass only answers by track id: an answer by
    any other identifier also rests on which tracks do not hold it (a link removed from a
    second track after the sequence changes it), so it always reads the state afresh."""
    newest = 0
    for answer in answers:
        if answer.get("status") in ("error", "unrecognised"):
            continue
        sequence = answer.get("sequence")
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            return None
        newest = max(newest, sequence)
    return newest


def answered(
    response: HttpResponse,
    at: datetime,
    as_of: datetime | None = None,
    answers: Iterable[dict] | None = None,
    state: list | None = None,
) -> HttpResponse:
    """Note on `response` when it was answered and the instant it speaks for (default: `at`),
    as its body states them, which the receipt repeats, the track answers it states
    (`depends_on`) and the (last change sequence, log size) the answer's own statement read
    (`consent.lookup.answer_queries`), which the receipt then states; with neither of the last
    two, the receipt reads the registry's state afresh."""
    response.receipt_at = at
    response.receipt_as_of = rfc3339(as_of or at)
    response.receipt_depends_on = None if answers is None else depends_on(answers)
    response.receipt_state = state[0] if state else None
    return response


def attach(request, response: HttpResponse, how: str) -> None:
    """Sign a receipt for `response` as it will be sent and add it in its header."""
    if isinstance(response, SimpleTemplateResponse):
        response.render()  # the bytes sent; rendering again later is a no-op
    at = getattr(response, "receipt_at", None) or timezone.now()
    as_of = getattr(response, "receipt_as_of", None) or rfc3339(at)
    request_body = None
    if request.method != "GET":
        request_body = getattr(request, "received_body", b"")
    try:
        token = receipts.receipt(
            depends_on=getattr(response, "receipt_depends_on", None),
            read=getattr(response, "receipt_state", None),
            at=at,
            as_of=as_of,
            method=request.method,
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            request_body=request_body,
            status=response.status_code,
            content_type=response["Content-Type"],
            body=response.content,
        )
    except (receipts.NoReceiptKey, keys.NoSigningKey) as exc:
        # Only with debug on: production settings refuse to start without both keys.
        logger.warning("No receipt signed: %s", exc)
        return
    response[HEADER] = token
    if how == "prefer":
        response["Preference-Applied"] = PREFERENCE


class ReceiptMixin:
    """For APIView subclasses whose 200 answers can carry a receipt."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.receipt_asked = asked(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code in (200, 304):
            # A cache must not hand an answer to a request that asked differently (a 304 names
            # what its 200 would, RFC 9110 §15.4.5).
            patch_vary_headers(response, ["Prefer"])
        how = getattr(request, "receipt_asked", None)
        # Only a 200 has an answer to sign; a HEAD answer sends no body for it to bind.
        if how and response.status_code == 200 and request.method in ("GET", "POST"):
            attach(request, response, how)
        return response
