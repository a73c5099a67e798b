"""Every one of the 4^5 = 1,024 policies, through TDMRep and robots.txt as crawlers read them."""

import itertools
import json

import pytest
from protego import Protego

from consent.purposes import PURPOSES, Purpose, Value
from consent.standards import (
    TDM_FAMILY,
    PathPolicy,
    Policy,
    agents_for,
    ai_agents,
    head_tags,
    response_headers,
    robots_txt,
    tdmrep_json,
)

VALUES = (Value.ALLOW, Value.DENY, Value.LICENSE, Value.UNSET)
EVERY_POLICY = [
    Policy(dict(zip(PURPOSES, values, strict=True)))
    for values in itertools.product(VALUES, repeat=len(PURPOSES))
]
HOST = "https://artist.example"
ANSWER_ENGINES = [a for a in ai_agents() if set(a.purposes) == {Purpose.SEARCH, Purpose.AI_INPUT}]


def name(policy: Policy) -> str:
    return ",".join(f"{p}={policy.value(p)}" for p in PURPOSES)


def test_there_are_1024_policies():
    assert len({name(p) for p in EVERY_POLICY}) == 1024


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_tdm_reservation_0_is_sent_only_when_all_four_tdm_purposes_are_allowed(policy):
    everything_allowed = all(policy.value(p) == Value.ALLOW for p in TDM_FAMILY)
    anything_reserved = any(policy.value(p) in (Value.DENY, Value.LICENSE) for p in TDM_FAMILY)
    expected = "0" if everything_allowed else "1" if anything_reserved else None
    assert response_headers(policy).get("tdm-reservation") == expected
    meta = [dict(t.attributes) for t in head_tags(policy) if t.element == "meta"]
    assert [m["content"] for m in meta if m["name"] == "tdm-reservation"] == (
        [expected] if expected else []
    )
    rules = json.loads(tdmrep_json([PathPolicy("/", policy, exact=False)]))
    assert [r["tdm-reservation"] for r in rules] == ([int(expected)] if expected else [])


# One robots.txt for all 1,024 policies, one path each, read by Protego as a crawler would.
PATHS = {name(policy): f"/track-{n:04d}" for n, policy in enumerate(EVERY_POLICY)}
PARSER = Protego.parse(robots_txt(PathPolicy(PATHS[name(p)], p) for p in EVERY_POLICY))


@pytest.mark.parametrize("agent", ai_agents(), ids=lambda a: a.token)
def test_an_agent_is_kept_out_exactly_when_any_of_its_purposes_is_reserved(agent):
    for policy in EVERY_POLICY:
        reserved = any(policy.value(p) in (Value.DENY, Value.LICENSE) for p in agent.purposes)
        allowed = PARSER.can_fetch(HOST + PATHS[name(policy)], agent.token)
        assert allowed is not reserved, (agent.token, name(policy))


def test_answer_engines_are_kept_out_when_ai_input_is_reserved_even_if_search_is_allowed():
    assert {a.token for a in ANSWER_ENGINES} >= {
        "OAI-SearchBot",
        "Claude-SearchBot",
        "PerplexityBot",
        "YouBot",
        "PetalBot",
    }
    for policy in EVERY_POLICY:
        if policy.value(Purpose.SEARCH) == Value.ALLOW and policy.reserved(Purpose.AI_INPUT):
            for agent in ANSWER_ENGINES:
                assert not PARSER.can_fetch(HOST + PATHS[name(policy)], agent.token)


def test_classic_search_engines_are_named_only_when_search_is_reserved():
    classic = [a.token for a in agents_for(Purpose.SEARCH) if a.purposes == (Purpose.SEARCH,)]
    assert set(classic) == {"Googlebot", "Bingbot", "Applebot", "DuckDuckBot"}
    for policy in EVERY_POLICY:
        text = robots_txt([PathPolicy("/", policy, exact=False)])
        named = any(f"User-agent: {token}\n" in text for token in classic)
        assert named is policy.reserved(Purpose.SEARCH), name(policy)
