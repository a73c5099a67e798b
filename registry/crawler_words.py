"""The words the crawler panels use: which kind each crawler is, what robots.txt tells it, and
where a format with fewer switches than the registry has purposes reserves more than the choice.

Every verdict is read from `consent.standards.rules`, the functions the files are written with;
`registry.crawler_panel` puts these words beside the lines as sent.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from consent.purposes import LABELS, PURPOSES, VALUE_LABELS, Purpose, Value
from consent.standards import AiAgent, Policy, ai_agents, rules

P = Purpose

# What each kind of crawler is, from the purposes its operator states (consent/data/ai_agents.json).
SEARCH_ENGINES = "Search engines"
ANSWER_ENGINES = "AI search and answer engines"
AI_FETCHERS = "AI assistants fetching a page for a user"
AI_TRAINERS = "AI training and data-mining crawlers"
KINDS = (AI_TRAINERS, ANSWER_ENGINES, AI_FETCHERS, SEARCH_ENGINES)

AIPREF_WORDS = {
    "train-ai": "training generative AI",
    "ai-use": "AI input at answer time",
    "search": "search indexing",
}
RSL_WORDS = {
    "all": "every use",
    "ai-all": "every AI use",
    "ai-train": "AI training",
    "ai-input": "AI input",
    "ai-index": "AI retrieval indexes",
    "search": "search indexing",
}
CAWG_WORDS = {
    "allowed": "allowed",
    "notAllowed": "not allowed",
    "constrained": "only under licence",
}


def agent_kind(agent: AiAgent) -> str:
    if agent.purposes == (P.SEARCH,):
        return SEARCH_ENGINES
    if P.SEARCH in agent.purposes:
        return ANSWER_ENGINES
    if agent.purposes == (P.AI_INPUT,):
        return AI_FETCHERS
    return AI_TRAINERS


def and_list(words: Iterable[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def sentence(text: str) -> str:
    """The text as a sentence: a capital first letter (`AI` stays as it is), a full stop."""
    return text[:1].upper() + text[1:] + "."


def choice_words(policy: Policy, purpose: Purpose) -> str:
    """“Training generative AI (not allowed)”."""
    return f"{LABELS[purpose]} ({VALUE_LABELS[policy.value(purpose)].lower()})"


# --- robots.txt ---------------------------------------------------------------------------

KEPT_OUT, LICENCE_NEEDED, MAY_FETCH = "kept out", "licence", "may fetch"


def robots_verdict(policy: Policy, agent: AiAgent) -> str:
    """What robots.txt tells one crawler about a path: the rules `robots_txt` writes from."""
    if policy.is_unset:
        return MAY_FETCH
    if rules.agent_disallowed(policy, agent.purposes):
        return KEPT_OUT
    if rules.agent_licence_only(policy, agent.purposes):
        return LICENCE_NEEDED
    return MAY_FETCH


@dataclass(frozen=True)
class CrawlerKind:
    """One kind of crawler and what robots.txt tells each of them."""

    kind: str
    kept_out: tuple[str, ...]
    licence: tuple[str, ...]
    may_fetch: tuple[str, ...]

    def words(self, scope: str) -> str:
        parts = []
        if self.kept_out:
            everyone = not self.licence and not self.may_fetch
            parts.append(
                ("blocked" if everyone else "blocked for " + and_list(self.kept_out))
                + f" from {scope}"
            )
        if self.licence:
            parts.append(
                f"{'may' if not self.kept_out else and_list(self.licence) + ' may'} fetch, told "
                "the use needs a licence"
            )
        if self.may_fetch and (self.kept_out or self.licence):
            parts.append(f"{and_list(self.may_fetch)} allowed")
        elif self.may_fetch:
            parts.append("allowed")
        return "; ".join(parts)


def crawler_kinds(policy: Policy) -> list[CrawlerKind]:
    """Every crawler of the data file, by kind, with the verdict robots.txt gives it."""
    verdicts: dict[str, dict[str, list[str]]] = {kind: {} for kind in KINDS}
    for agent in ai_agents():
        verdicts[agent_kind(agent)].setdefault(robots_verdict(policy, agent), []).append(
            agent.token
        )
    return [
        CrawlerKind(
            kind,
            tuple(found.get(KEPT_OUT, ())),
            tuple(found.get(LICENCE_NEEDED, ())),
            tuple(found.get(MAY_FETCH, ())),
        )
        for kind, found in verdicts.items()
    ]


# --- Where a format says more than the choice ---------------------------------------------


@dataclass(frozen=True)
class Note:
    """One signal that says more than the choice for a purpose: which signal, and why."""

    signal: str  # the key of the panel's row: "tdmrep", "robots", "rsl"
    text: str

    def __str__(self) -> str:
        return self.text


def beyond_choice(policy: Policy) -> dict[Purpose, list[Note]]:
    """Per purpose the artist did not reserve, each signal that reserves it all the same, and why.

    The formats decide (`rules`); this only reads their answers back for purposes whose own
    value is `allow` or unset.
    """
    notes: dict[Purpose, list[Note]] = {p: [] for p in PURPOSES}
    reservation = rules.tdm_reservation(policy)
    reasons = [p for p in rules.TDM_FAMILY if policy.reserved(p)]
    usage = rules.rsl_usage(policy)
    for purpose in PURPOSES:
        if policy.value(purpose) == Value.LICENSE:
            for token, purposes in rules.RSL_TOKENS:
                if purpose in purposes and usage.get(token) == Value.DENY:
                    offer = (
                        " The TDMRep licence offer still points to the terms."
                        if rules.tdm_policy_applies(policy)
                        else ""
                    )
                    notes[purpose].append(
                        Note(
                            "rsl",
                            f"The RSL licence cannot offer it: its one “{token}” usage covers "
                            f"{and_list(LABELS[p] for p in purposes)} and takes the stricter "
                            f"choice, so it refuses it.{offer}",
                        )
                    )
        if policy.reserved(purpose):
            continue
        if purpose in rules.TDM_FAMILY and reservation == 1:
            because = and_list(choice_words(policy, p) for p in reasons)
            notes[purpose].append(
                Note(
                    "tdmrep",
                    "TDMRep still reserves it (tdm-reservation: 1): that signal has one switch "
                    f"for all text and data mining, and it is on because of {because}.",
                )
            )
        blocked: dict[tuple[Purpose, ...], list[str]] = {}
        for agent in ai_agents():
            if purpose in agent.purposes and rules.agent_disallowed(policy, agent.purposes):
                others = tuple(p for p in agent.purposes if policy.value(p) == Value.DENY)
                blocked.setdefault(others, []).append(agent.token)
        for others, tokens in blocked.items():
            notes[purpose].append(
                Note(
                    "robots",
                    f"robots.txt keeps {and_list(tokens)} out all the same, because they also "
                    f"serve {and_list(choice_words(policy, p) for p in others)}.",
                )
            )
        for token, purposes in rules.RSL_TOKENS:
            rsl_value = usage.get(token, Value.UNSET)
            if (
                purpose in purposes
                and len(purposes) > 1
                and rsl_value in (Value.DENY, Value.LICENSE)
            ):
                says = "refuses it" if rsl_value == Value.DENY else "offers it only under licence"
                notes[purpose].append(
                    Note(
                        "rsl",
                        f"The RSL licence {says}: its one “{token}” usage covers "
                        f"{and_list(LABELS[p] for p in purposes)}, and takes the stricter choice.",
                    )
                )
    return notes


def summary(policy: Policy, scope: str) -> list[tuple[str, str]]:
    """“AI training crawlers: blocked from your whole site” and so on, kind by kind."""
    lines = [
        (kind.kind, kind.words(scope))
        for kind in crawler_kinds(policy)
        if kind.kept_out or kind.licence or kind.may_fetch
    ]
    if rules.ai_txt_disallowed(policy):
        lines.append(("Dataset downloaders (ai.txt)", "told not to download the audio"))
    reservation = rules.tdm_reservation(policy)
    tdm = {1: "reserved: they must ask first", 0: "free to mine"}.get(reservation, "told nothing")
    lines.append(("Text and data mining tools (TDMRep)", tdm))
    return lines
