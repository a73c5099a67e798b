"""Every public key that has signed receipts, so /.well-known/jwks.json keeps listing retired
keys after a rotation (consent.transparency.receipts)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0017_transparency_log"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReceiptKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kid", models.CharField(max_length=64, unique=True)),
                ("public_jwk", models.JSONField()),
                ("first_used_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-first_used_at", "kid"],
            },
        ),
    ]
