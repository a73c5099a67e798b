"""What every benchmark sets to run the registry with its production settings (debug off).

With debug off the registry refuses to start without the transparency log's signing key; the
benchmarks sign their checkpoints with this one, which signs nothing anywhere else
(`python manage.py create_signing_key` makes real ones).
"""

LOG_SIGNING_KEY = (
    "PRIVATE+KEY+bench.invalid/consent-log+1608f2f0+AQSOJzGPgIZ3/dzeAlJR2EkWKEPYF9HAVHzX/Rg3ncZ8"  # noqa: E501, S105
)


def production(secret_key: str) -> dict[str, str]:
    """Debug off, the given Django secret key, and the benchmarks' log signing key."""
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secret_key,
        "LOG_SIGNING_KEY": LOG_SIGNING_KEY,
    }
