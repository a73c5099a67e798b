"""Rejecting a contest and upholding the contested claim had the same effect under two names:
every former "rejected" decision becomes "upheld", naming the contested claim it kept.

Requests for information made before requests had deadlines get one, from now, so no case
waits forever."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.db.models import F
from django.utils import timezone


def merge_rejected(apps, schema_editor):
    Dispute = apps.get_model("consent", "Dispute")
    Dispute.objects.filter(outcome="rejected").update(
        outcome="upheld", upheld_claim_id=F("contested_claim_id")
    )
    Dispute.objects.filter(status="info-requested", information_deadline__isnull=True).update(
        information_deadline=timezone.now() + timedelta(days=settings.DISPUTE_INFORMATION_DAYS)
    )


class Migration(migrations.Migration):
    dependencies = [("consent", "0015_dispute_desk")]

    # Going back leaves the rows as they are: "upheld" with the kept claim is valid before too.
    operations = [migrations.RunPython(merge_rejected, migrations.RunPython.noop, elidable=False)]
