"""Pages and profiles a creator proves are theirs (consent.proofs): a proven one verifies their
claims on the links it covers. Nothing exists yet, so nothing is converted."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0010_verification_requests"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProfileProof",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("url", models.CharField(max_length=2000)),
                (
                    "method",
                    models.CharField(
                        choices=[("link", "Link proof"), ("account", "Connected account")],
                        default="link",
                        max_length=8,
                    ),
                ),
                ("provider", models.CharField(blank=True, max_length=30)),
                ("account_uid", models.CharField(blank=True, max_length=255)),
                ("token", models.CharField(max_length=40, unique=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Not checked yet"),
                            ("proven", "Proven"),
                            ("lapsing", "Proof missing"),
                            ("failed", "Not proven"),
                        ],
                        default="pending",
                        max_length=8,
                    ),
                ),
                (
                    "found_by",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("text", "the code in the page's text"),
                            ("meta", "the code in a <meta> tag"),
                            ("well-known", "the code in /.well-known/consent-registry.txt"),
                            ("rel-me", 'a rel="me" link to your page on this registry'),
                            ("account", "a connected account"),
                        ],
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("checked_at", models.DateTimeField(blank=True, null=True)),
                ("proven_at", models.DateTimeField(blank=True, null=True)),
                ("failing_since", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                (
                    "creator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="proofs",
                        to="consent.creator",
                    ),
                ),
            ],
            options={
                "ordering": ["url"],
                "indexes": [
                    models.Index(
                        condition=models.Q(
                            ("method", "link"), ("status__in", ["proven", "lapsing"])
                        ),
                        fields=["checked_at"],
                        name="profileproof_recheck",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("creator", "url"), name="profileproof_unique_url"
                    )
                ],
            },
        ),
    ]
