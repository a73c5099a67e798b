"""What guards the signed-in artist's pages, for every module that serves them.

Every page but the profile needs a Creator; `creator_required` sends a signed-in person without
one to the profile page first, with `next` set so `safe_next` brings them back.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from consent.models import Creator


class CreatorRequest(HttpRequest):
    """A request from a signed-in person who has an artist profile."""

    creator: Creator


View = Callable[..., HttpResponse]


def creator_required(view: View) -> View:
    """Sign-in required, and an artist profile: without one, the profile page comes first."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        creator = Creator.objects.filter(user=request.user).first()
        if creator is None:
            messages.info(
                request,
                "Before you register music or declare choices, tell us the artist name and "
                "public handle you register under.",
            )
            url = reverse("profile")
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        request.creator = creator
        return view(request, *args, **kwargs)

    return wrapper


def safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None
