"""The public feeds: robots-style files, TDMRep, RSL licences, ODRL policies and CAWG twins.

A track's own files are composed per request from its one row (`registry.feeds`); the files that
cover many tracks (per-host files and their shards, creators' registry licences, /hosts/) are
read as last built by `registry.feed_store`, one row by primary key, and never built here.
Every answer carries validators: a strong ETag (a hash of the body, so it changes exactly when
the bytes do), Last-Modified (the latest change the registry has a time for) and 304 for a matching
If-None-Match or If-Modified-Since. Everything is cacheable for an hour, well inside the 24 hours
RFC 9309 allows crawlers to keep a robots.txt.

An unknown subject is a 404 in the format's own terms. For robots.txt and ai.txt a 404 means
"no restrictions" (RFC 9309, 2.3.1.3): that is the truth for a host or handle the registry knows
nothing about, and the body is a comment saying so. JSON files answer a problem document.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from consent.identifiers import InvalidIdentifier, canonical_host, normalize_host
from consent.models import Creator
from registry import feed_store, feeds
from registry.feeds import Document
from registry.kit import CreatorKit, InvalidKitOption, KitOptions, creator_kit

FEED_MAX_AGE = 3600
# What the registry's own robots.txt and tdmrep.json say changes only with the crawlers the
# registry knows: the list's file dates them.
AGENTS_FILE = Path(__file__).resolve().parent.parent / "consent" / "data" / "ai_agents.json"
NO_SUCH_ID = "No track or creator of the registry has this id."
NO_SUCH_HANDLE = "No creator has this handle, so the registry states no choice for it."
NO_SUCH_HOST = "No registered track has a link on this host."
NO_SUCH_SHARD = "No registered track has a link on this host in this shard."


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
    # A cache may answer with its copy for a while after max-age while it fetches the new one:
    # a file changes at most once per rebuild, and a crawler should never wait for it.
    patch_cache_control(
        response, public=True, max_age=FEED_MAX_AGE, stale_while_revalidate=FEED_MAX_AGE
    )
    return get_conditional_response(
        request, etag=rendered.etag, last_modified=rendered.last_modified, response=response
    )


def stored_response(request: HttpRequest, stored: feed_store.Stored) -> HttpResponse:
    """A file as last built, with the validators computed when it was built."""
    last_modified = (
        int(stored.last_modified.timestamp()) if stored.last_modified is not None else None
    )
    response = _answer(request, _Rendered(stored.body, stored.content_type, last_modified))
    if stored.status != 200 and response.status_code == 200:
        response.status_code = stored.status
    return response


def text_not_found(sentence: str) -> HttpResponse:
    """A robots-style 404: comment lines only, which a parser reads as an empty file."""
    return HttpResponse(f"# {sentence}\n", status=404, content_type=feeds.TEXT)


def not_built_yet() -> HttpResponse:
    """A file that was never built, now being built: ask again shortly."""
    body = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "This file is being built for the first time; ask again in a few seconds.",
    }
    response = HttpResponse(
        json.dumps(body) + "\n", status=503, content_type="application/problem+json"
    )
    response["Retry-After"] = "10"
    return response


def problem_not_found(detail: str) -> HttpResponse:
    """An RFC 9457 problem document for a JSON or XML file that does not exist."""
    body = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": detail}
    return HttpResponse(
        json.dumps(body) + "\n", status=404, content_type="application/problem+json"
    )


# --- The registry's own site ----------------------------------------------------------------


def _pattern_file(request: HttpRequest, document: Document) -> HttpResponse:
    changed = datetime.fromtimestamp(AGENTS_FILE.stat().st_mtime, tz=UTC)
    return feed_response(request, replace(document, last_modified=changed))


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    return _pattern_file(request, feeds.registry_robots_txt())


@require_safe
def tdmrep_json(request: HttpRequest) -> HttpResponse:
    return _pattern_file(request, feeds.registry_tdmrep_json())


@require_safe
def registry_licence(request: HttpRequest) -> HttpResponse:
    """Gone: one licence for every track page grew with the registry (105 MB at a million
    tracks). Each page names its own licence, in its `Link` header and `<link>` tag."""
    body = {
        "type": "about:blank",
        "title": "Gone",
        "status": 410,
        "detail": (
            "There is no registry-wide licence any more: each track page names its own RSL "
            'licence (Link: <.../licenses/<track id>.xml>; rel="license").'
        ),
    }
    return HttpResponse(
        json.dumps(body) + "\n", status=410, content_type="application/problem+json"
    )


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
    # A catalogue's licence reads the whole catalogue: built in the background, served as built.
    key = feed_store.licence_key(public_id)
    stored = feed_store.read(key)
    if stored is None:
        feed_store.request_creator_licence(creator)
        stored = feed_store.read(key) if feed_store.in_process() else None
    if stored is None:
        return not_built_yet()
    return stored_response(request, stored)


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


class _StoredHosts:
    """The host list as last built, for the paginator: its count is stored, never counted."""

    def __init__(self, total: int) -> None:
        self.total = total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[feed_store.HostRow]:
        start = window.start or 0
        number = start // feed_store.HOSTS_PER_PAGE + 1
        return feed_store.hosts_page(number)[1]


@require_safe
def hosts(request: HttpRequest) -> HttpResponse:
    # Read once before paginating, so that with tasks in process a stale list is rebuilt first.
    feed_store.read(feed_store.hosts_page_key(1))
    total, _ = feed_store.hosts_page(1)
    paginator = Paginator(_StoredHosts(total), feed_store.HOSTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "registry/publish/hosts.html", {"page_obj": page})


def _canonical(host: str) -> str:
    try:
        return canonical_host(normalize_host(host))
    except InvalidIdentifier:
        return ""


def _host_file(
    request: HttpRequest,
    host: str,
    url_name: str,
    name: str,
    not_found: Callable[[str], HttpResponse],
    shard: str = "",
) -> HttpResponse:
    canonical = _canonical(host)
    if not canonical:
        return not_found(NO_SUCH_HOST)
    if canonical != host:
        # `WWW.SoundCloud.com` and `bücher.de` name the hosts stored as `soundcloud.com` and
        # `xn--bcher-kva.de`, and `m.soundcloud.com` the same pages as `soundcloud.com`: one URL
        # per host, so every spelling reaches the same file.
        args = [canonical, shard] if shard else [canonical]
        return HttpResponsePermanentRedirect(reverse(url_name, args=args))
    stored = feed_store.read(feed_store.host_key(canonical, name, shard))
    if stored is None:
        return not_found(NO_SUCH_SHARD if shard else NO_SUCH_HOST)
    return stored_response(request, stored)


def _no_restriction(sentence: str) -> HttpResponse:
    return text_not_found(
        f"{sentence} The registry states no restriction for it: a robots.txt that is not "
        "found means no restrictions."
    )


@require_safe
def host_robots(request: HttpRequest, host: str) -> HttpResponse:
    return _host_file(request, host, "host_robots", "robots.txt", _no_restriction)


@require_safe
def host_ai_txt(request: HttpRequest, host: str) -> HttpResponse:
    return _host_file(request, host, "host_ai_txt", "ai.txt", _no_restriction)


@require_safe
def host_rsl(request: HttpRequest, host: str) -> HttpResponse:
    """The RSL licence of the registered links on a host, which its robots.txt names."""
    return _host_file(request, host, "host_rsl", "rsl.xml", problem_not_found)


@require_safe
def host_tdmrep(request: HttpRequest, host: str) -> HttpResponse:
    return _host_file(request, host, "host_tdmrep", "tdmrep.json", problem_not_found)


@require_safe
def host_index(request: HttpRequest, host: str) -> HttpResponse:
    """How the host's links are split into shards, and where each shard's files are."""
    return _host_file(request, host, "host_index", "index.json", problem_not_found)


@require_safe
def host_shard_robots(request: HttpRequest, host: str, shard: str) -> HttpResponse:
    return _host_file(request, host, "host_shard_robots", "robots.txt", _no_restriction, shard)


@require_safe
def host_shard_ai_txt(request: HttpRequest, host: str, shard: str) -> HttpResponse:
    return _host_file(request, host, "host_shard_ai_txt", "ai.txt", _no_restriction, shard)


@require_safe
def host_shard_rsl(request: HttpRequest, host: str, shard: str) -> HttpResponse:
    return _host_file(request, host, "host_shard_rsl", "rsl.xml", problem_not_found, shard)


@require_safe
def host_shard_tdmrep(request: HttpRequest, host: str, shard: str) -> HttpResponse:
    return _host_file(request, host, "host_shard_tdmrep", "tdmrep.json", problem_not_found, shard)
