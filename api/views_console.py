"""The platform console: apply for access, then manage the platform's API keys.

Platforms are found only through the signed-in person's memberships, so another platform's
pages, and its keys, are a 404 that says nothing about whether they exist. Keys are addressed
by their public prefix (the `crk_<prefix>_` part), never by a database id. A new key's secret
is rendered once, in the response to the POST that created it: it is never put in the session,
a URL or a log, and only its keyed hash is stored.
"""

from datetime import datetime, timedelta
from functools import wraps
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.timesince import timesince
from django.views.decorators.http import require_http_methods, require_POST

from api import services
from api.forms import ApiKeyForm, PlatformApplicationForm
from api.models import ApiKey
from consent.models import Platform
from consent.platforms import apply_for_platform, last_sequence, latest_acknowledgement
from consent.services import ConsentError


def member_platform(request: HttpRequest, public_id: UUID) -> Platform:
    """The platform, if the signed-in person is one of its members; a 404 otherwise."""
    return get_object_or_404(Platform, public_id=public_id, members=request.user)


def console_login_required(view):
    """Sign-in required; the console's pages are never cached, since they list credentials."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


@require_http_methods(["GET"])
def console(request: HttpRequest) -> HttpResponse:
    """Where "For platforms" leads: the apply page, the one platform, or a list of them."""
    if not request.user.is_authenticated:
        return redirect("platform_apply")
    platforms = list(request.user.platforms.order_by("name"))
    if not platforms:
        return redirect("platform_apply")
    if len(platforms) == 1:
        return redirect("platform_detail", public_id=platforms[0].public_id)
    response = render(request, "api/console/list.html", {"platforms": platforms})
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """Anyone can read what applying means; applying itself needs an account."""
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render(request, "api/console/apply.html", {"form": None})
    form = PlatformApplicationForm(
        request.POST if request.method == "POST" else None,
        initial={"contact_email": request.user.email},
    )
    if request.method == "POST" and form.is_valid():
        try:
            platform = apply_for_platform(request.user, **form.cleaned_data)
        except ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Thank you: the application for {platform.name} is waiting for approval. "
                f"We will write to {platform.contact_email} once an administrator has reviewed it.",
            )
            return redirect("platform_detail", public_id=platform.public_id)
    return render(request, "api/console/apply.html", {"form": form})


@console_login_required
@require_http_methods(["GET"])
def platform_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    platform = member_platform(request, public_id)
    return _render_detail(request, platform, ApiKeyForm())


def _render_detail(request: HttpRequest, platform: Platform, key_form: ApiKeyForm) -> HttpResponse:
    keys = list(platform.api_keys.select_related("created_by"))
    now = timezone.now()
    for key in keys:
        key.last_used_label = last_used_label(key.last_used_at, now)
    active = [key for key in keys if key.is_active]
    context = {
        "platform": platform,
        "active_keys": active,
        "revoked_keys": [key for key in keys if not key.is_active],
        "key_form": key_form,
        "can_create_keys": platform.is_approved and len(active) < services.MAX_ACTIVE_KEYS,
        "max_active_keys": services.MAX_ACTIVE_KEYS,
        "acknowledgement": latest_acknowledgement(platform),
        "last_sequence": last_sequence(),
        "rate_limit": platform.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE,
        "contact_email": settings.CONTACT_EMAIL,
        "other_platforms": request.user.platforms.exclude(pk=platform.pk).exists(),
    }
    return render(request, "api/console/platform.html", context)


@console_login_required
@require_POST
def key_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    platform = member_platform(request, public_id)
    if not platform.is_approved:
        messages.error(request, not_approved_message(platform))
        return redirect("platform_detail", public_id=platform.public_id)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, platform, form)
    try:
        key, secret = services.create_key(
            platform,
            form.cleaned_data["name"],
            form.cleaned_data["scopes"],
            created_by=request.user,
        )
    except ConsentError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, platform, form)
    # Rendered here and nowhere else: reloading this page does not show the secret again.
    return render(
        request,
        "api/console/key_created.html",
        {"platform": platform, "key": key, "secret": secret},
    )


@console_login_required
@require_POST
def key_revoke(request: HttpRequest, public_id: UUID, prefix: str) -> HttpResponse:
    platform = member_platform(request, public_id)
    key = get_object_or_404(ApiKey, platform=platform, prefix=prefix)
    if not key.is_active:
        messages.info(request, f"The key “{key.name}” was already revoked.")
    else:
        services.revoke_key(key)
        messages.success(
            request,
            f"The key “{key.name}” ({key.display}) is revoked: requests made with it are "
            "refused from now on.",
        )
    return redirect("platform_detail", public_id=platform.public_id)


@console_login_required
@require_POST
def listing(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A member chooses whether the platform appears on the public page /platforms/."""
    platform = member_platform(request, public_id)
    listed = request.POST.get("listed") == "yes"
    if platform.listed_on_platforms_page != listed:
        platform.listed_on_platforms_page = listed
        platform.save(update_fields=["listed_on_platforms_page"])
    if listed:
        messages.success(
            request,
            f"{platform.name} is listed on the public platforms page, with how quickly it "
            "applies changes (it appears once it has acknowledged a change; the page is "
            "updated every minute).",
        )
    else:
        messages.success(
            request,
            f"{platform.name} is not listed on the public platforms page; the page counts it "
            "among the unlisted platforms, without its name.",
        )
    return redirect("platform_detail", public_id=platform.public_id)


def last_used_label(when: datetime | None, now: datetime) -> str:
    """ "Never", "Just now" or "3 hours ago": when a key was last used, at a glance."""
    if when is None:
        return "Never"
    if now - when < timedelta(minutes=1):
        return "Just now"
    return f"{timesince(when, now, depth=1)} ago"


def not_approved_message(platform: Platform) -> str:
    if platform.status == Platform.Status.PENDING:
        return (
            f"{platform.name} is waiting for approval; you can create API keys once an "
            "administrator has approved it."
        )
    return (
        f"{platform.name} is {platform.get_status_display().lower()}, so it cannot have new "
        "API keys."
    )
