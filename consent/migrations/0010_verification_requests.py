"""Claimants ask for verification by review; reviewers verify, decline and restore links.

A `VerificationRequest` holds the document a claimant sends (a file, stored like dispute
evidence, or a link) and the reviewer's answer. Reviewers get what the desk needs for it: view
claims' verifications, requests, collision notices and links, verify a claim by review (or
withdraw such a verification), and restore a link a verified owner hid.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import consent.models

REVIEWER_PERMISSIONS = [
    "view_claimverification",
    "view_verificationrequest",
    "view_notice",
    "view_tracklink",
    "verify_by_review",
    "restore_tracklink",
]


def reviewers_verify(apps, schema_editor):
    app_config = apps.get_app_config("consent")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="reviewer")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="consent", codename__in=REVIEWER_PERMISSIONS
        )
    )


def reviewers_forget_verification(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="reviewer"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="consent", codename__in=REVIEWER_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0009_claim_verification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="claimverification",
            options={
                "ordering": ["started_at", "id"],
                "permissions": [
                    (
                        "verify_by_review",
                        "Can verify a claim by review, or withdraw such a verification",
                    )
                ],
            },
        ),
        migrations.AlterModelOptions(
            name="tracklink",
            options={
                "base_manager_name": "all_objects",
                "ordering": ["url"],
                "permissions": [("restore_tracklink", "Can restore a link a verified owner hid")],
            },
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("opened", "Dispute opened"),
                    ("joined", "Claim joined the dispute"),
                    ("statement", "Statement added"),
                    ("evidence", "Evidence added"),
                    ("info-requested", "Information requested"),
                    ("reopened", "Back in review"),
                    ("claim-withdrawn", "Claim withdrawn"),
                    ("closed", "Dispute closed"),
                    ("decided", "Dispute decided"),
                    ("claim-revoked", "Claim revoked"),
                    ("creator-suspended", "Creator suspended"),
                    ("claim-verified", "Claim verified"),
                    ("verification-ended", "Claim verification ended"),
                    ("link-hidden", "Link hidden by a verified owner"),
                    ("link-restored", "Hidden link restored"),
                    ("review-requested", "Verification by review requested"),
                    ("review-declined", "Verification request declined"),
                ],
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="VerificationRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "document",
                    models.CharField(
                        choices=[
                            ("distribution", "Distribution statement or distributor's dashboard"),
                            ("label-letter", "Letter from the label or publisher"),
                            ("registration", "Registration with a collecting society or PRO"),
                            ("other", "Another document"),
                        ],
                        max_length=12,
                    ),
                ),
                ("statement", models.TextField()),
                (
                    "file",
                    models.FileField(
                        blank=True, max_length=200, upload_to=consent.models.evidence_path
                    ),
                ),
                ("original_name", models.CharField(blank=True, max_length=255)),
                ("content_type", models.CharField(blank=True, max_length=100)),
                ("size", models.PositiveBigIntegerField(blank=True, null=True)),
                ("url", models.URLField(blank=True, max_length=2000)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Waiting for review"),
                            ("verified", "Verified"),
                            ("declined", "Declined"),
                        ],
                        default="open",
                        max_length=8,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_reason", models.TextField(blank=True)),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="verification_requests",
                        to="consent.claim",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "open")),
                        fields=["created_at"],
                        name="verificationrequest_queue_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "open")),
                        fields=("claim",),
                        name="verificationrequest_one_open_per_claim",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("file", ""), _negated=True),
                            models.Q(("url", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="verificationrequest_has_document",
                    ),
                ],
            },
        ),
        migrations.RunPython(reviewers_verify, reviewers_forget_verification),
    ]
