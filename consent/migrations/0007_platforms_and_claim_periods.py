"""Platforms (the readers of consent) and their acknowledgements; when each claim stopped counting.

Claims that are no longer active get `ended_at` from the audit entry that ended them, or the
migration's time when none exists. Reviewers may view platforms and approve or refuse them.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

REVIEWER_PERMISSIONS = ["view_platform", "approve_platform"]


def backfill_ended_at(apps, schema_editor):
    Claim = apps.get_model("consent", "Claim")
    AuditEntry = apps.get_model("consent", "AuditEntry")
    now = django.utils.timezone.now()
    for claim in Claim.objects.exclude(status="active").filter(ended_at__isnull=True):
        entry = (
            AuditEntry.objects.filter(claim=claim, action__in=["claim-withdrawn", "claim-revoked"])
            .order_by("-created_at")
            .first()
        )
        claim.ended_at = entry.created_at if entry else now
        claim.save(update_fields=["ended_at"])


def reviewers_approve_platforms(apps, schema_editor):
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


def reviewers_forget_platforms(apps, schema_editor):
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
        ("consent", "0006_statements_evidence_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="ended_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="Platform",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "name",
                    models.CharField(max_length=200, unique=True, verbose_name="organisation"),
                ),
                ("website", models.URLField(blank=True, max_length=500)),
                ("contact_email", models.EmailField(max_length=254)),
                (
                    "intended_use",
                    models.TextField(help_text="What the platform will use the consent data for."),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for approval"),
                            ("approved", "Approved"),
                            ("refused", "Refused"),
                            ("suspended", "Suspended"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                (
                    "rate_limit_per_minute",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Requests per minute per key; empty means the default from settings.",
                        null=True,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "members",
                    models.ManyToManyField(related_name="platforms", to=settings.AUTH_USER_MODEL),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
                "permissions": [("approve_platform", "Can approve or refuse platforms")],
            },
        ),
        migrations.CreateModel(
            name="Acknowledgement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sequence", models.BigIntegerField()),
                ("acknowledged_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "platform",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="acknowledgements",
                        to="consent.platform",
                    ),
                ),
            ],
            options={
                "ordering": ["-sequence"],
                "indexes": [
                    models.Index(fields=["platform", "sequence"], name="ack_platform_sequence")
                ],
            },
        ),
        migrations.RunPython(backfill_ended_at, migrations.RunPython.noop),
        migrations.RunPython(reviewers_approve_platforms, reviewers_forget_platforms),
    ]
