"""The crawler panels' words, for all 4^5 = 1,024 policies, against the files as crawlers read
them: the kinds of crawler the summary says are blocked are exactly those the robots.txt written
for the same policy keeps out (read with Protego, one group per crawler as RFC 9309 says), and a
purpose is said to be reserved beyond the choice exactly where a format reserves it."""

import itertools

import pytest
from protego import Protego

from consent.purposes import PURPOSES, Purpose, Value
from consent.standards import (
    Licence,
    PathPolicy,
    Policy,
    ai_agents,
    ai_txt,
    response_headers,
    robots_txt,
)
from registry.crawler_words import beyond_choice, crawler_kinds, summary

P, V = Purpose, Value
TERMS = Licence("https://artist.example/licence", "licensing@artist.example")
EVERY_POLICY = [
    Policy(
        dict(zip(PURPOSES, values, strict=True)),
        {p: TERMS for p, v in zip(PURPOSES, values, strict=True) if v == V.LICENSE},
    )
    for values in itertools.product((V.ALLOW, V.DENY, V.LICENSE, V.UNSET), repeat=len(PURPOSES))
]
FAMILY = (P.TDM, P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT)
SITE = "https://artist.example/song"


def name(policy: Policy) -> str:
    return ",".join(f"{p}={policy.value(p)}" for p in PURPOSES)


def obeyed_group(text: str, token: str) -> str:
    """The group a crawler obeys (its own product token, else `*`), as a file of its own."""
    groups = {}
    for block in text.split("\n\n"):
        lines = block.splitlines()
        for line in lines:
            if line.startswith("User-agent: "):
                groups[line.removeprefix("User-agent: ")] = lines
    lines = groups.get(token, groups.get("*", []))
    return "\n".join(["User-agent: *", *(x for x in lines if not x.startswith("User-agent: "))])


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_the_summary_blocks_exactly_the_crawlers_robots_txt_keeps_out(policy):
    text = robots_txt([PathPolicy("/", policy, exact=False)])
    said = {token for kind in crawler_kinds(policy) for token in kind.kept_out}
    for agent in ai_agents():
        kept_out = not Protego.parse(obeyed_group(text, agent.token)).can_fetch(SITE, agent.token)
        assert (agent.token in said) is kept_out, agent.token
    lines = dict(summary(policy, "your whole site"))
    downloaders = not Protego.parse(ai_txt([PathPolicy("/", policy, exact=False)])).can_fetch(
        SITE, "img2dataset"
    )
    assert ("Dataset downloaders (ai.txt)" in lines) is downloaders
    reservation = response_headers(policy).get("tdm-reservation")
    expected = {"1": "reserved", "0": "free to mine"}.get(reservation, "told nothing")
    assert lines["Text and data mining tools (TDMRep)"].startswith(expected)


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_a_purpose_is_said_reserved_beyond_the_choice_exactly_where_tdmrep_reserves_it(policy):
    notes = beyond_choice(policy)
    reserved = response_headers(policy).get("tdm-reservation") == "1"
    for purpose in PURPOSES:
        says_tdmrep = any(note.signal == "tdmrep" for note in notes[purpose])
        open_choice = policy.value(purpose) in (V.ALLOW, V.UNSET)
        assert says_tdmrep is (reserved and purpose in FAMILY and open_choice), purpose


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_a_crawler_note_names_only_crawlers_robots_txt_keeps_out(policy):
    text = robots_txt([PathPolicy("/", policy, exact=False)])
    for purpose, notes in beyond_choice(policy).items():
        for note in notes:
            if note.signal != "robots":
                continue
            assert policy.value(purpose) in (V.ALLOW, V.UNSET), purpose
            for agent in ai_agents():
                if f" {agent.token} " in f" {note.text.replace(',', ' ')} ":
                    group = obeyed_group(text, agent.token)
                    assert not Protego.parse(group).can_fetch(SITE, agent.token), agent.token
