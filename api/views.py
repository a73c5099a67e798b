"""The platforms' API: thin views that parse, ask `consent`, and answer in JSON.

Every view authenticates an API key (api.auth), checks its scope, limits per platform by cost
(fair use, api.auth), and answers errors as problem+json (api.errors). Lookups are set-based
(consent.lookup): a batch of 10,000 costs a handful of queries, not 10,000. The read endpoints
(`replica_reads`) read from a read replica when there are any, and take `min_sequence`
(api.replicas).
"""

import hashlib
from datetime import datetime

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema, snapshots
from api.auth import ApiKeyAuthentication, HeavyRequestMixin, SpawningKeyAuthentication
from api.errors import PROBLEMS, ProblemError, invalid, problem_response
from api.events import read_page as events_page
from api.parsers import JSONBodyParser, PlainTextParser
from api.receipts import ReceiptMixin, answered
from api.renderers import dumps
from api.replicas import replica_reads, replica_set
from consent import platforms
from consent.identifiers import InvalidIdentifier
from consent.lookup import (
    KINDS,
    Query,
    answer_queries,
    parse_query,
    url_policies,
)
from consent.policies import last_sequence
from consent.services import ConsentError
from consent.standards.rules import spawning_answer
from consent.times import rfc3339

CHANGES_DEFAULT_LIMIT = 1000
CHANGES_MAX_LIMIT = 10_000


def health(request):
    """200 when the database and the cache answer, 503 (with which one failed) otherwise; with
    read replicas, what each one is (`ok`, down or behind), which never makes it 503."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means unhealthy; the reason is reported
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("health-probe", "1", 5)
        checks["cache"] = "ok" if cache.get("health-probe") == "1" else "error: no read-back"
    except Exception as exc:
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = checks | {"status": "ok" if healthy else "error"}
    replicas = replica_set()
    if replicas is not None:
        # Said, not judged: a replica down or behind is skipped, and the primary answers.
        body["replicas"] = replicas.statuses()
    return JsonResponse(body, status=200 if healthy else 503)


def ping(request):
    """No database, no key: the ceiling the benchmark compares the real endpoints with."""
    return HttpResponse(b'{"pong":true}', content_type="application/json")


def ceiling(request):
    """The benchmark's ceiling (BENCH_CEILING_VIEW only): the single lookup's statement and
    answer for `isrc`, as a plain Django view with no key, no throttle and no DRF."""
    try:
        query = parse_query("isrc", request.GET.get("isrc", ""))
    except InvalidIdentifier as exc:
        return problem_response("invalid-request", str(exc))
    answer = answer_queries([query])[0]
    return HttpResponse(dumps(answer), content_type="application/json")


def problems(request, slug: str = ""):
    """What each problem `type` the API answers with means (one, or all)."""
    described = [
        {"type": f"/api/problems/{name}", "status": status, "title": title, "meaning": meaning}
        for name, (status, title, meaning) in PROBLEMS.items()
        if not slug or name == slug
    ]
    if not described:
        return not_found(request)
    return JsonResponse(described[0] if slug else {"problems": described})


@csrf_exempt  # API clients send no CSRF token: a wrong address must answer 404, not 403
def not_found(request, rest: str = ""):
    return problem_response(
        "not-found", "There is no API endpoint here; see /api/docs/.", request.get_full_path()
    )


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: under /api/ a problem+json answer, never the site's HTML page."""
    if request.path.startswith("/api/"):
        return problem_response(
            "forbidden",
            "This request was refused as a cross-site request. API requests authenticate with "
            "an API key and need no cookie; send no session cookie with them.",
            request.get_full_path(),
        )
    return django_csrf_failure(request, reason)


# --- Parsing -----------------------------------------------------------------------------------


def parse_as_of(raw) -> datetime | None:
    """An RFC 3339 instant with an offset, not in the future; None when not given."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise invalid("as_of must be an RFC 3339 date-time string.", field="as_of")
    try:
        at = parse_datetime(raw.strip().replace(" ", "+"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise invalid(
            "as_of must be an RFC 3339 date-time with a time zone, e.g. 2026-01-31T12:00:00Z.",
            field="as_of",
        )
    if at > timezone.now():
        raise invalid("as_of cannot be in the future.", field="as_of")
    return at


def check_batch_size(count: int, what: str) -> None:
    """413 for a request with more items than API_BATCH_MAX_ITEMS, saying what to do."""
    limit = settings.API_BATCH_MAX_ITEMS
    if count > limit:
        raise ProblemError(
            "too-large",
            f"At most {limit:,} {what} per request; this one has {count:,}. "
            "Split it into several requests.",
            limit=limit,
            count=count,
        )


class UnrecognisedIdentifier(InvalidIdentifier):
    """A well-formed item whose identifier the registry cannot read (answered `unrecognised`)."""


def parse_item(item) -> Query:
    if not isinstance(item, dict) or len(item) != 1:
        raise InvalidIdentifier(
            f"Each item is an object with exactly one of: {', '.join(KINDS)}, "
            'e.g. {"isrc": "USRC17607839"}.'
        )
    ((kind, value),) = item.items()
    if kind not in KINDS or not isinstance(value, str):
        return parse_query(kind, value)  # raises, saying what is wrong with the item
    try:
        return parse_query(kind, value)
    except InvalidIdentifier as exc:
        raise UnrecognisedIdentifier(str(exc)) from exc


def with_normalized(answer: dict, query: Query) -> dict:
    """A URL answer names the link it matched on, as the registry normalizes links."""
    return answer | {"normalized": query.value} if query.kind == "url" else answer


# --- Lookups -----------------------------------------------------------------------------------


class ConsentView(ReceiptMixin, APIView):
    """GET /api/v1/consent?isrc=… (or iswc, url, sha256, track) [&as_of=…] [&receipt=true]
    [&min_sequence=…]."""

    def request_cost(self, request) -> int:
        """1 unit; an answer as of a past instant is recomputed from declarations."""
        return settings.API_AS_OF_WEIGHT if request.query_params.get("as_of") else 1

    @schema.consent_lookup
    @replica_reads
    def get(self, request):
        params = request.query_params
        given = [kind for kind in KINDS if kind in params]
        if len(given) != 1:
            raise invalid(
                f"Give exactly one identifier: {', '.join(KINDS)}.",
                errors=[{"field": kind, "detail": "given with another"} for kind in given],
            )
        kind = given[0]
        try:
            query = parse_query(kind, params[kind])
        except InvalidIdentifier as exc:
            raise invalid(str(exc), errors=[{"field": kind, "detail": str(exc)}]) from exc
        at = parse_as_of(params.get("as_of"))
        state = [] if request.receipt_asked else None  # the log's state, read with the answer
        answer = answer_queries([query], at, state)[0]
        body = {"query": {kind: params[kind]}} | with_normalized(answer, query)
        # The ETag covers the answer, not the moment it was asked; `as_of` is spliced into the
        # encoded answer rather than encoding it twice.
        encoded = dumps(body)
        etag = '"' + hashlib.sha256(encoded + str(at).encode()).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
        if etag in _etags(request.headers.get("If-None-Match", "")):
            return Response(status=304, headers=headers)
        answered_at = timezone.now()
        as_of = dumps(rfc3339(at or answered_at))
        response = HttpResponse(encoded[:-1] + b',"as_of":' + as_of + b"}", headers=headers)
        response["Content-Type"] = "application/json"
        # Only an answer by track id names everything it rests on; any other identifier's answer
        # also rests on which tracks do not hold it, which no sequence vouches for.
        return answered(
            response, answered_at, at, [answer] if kind == "track" else None, state=state
        )


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


class ConsentBatchView(HeavyRequestMixin, ReceiptMixin, APIView):
    """POST /api/v1/consent/batch {"items": [{"isrc": …}, {"url": …}, …], "as_of": …}."""

    parser_classes = [JSONBodyParser]

    def request_cost(self, request) -> int:
        """One unit per item, API_AS_OF_WEIGHT per item as of a past instant; a body that is
        not a batch costs 1 (it is refused as invalid)."""
        data = request.data
        items = data.get("items") if isinstance(data, dict) else None
        count = len(items) if isinstance(items, list) else 1
        as_of = data.get("as_of") if isinstance(data, dict) else None
        if as_of or request.query_params.get("as_of"):
            return count * settings.API_AS_OF_WEIGHT
        return count

    def is_heavy(self, request, cost: int) -> bool:
        return cost > settings.API_HEAVY_BATCH_ITEMS

    @schema.consent_batch
    @replica_reads
    def post(self, request):
        data = request.data
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise invalid('The body must be a JSON object with a list "items".', field="items")
        items = data["items"]
        check_batch_size(len(items), "items")
        at = parse_as_of(data.get("as_of", request.query_params.get("as_of")))
        queries: list[Query | None] = []
        errors: dict[int, str] = {}
        unrecognised: dict[int, str] = {}
        for index, item in enumerate(items):
            try:
                queries.append(parse_item(item))
            except UnrecognisedIdentifier as exc:
                queries.append(None)
                unrecognised[index] = str(exc)
            except InvalidIdentifier as exc:
                queries.append(None)
                errors[index] = str(exc)
        state = [] if request.receipt_asked else None  # the log's state, read with the answers
        answers = iter(answer_queries([q for q in queries if q is not None], at, state))
        results = []
        for index, (item, query) in enumerate(zip(items, queries, strict=True)):
            if index in unrecognised:
                results.append(
                    {
                        "index": index,
                        "query": item,
                        "status": "unrecognised",
                        "reason": unrecognised[index],
                    }
                )
            elif query is None:
                results.append(
                    {
                        "index": index,
                        "query": item,
                        "status": "error",
                        "error": {"type": "/api/problems/invalid-request", "detail": errors[index]},
                    }
                )
            else:
                answer = with_normalized(next(answers), query)
                results.append({"index": index, "query": item} | answer)
        answered_at = timezone.now()
        response = Response(
            {
                "as_of": rfc3339(at or answered_at),
                "count": len(results),
                "errors": len(errors) + len(unrecognised),
                "results": results,
            }
        )
        by_track = all(query.kind == "track" for query in queries if query is not None)
        return answered(response, answered_at, at, results if by_track else None, state=state)


# --- The change log, snapshots and acknowledgements --------------------------------------------


BIGINT_MAX = 2**63 - 1  # sequences are PostgreSQL bigints


def _int_param(params, name: str, default: int, minimum: int, maximum: int = BIGINT_MAX) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer.", field=name) from None
    if not minimum <= value <= maximum:
        raise invalid(f"{name} must be between {minimum:,} and {maximum:,}.", field=name)
    return value


class ChangesView(APIView):
    """GET /api/v1/changes?after=N&limit=L: change events in sequence order.

    Numbers are handed out under a lock held to commit, so commit order is sequence order and a
    client paging with `after` can never skip an event that commits late.
    """

    @schema.changes
    @replica_reads(cursor="after")
    def get(self, request):
        after = _int_param(request.query_params, "after", 0, 0)
        limit = _int_param(
            request.query_params, "limit", CHANGES_DEFAULT_LIMIT, 1, CHANGES_MAX_LIMIT
        )
        latest = last_sequence()
        if after > latest:
            # Echoing a cursor past the head would make a client that stores it skip every event
            # numbered up to it.
            raise invalid(
                f"after={after:,} is past the latest change event ({latest:,}); page from a "
                "sequence this API has given you (next_after, last_sequence or a snapshot's "
                "X-Registry-Sequence).",
                field="after",
            )
        rows = events_page(after, limit + 1)
        has_more = len(rows) > limit
        rows = rows[:limit]
        events = [orjson.Fragment(event) for _, event in rows]
        return Response(
            {
                "events": events,
                "next_after": rows[-1][0] if rows else after,
                "has_more": has_more,
                "last_sequence": max(latest, rows[-1][0] if rows else 0),
            }
        )


class SnapshotView(HeavyRequestMixin, APIView):
    """GET /api/v1/snapshot: the newest snapshot file (NDJSON of every registered track,
    consistent with one sequence), served as a file copy by api.snapshots."""

    def request_cost(self, request) -> int:
        """A download costs API_SNAPSHOT_COST. Its headers alone (HEAD) and a revalidation
        (If-None-Match, If-Modified-Since: a 304 while the file is current) cost 1; a
        revalidation that turns into a download is still one at a time per platform."""
        if request.method != "GET" or self._revalidates(request):
            return 1
        return settings.API_SNAPSHOT_COST

    def is_heavy(self, request, cost: int) -> bool:
        return request.method == "GET" and not self._revalidates(request)

    @staticmethod
    def _revalidates(request) -> bool:
        return "If-None-Match" in request.headers or "If-Modified-Since" in request.headers

    # No `replica_reads`: the answer is a file built from the primary in the background
    # (consent.snapshot_files), whatever database a request would read.
    @schema.snapshot
    def get(self, request):
        return snapshots.serve(request)


class AcknowledgementView(APIView):
    """POST /api/v1/acks {"sequence": N}: this platform has applied every change up to N."""

    parser_classes = [JSONBodyParser]

    @schema.acks_get
    def get(self, request):
        return Response(_ack_state(request.user.platform))

    @schema.acks_post
    def post(self, request):
        data = request.data
        sequence = data.get("sequence") if isinstance(data, dict) else None
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
            raise invalid('The body must be {"sequence": N} with N ≥ 0.', field="sequence")
        platform = request.user.platform
        try:
            platforms.acknowledge(platform, sequence)
        except ConsentError as exc:
            raise invalid(str(exc), field="sequence") from exc
        return Response(_ack_state(platform))


def _ack_state(platform) -> dict:
    ack = platforms.latest_acknowledgement(platform)
    return {
        "platform": platform.name,
        "sequence": ack.sequence if ack else None,
        "acknowledged_at": ack.acknowledged_at if ack else None,
        "last_sequence": last_sequence(),
    }


# --- Compatibility with the de-facto opt-out query API -----------------------------------------


class SpawningQueryView(HeavyRequestMixin, ReceiptMixin, APIView):
    """POST /api/v2/query/urls/: newline-separated URLs in, `{"urls": [...]}` out, in order."""

    parser_classes = [PlainTextParser]
    authentication_classes = [SpawningKeyAuthentication, ApiKeyAuthentication]

    def request_cost(self, request) -> int:
        """One unit per URL."""
        text = request.data if isinstance(request.data, str) else ""
        return sum(1 for line in text.splitlines() if line.strip())

    def is_heavy(self, request, cost: int) -> bool:
        return cost > settings.API_HEAVY_BATCH_ITEMS

    @schema.spawning
    @replica_reads
    def post(self, request):
        text = request.data if isinstance(request.data, str) else ""
        urls = [line.strip() for line in text.splitlines() if line.strip()]
        check_batch_size(len(urls), "URLs")
        normalized: list[str | None] = []
        reasons: dict[int, str] = {}
        for index, url in enumerate(urls):
            try:
                normalized.append(parse_query("url", url).value)
            except InvalidIdentifier as exc:
                normalized.append(None)  # never registered: no reservation
                reasons[index] = str(exc)
        found: set[str] = set()
        policies = url_policies(normalized, found)
        results = []
        for index, (url, link, policy) in enumerate(zip(urls, normalized, policies, strict=True)):
            # Beside the compatible fields: the link as matched, and whether it is registered.
            result = spawning_answer(url, policy) | {"normalized": link}
            if link is None:
                result |= {"status": "unrecognised", "reason": reasons[index]}
            else:
                result["status"] = "registered" if link in found else "unregistered"
            results.append(result)
        return answered(Response({"urls": results}), timezone.now())


class SpawningQueryWithoutSlashView(SpawningQueryView):
    """The compatible endpoint at `/api/v2/query/urls`, as some existing clients call it; the
    schema documents it once, with the slash."""

    schema = None
