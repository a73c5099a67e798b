import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from kombu.exceptions import OperationalError

from consent.text import email_subject
from registry.staff_access import SECOND_FACTORS, needs_second_factor
from registry.tasks import send_email

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        # The registry's prefix and one line, like every other email (consent.text).
        return email_subject(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render here, send from a worker; if the broker is unreachable, send in-process.

        A verification or reset email must never be lost because the queue is down.
        """
        message = self.render_mail(template_prefix, email, context)
        html = next((c for c, mime in message.alternatives if mime == "text/html"), None)
        args = (message.subject, message.body, message.from_email, list(message.to), html)
        try:
            send_email.delay(*args)
        except OperationalError:
            logger.warning("Broker unreachable; sending %s email in-process.", template_prefix)
            send_email.apply(args=args, throw=True)


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
