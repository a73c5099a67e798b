"""The console's webhook pages: subscribe endpoints, watch their health and delivery log.

As for keys, platforms are found only through the signed-in person's memberships, and an
endpoint only within its platform: anything else is a 404. A secret is rendered once, in the
response to the POST that created or rotated it, and never put in the session or a URL.
"""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.models import WebhookEndpoint
from api.views_console import console_login_required, member_platform
from api.webhooks import services
from api.webhooks.forms import EndpointForm, ReplayForm, RotateForm
from consent.models import Platform
from consent.policies import last_sequence

LOG_ROWS = 50


def _endpoint(request: HttpRequest, public_id: UUID, endpoint_id: UUID):
    platform = member_platform(request, public_id)
    endpoint = get_object_or_404(WebhookEndpoint, platform=platform, public_id=endpoint_id)
    return platform, endpoint


def _create(platform: Platform, form: EndpointForm, user) -> tuple[WebhookEndpoint, str] | None:
    data = form.cleaned_data
    try:
        return services.create_endpoint(
            platform,
            data["url"],
            description=data["description"],
            event_types=data["event_types"],
            hosts=data["hosts"],
            creators=data["creators"],
            created_by=user,
        )
    except services.WebhookError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return None


@console_login_required
@require_http_methods(["GET", "POST"])
def endpoints(request: HttpRequest, public_id: UUID) -> HttpResponse:
    platform = member_platform(request, public_id)
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        created = _create(platform, form, request.user)
        if created:
            endpoint, secret = created
            return render(
                request,
                "api/console/webhook_secret.html",
                {"platform": platform, "endpoint": endpoint, "secret": secret, "created": True},
            )
    latest = last_sequence()
    listed = list(platform.webhook_endpoints.order_by("created_at"))
    for endpoint in listed:
        endpoint.lag = services.lag(endpoint, latest)
    return render(
        request,
        "api/console/webhooks.html",
        {
            "platform": platform,
            "endpoints": listed,
            "form": form,
            "can_create": platform.is_approved and len(listed) < services.MAX_ENDPOINTS,
            "max_endpoints": services.MAX_ENDPOINTS,
            "last_sequence": latest,
            "batch_size": settings.WEBHOOK_BATCH_SIZE,
        },
        status=400 if request.method == "POST" else 200,
    )


@console_login_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, public_id: UUID, endpoint_id: UUID) -> HttpResponse:
    """The endpoint at a glance, its delivery log, its actions; POST saves the settings."""
    platform, endpoint = _endpoint(request, public_id, endpoint_id)
    form = EndpointForm.for_endpoint(endpoint, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_endpoint(
                endpoint,
                url=data["url"],
                description=data["description"],
                event_types=data["event_types"],
                hosts=data["hosts"],
                creators=data["creators"],
            )
        except services.WebhookError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "The endpoint's settings are saved.")
            return redirect("platform_webhook_detail", platform.public_id, endpoint.public_id)
    return _render_detail(request, platform, endpoint, form=form)


def _render_detail(request, platform, endpoint, **forms) -> HttpResponse:
    latest = last_sequence()
    context = {
        "platform": platform,
        "endpoint": endpoint,
        "lag": services.lag(endpoint, latest),
        "last_sequence": latest,
        "deliveries": list(endpoint.deliveries.order_by("-attempted_at", "-id")[:LOG_ROWS]),
        "log_rows": LOG_ROWS,
        "form": forms.get("form") or EndpointForm.for_endpoint(endpoint),
        "replay_form": forms.get("replay_form") or ReplayForm(),
        "rotate_form": forms.get("rotate_form")
        or RotateForm(initial={"overlap_hours": settings.WEBHOOK_SECRET_OVERLAP_HOURS}),
        "retry_count": len(settings.WEBHOOK_RETRY_SCHEDULE),
    }
    failed = any(f.errors for f in forms.values())
    return render(
        request, "api/console/webhook_detail.html", context, status=400 if failed else 200
    )


@console_login_required
@require_POST
def endpoint_enable(request: HttpRequest, public_id: UUID, endpoint_id: UUID) -> HttpResponse:
    platform, endpoint = _endpoint(request, public_id, endpoint_id)
    services.update_endpoint(endpoint, enabled=True)
    messages.success(
        request,
        f"The endpoint is enabled: delivery resumes after change #{endpoint.cursor}, in order.",
    )
    return redirect("platform_webhook_detail", platform.public_id, endpoint.public_id)


@console_login_required
@require_POST
def endpoint_disable(request: HttpRequest, public_id: UUID, endpoint_id: UUID) -> HttpResponse:
    platform, endpoint = _endpoint(request, public_id, endpoint_id)
    services.update_endpoint(endpoint, enabled=False)
    messages.success(
        request, "The endpoint is disabled. Changes wait for it: enabling it sends them all."
    )
    return redirect("platform_webhook_detail", platform.public_id, endpoint.public_id)


@console_login_required
@require_POST
def endpoint_test(request: HttpRequest, public_id: UUID, endpoint_id: UUID) -> HttpResponse:
    platform, endpoint = _endpoint(request, public_id, endpoint_id)
    try:
        webhook_id = services.send_test_event(endpoint)
    except services.WebhookError as exc:
        messages.error(request, str(exc))
        return redirect("platform_webhook_detail", platform.public_id, endpoint.public_id)
    messages.success(
        request,
        f"A test message ({webhook_id}) is on its way; its result appears in the log below "
        "within a few seconds (reload the page).",
    )
    return redirect("platform_webhook_detail", platform.public_id, endpoint.public_id)


@console_login_required
@require_POST
def endpoint_replay(request: HttpRequest, public_id: UUID, endpoint_id: UUID) -> HttpResponse:
    platform, endpoint = _endpoint(request, public_id, endpoint_id)
    form = ReplayForm(request.POST)
    if form.is_valid():
        try:
            services.replay_from(endpoint, form.cleaned_data["from_sequence"])
        except services.WebhookError as exc:
            form.add_error("from_sequence", str(exc))
        else:
            messages.success(
                request,
                f"Every change from #{form.cleaned_data['from_sequence']} on will be sent again, "
                "in order.",
            )
            return redirect("platform_webhook_detail", platform.public_id, endpoint.public_id)
    return _render_detail(request, platform, endpoint, replay_form=form)


@console_login_required
@require_POST
def endpoint_rotate(request: HttpRequest, public_id: UUID, endpoint_id: UUID) -> HttpResponse:
    platform, endpoint = _endpoint(request, public_id, endpoint_id)
    form = RotateForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, platform, endpoint, rotate_form=form)
    rotation = services.rotate_secret(endpoint, form.cleaned_data["overlap_hours"])
    return render(
        request,
        "api/console/webhook_secret.html",
        {
            "platform": platform,
            "endpoint": endpoint,
            "secret": rotation.secret,
            "previous_expires_at": rotation.previous_secret_expires_at,
            "created": False,
        },
    )


@console_login_required
@require_POST
def endpoint_delete(request: HttpRequest, public_id: UUID, endpoint_id: UUID) -> HttpResponse:
    platform, endpoint = _endpoint(request, public_id, endpoint_id)
    services.delete_endpoint(endpoint)
    messages.success(request, f"The endpoint {endpoint.url} is deleted, with its delivery log.")
    return redirect("platform_webhooks", platform.public_id)
