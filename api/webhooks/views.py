"""/api/v1/webhooks/: a platform's webhook endpoints, with keys that have the `webhooks` scope.

Endpoints are addressed by their public id and looked up within the key's platform only, so
another platform's endpoint is a 404 that says nothing about whether it exists. The secret is in
the answer to the creation and to a rotation, and nowhere else.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import invalid
from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from api.parsers import JSONBodyParser
from api.schema import problems as _problems
from api.webhooks import batches, services
from consent.policies import last_sequence

DELIVERIES_DEFAULT = 50
DELIVERIES_MAX = 200


# --- Shapes ---------------------------------------------------------------------------------


class FilterShape(serializers.Serializer):
    hosts = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Only tracks with a link on one of these hosts (or their subdomains).",
    )
    creators = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Only tracks claimed by one of these creators: creator ids or handles "
        "(answered as ids).",
    )


class EndpointInput(serializers.Serializer):
    url = serializers.CharField(
        max_length=services.MAX_URL_LENGTH,
        help_text="Where the POSTs go; https, on a public address.",
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=services.MAX_DESCRIPTION_LENGTH
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(batches.EVENT_TYPES),
        required=False,
        help_text="Send only events of these types; empty or absent: every type.",
    )
    filter = FilterShape(required=False, help_text="Each filter given must match (and).")
    enabled = serializers.BooleanField(
        required=False,
        help_text="Enabling a disabled endpoint resumes delivery from its cursor.",
    )


class PendingBatch(serializers.Serializer):
    webhook_id = serializers.CharField()
    first_sequence = serializers.IntegerField()
    last_sequence = serializers.IntegerField()
    events = serializers.IntegerField()
    attempts = serializers.IntegerField(help_text="Failed attempts so far.")
    next_attempt_at = serializers.DateTimeField(allow_null=True)


class EndpointShape(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    filter = FilterShape()
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    health = serializers.ChoiceField(["new", "healthy", "failing", "disabled"])
    cursor = serializers.IntegerField(help_text="The last change event acknowledged (2xx).")
    lag = serializers.IntegerField(help_text="Change events after the cursor.")
    pending_batch = PendingBatch(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_failure_at = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then, messages are signed with both secrets."
    )
    created_at = serializers.DateTimeField()


class CreatedEndpointShape(EndpointShape):
    secret = serializers.CharField(help_text="`whsec_…`: shown in this answer only.")


class RotateInput(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=services.MAX_OVERLAP_HOURS,
        help_text="How long the old secret keeps signing beside the new one (default "
        f"{settings.WEBHOOK_SECRET_OVERLAP_HOURS} h).",
    )


class RotateShape(serializers.Serializer):
    secret = serializers.CharField(help_text="The new `whsec_…` secret: shown once.")
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)


class ReplayInput(serializers.Serializer):
    from_sequence = serializers.IntegerField(min_value=1, help_text="First change to resend.")


class TestShape(serializers.Serializer):
    webhook_id = serializers.CharField(help_text="The test message's id, to find in the log.")


class DeliveryShape(serializers.Serializer):
    webhook_id = serializers.CharField()
    kind = serializers.ChoiceField(WebhookDelivery.Kind.values)
    attempt = serializers.IntegerField()
    attempted_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(WebhookDelivery.Outcome.values)
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    first_sequence = serializers.IntegerField(allow_null=True)
    last_sequence = serializers.IntegerField(allow_null=True)
    events = serializers.IntegerField()
    error = serializers.CharField()
    response_excerpt = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)


class DeliveriesShape(serializers.Serializer):
    deliveries = DeliveryShape(many=True)
    next_before = serializers.DateTimeField(
        allow_null=True, help_text="Pass as `before` for older attempts; null at the end."
    )


# --- Representations --------------------------------------------------------------------------


def endpoint_data(endpoint: WebhookEndpoint, latest: int) -> dict:
    return {
        "id": str(endpoint.public_id),
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "filter": {"hosts": endpoint.filter_hosts, "creators": endpoint.filter_creators},
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason or None,
        "disabled_at": endpoint.disabled_at,
        "health": endpoint.health,
        "cursor": endpoint.cursor,
        "lag": services.lag(endpoint, latest),
        "pending_batch": {
            "webhook_id": endpoint.batch_id,
            "first_sequence": endpoint.batch_first,
            "last_sequence": endpoint.batch_last,
            "events": endpoint.batch_count,
            "attempts": endpoint.attempts,
            "next_attempt_at": endpoint.next_attempt_at,
        }
        if endpoint.has_batch
        else None,
        "last_success_at": endpoint.last_success_at,
        "last_failure_at": endpoint.last_failure_at,
        "previous_secret_expires_at": endpoint.previous_secret_expires_at
        if endpoint.previous_secret
        else None,
        "created_at": endpoint.created_at,
    }


def delivery_data(row: WebhookDelivery) -> dict:
    return {
        "webhook_id": row.webhook_id,
        "kind": row.kind,
        "attempt": row.attempt,
        "attempted_at": row.attempted_at,
        "outcome": row.outcome,
        "status_code": row.status_code,
        "duration_ms": row.duration_ms,
        "first_sequence": row.first_sequence,
        "last_sequence": row.last_sequence,
        "events": row.event_count,
        "error": row.error,
        "response_excerpt": row.response_excerpt,
        "next_attempt_at": row.next_attempt_at,
    }


def _valid(serializer_class, data, partial: bool = False) -> dict:
    if not isinstance(data, dict):
        raise invalid("The body must be a JSON object.")
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _invalid(exc: services.WebhookError):
    extra = {"errors": [{"field": exc.field, "detail": str(exc)}]} if exc.field else {}
    return invalid(str(exc), **extra)


class WebhookView(APIView):
    required_scope = ApiKey.Scope.WEBHOOKS
    parser_classes = [JSONBodyParser]

    def endpoint(self, request, endpoint_id) -> WebhookEndpoint:
        return get_object_or_404(
            WebhookEndpoint, public_id=endpoint_id, platform=request.user.platform
        )


# --- Views ------------------------------------------------------------------------------------


class WebhookListView(WebhookView):
    """GET lists the platform's endpoints; POST creates one and answers its secret, once."""

    @extend_schema(
        operation_id="webhooks_list",
        summary="The platform's webhook endpoints",
        responses={200: EndpointShape(many=True)} | _problems(401, 403, 429),
    )
    def get(self, request):
        latest = last_sequence()
        endpoints = request.user.platform.webhook_endpoints.order_by("created_at")
        return Response([endpoint_data(e, latest) for e in endpoints])

    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe an endpoint (its secret is in this answer only)",
        description="The endpoint receives every change from the registry's latest one on, "
        "as signed Standard Webhooks POSTs of up to "
        f"{settings.WEBHOOK_BATCH_SIZE} events, in sequence order.",
        request=EndpointInput,
        responses={201: CreatedEndpointShape} | _problems(400, 401, 403, 415, 429),
    )
    def post(self, request):
        data = _valid(EndpointInput, request.data)
        rules = data.get("filter", {})
        try:
            endpoint, secret = services.create_endpoint(
                request.user.platform,
                data["url"],
                description=data.get("description", ""),
                event_types=data.get("event_types"),
                hosts=rules.get("hosts"),
                creators=rules.get("creators"),
                enabled=data.get("enabled", True),
            )
        except services.WebhookError as exc:
            raise _invalid(exc) from exc
        body = endpoint_data(endpoint, last_sequence()) | {"secret": secret}
        headers = {
            "Location": f"/api/v1/webhooks/{endpoint.public_id}/",
            "Cache-Control": "no-store",
        }
        return Response(body, status=201, headers=headers)


class WebhookDetailView(WebhookView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        summary="One endpoint, with its health and cursor",
        responses={200: EndpointShape} | _problems(401, 403, 404, 429),
    )
    def get(self, request, endpoint_id):
        return Response(endpoint_data(self.endpoint(request, endpoint_id), last_sequence()))

    @extend_schema(
        operation_id="webhooks_update",
        summary="Change an endpoint; `enabled: true` resumes from its cursor",
        request=EndpointInput(partial=True),
        responses={200: EndpointShape} | _problems(400, 401, 403, 404, 415, 429),
    )
    def patch(self, request, endpoint_id):
        endpoint = self.endpoint(request, endpoint_id)
        data = _valid(EndpointInput, request.data, partial=True)
        rules = data.get("filter", {})
        try:
            endpoint = services.update_endpoint(
                endpoint,
                url=data.get("url"),
                description=data.get("description"),
                event_types=data.get("event_types"),
                hosts=rules.get("hosts"),
                creators=rules.get("creators"),
                enabled=data.get("enabled"),
            )
        except services.WebhookError as exc:
            raise _invalid(exc) from exc
        return Response(endpoint_data(endpoint, last_sequence()))

    @extend_schema(
        operation_id="webhooks_delete",
        summary="Delete an endpoint and its delivery log",
        responses={204: None} | _problems(401, 403, 404, 429),
    )
    def delete(self, request, endpoint_id):
        services.delete_endpoint(self.endpoint(request, endpoint_id))
        return Response(status=204)


class WebhookRotateView(WebhookView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        summary="A new secret; the old one keeps signing during the overlap",
        request=RotateInput,
        responses={200: RotateShape} | _problems(400, 401, 403, 404, 415, 429),
    )
    def post(self, request, endpoint_id):
        endpoint = self.endpoint(request, endpoint_id)
        data = _valid(RotateInput, request.data or {})
        try:
            rotation = services.rotate_secret(endpoint, data.get("overlap_hours"))
        except services.WebhookError as exc:
            raise _invalid(exc) from exc
        return Response(
            {
                "secret": rotation.secret,
                "previous_secret_expires_at": rotation.previous_secret_expires_at,
            },
            headers={"Cache-Control": "no-store"},
        )


class WebhookTestView(WebhookView):
    @extend_schema(
        operation_id="webhooks_send_test",
        summary="Send a `webhook.test` message now (it moves no cursor)",
        request=None,
        responses={202: TestShape} | _problems(401, 403, 404, 429),
    )
    def post(self, request, endpoint_id):
        webhook_id = services.send_test_event(self.endpoint(request, endpoint_id))
        return Response({"webhook_id": webhook_id}, status=202)


class WebhookReplayView(WebhookView):
    @extend_schema(
        operation_id="webhooks_replay",
        summary="Send every change again from a sequence on",
        description="Moves the endpoint's cursor back to `from_sequence - 1`; the changes are "
        "sent again in new batches, with new webhook-ids (de-duplicate by event `sequence`).",
        request=ReplayInput,
        responses={202: EndpointShape} | _problems(400, 401, 403, 404, 415, 429),
    )
    def post(self, request, endpoint_id):
        endpoint = self.endpoint(request, endpoint_id)
        data = _valid(ReplayInput, request.data)
        try:
            endpoint = services.replay_from(endpoint, data["from_sequence"])
        except services.WebhookError as exc:
            raise _invalid(exc) from exc
        return Response(endpoint_data(endpoint, last_sequence()), status=202)


class WebhookDeliveriesView(WebhookView):
    @extend_schema(
        operation_id="webhooks_deliveries",
        summary="The endpoint's delivery log, latest attempt first",
        parameters=[
            OpenApiParameter(
                "limit",
                int,
                description=f"At most this many (1–{DELIVERIES_MAX}, default "
                f"{DELIVERIES_DEFAULT}).",
            ),
            OpenApiParameter("before", str, description="Only attempts before this instant."),
        ],
        responses={200: DeliveriesShape} | _problems(400, 401, 403, 404, 429),
    )
    def get(self, request, endpoint_id):
        endpoint = self.endpoint(request, endpoint_id)
        params = request.query_params
        try:
            limit = int(params.get("limit") or DELIVERIES_DEFAULT)
        except ValueError:
            limit = 0
        if not 1 <= limit <= DELIVERIES_MAX:
            raise invalid(f"limit must be between 1 and {DELIVERIES_MAX}.", field="limit")
        rows = endpoint.deliveries.order_by("-attempted_at", "-id")
        if params.get("before"):
            try:
                before = parse_datetime(params["before"].replace(" ", "+"))
            except ValueError:  # well-formed but impossible, e.g. month 13
                before = None
            if before is None or before.tzinfo is None:
                raise invalid(
                    "before must be an RFC 3339 date-time with a time zone.", field="before"
                )
            rows = rows.filter(attempted_at__lt=before)
        page = list(rows[: limit + 1])
        more = len(page) > limit
        page = page[:limit]
        return Response(
            {
                "deliveries": [delivery_data(row) for row in page],
                "next_before": page[-1].attempted_at if more else None,
            }
        )
