"""Emails to the parties of a dispute, sent when the domain says a dispute changed.

`consent` sends `dispute_changed` inside the transaction that changed the dispute; the emails
are queued only once that transaction commits, so a refused or rolled-back change notifies
nobody. Statements and evidence send no email and no email quotes them: each party sees its
own on the dispute page, and only the reviewers see both sides.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from consent.mail import queue_email, render_email
from consent.models import AuditEntry, Dispute
from consent.text import email_subject
from registry.tasks import send_email

SUBJECTS = {
    AuditEntry.Action.OPENED: "A dispute was opened over “{title}”",
    AuditEntry.Action.JOINED: "Another claim joined the dispute over “{title}”",
    AuditEntry.Action.INFO_REQUESTED: "The registry needs information about “{title}”",
    AuditEntry.Action.REMINDED: "Reminder: the registry needs your answer about “{title}”",
    AuditEntry.Action.DECIDED: "The dispute over “{title}” is decided",
    AuditEntry.Action.CLOSED: "The dispute over “{title}” is closed",
}


ASKED_PARTY_ONLY = {AuditEntry.Action.INFO_REQUESTED, AuditEntry.Action.REMINDED}


def notify_parties(sender, dispute: Dispute, event: str, message: str = "", **kwargs) -> None:
    if event not in SUBJECTS:
        return
    subject = email_subject(SUBJECTS[event].format(title=dispute.track.title))
    url = settings.SITE_URL + dispute.get_absolute_url()
    recipients = dispute.parties().select_related("user")
    if event in ASKED_PARTY_ONLY:
        # A request for information is addressed to one party; the other is not asked.
        recipients = recipients.filter(pk=dispute.information_from_id)
    for creator in recipients:
        if not creator.user.email:
            continue
        body = render_email(
            "registry/disputes/email/changed.txt",
            {
                "event": event,
                "creator": creator,
                "dispute": dispute,
                "message": message,
                "url": url,
                "upheld_is_yours": dispute.upheld_claim_id is not None
                and dispute.upheld_claim.creator_id == creator.id,
                "still_claims": dispute.claims.active().filter(creator=creator).exists(),
                "terms_url": settings.SITE_URL + reverse("terms") + "#contact",
            },
        )
        args = (subject, body, settings.DEFAULT_FROM_EMAIL, [creator.user.email])
        transaction.on_commit(
            lambda args=args: queue_email(send_email, *args, what="a dispute email")
        )
