"""How the API is described in its OpenAPI schema (/api/schema/, rendered at /api/docs/).

The views build their answers directly (consent.lookup); these serializers only document the
shapes. tests/api/test_schema_answers.py calls every documented operation and validates each real
answer, strictly, against the schema of the status and media type it came with (the webhook
views' shapes in api/webhooks/views.py included), so the two cannot drift.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from consent.lookup import KINDS, PURPOSE_NAMES
from consent.models import ClaimVerification
from consent.purposes import Value

VALUES = [v.value for v in Value]


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A platform's API key: `Authorization: Bearer crk_…`.",
        }


class SpawningKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.SpawningKeyAuthentication"
    name = "spawningKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The same key as `Authorization: API crk_…`, as existing clients send.",
        }


class Problem(serializers.Serializer):
    type = serializers.CharField(help_text="Stable URI of the kind of problem; see /api/problems/.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    instance = serializers.CharField(required=False)
    field = serializers.CharField(required=False, help_text="The parameter at fault.")
    errors = serializers.ListField(child=serializers.DictField(), required=False)


class ClaimProof(serializers.Serializer):
    status = serializers.ChoiceField(
        ["verified", "unverified"],
        help_text="Whether the claim behind the value is proven. An unverified claim's `allow` "
        "never reaches an answer and the licence terms it names are withheld; its `deny` counts.",
    )
    method = serializers.ChoiceField(
        [m.value for m in ClaimVerification.Method],
        required=False,
        help_text="How the claim is proven; only when verified.",
    )


class Source(serializers.Serializer):
    level = serializers.ChoiceField(["track", "catalogue"])
    declared_for = serializers.ChoiceField(PURPOSE_NAMES, help_text="Purpose it was declared for.")
    claim = serializers.UUIDField()
    role = serializers.ChoiceField(["recording", "composition"])
    creator = serializers.UUIDField()
    declaration = serializers.IntegerField()
    declared_at = serializers.DateTimeField()
    verification = ClaimProof()


class Terms(serializers.Serializer):
    terms_url = serializers.CharField(allow_blank=True)
    contact_email = serializers.CharField(allow_blank=True)
    withheld = serializers.BooleanField(
        help_text="True when the claim named terms that stay unpublished until it is verified: "
        "the purpose is reserved, with nowhere to ask yet."
    )


class PurposeAnswer(serializers.Serializer):
    value = serializers.ChoiceField(VALUES)
    source = Source(allow_null=True, help_text="Null when unset (no reservation).")
    terms = Terms(required=False, help_text="Only for `license`: where to ask for one.")


# One entry per purpose, named as the API names purposes (`train-ai`, …).
PolicyAnswer = type(
    "Policy", (serializers.Serializer,), {purpose: PurposeAnswer() for purpose in PURPOSE_NAMES}
)


class VerificationSummary(serializers.Serializer):
    status = serializers.ChoiceField(
        ["verified", "partly-verified", "unverified", "unclaimed"],
        help_text="`verified` when every active claim on the track is proven, `unverified` when "
        "none is, `partly-verified` in between, `unclaimed` when nobody claims it.",
    )
    verified_claims = serializers.IntegerField(min_value=0)
    unverified_claims = serializers.IntegerField(min_value=0)


class TrackSummary(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    artist_credit = serializers.CharField()
    isrc = serializers.CharField(allow_null=True)
    iswc = serializers.CharField(allow_null=True)
    audio_sha256 = serializers.CharField(
        allow_null=True, help_text="SHA-256 of the audio file, when the owner gave one."
    )
    links = serializers.ListField(child=serializers.CharField())


VERIFICATION_HELP = (
    "How far the track's active claims are proven (when several tracks share the identifier, "
    "all their claims). Only verified claims can allow a use or publish licence terms."
)


class MatchedTrack(serializers.Serializer):
    track = TrackSummary()
    disputed = serializers.BooleanField()
    verification = VerificationSummary(help_text=VERIFICATION_HELP)
    policy = PolicyAnswer(help_text="This track's own policy, before combining.")
    sequence = serializers.IntegerField(help_text="The last change event of this track.")


class Answer(serializers.Serializer):
    query = serializers.DictField(help_text="The identifier as asked.")
    normalized = serializers.CharField(
        required=False,
        help_text="Only for `url`: the link as the registry normalizes it, which is what the "
        "answer matched on (`https://youtu.be/ID?t=3` → `https://youtube.com/watch?v=ID`).",
    )
    status = serializers.ChoiceField(["registered", "unregistered"])
    track = TrackSummary(allow_null=True)
    disputed = serializers.BooleanField()
    verification = VerificationSummary(
        allow_null=True, help_text=f"{VERIFICATION_HELP} Null when unregistered."
    )
    policy = PolicyAnswer(help_text=f"One entry per purpose: {', '.join(PURPOSE_NAMES)}.")
    sequence = serializers.IntegerField(
        allow_null=True, help_text="The last change event that affected the track."
    )
    matches = serializers.ListField(
        child=MatchedTrack(),
        required=False,
        help_text="When several tracks share the identifier: each of them with its own answer. "
        "The top-level policy is then the most restrictive across them (between equally "
        "restrictive values, a verified owner's), and `track` is the first of them.",
    )
    as_of = serializers.DateTimeField()


class BatchResult(Answer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(
        ["registered", "unregistered", "unrecognised", "error"],
        help_text="`unrecognised`: the item names an identifier the registry cannot read (not a "
        "link, an ISRC with a wrong check…), so it can say nothing about it; `error`: the item "
        "itself is malformed.",
    )
    error = serializers.DictField(
        required=False, help_text="Only when `status` is `error`: what is wrong with the item."
    )
    reason = serializers.CharField(
        required=False,
        help_text="Only when `status` is `unrecognised`: why the identifier cannot be read.",
    )
    as_of = None
    # An item in error carries only `index`, `query`, `status` and `error`; an unrecognised one
    # `index`, `query`, `status` and `reason`.
    track = TrackSummary(allow_null=True, required=False)
    disputed = serializers.BooleanField(required=False)
    verification = VerificationSummary(
        allow_null=True, required=False, help_text=f"{VERIFICATION_HELP} Null when unregistered."
    )
    policy = PolicyAnswer(
        required=False, help_text=f"One entry per purpose: {', '.join(PURPOSE_NAMES)}."
    )
    sequence = serializers.IntegerField(
        allow_null=True, required=False, help_text="The last change event that affected the track."
    )


class SnapshotLine(serializers.Serializer):
    """One registered track: a lookup's answer without `query`, `matches` and `as_of`."""

    status = serializers.ChoiceField(["registered"])
    track = TrackSummary()
    disputed = serializers.BooleanField()
    verification = VerificationSummary(
        help_text="How far the track's active claims are proven. Only verified claims can allow "
        "a use or publish licence terms."
    )
    policy = PolicyAnswer(help_text=f"One entry per purpose: {', '.join(PURPOSE_NAMES)}.")
    sequence = serializers.IntegerField(help_text="The last change event that affected the track.")


class BatchRequest(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        max_length=10_000,
        help_text=f"Objects with exactly one of: {', '.join(KINDS)}.",
    )
    as_of = serializers.DateTimeField(required=False)


class BatchResponse(serializers.Serializer):
    as_of = serializers.DateTimeField()
    count = serializers.IntegerField()
    errors = serializers.IntegerField(help_text="Items answered `error` or `unrecognised`.")
    results = BatchResult(many=True)


class EventTerms(serializers.Serializer):
    """Where to ask for a licence; both empty while the claim that named them is unverified."""

    terms_url = serializers.CharField(allow_blank=True)
    contact_email = serializers.CharField(allow_blank=True)


def _event_policy(name: str, required: bool) -> type[serializers.Serializer]:
    fields: dict = {
        purpose: serializers.ChoiceField(VALUES, required=required) for purpose in PURPOSE_NAMES
    }
    fields["disputed"] = serializers.BooleanField(required=required)
    fields["terms"] = serializers.DictField(
        child=EventTerms(),
        required=False,
        help_text="Per licence-only purpose: where to ask for a licence.",
    )
    fields["verification"] = VerificationSummary(
        required=False,
        help_text="How far the track's active claims are proven. Absent from events recorded "
        "before claims were verified.",
    )
    return type(name, (serializers.Serializer,), fields)


EventPolicy = _event_policy("EventPolicy", required=True)
PreviousPolicy = _event_policy("PreviousPolicy", required=False)


_LINKS_UNKNOWN = "Null on events recorded before link changes were change events."


class EventTrack(serializers.Serializer):
    """The identifiers a mirror keys on, as the snapshot's track names them."""

    id = serializers.UUIDField()
    isrc = serializers.CharField(allow_null=True)
    iswc = serializers.CharField(allow_null=True)
    audio_sha256 = serializers.CharField(allow_null=True)
    links = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The track's visible links after the change, normalized and sorted: every "
        f"URL that answers for this track from now on. {_LINKS_UNKNOWN}",
    )


class Event(serializers.Serializer):
    sequence = serializers.IntegerField()
    track = EventTrack()
    policy = EventPolicy(help_text="Each purpose's value after the change, `disputed`, `terms` "
                         "for licence-only purposes and the track's `verification`.")  # fmt: skip
    previous = PreviousPolicy(help_text="The same before the change ({} for a new track).")
    previous_links = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The track's visible links before the change ([] for a new track): a URL here "
        f"and not in `track.links` stopped answering for this track. {_LINKS_UNKNOWN}",
    )
    disputed = serializers.BooleanField()
    cause = serializers.CharField()
    created_at = serializers.DateTimeField()


class ChangesResponse(serializers.Serializer):
    events = Event(many=True)
    next_after = serializers.IntegerField(help_text="Pass as `after` to get the next page.")
    has_more = serializers.BooleanField()
    last_sequence = serializers.IntegerField()


class AckRequest(serializers.Serializer):
    sequence = serializers.IntegerField(min_value=0)


class AckState(serializers.Serializer):
    platform = serializers.CharField()
    sequence = serializers.IntegerField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    last_sequence = serializers.IntegerField()


class SpawningResult(serializers.Serializer):
    url = serializers.CharField()
    optOut = serializers.BooleanField()  # noqa: N815 (the compatible API's own field name)
    optIn = serializers.BooleanField()  # noqa: N815
    normalized = serializers.CharField(
        allow_null=True,
        help_text="The link as the registry normalizes it, which the answer matched on; null "
        "when the line is not a link the registry can read.",
    )
    status = serializers.ChoiceField(
        ["registered", "unregistered", "unrecognised"],
        help_text="Whether the link is registered; `unrecognised` when it cannot be read.",
    )
    reason = serializers.CharField(
        required=False, help_text="Only when `status` is `unrecognised`: why."
    )


def problems(*codes: int) -> dict:
    """The error answers of an operation: RFC 9457 problems, as `api.errors` sends them."""
    return {
        (code, "application/problem+json"): OpenApiResponse(Problem, description="problem+json")
        for code in codes
    }


AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    description="Answer as of this RFC 3339 instant (with offset), computed from the "
    "append-only declarations. Default: now.",
)

MIN_SEQUENCE = OpenApiParameter(
    "min_sequence",
    int,
    description="Answer with every change up to this sequence included (read-your-writes: a "
    "sequence from a webhook, the changes feed or an acknowledgement). Answered from a read "
    "replica that has reached it, else from the primary. 400 when not an integer from 0 to "
    "2^63-1, or past the latest change event.",
)

RECEIPT_HELP = (
    "A signed receipt of this answer: a compact JWS (RFC 7515) signed `EdDSA` (RFC 8037) with "
    "the key /.well-known/jwks.json lists under its `kid`, whose payload binds the request, the "
    "SHA-256 of the exact body sent and a signed checkpoint of the transparency log "
    '(docs/log.md, "Receipts"). Only when asked, on 200 answers.'
)

# Asking for a receipt, and the receipt: on every answer that can carry one.
RECEIPT = [
    OpenApiParameter(
        "receipt",
        str,
        enum=["true", "1", "false", "0"],
        description="`true` or `1`: sign a receipt of the answer, in the `Registry-Receipt` "
        "header. The body is the same bytes as without it.",
    ),
    OpenApiParameter(
        "Prefer",
        str,
        OpenApiParameter.HEADER,
        description="`receipt` (RFC 7240) asks for a receipt too; the answer then says "
        "`Preference-Applied: receipt`.",
    ),
    OpenApiParameter(
        "Registry-Receipt", str, OpenApiParameter.HEADER, description=RECEIPT_HELP, response=[200]
    ),
    OpenApiParameter(
        "Preference-Applied",
        str,
        OpenApiParameter.HEADER,
        description="`receipt` when `Prefer: receipt` was honoured.",
        response=[200],
    ),
]

consent_lookup = extend_schema(
    operation_id="consent_lookup",
    summary="What a track's owners allow",
    parameters=[
        *(
            OpenApiParameter(kind, str, description=f"Look the track up by {kind} (give one).")
            for kind in KINDS
        ),
        AS_OF,
        MIN_SEQUENCE,
        OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER),
        *RECEIPT,
    ],
    responses={200: Answer, 304: OpenApiResponse(description="Not modified")}
    | problems(400, 401, 403, 429),
)

consent_batch = extend_schema(
    operation_id="consent_batch",
    summary="Up to 10,000 lookups of mixed kinds, answered in order",
    parameters=[MIN_SEQUENCE, *RECEIPT],
    request=BatchRequest,
    responses={200: BatchResponse} | problems(400, 401, 403, 413, 415, 429),
)

changes = extend_schema(
    operation_id="changes",
    summary="Change events in sequence order",
    parameters=[
        OpenApiParameter("after", int, description="Return events after this sequence."),
        OpenApiParameter("limit", int, description="At most this many (1–10,000, default 1,000)."),
        MIN_SEQUENCE,
    ],
    responses={200: ChangesResponse} | problems(400, 401, 403, 429),
)

_SNAPSHOT_HEADERS = [
    OpenApiParameter(
        "X-Registry-Sequence",
        int,
        OpenApiParameter.HEADER,
        description="The last change event the file includes: continue with "
        "`/api/v1/changes?after=` this number.",
        response=[200, 304],
    ),
    OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        description="Strong validator of the representation sent (the gzip file, or its NDJSON).",
        response=[200, 304],
    ),
    OpenApiParameter(
        "Content-Location",
        str,
        OpenApiParameter.HEADER,
        description="This file's own address (`?sequence=N`), to resume it after a newer build.",
        response=[200, 304],
    ),
    OpenApiParameter(
        "Retry-After",
        int,
        OpenApiParameter.HEADER,
        description="Seconds to wait: a download of this platform is running (429), or the "
        "first file is being built (503).",
        response=[429, 503],
    ),
    OpenApiParameter(
        "Registry-Receipt",
        str,
        OpenApiParameter.HEADER,
        description="When asked: the file's receipt, signed once when it was built; its "
        "`response.body_sha256` is the SHA-256 of the gzip file as stored.",
        response=[200],
    ),
]

snapshot = extend_schema(
    operation_id="snapshot",
    summary="Every registered track's answer as NDJSON",
    description="The newest snapshot file: one JSON answer per line. With `Accept-Encoding: "
    "gzip` the file as stored (`Content-Encoding: gzip`), with byte ranges (`Range`, "
    "`If-Range`; a 206 with `Content-Range`) counted in the gzip bytes; otherwise the NDJSON "
    "decompressed, without ranges. "
    "The `X-Registry-Sequence` header names the last change event included: continue with "
    "`/api/v1/changes?after=` that number for an exact sync. One download at a time per "
    "platform. `receipt=true` (needs gzip) or `Prefer: receipt` adds the file's receipt.",
    parameters=[
        OpenApiParameter(
            "sequence",
            int,
            description="A kept file by its X-Registry-Sequence (its Content-Location), to "
            "resume it after a newer one was built; 404 once it is no longer kept.",
        ),
        OpenApiParameter(
            "receipt",
            str,
            enum=["true", "1", "false", "0"],
            description="`true` or `1`: the file's signed receipt in `Registry-Receipt` (with "
            "Accept-Encoding: gzip; otherwise 406).",
        ),
        OpenApiParameter(
            "Prefer",
            str,
            OpenApiParameter.HEADER,
            description="`receipt` asks for the receipt too (honoured with gzip).",
        ),
        *_SNAPSHOT_HEADERS,
    ],
    responses={
        (200, "application/x-ndjson"): OpenApiResponse(
            SnapshotLine, description="One answer per line, each of this shape."
        ),
        304: OpenApiResponse(description="If-None-Match or If-Modified-Since: unchanged."),
    }
    | problems(400, 401, 403, 404, 406, 416, 429, 503),
)

acks_get = extend_schema(
    operation_id="acks_state",
    summary="This platform's latest acknowledgement",
    responses={200: AckState} | problems(401, 403, 429),
)

acks_post = extend_schema(
    operation_id="acks_create",
    summary="Acknowledge every change up to a sequence",
    request=AckRequest,
    responses={200: AckState} | problems(400, 401, 403, 415, 429),
)

spawning = extend_schema(
    operation_id="query_urls",
    summary="Compatibility: the de-facto opt-out query API",
    description="Newline-separated URLs (at most 10,000); answers in request order. "
    "`optOut` is true when any AI-training use is reserved, `optIn` when both are allowed.",
    parameters=[MIN_SEQUENCE, *RECEIPT],
    request={"text/plain": OpenApiTypes.STR},
    responses={
        200: inline_serializer("SpawningAnswer", {"urls": SpawningResult(many=True)}),
    }
    | problems(400, 401, 403, 413, 415, 429),
)
