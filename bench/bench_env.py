"""What every benchmark sets to run the registry with its production settings (debug off).

With debug off the registry refuses to start without the transparency log's signing key and the
receipts' signing key; the benchmarks sign their checkpoints and receipts with these, which sign
nothing anywhere else (`python manage.py create_signing_key [--receipt]` makes real ones).
"""

LOG_SIGNING_KEY = (
    "PRIVATE+KEY+bench.invalid/consent-log+1608f2f0+AQSOJzGPgIZ3/dzeAlJR2EkWKEPYF9HAVHzX/Rg3ncZ8"  # noqa: E501, S105
)
RECEIPT_SIGNING_KEY = (
    '{"kty":"OKP","crv":"Ed25519","d":"fx1HqxY26Lh1N-fAppw-UmlMU1_C1opwOBx4L4e1Nak",'  # noqa: S105
    '"x":"os6g-GaYdFavg5kRJkNs_xn_omkuOpT4sNiKpgs_UMQ"}'
)


def production(secret_key: str) -> dict[str, str]:
    """Debug off, the given Django secret key, and the benchmarks' signing keys."""
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secret_key,
        "LOG_SIGNING_KEY": LOG_SIGNING_KEY,
        "RECEIPT_SIGNING_KEY": RECEIPT_SIGNING_KEY,
    }
