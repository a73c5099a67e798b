"""Who must use a second factor, and the pages they may not open without one.

Staff and reviewers decide who owns a track, and so whose choices hold: their accounts are the
registry's most valuable target. Each of them must have an authenticator app or a security key
(allauth.mfa) before the admin, the review desk or the evidence of a dispute opens for them.
Artists may add a second factor too; nobody forces them.
"""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# The group the migrations create for the review desk (consent/migrations/0005_reviewer_group.py).
REVIEWER_GROUP = "reviewer"
# Recovery codes only stand in for a lost authenticator; they are not one.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
# Where the session remembers the page that sent the user to set up a second factor.
RETURN_TO_SESSION_KEY = "registry.second_factor_return_to"
# Pages outside the admin that open only to staff: evidence files are downloaded here.
STAFF_VIEWS = frozenset({"evidence_download"})
SETUP_MESSAGE = (
    "Staff and reviewers must protect their account with a second factor before they can use "
    "the admin or the review desk. Add an authenticator app or a security key below; the "
    "desk opens as soon as one is set up."
)


def needs_second_factor(user) -> bool:
    """Staff, superusers and members of the reviewer group must have a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.groups.filter(name=REVIEWER_GROUP).exists()


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def is_staff_page(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    if "admin" in match.namespaces:
        # Logging out must stay possible for anyone.
        return match.url_name != "logout"
    return match.url_name in STAFF_VIEWS


class SecondFactorRequiredMiddleware:
    """Sends staff and reviewers without a second factor to set one up, away from staff pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not is_staff_page(request):
            return None
        user = request.user
        if not needs_second_factor(user) or has_second_factor(user):
            return None
        if request.method == "GET":
            request.session[RETURN_TO_SESSION_KEY] = request.get_full_path()
        messages.warning(request, SETUP_MESSAGE)
        return HttpResponseRedirect(reverse("mfa_index"))


def return_to(request: HttpRequest) -> str:
    """The staff page to go back to once a second factor is set up (the admin by default)."""
    return request.session.get(RETURN_TO_SESSION_KEY) or reverse("admin:index")
