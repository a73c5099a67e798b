"""Client of the music consent registry, for platforms and dataset builders.

- `Registry`: the API (lookups, batches, snapshot, changes feed, acknowledgements).
- `Mirror`: a local SQLite copy of the whole registry, kept in sync with `sync()`, that answers
  every identifier as the live lookup does.
- `check_manifest()`: a dataset manifest judged per purpose, with an audit record.
- `registry_client.listen`: a webhook receiver that applies signed events to a mirror.
- `registry_client.datadiligence.RegistryRule`: a rule for `datadiligence` pipelines.
"""

from registry_client.api import ApiError, Registry
from registry_client.mirror import Mirror, sync
from registry_client.urls import InvalidIdentifier, normalize, normalize_url

PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")

__all__ = [
    "PURPOSES",
    "ApiError",
    "InvalidIdentifier",
    "Mirror",
    "Registry",
    "normalize",
    "normalize_url",
    "sync",
]
