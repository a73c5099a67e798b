"""Every API error as RFC 9457 problem details, with a stable `type` per kind of problem."""

import logging

from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response

from api.renderers import dumps

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/problems/"

# slug → (status, title, what it means); documented at /api/problems/.
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "invalid-request": (400, "Invalid request", "A parameter or the body is missing or malformed."),
    "unauthenticated": (401, "Not authenticated", "No API key, or the key is unknown or revoked."),
    "forbidden": (403, "Forbidden", "The key's platform is not approved or lacks a scope."),
    "not-found": (404, "Not found", "There is nothing at this address."),
    "method-not-allowed": (405, "Method not allowed", "This address does not take that method."),
    "not-acceptable": (406, "Not acceptable", "The answer cannot be given in a requested format."),
    "too-large": (413, "Request too large", "Too many items, or a body above the size limit."),
    "range-not-satisfiable": (
        416,
        "Range not satisfiable",
        "The byte range asked for starts past the end of the snapshot file.",
    ),
    "unsupported-media-type": (415, "Unsupported media type", "The body must be in another type."),
    "rate-limited": (
        429,
        "Too many requests",
        "The platform's units for this minute (all its keys together), or the address's limit "
        "on failed authentications or anonymous requests, are used up; retry after Retry-After.",
    ),
    "concurrency-limited": (
        429,
        "Too many heavy requests at once",
        "The platform already runs as many large batches and snapshots as it may at once; retry "
        "when one has finished (Retry-After).",
    ),
    "snapshot-busy": (
        429,
        "Snapshot download in progress",
        "The platform is already downloading a snapshot; one at a time per platform.",
    ),
    "server-error": (500, "Server error", "The registry failed; the request can be retried."),
    "snapshot-not-ready": (
        503,
        "Snapshot not ready",
        "The first snapshot file is being built; retry after Retry-After seconds.",
    ),
}


class HeavyThrottled(exceptions.Throttled):
    """429 for a platform already running its share of heavy requests (api.auth)."""


class ProblemError(exceptions.APIException):
    """Raise to answer with a given problem type (and optional extra members)."""

    def __init__(self, slug: str, detail: str, **extra):
        self.slug = slug
        self.status_code = PROBLEMS[slug][0]
        self.extra = extra
        super().__init__(detail)


def invalid(detail: str, **extra) -> ProblemError:
    return ProblemError("invalid-request", detail, **extra)


def problem(slug: str, detail: str, instance: str = "", **extra) -> dict:
    status_code, title, _ = PROBLEMS[slug]
    body = {"type": TYPE_BASE + slug, "title": title, "status": status_code, "detail": detail}
    if instance:
        body["instance"] = instance
    return body | extra


def problem_response(slug: str, detail: str, instance: str = "", **extra) -> HttpResponse:
    body = problem(slug, detail, instance, **extra)
    return HttpResponse(dumps(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE)


_SLUG_BY_CLASS = [
    (exceptions.NotAuthenticated, "unauthenticated"),
    (exceptions.AuthenticationFailed, "unauthenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (HeavyThrottled, "concurrency-limited"),
    (exceptions.Throttled, "rate-limited"),
    (exceptions.ParseError, "invalid-request"),
    (exceptions.ValidationError, "invalid-request"),
]


def _detail_text(detail) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_detail_text(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_detail_text(v)}" for k, v in detail.items())
    return str(detail)


def problem_exception_handler(exc, context):
    """DRF's exception handler, answering in problem+json; unknown errors stay 500s."""
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, ProblemError):
        slug, extra = exc.slug, exc.extra
    elif isinstance(exc, exceptions.APIException):
        slug = next((s for cls, s in _SLUG_BY_CLASS if isinstance(exc, cls)), None)
        if slug is None:
            slug = "server-error" if exc.status_code >= 500 else "invalid-request"
        extra = {}
        if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
            extra["errors"] = [
                {"field": field, "detail": _detail_text(value)}
                for field, value in exc.detail.items()
            ]
    else:
        return None
    body = problem(slug, _detail_text(exc.detail), instance, **extra)
    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if request is not None and slug == "unauthenticated":
        authenticator = request.successful_authenticator or (
            request.authenticators[0] if request.authenticators else None
        )
        if authenticator is not None:
            headers["WWW-Authenticate"] = authenticator.authenticate_header(request)
    response = Response(body, status=body["status"], headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
