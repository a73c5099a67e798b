"""A rule for `datadiligence` pipelines: the registry beside Spawning's own rules, in one line.

    import datadiligence as dd
    from registry_client.datadiligence import RegistryRule

    dd.get_evaluator("preprocess").add_rule(RegistryRule("train-genai"))

`RegistryRule` has the methods and signatures of datadiligence's bulk rule (`SpawningAPI`):
`is_ready()`, `is_allowed(urls=None, url=None, **kwargs)` and
`filter_allowed(urls=None, url=None, **kwargs)`; it subclasses datadiligence's `BulkRule` when
datadiligence is installed (so its evaluators accept it), and needs nothing from it otherwise.
A link is allowed when the registry answers `allow` or `unset` for the purpose (no
reservation); `deny` and `license` are reservations. `is_allowed(url=…)` alone answers one
boolean, as datadiligence's per-item rules do; with `urls` it answers a list.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from registry_client.api import ApiError, Registry
from registry_client.mirror import Mirror
from registry_client.urls import InvalidIdentifier, normalize_url

try:  # pragma: no cover - depends on what is installed
    from datadiligence.rules import BulkRule as _Base
except ImportError:  # pragma: no cover
    _Base = object  # type: ignore[assignment,misc]

PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")
ALLOWED = ("allow", "unset")


class RegistryRuleError(Exception):
    """Neither `urls` nor `url` was given."""


class RegistryRule(_Base):  # type: ignore[misc,valid-type]
    """Filter URLs by the registry's answer for one purpose.

    Answers offline from a mirror (`mirror=` a directory synced with `registry-client sync`, or
    a `Mirror`), or live from the registry (`registry=`, or `url`/`key`, or REGISTRY_URL and
    REGISTRY_API_KEY) with batches of up to `chunk_size` links, `max_concurrent_requests` at a
    time.
    """

    MAX_CHUNK_SIZE = 10_000

    def __init__(
        self,
        purpose: str = "train-genai",
        *,
        mirror: str | Path | Mirror | None = None,
        registry: Registry | None = None,
        url: str | None = None,
        key: str | None = None,
        chunk_size: int = MAX_CHUNK_SIZE,
        max_concurrent_requests: int = 3,
    ):
        super().__init__()
        if purpose not in PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}; one of {', '.join(PURPOSES)}")
        self.purpose = purpose
        self.mirror = Mirror(mirror) if isinstance(mirror, str | Path) else mirror
        self.registry = registry
        if self.mirror is None and self.registry is None:
            try:
                self.registry = Registry.from_env(url, key)
            except ValueError:
                self.registry = None
        self.chunk_size = max(1, min(chunk_size, self.MAX_CHUNK_SIZE))
        self.max_concurrent_requests = max(1, max_concurrent_requests)

    def is_ready(self) -> bool:
        """Ready with a synced mirror, or with the registry's address and a key."""
        if self.mirror is not None:
            return self.mirror.cursor is not None
        return self.registry is not None

    def values(self, urls: Sequence[str]) -> list[str]:
        """The registry's value for the purpose, per URL (`unset` for what is no link)."""
        normalized: list[str | None] = []
        for url in urls:
            try:
                normalized.append(normalize_url(url))
            except (InvalidIdentifier, TypeError, AttributeError):
                normalized.append(None)  # the registry cannot hold it: no reservation
        unique = list(dict.fromkeys(u for u in normalized if u))
        answers: dict[str, str] = {}
        if self.mirror is not None:
            index = PURPOSES.index(self.purpose)
            for link, (values, _) in self.mirror.verdicts("url", unique).items():
                answers[link] = values[index]
        elif self.registry is not None:
            chunks = [
                unique[i : i + self.chunk_size] for i in range(0, len(unique), self.chunk_size)
            ]
            registry = self.registry

            def ask(chunk: list[str]) -> list[dict]:
                return registry.batch([{"url": link} for link in chunk])["results"]

            with ThreadPoolExecutor(self.max_concurrent_requests) as pool:
                for chunk, results in zip(chunks, pool.map(ask, chunks), strict=True):
                    for link, result in zip(chunk, results, strict=True):
                        policy = result.get("policy") or {}
                        answers[link] = (policy.get(self.purpose) or {}).get("value", "unset")
        else:
            raise ApiError(0, "RegistryRule has neither a mirror nor the registry's address")
        return [answers.get(u, "unset") if u else "unset" for u in normalized]

    def is_allowed(self, urls=None, url=None, **kwargs):
        """With `urls`: a list of booleans, one per URL. With `url` alone: one boolean."""
        if urls is None:
            if url is None:
                raise RegistryRuleError("give urls=[…] or url=…")
            return self.values([url])[0] in ALLOWED
        return [value in ALLOWED for value in self.values(list(urls))]

    def filter_allowed(self, urls=None, url=None, **kwargs):
        """The URLs (of `urls`, or `url`) a model may use for the purpose, in order."""
        if urls is None:
            if url is None:
                raise RegistryRuleError("give urls=[…] or url=…")
            urls = [url]
        urls = list(urls)
        return [u for u, value in zip(urls, self.values(urls), strict=True) if value in ALLOWED]
