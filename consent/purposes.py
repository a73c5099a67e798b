"""The registry's purpose vocabulary and values (docs/architecture.md, "Purposes and values")."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Purpose(StrEnum):
    TDM = "tdm"
    TRAIN_AI = "train-ai"
    TRAIN_GENAI = "train-genai"
    AI_INPUT = "ai-input"
    SEARCH = "search"


class Value(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    LICENSE = "license"
    UNSET = "unset"


PURPOSES: tuple[Purpose, ...] = tuple(Purpose)

# Each purpose's broader purpose; resolution walks this chain.
BROADER: dict[Purpose, Purpose | None] = {
    Purpose.TDM: None,
    Purpose.TRAIN_AI: Purpose.TDM,
    Purpose.TRAIN_GENAI: Purpose.TRAIN_AI,
    Purpose.AI_INPUT: Purpose.TDM,
    Purpose.SEARCH: None,
}

# What "Opt out of all AI training" denies in one click.
AI_OPT_OUT: tuple[Purpose, ...] = (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI, Purpose.AI_INPUT)

# The training purposes: a track reserves AI training when either is reserved (the compatible
# API's `optOut`, the home page's count).
AI_TRAINING: tuple[Purpose, ...] = (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI)

# The values that reserve a use, so nobody may make it freely: `reserved(p)` of
# docs/standards.md, "Emission rules".
RESERVING: frozenset[Value] = frozenset({Value.DENY, Value.LICENSE})

# Most restrictive first: deny > license > allow > unset.
RESTRICTIVENESS: dict[Value, int] = {
    Value.UNSET: 0,
    Value.ALLOW: 1,
    Value.LICENSE: 2,
    Value.DENY: 3,
}

LABELS: dict[Purpose, str] = {
    Purpose.TDM: "Text and data mining",
    Purpose.TRAIN_AI: "Training any AI model",
    Purpose.TRAIN_GENAI: "Training generative AI",
    Purpose.AI_INPUT: "AI input (RAG, grounding)",
    Purpose.SEARCH: "Search indexing",
}

DESCRIPTIONS: dict[Purpose, str] = {
    Purpose.TDM: "Any automated analysis of your music: mining, measuring, extracting patterns.",
    Purpose.TRAIN_AI: "Using your music to train any AI model, generative or not.",
    Purpose.TRAIN_GENAI: "Using your music to train models that generate new audio or text.",
    Purpose.AI_INPUT: "Feeding your music to an AI system at answer time (RAG, grounding).",
    Purpose.SEARCH: "Indexing your music for search results that link back to the original.",
}

VALUE_LABELS: dict[Value, str] = {
    Value.ALLOW: "Allowed",
    Value.DENY: "Not allowed",
    Value.LICENSE: "Only under licence",
    Value.UNSET: "No reservation",
}


def broader_chain(purpose: Purpose) -> list[Purpose]:
    """The purpose itself followed by each broader purpose, narrowest first."""
    chain: list[Purpose] = []
    current: Purpose | None = purpose
    while current is not None:
        chain.append(current)
        current = BROADER[current]
    return chain


def most_restrictive(values: list[Value]) -> Value:
    return max(values, key=RESTRICTIVENESS.__getitem__, default=Value.UNSET)


@dataclass(frozen=True)
class PurposeChoice:
    """What a creator chooses for one purpose, with where to ask for a licence."""

    value: Value
    terms_url: str = ""
    contact_email: str = ""


LICENCE_NEEDS_TERMS = (
    "“{value}” for {purposes} needs a terms URL or a contact email, so that anyone who wants a "
    "licence knows where to ask."
)


def licence_terms_missing(choices: Mapping[Purpose, PurposeChoice]) -> str | None:
    """The refusal of licences that name neither terms nor a contact, or None when none does.

    The one wording of this rule: the website's forms, the CSV import and the domain
    (`consent.services`) all refuse with it, naming every purpose concerned.
    """
    missing = [
        purpose
        for purpose in PURPOSES
        if purpose in choices
        and choices[purpose].value == Value.LICENSE
        and not (choices[purpose].terms_url or choices[purpose].contact_email)
    ]
    if not missing:
        return None
    return LICENCE_NEEDS_TERMS.format(
        value=VALUE_LABELS[Value.LICENSE], purposes=_and(LABELS[p] for p in missing)
    )


def _and(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
