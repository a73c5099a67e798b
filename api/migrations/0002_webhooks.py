import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_keys"),
        ("consent", "0007_platforms_and_claim_periods"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookEndpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("url", models.URLField(max_length=1000, verbose_name="URL")),
                ("description", models.CharField(blank=True, max_length=200)),
                (
                    "event_types",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Types of change sent; empty means every type.",
                    ),
                ),
                (
                    "filter_hosts",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Only tracks with a link on one of these hosts.",
                    ),
                ),
                (
                    "filter_creators",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Only tracks claimed by one of these creators (ids).",
                    ),
                ),
                ("enabled", models.BooleanField(default=True)),
                ("disabled_reason", models.CharField(blank=True, max_length=300)),
                ("disabled_at", models.DateTimeField(blank=True, null=True)),
                ("secret", models.CharField(editable=False, max_length=120)),
                ("previous_secret", models.CharField(blank=True, editable=False, max_length=120)),
                (
                    "previous_secret_expires_at",
                    models.DateTimeField(blank=True, editable=False, null=True),
                ),
                (
                    "cursor",
                    models.BigIntegerField(
                        default=0, help_text="The last change event acknowledged."
                    ),
                ),
                (
                    "batch_id",
                    models.CharField(
                        blank=True, help_text="webhook-id of the batch.", max_length=40
                    ),
                ),
                ("batch_first", models.BigIntegerField(blank=True, null=True)),
                ("batch_last", models.BigIntegerField(blank=True, null=True)),
                (
                    "batch_until",
                    models.BigIntegerField(
                        blank=True,
                        help_text="The cursor once the batch is acknowledged.",
                        null=True,
                    ),
                ),
                ("batch_count", models.PositiveIntegerField(default=0)),
                ("batch_body", models.TextField(blank=True, editable=False)),
                (
                    "attempts",
                    models.PositiveIntegerField(
                        default=0, help_text="Failed attempts of the batch."
                    ),
                ),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("last_success_at", models.DateTimeField(blank=True, null=True)),
                ("last_failure_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "platform",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="webhook_endpoints",
                        to="consent.platform",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook endpoint",
                "ordering": ["created_at"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("events", "Change events"), ("test", "Test event")],
                        default="events",
                        max_length=10,
                    ),
                ),
                ("webhook_id", models.CharField(max_length=40)),
                ("attempt", models.PositiveIntegerField(default=1)),
                ("first_sequence", models.BigIntegerField(blank=True, null=True)),
                ("last_sequence", models.BigIntegerField(blank=True, null=True)),
                ("event_count", models.PositiveIntegerField(default=0)),
                ("attempted_at", models.DateTimeField()),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("delivered", "Delivered"),
                            ("failed", "Failed"),
                            ("refused", "Refused (address not allowed)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("duration_ms", models.PositiveIntegerField(default=0)),
                ("error", models.CharField(blank=True, max_length=300)),
                ("response_excerpt", models.TextField(blank=True)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                (
                    "endpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="api.webhookendpoint",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-attempted_at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="webhookendpoint",
            index=models.Index(
                condition=models.Q(("enabled", True)), fields=["cursor"], name="webhook_enabled"
            ),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(fields=["endpoint", "-attempted_at"], name="webhookdelivery_log"),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(fields=["attempted_at"], name="webhookdelivery_age"),
        ),
    ]
