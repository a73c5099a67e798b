"""Create the `reviewer` group: the people who decide disputes, and nothing more.

A reviewer may view and change disputes (changing one means deciding it or asking for
information, both through the review desk's own forms, which call consent.disputes) and view
what a decision rests on: claims, creators, tracks, evidence, statements and the audit log. A
reviewer cannot add, change or delete tracks, declarations, claims or anything else directly.

Approving platforms belongs to this group too once platforms exist: the migration that adds the
Platform model must add its view and approve permissions here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "reviewer"
PERMISSIONS = [
    "view_dispute",
    "change_dispute",
    "view_disputestatement",
    "view_auditentry",
    "view_evidence",
    "view_claim",
    "view_creator",
    "view_track",
]


def forward(apps, schema_editor):
    # Permissions are normally created after every migration has run; this one needs them now.
    app_config = apps.get_app_config("consent")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="consent", codename__in=PERMISSIONS)
    )


def backward(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0004_audit_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]
