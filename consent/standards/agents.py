"""The AI user agents robots.txt groups are written for, read from `consent/data/ai_agents.json`.

Each agent carries the registry purpose its operator states for it (STANDARDS.md, "robots.txt (RFC
9309) and AI crawlers"); a path is disallowed for the agent when that purpose is reserved. The list
lives in data, not code, so a new crawler is a one-line change reviewed on its own.
"""

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from consent.purposes import PURPOSES, Purpose

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "ai_agents.json"

# RFC 9309 §2.2.1 product tokens are letters, `-` and `_`; real AI tokens also use digits
# (AI2Bot, img2dataset), which every parser accepts.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_FIELDS = ("token", "operator", "purpose", "note")


class AgentDataError(ValueError):
    """The AI agent data file is malformed; the message names the entry and what to fix."""


@dataclass(frozen=True)
class AiAgent:
    token: str
    operator: str
    purpose: Purpose
    note: str


def load_ai_agents(path: Path = DATA_FILE) -> tuple[AiAgent, ...]:
    """Read and validate the data file; any mistake stops with a sentence saying what to fix."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AgentDataError(f"{path.name} cannot be read as JSON: {exc}.") from exc
    entries = document.get("agents") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise AgentDataError(f'{path.name} must be an object whose "agents" is a non-empty list.')
    agents: list[AiAgent] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        agent = _agent(path.name, number, entry)
        if agent.token.lower() in seen:
            raise AgentDataError(
                f"{path.name}, agent {number}: “{agent.token}” is listed twice; user-agent tokens "
                "match without regard to case, so keep one entry."
            )
        seen.add(agent.token.lower())
        agents.append(agent)
    return tuple(agents)


def _agent(filename: str, number: int, entry: object) -> AiAgent:
    where = f"{filename}, agent {number}"
    if not isinstance(entry, dict) or set(entry) != set(_FIELDS):
        raise AgentDataError(
            f"{where}: each agent is an object with exactly the keys {', '.join(_FIELDS)}."
        )
    for key in _FIELDS:
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise AgentDataError(f"{where}: “{key}” must be a non-empty string.")
    token = entry["token"]
    where = f"{filename}, agent {number} (“{token}”)"
    if not _TOKEN.match(token):
        raise AgentDataError(
            f"{where}: a user-agent token has only letters, digits, “-” and “_”; "
            "write the product token, not the full User-Agent header."
        )
    purpose = entry["purpose"]
    if purpose not in {p.value for p in PURPOSES}:
        raise AgentDataError(
            f"{where}: purpose “{purpose}” is not a registry purpose; use one of "
            f"{', '.join(p.value for p in PURPOSES)}."
        )
    return AiAgent(token, entry["operator"], Purpose(purpose), entry["note"])


@functools.cache
def ai_agents() -> tuple[AiAgent, ...]:
    """The validated agent list, read once per process."""
    return load_ai_agents()


def agents_for(purpose: Purpose, agents: tuple[AiAgent, ...] | None = None) -> tuple[AiAgent, ...]:
    return tuple(a for a in (ai_agents() if agents is None else agents) if a.purpose == purpose)


def agent_named(token: str, agents: tuple[AiAgent, ...] | None = None) -> AiAgent | None:
    """The agent for a product token, compared without case as RFC 9309 §2.2.1 requires."""
    wanted = token.lower()
    for agent in ai_agents() if agents is None else agents:
        if agent.token.lower() == wanted:
            return agent
    return None
