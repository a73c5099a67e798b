"""The public feeds: robots-style files, TDMRep, RSL licences, ODRL policies and CAWG twins.

Views only find the subject, ask `registry.feeds` (or `registry.kit`) for the document and answer
with validators: a strong ETag (a hash of the body, so it changes exactly when the bytes do),
Last-Modified (the latest change the registry has a time for) and 304 for a matching
If-None-Match or If-Modified-Since. Everything is cacheable for an hour, well inside the 24 hours
RFC 9309 allows crawlers to keep a robots.txt.

An unknown subject is a 404 in the format's own terms. For robots.txt and ai.txt a 404 means
"no restrictions" (RFC 9309, 2.3.1.3): that is the truth for a host or handle the registry knows
nothing about, and the body is a comment saying so. JSON files answer a problem document.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from consent.identifiers import InvalidIdentifier, canonical_host, normalize_host
from consent.models import Creator
from registry import feeds
from registry.feeds import Document, HostFeed
from registry.kit import CreatorKit, InvalidKitOption, KitOptions, creator_kit

FEED_MAX_AGE = 3600
# An artist's new name reaches the cached files within this time; consent changes and link
# changes reach them at once, because they change the feeds version in the cache key.
FEED_CACHE_SECONDS = 300
HOSTS_PER_PAGE = 100
NO_SUCH_ID = "No track or creator of the registry has this id."
NO_SUCH_HANDLE = "No creator has this handle, so the registry states no choice for it."
NO_SUCH_HOST = "No registered track has a link on this host."


def feed_response(request: HttpRequest, document: Document) -> HttpResponse:
    """The document with its validators, or 304 when the client's copy is still current."""
    data = document.body.encode("utf-8")
    last_modified = (
        int(document.last_modified.timestamp()) if document.last_modified is not None else None
    )
    return _answer(request, _Rendered(data, document.content_type, last_modified))


@dataclass(frozen=True)
class _Rendered:
    data: bytes
    content_type: str
    last_modified: int | None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.data).hexdigest() + '"'


def _answer(request: HttpRequest, rendered: _Rendered) -> HttpResponse:
    response = HttpResponse(rendered.data, content_type=rendered.content_type)
    response["ETag"] = rendered.etag
    if rendered.last_modified is not None:
        response["Last-Modified"] = http_date(rendered.last_modified)
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
    return get_conditional_response(
        request, etag=rendered.etag, last_modified=rendered.last_modified, response=response
    )


def cached_feed_response(
    request: HttpRequest, key: str, build: Callable[[], Document]
) -> HttpResponse:
    """Like feed_response, for the large feeds: built once per feeds version, then served from
    the shared cache. Crawlers ask for these files constantly and anonymously; without this a
    flood of requests (even of 304s) would rebuild a multi-megabyte file every time.
    """
    cache_key = f"feed:{key}:{feeds.feeds_version()}"
    rendered = cache.get(cache_key)
    if rendered is None:
        document = build()
        rendered = _Rendered(
            document.body.encode("utf-8"),
            document.content_type,
            int(document.last_modified.timestamp()) if document.last_modified else None,
        )
        cache.set(cache_key, rendered, FEED_CACHE_SECONDS)
    return _answer(request, rendered)


def text_not_found(sentence: str) -> HttpResponse:
    """A robots-style 404: comment lines only, which a parser reads as an empty file."""
    return HttpResponse(f"# {sentence}\n", status=404, content_type=feeds.TEXT)


def problem_not_found(detail: str) -> HttpResponse:
    """An RFC 9457 problem document for a JSON or XML file that does not exist."""
    body = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": detail}
    return HttpResponse(
        json.dumps(body) + "\n", status=404, content_type="application/problem+json"
    )


# --- The registry's own site ----------------------------------------------------------------


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    return cached_feed_response(request, "registry-robots", feeds.registry_robots_txt)


@require_safe
def tdmrep_json(request: HttpRequest) -> HttpResponse:
    return cached_feed_response(request, "registry-tdmrep", feeds.registry_tdmrep_json)


@require_safe
def registry_licence(request: HttpRequest) -> HttpResponse:
    return cached_feed_response(request, "registry-rsl", feeds.registry_rsl)


# --- Tracks and creators by public id -----------------------------------------------------


@require_safe
def track_cawg(request: HttpRequest, public_id: UUID) -> HttpResponse:
    signals = feeds.track_signals(public_id)
    if signals is None:
        return problem_not_found("No registered track has this id.")
    return feed_response(request, signals.cawg())


@require_safe
def tdm_policy(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The TDMRep offer, wherever part of text and data mining is open under a licence; the 404
    says why there is none, and never that no licence exists when one does."""
    signals = feeds.track_signals(public_id)
    if signals is not None:
        document, policy = signals.tdm_policy(), signals.policy
    else:
        creator = Creator.objects.filter(public_id=public_id).first()
        if creator is None:
            return problem_not_found(NO_SUCH_ID)
        kit = creator_kit(creator)
        document, policy = kit.tdm_policy(), kit.policy
    if document is None:
        reason = feeds.no_tdm_policy_reason(policy, feeds.licence_url(public_id))
        return problem_not_found(reason)
    return feed_response(request, document)


@require_safe
def rsl_licence(request: HttpRequest, public_id: UUID) -> HttpResponse:
    signals = feeds.track_signals(public_id)
    if signals is not None:
        return feed_response(request, signals.rsl())
    creator = Creator.objects.filter(public_id=public_id).first()
    if creator is None:
        return problem_not_found(NO_SUCH_ID)
    return feed_response(request, creator_kit(creator).registry_rsl())


# --- A creator's publishing kit --------------------------------------------------------------


def _creator_file(
    request: HttpRequest,
    handle: str,
    url_name: str,
    write: Callable[[CreatorKit], Document],
    not_found: Callable[[str], HttpResponse] = text_not_found,
) -> HttpResponse:
    if handle != handle.lower():
        # Handles are stored lowercase; one spelling per URL keeps caches and links together.
        return HttpResponsePermanentRedirect(reverse(url_name, args=[handle.lower()]))
    creator = Creator.objects.filter(handle=handle).first()
    if creator is None:
        return not_found(NO_SUCH_HANDLE)
    try:
        options = KitOptions.from_query(request.GET)
    except InvalidKitOption as error:
        body = {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": str(error)}
        return HttpResponse(
            json.dumps(body) + "\n", status=400, content_type="application/problem+json"
        )
    return feed_response(request, write(creator_kit(creator, options)))


@require_safe
def creator_robots(request: HttpRequest, handle: str) -> HttpResponse:
    return _creator_file(request, handle, "creator_robots", CreatorKit.robots_txt)


@require_safe
def creator_ai_txt(request: HttpRequest, handle: str) -> HttpResponse:
    return _creator_file(request, handle, "creator_ai_txt", CreatorKit.ai_txt)


@require_safe
def creator_tdmrep(request: HttpRequest, handle: str) -> HttpResponse:
    return _creator_file(
        request, handle, "creator_tdmrep", CreatorKit.tdmrep_json, problem_not_found
    )


@require_safe
def creator_rsl(request: HttpRequest, handle: str) -> HttpResponse:
    return _creator_file(request, handle, "creator_rsl", CreatorKit.rsl, problem_not_found)


@require_safe
def creator_headers(request: HttpRequest, handle: str) -> HttpResponse:
    return _creator_file(request, handle, "creator_headers", CreatorKit.headers_txt)


# --- Hosts ----------------------------------------------------------------------------------


@require_safe
def hosts(request: HttpRequest) -> HttpResponse:
    page = Paginator(feeds.host_counts(), HOSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "registry/publish/hosts.html", {"page_obj": page})


def _host_file(
    request: HttpRequest,
    host: str,
    url_name: str,
    write: Callable[[HostFeed], Document],
    not_found: Callable[[str], HttpResponse],
) -> HttpResponse:
    try:
        canonical = canonical_host(normalize_host(host))
    except InvalidIdentifier:
        return not_found(NO_SUCH_HOST)
    if not canonical:
        return not_found(NO_SUCH_HOST)
    if canonical != host:
        # `WWW.SoundCloud.com` and `bücher.de` name the hosts stored as `soundcloud.com` and
        # `xn--bcher-kva.de`, and `m.soundcloud.com` the same pages as `soundcloud.com`: one URL
        # per host, so every spelling reaches the same file.
        return HttpResponsePermanentRedirect(reverse(url_name, args=[canonical]))
    if not feeds.host_is_known(canonical):
        return not_found(NO_SUCH_HOST)

    def build() -> Document:
        # Its last link may have gone since host_is_known: then the host's file is empty.
        feed = feeds.host_feed(canonical) or HostFeed(canonical, [], timezone.now())
        return write(feed)

    return cached_feed_response(request, f"host:{url_name}:{canonical}", build)


def _no_restriction(sentence: str) -> HttpResponse:
    return text_not_found(
        f"{sentence} The registry states no restriction for it: a robots.txt that is not "
        "found means no restrictions."
    )


@require_safe
def host_robots(request: HttpRequest, host: str) -> HttpResponse:
    return _host_file(request, host, "host_robots", HostFeed.robots_txt, _no_restriction)


@require_safe
def host_ai_txt(request: HttpRequest, host: str) -> HttpResponse:
    return _host_file(request, host, "host_ai_txt", HostFeed.ai_txt, _no_restriction)


@require_safe
def host_rsl(request: HttpRequest, host: str) -> HttpResponse:
    """The RSL licence of the registered links on a host, which its robots.txt names."""
    return _host_file(request, host, "host_rsl", HostFeed.rsl, problem_not_found)


@require_safe
def host_tdmrep(request: HttpRequest, host: str) -> HttpResponse:
    return _host_file(request, host, "host_tdmrep", HostFeed.tdmrep_json, problem_not_found)
