"""The AI user-agent data file: complete, classified as decided, and refused when malformed."""

import json
import re

import pytest

from consent.purposes import PURPOSES, Purpose
from consent.standards import (
    AgentDataError,
    agent_named,
    agents_checked,
    ai_agents,
    load_ai_agents,
)

P = Purpose
TDM_FAMILY = (P.TDM, P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT)

# Each agent and the purposes its operator's documentation states, as decided for the registry.
EXPECTED = {
    "GPTBot": (P.TRAIN_GENAI,),
    "ClaudeBot": (P.TRAIN_GENAI,),
    "anthropic-ai": (P.TRAIN_GENAI,),
    "CCBot": TDM_FAMILY,
    "Google-Extended": (P.TRAIN_GENAI, P.AI_INPUT),
    "GoogleOther": (P.TDM, P.TRAIN_AI, P.TRAIN_GENAI),
    "Applebot-Extended": (P.TRAIN_GENAI,),
    "Bytespider": (P.TRAIN_GENAI,),
    "TikTokSpider": (P.TRAIN_GENAI,),
    "meta-externalagent": (P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT),
    "FacebookBot": (P.TRAIN_AI,),
    "Amazonbot": (P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT),
    "cohere-training-data-crawler": (P.TRAIN_AI, P.TRAIN_GENAI),
    "Diffbot": (P.TDM, P.TRAIN_GENAI),
    "ImagesiftBot": (P.TRAIN_GENAI,),
    "Omgilibot": (P.TRAIN_GENAI,),
    "omgili": (P.TRAIN_GENAI,),
    "Webzio-Extended": (P.TRAIN_GENAI,),
    "Timpibot": (P.TRAIN_GENAI,),
    "AI2Bot": (P.TRAIN_GENAI,),
    "Ai2Bot-Dolma": (P.TRAIN_GENAI,),
    "PanguBot": (P.TRAIN_GENAI,),
    "DeepSeekBot": (P.TRAIN_GENAI,),
    "LAIONDownloader": (P.TRAIN_GENAI,),
    "YandexAdditional": (P.TRAIN_GENAI, P.AI_INPUT),
    "Scrapy": (P.TDM, P.TRAIN_GENAI),
    "img2dataset": (P.TRAIN_GENAI,),
    "ChatGPT-User": (P.AI_INPUT,),
    "Claude-User": (P.AI_INPUT,),
    "Claude-Web": (P.AI_INPUT,),
    "Perplexity-User": (P.AI_INPUT,),
    "meta-externalfetcher": (P.AI_INPUT,),
    "Amzn-User": (P.AI_INPUT,),
    "cohere-ai": (P.AI_INPUT,),
    "DuckAssistBot": (P.AI_INPUT,),
    "MistralAI-User": (P.AI_INPUT,),
    "OAI-SearchBot": (P.SEARCH, P.AI_INPUT),
    "Claude-SearchBot": (P.SEARCH, P.AI_INPUT),
    "PerplexityBot": (P.SEARCH, P.AI_INPUT),
    "YouBot": (P.SEARCH, P.AI_INPUT),
    "PetalBot": (P.SEARCH, P.AI_INPUT),
    "meta-webindexer": (P.SEARCH, P.AI_INPUT),
    "Amzn-SearchBot": (P.SEARCH, P.AI_INPUT),
    "Googlebot": (P.SEARCH,),
    "Bingbot": (P.SEARCH,),
    "Applebot": (P.SEARCH,),
    "DuckDuckBot": (P.SEARCH,),
}


def test_every_expected_token_is_in_the_data_file_and_nothing_else():
    assert sorted(a.token for a in ai_agents()) == sorted(EXPECTED)


def test_each_agent_carries_the_purposes_its_operator_states():
    for token, purposes in EXPECTED.items():
        assert agent_named(token).purposes == tuple(p for p in PURPOSES if p in purposes), token


def test_every_token_is_a_valid_rfc_9309_product_token():
    for agent in ai_agents():
        assert re.fullmatch(r"[A-Za-z0-9_-]+", agent.token), agent.token


def test_every_agent_cites_its_operators_documentation_and_the_file_says_when_it_was_checked():
    for agent in ai_agents():
        assert agent.source.startswith("https://"), agent.token
    assert agents_checked() == "2026-12-07"


def test_every_agent_has_an_operator_and_a_one_sentence_note():
    for agent in ai_agents():
        assert agent.operator.strip()
        assert agent.note.endswith(".") and agent.note.count(". ") == 0, agent.token


def test_tokens_are_found_without_regard_to_case():
    assert agent_named("gptbot").token == "GPTBot"
    assert agent_named("NoSuchBot") is None


def write(tmp_path, agents) -> object:
    path = tmp_path / "ai_agents.json"
    path.write_text(json.dumps({"checked": "2026-12-07", "agents": agents}), encoding="utf-8")
    return path


GOOD = {
    "token": "ExampleBot",
    "operator": "Example",
    "purposes": ["search", "ai-input"],
    "source": "https://example.com/bot",
    "note": "Indexes.",
}


@pytest.mark.parametrize(
    ("agents", "message"),
    [
        ([{**GOOD, "purposes": ["training"]}], "purpose “training” is not a registry purpose"),
        ([{**GOOD, "purposes": []}], "non-empty list of registry purposes"),
        ([{**GOOD, "purposes": ["search", "search"]}], "names a purpose twice"),
        ([{**GOOD, "source": "http://example.com"}], "https address of the operator"),
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


def test_a_data_file_that_does_not_say_when_it_was_checked_is_refused(tmp_path):
    path = tmp_path / "ai_agents.json"
    path.write_text(json.dumps({"agents": [GOOD]}), encoding="utf-8")
    with pytest.raises(AgentDataError, match="last checked"):
        load_ai_agents(path)


def test_a_valid_file_loads_with_purposes_as_registry_purposes(tmp_path):
    (agent,) = load_ai_agents(write(tmp_path, [GOOD]))
    assert agent.token == "ExampleBot"
    assert agent.purposes == (Purpose.AI_INPUT, Purpose.SEARCH)
    assert agent.source == "https://example.com/bot"
