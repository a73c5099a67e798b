"""Anonymous requests per address: the public pages, the feeds (/robots.txt, /hosts/, licence
files), the log's tiles and the API without a key share PUBLIC_RATE_LIMIT_PER_MINUTE per address
and minute, counted in the shared cache so the limit holds across every web process.

Signed-in visitors and requests carrying an API key are not counted here: accounts have their
own limits (consent.ratelimits) and keys their platform's (api.auth). /api/health and /api/ping
are never counted (load balancers and probes call them and they do no work). The address is
REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the one the nearest proxy saw
(consent.ratelimits.client_address); RATE_LIMIT_EXEMPT_ADDRESSES are never limited.

Over the limit a request answers 429 with Retry-After: problem+json under /api/ or to a client
that asks for JSON, a short HTML page otherwise.
"""

import math

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

from consent import ratelimits

NEVER_COUNTED = ("/api/health", "/api/ping", "/api/bench/")


def _wants_json(request) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return "json" in accept and "text/html" not in accept


def too_many(request, detail: str, wait: float) -> HttpResponse:
    retry = str(max(1, math.ceil(wait)))
    if _wants_json(request):
        body = {
            "type": "/api/problems/rate-limited",
            "title": "Too many requests",
            "status": 429,
            "detail": detail,
            "instance": request.get_full_path(),
        }
        response = HttpResponse(
            orjson.dumps(body), status=429, content_type="application/problem+json"
        )
    else:
        page = render_to_string("429.html", {"detail": detail, "retry": retry}, request=request)
        response = HttpResponse(page, status=429)
    response["Retry-After"] = retry
    return response


class AddressLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.PUBLIC_RATE_LIMIT_PER_MINUTE
        if (
            limit
            and "HTTP_AUTHORIZATION" not in request.META
            and not request.path.startswith(NEVER_COUNTED)
            and not request.user.is_authenticated
        ):
            address = ratelimits.client_address(request)
            if not ratelimits.address_exempt(address):
                allowed, wait = ratelimits.count_address("public", address, limit)
                if not allowed:
                    return too_many(
                        request,
                        f"Too many requests from your address: at most {limit:,} a minute "
                        "without signing in. Please wait a moment and try again.",
                        wait,
                    )
        return self.get_response(request)
