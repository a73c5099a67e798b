"""Claims become verified or not; links belong to the claim that added them.

Every existing claim starts unverified. Each link is given to its adder's claim on the track
(the active one, else the oldest); a link whose adder no longer has an active claim there is
hidden, as the rule now hides a link when its claim ends. Each stored policy gets its
verification summary. What unverified claims may no longer loosen or sell is applied by
`manage.py rebuild_policies`, run after this migration (docs/operations.md, "Upgrading"): it recomputes every
policy and writes a change event for each that changes, so platforms learn of it.
"""

import uuid

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Claim = apps.get_model("consent", "Claim")
    TrackLink = apps.get_model("consent", "TrackLink")
    EffectivePolicy = apps.get_model("consent", "EffectivePolicy")
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE consent_tracklink l SET claim_id = (
                    SELECT c.id FROM consent_claim c
                    WHERE c.track_id = l.track_id AND c.creator_id = l.added_by_id
                    ORDER BY (c.status = 'active') DESC, c.created_at, c.id LIMIT 1)
                """
            )
            cursor.execute(
                """
                UPDATE consent_tracklink l SET hidden_at = now(), hidden_reason = 'claim-ended'
                WHERE NOT EXISTS (SELECT 1 FROM consent_claim c
                    WHERE c.id = l.claim_id AND c.status = 'active')
                """
            )
            cursor.execute(
                """
                UPDATE consent_effectivepolicy p SET verification = json_build_object(
                    'status', CASE WHEN n.count = 0 THEN 'unclaimed' ELSE 'unverified' END,
                    'verified_claims', 0, 'unverified_claims', n.count)::jsonb
                FROM (SELECT t.id AS track_id, (SELECT count(*) FROM consent_claim c
                      WHERE c.track_id = t.id AND c.status = 'active') AS count
                      FROM consent_track t) n
                WHERE n.track_id = p.track_id
                """
            )
        return
    now = django.utils.timezone.now()
    for link in TrackLink.objects.all():
        claims = Claim.objects.filter(track_id=link.track_id, creator_id=link.added_by_id)
        claim = claims.filter(status="active").order_by("created_at", "id").first()
        if claim is None:
            claim = claims.order_by("created_at", "id").first()
            link.hidden_at, link.hidden_reason = now, "claim-ended"
        link.claim = claim
        link.save()
    for policy in EffectivePolicy.objects.all():
        count = Claim.objects.filter(track_id=policy.track_id, status="active").count()
        policy.verification = {
            "status": "unverified" if count else "unclaimed",
            "verified_claims": 0,
            "unverified_claims": count,
        }
        policy.save(update_fields=["verification"])


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0008_effective_policy_answer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ClaimVerification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("link", "Link proof"),
                            ("review", "Reviewer's decision with evidence"),
                            ("account", "Connected account"),
                        ],
                        max_length=8,
                    ),
                ),
                ("detail", models.CharField(blank=True, max_length=2000)),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("ended_reason", models.CharField(blank=True, max_length=300)),
            ],
            options={
                "ordering": ["started_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="Notice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("same-track", "Another creator claimed your track"),
                            ("identifier", "Another track shares an identifier with yours"),
                        ],
                        max_length=10,
                    ),
                ),
                ("identifier_kind", models.CharField(blank=True, max_length=6)),
                ("identifier", models.CharField(blank=True, max_length=2000)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("dismissed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AlterModelOptions(
            name="tracklink",
            options={"base_manager_name": "all_objects", "ordering": ["url"]},
        ),
        migrations.AlterModelManagers(
            name="tracklink",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("all_objects", django.db.models.manager.Manager()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="tracklink",
            name="tracklink_unique_per_track",
        ),
        migrations.AddField(
            model_name="effectivepolicy",
            name="verification",
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name="tracklink",
            name="claim",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="links",
                to="consent.claim",
            ),
        ),
        migrations.AddField(
            model_name="tracklink",
            name="hidden_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="tracklink",
            name="hidden_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="consent.creator",
            ),
        ),
        migrations.AddField(
            model_name="tracklink",
            name="hidden_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("claim-ended", "The claim that added it ended"),
                    ("by-owner", "Hidden by a verified owner, pending review"),
                    ("removed", "Removed by the claimant who added it"),
                ],
                max_length=12,
            ),
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
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="tracklink",
            constraint=models.UniqueConstraint(
                condition=models.Q(("hidden_at__isnull", True)),
                fields=("track", "url"),
                name="tracklink_unique_per_track",
            ),
        ),
        migrations.AddField(
            model_name="claimverification",
            name="claim",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="verifications",
                to="consent.claim",
            ),
        ),
        migrations.AddField(
            model_name="claimverification",
            name="verified_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="claim",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notices",
                to="consent.claim",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="creator",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notices",
                to="consent.creator",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="dispute",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notices",
                to="consent.dispute",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="track",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="consent.track"
            ),
        ),
        migrations.AddIndex(
            model_name="claimverification",
            index=models.Index(
                condition=models.Q(("ended_at__isnull", True)),
                fields=["claim"],
                name="verification_current",
            ),
        ),
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(
                condition=models.Q(("dismissed_at__isnull", True)),
                fields=["creator", "-created_at"],
                name="notice_open_by_creator",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
