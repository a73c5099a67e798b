"""An uploaded sheet kept on the server between its preview and the artist's confirmation.

The confirmation form carries only a random token and the digest of the previewed plan; the
file itself stays here (in the shared cache, for `STAGED_SECONDS`). Applying re-plans these
bytes, never a second upload, and the plan's digest proves it is the change that was previewed.
"""

import secrets
from dataclasses import dataclass

from django.core.cache import cache

STAGED_SECONDS = 60 * 60


@dataclass(frozen=True)
class Staged:
    token: str
    creator_id: int
    data: bytes
    filename: str
    digest: str  # of the previewed plan


def _key(token: str) -> str:
    return f"import-staged:{token}"


def stage(creator_id: int, data: bytes, filename: str, digest: str) -> str:
    token = secrets.token_urlsafe(24)
    cache.set(
        _key(token),
        {
            "creator": creator_id,
            "data": data,
            "filename": filename,
            "digest": digest,
        },
        timeout=STAGED_SECONDS,
    )
    return token


def load(token: str, creator_id: int) -> Staged | None:
    """The staged file, or None when it expired, was used, or belongs to someone else."""
    if not token or len(token) > 64:
        return None
    entry = cache.get(_key(token))
    if not entry or entry["creator"] != creator_id:
        return None
    return Staged(token, creator_id, entry["data"], entry["filename"], entry["digest"])


def discard(token: str) -> None:
    cache.delete(_key(token))


# --- What an applied update did, for its result page ------------------------------------------


def keep_result(token: str, creator_id: int, result: dict) -> None:
    cache.set(f"import-result:{token}", {"creator": creator_id, **result}, STAGED_SECONDS)


def load_result(token: str, creator_id: int) -> dict | None:
    entry = cache.get(f"import-result:{token}") if token and len(token) <= 64 else None
    if not entry or entry.get("creator") != creator_id:
        return None
    return entry
