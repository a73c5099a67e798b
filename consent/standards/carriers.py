"""Which signals carry each purpose, and which crawlers are known to read it, for people.

Read from the same tables the formats are written from (`consent.standards.rules` and the agent
data file), so the pages that explain the signals cannot drift from what the registry emits.
"""

from dataclasses import dataclass

from consent.purposes import PURPOSES, Purpose
from consent.standards import rules
from consent.standards.agents import ai_agents

P = Purpose


@dataclass(frozen=True)
class Carriers:
    purpose: Purpose
    signals: tuple[str, ...]  # each a short phrase naming the signal and its key
    crawlers: tuple[str, ...]  # product tokens of crawlers that serve the purpose


def _signals(purpose: Purpose) -> tuple[str, ...]:
    signals = ["robots.txt groups for the crawlers named beside it (a denial keeps them out)"]
    keys = [key for key, p in rules.AIPREF_KEYS if p == purpose]
    if keys:
        signals.append("Content-Usage " + ", ".join(f"“{key}”" for key in keys))
    content_signals = [key for key, purposes in rules.CONTENT_SIGNALS if purpose in purposes]
    if content_signals:
        signals.append("Content-Signal " + ", ".join(f"“{key}”" for key in content_signals))
    if purpose in rules.TDM_FAMILY:
        signals.append("TDMRep tdm-reservation (with a tdm-policy offer when licence-only)")
    tokens = [token for token, purposes in rules.RSL_TOKENS if purpose in purposes]
    if purpose == P.TDM:
        tokens.append("ai-all")
    if tokens:
        signals.append("RSL usage " + ", ".join(f"“{token}”" for token in tokens))
    entries = [name for name, p in rules.CAWG_ENTRIES if p == purpose]
    if entries:
        signals.append("CAWG/C2PA " + ", ".join(f"“{name}”" for name in entries))
    if purpose == P.TRAIN_GENAI:
        signals += ["noai and noimageai (X-Robots-Tag and robots meta tag)", "ai.txt"]
    if purpose == P.AI_INPUT:
        signals.append("nosnippet, on your own site if you opt in (Google's AI Overviews)")
    return tuple(signals)


def carriers() -> list[Carriers]:
    """For each purpose, the signals that carry a choice for it and the crawlers that read it."""
    agents = ai_agents()
    return [
        Carriers(
            purpose,
            _signals(purpose),
            tuple(agent.token for agent in agents if purpose in agent.purposes),
        )
        for purpose in PURPOSES
    ]
