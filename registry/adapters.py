import logging

from allauth.account.adapter import DefaultAccountAdapter
from kombu.exceptions import OperationalError

from consent.text import email_subject
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
