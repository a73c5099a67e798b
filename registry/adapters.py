from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse

from consent.mail import email_context, on_site, queue_email
from consent.models import Creator
from consent.text import email_subject
from registry.staff_access import SECOND_FACTORS, needs_second_factor
from registry.tasks import send_email


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        # The registry's prefix and one line, like every other email (consent.text).
        return email_subject(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render here, send from a worker; if the broker is unreachable, send in-process.

        A verification or reset email must never be lost because the queue is down. Every
        account email greets the artist by artist name (never the username the registry made
        up), signs with SITE_NAME and SITE_URL, and links to SITE_URL whatever host the
        request came in on (templates/account/email/).
        """
        context = email_context(
            {
                "email": email,
                "current_site": get_current_site(None),
                "greeting_name": artist_name(context.get("user"), email),
                **context,
            }
        )
        for key, value in context.items():
            # activate_url, password_reset_url, signup_url: allauth builds them from the request.
            if key.endswith("_url") and key != "site_url" and isinstance(value, str) and value:
                context[key] = on_site(value)
        message = self.render_mail(template_prefix, email, context)
        html = next((c for c, mime in message.alternatives if mime == "text/html"), None)
        args = (message.subject, message.body, message.from_email, list(message.to), html)
        queue_email(send_email, *args, what=f"{template_prefix} email")


def artist_name(user, email: str) -> str:
    """The artist name of the account an email goes to, or "" before a profile exists."""
    creators = Creator.objects.filter(user__isnull=False)
    if user is not None and user.pk is not None:
        creators = creators.filter(user_id=user.pk)
    else:
        creators = creators.filter(
            Q(user__email__iexact=email) | Q(user__emailaddress__email__iexact=email)
        )
    return creators.values_list("artist_name", flat=True).first() or ""


class MFAAdapter(DefaultMFAAdapter):
    error_messages = DefaultMFAAdapter.error_messages | {
        "cannot_delete_authenticator": (
            "Staff and reviewers must keep a second factor, and this is your only one. Add a "
            "security key first, then turn off the authenticator app."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff and reviewers may not remove their last authenticator app or security key."""
        user = authenticator.user
        if not needs_second_factor(user):
            return True
        others = Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS)
        return others.exclude(pk=authenticator.pk).exists()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Connected accounts prove profiles (registry/connected_accounts.py); they are never a way
    to sign up or sign in, which stay email, password and the second factor."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        if sociallogin.state.get("process") == "connect":
            return
        messages.error(
            request,
            "Connected accounts prove that a profile is yours; they are not a way to sign in. "
            "Sign in with your email and password, then connect the account from “Your proofs”.",
        )
        raise ImmediateHttpResponse(redirect("account_login"))

    def get_connect_redirect_url(self, request, socialaccount) -> str:
        return reverse("proofs")
