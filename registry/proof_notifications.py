"""Emails to an artist whose proof page lost its proof, sent when consent.proofs says so.

`proof_changed` is sent inside the transaction that recorded the check; the email is queued
only once it commits. The artist's proofs page and dashboard show the same state.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from consent.identifiers import url_host
from consent.mail import queue_email, render_email
from consent.models import ProfileProof
from consent.text import email_subject
from registry.tasks import send_email

SUBJECTS = {
    "lapsing": "Your proof on {host} is missing",
    "ended": "Your claims proven by {host} are no longer verified",
}


def notify_owner(sender, proof: ProfileProof, event: str, **kwargs) -> None:
    if event not in SUBJECTS:
        return
    user = proof.creator.user
    if not user.email:
        return
    grace_ends = (
        proof.failing_since + timedelta(days=settings.PROOF_GRACE_DAYS)
        if proof.failing_since
        else None
    )
    body = render_email(
        "registry/proofs/email/changed.txt",
        {
            "event": event,
            "creator": proof.creator,
            "proof": proof,
            "grace_ends": grace_ends,
            "url": settings.SITE_URL + reverse("proofs"),
        },
    )
    subject = email_subject(SUBJECTS[event].format(host=url_host(proof.url)))
    args = (subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    transaction.on_commit(lambda: queue_email(send_email, *args, what="a proof email"))
