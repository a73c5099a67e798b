"""The user agents robots.txt groups are written for, read from `consent/data/ai_agents.json`.

Each agent carries the list of registry purposes its operator states for it, with the address of
that statement (`source`); a path is disallowed for the agent when any one of those purposes is
reserved (docs/standards.md, "Crawlers and their purposes"). The file says when the sources were
last checked. The list lives in data, not code, so a new crawler is a one-line change reviewed on
its own.
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
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
_FIELDS = ("token", "operator", "purposes", "source", "note")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AgentDataError(ValueError):
    """The AI agent data file is malformed; the message names the entry and what to fix."""


@dataclass(frozen=True)
class AiAgent:
    token: str
    operator: str
    purposes: tuple[Purpose, ...]
    source: str
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
    checked = document.get("checked")
    if not isinstance(checked, str) or not _DATE.match(checked):
        raise AgentDataError(
            f'{path.name} must say when its sources were last checked, as "checked": "YYYY-MM-DD".'
        )
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
    for key in ("token", "operator", "source", "note"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise AgentDataError(f"{where}: “{key}” must be a non-empty string.")
    token = entry["token"]
    where = f"{filename}, agent {number} (“{token}”)"
    if not TOKEN_PATTERN.match(token):
        raise AgentDataError(
            f"{where}: a user-agent token has only letters, digits, “-” and “_”; "
            "write the product token, not the full User-Agent header."
        )
    if not entry["source"].startswith("https://") or any(ch.isspace() for ch in entry["source"]):
        raise AgentDataError(
            f"{where}: “source” must be the https address of the operator's documentation."
        )
    purposes = entry["purposes"]
    if not isinstance(purposes, list) or not purposes:
        raise AgentDataError(f"{where}: “purposes” must be a non-empty list of registry purposes.")
    known = {p.value for p in PURPOSES}
    for purpose in purposes:
        if not isinstance(purpose, str) or purpose not in known:
            raise AgentDataError(
                f"{where}: purpose “{purpose}” is not a registry purpose; use any of "
                f"{', '.join(p.value for p in PURPOSES)}."
            )
    if len(set(purposes)) != len(purposes):
        raise AgentDataError(f"{where}: “purposes” names a purpose twice; list each once.")
    ordered = tuple(p for p in PURPOSES if p.value in purposes)
    return AiAgent(token, entry["operator"], ordered, entry["source"], entry["note"])


@functools.cache
def ai_agents() -> tuple[AiAgent, ...]:
    """The validated agent list, read once per process."""
    return load_ai_agents()


@functools.cache
def agents_checked() -> str:
    """The date the data file's sources were last checked, as the file states it."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))["checked"]


def agents_for(purpose: Purpose, agents: tuple[AiAgent, ...] | None = None) -> tuple[AiAgent, ...]:
    """The agents one of whose purposes is `purpose` (a reservation of it disallows them)."""
    return tuple(a for a in (ai_agents() if agents is None else agents) if purpose in a.purposes)


def agent_named(token: str, agents: tuple[AiAgent, ...] | None = None) -> AiAgent | None:
    """The agent for a product token, compared without case as RFC 9309 §2.2.1 requires."""
    wanted = token.lower()
    for agent in ai_agents() if agents is None else agents:
        if agent.token.lower() == wanted:
            return agent
    return None
