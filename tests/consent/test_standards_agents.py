"""The AI user-agent data file: complete, classified as decided, and refused when malformed."""

import json

import pytest

from consent.purposes import Purpose
from consent.standards import AgentDataError, agent_named, ai_agents, load_ai_agents

# Every token STANDARDS.md lists under "Common AI user-agent tokens".
LISTED = [
    "GPTBot",
    "OAI-SearchBot",
    "ChatGPT-User",
    "ClaudeBot",
    "Claude-SearchBot",
    "Claude-User",
    "anthropic-ai",
    "CCBot",
    "Google-Extended",
    "Applebot-Extended",
    "PerplexityBot",
    "Perplexity-User",
    "Bytespider",
    "meta-externalagent",
    "meta-externalfetcher",
    "FacebookBot",
    "Amazonbot",
    "cohere-ai",
    "Diffbot",
    "ImagesiftBot",
    "Omgilibot",
    "Timpibot",
    "YouBot",
    "DuckAssistBot",
    "MistralAI-User",
    "AI2Bot",
    "Ai2Bot-Dolma",
    "PetalBot",
    "Scrapy",
    "img2dataset",
    "Spawning-AI",
]

TRAINING = [
    "GPTBot",
    "ClaudeBot",
    "anthropic-ai",
    "CCBot",
    "Google-Extended",
    "Applebot-Extended",
    "Bytespider",
    "meta-externalagent",
    "FacebookBot",
    "Amazonbot",
    "cohere-ai",
    "Diffbot",
    "ImagesiftBot",
    "Omgilibot",
    "Timpibot",
    "AI2Bot",
    "Ai2Bot-Dolma",
    "Scrapy",
    "img2dataset",
    "Spawning-AI",
]
ANSWERING = (
    "ChatGPT-User Claude-User Perplexity-User meta-externalfetcher MistralAI-User DuckAssistBot"
)
SEARCHING = "OAI-SearchBot Claude-SearchBot PerplexityBot YouBot PetalBot"


def test_every_listed_token_is_in_the_data_file_and_nothing_else():
    assert sorted(a.token for a in ai_agents()) == sorted(LISTED)


@pytest.mark.parametrize(
    ("tokens", "purpose"),
    [
        (TRAINING, Purpose.TRAIN_GENAI),
        (ANSWERING.split(), Purpose.AI_INPUT),
        (SEARCHING.split(), Purpose.SEARCH),
    ],
)
def test_each_agent_carries_the_purpose_its_operator_states(tokens, purpose):
    for token in tokens:
        assert agent_named(token).purpose == purpose, token


def test_every_agent_has_an_operator_and_a_one_sentence_note():
    for agent in ai_agents():
        assert agent.operator.strip()
        assert agent.note.endswith(".") and agent.note.count(". ") == 0, agent.token


def test_tokens_are_found_without_regard_to_case():
    assert agent_named("gptbot").token == "GPTBot"
    assert agent_named("Googlebot") is None


def write(tmp_path, agents) -> object:
    path = tmp_path / "ai_agents.json"
    path.write_text(json.dumps({"agents": agents}), encoding="utf-8")
    return path


GOOD = {"token": "ExampleBot", "operator": "Example", "purpose": "search", "note": "Indexes."}


@pytest.mark.parametrize(
    ("agents", "message"),
    [
        ([{**GOOD, "purpose": "training"}], "purpose “training” is not a registry purpose"),
        ([GOOD, {**GOOD, "token": "examplebot"}], "listed twice"),
        ([{**GOOD, "token": "ExampleBot/1.0 (+https://x)"}], "only letters, digits"),
        ([{**GOOD, "note": ""}], "“note” must be a non-empty string"),
        ([{k: v for k, v in GOOD.items() if k != "operator"}], "exactly the keys"),
        ([], "non-empty list"),
    ],
)
def test_a_malformed_data_file_is_refused_with_a_sentence_that_says_what_to_fix(
    tmp_path, agents, message
):
    with pytest.raises(AgentDataError, match=message):
        load_ai_agents(write(tmp_path, agents))


def test_a_data_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "ai_agents.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(AgentDataError, match="cannot be read as JSON"):
        load_ai_agents(path)


def test_a_valid_file_loads_with_purposes_as_registry_purposes(tmp_path):
    (agent,) = load_ai_agents(write(tmp_path, [GOOD]))
    assert agent.token == "ExampleBot"
    assert agent.purpose is Purpose.SEARCH
