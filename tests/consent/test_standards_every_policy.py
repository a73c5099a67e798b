"""Every one of the 4^5 = 1,024 policies, through every format, read by an independent reader.

Each format is read the way its consumers read it, never with the registry's own code: Protego
for robots.txt and ai.txt (per agent), http-sfv for `Content-Usage`, lxml and a small RSL reader
written here from the RSL 1.0 rules, jsonschema and the TDMRep rules for `tdmrep.json`, and
Spawning's `datadiligence` rules for the headers and the legacy C2PA twin of the CAWG assertion.
The one property every test holds: no format grants a use the artist did not `allow`.
"""

import io
import itertools
import json

import http_sfv
import jsonschema
import pytest
from datadiligence.rules import C2PAMetadataRule, TDMRepHeader, XRobotsTagHeader
from lxml import etree
from PIL import Image
from protego import Protego

from consent.purposes import PURPOSES, Purpose, Value
from consent.standards import (
    TDM_FAMILY,
    Licence,
    PathPolicy,
    Policy,
    agents_for,
    ai_agents,
    ai_txt,
    cawg_assertions,
    head_tags,
    response_headers,
    robots_txt,
    rsl_xml,
    tdmrep_json,
)
from consent.standards.rsl import RslContent
from tests.schemas import TDMREP_FILE_SCHEMA

P = Purpose
V = Value
VALUES = (V.ALLOW, V.DENY, V.LICENSE, V.UNSET)
TERMS = Licence("https://artist.example/ai-licence", "licensing@artist.example")
# Every licence-only purpose carries terms, as a verified owner's does.
EVERY_POLICY = [
    Policy(
        dict(zip(PURPOSES, values, strict=True)),
        {p: TERMS for p, v in zip(PURPOSES, values, strict=True) if v == V.LICENSE},
    )
    for values in itertools.product(VALUES, repeat=len(PURPOSES))
]
HOST = "https://artist.example"
LICENCE_URL = "https://artist.example/rsl.xml"
ANSWER_ENGINES = [a for a in ai_agents() if set(a.purposes) == {P.SEARCH, P.AI_INPUT}]


def name(policy: Policy) -> str:
    return ",".join(f"{p}={policy.value(p)}" for p in PURPOSES)


def reserved(policy: Policy, purposes) -> bool:
    return any(policy.value(p) in (V.DENY, V.LICENSE) for p in purposes)


def denied(policy: Policy, purposes) -> bool:
    return any(policy.value(p) == V.DENY for p in purposes)


def all_allowed(policy: Policy, purposes) -> bool:
    return all(policy.value(p) == V.ALLOW for p in purposes)


def test_there_are_1024_policies():
    assert len({name(p) for p in EVERY_POLICY}) == 1024


# --- TDMRep: headers, meta tags and tdmrep.json --------------------------------------------


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_tdm_reservation_0_is_sent_only_when_all_four_tdm_purposes_are_allowed(policy):
    everything_allowed = all_allowed(policy, TDM_FAMILY)
    anything_reserved = reserved(policy, TDM_FAMILY)
    expected = "0" if everything_allowed else "1" if anything_reserved else None
    assert response_headers(policy).get("tdm-reservation") == expected
    meta = [dict(t.attributes) for t in head_tags(policy) if t.element == "meta"]
    assert [m["content"] for m in meta if m["name"] == "tdm-reservation"] == (
        [expected] if expected else []
    )
    rules = json.loads(tdmrep_json([PathPolicy("/", policy, exact=False)]))
    jsonschema.validate(rules, TDMREP_FILE_SCHEMA)
    assert [r["tdm-reservation"] for r in rules] == ([int(expected)] if expected else [])


# --- robots.txt, read by Protego as each crawler would ---------------------------------------

# One robots.txt for all 1,024 policies, one path each.
PATHS = {name(policy): f"/track-{n:04d}" for n, policy in enumerate(EVERY_POLICY)}
# Room for every rule: the cut at 500 KiB is tested in test_standards_robots.py.
ROBOTS = robots_txt(
    (PathPolicy(PATHS[name(p)], p) for p in EVERY_POLICY),
    licence_url=LICENCE_URL,
    max_bytes=16 * 1024 * 1024,
)
assert "Cut on purpose" not in ROBOTS
PARSER = Protego.parse(ROBOTS)


@pytest.mark.parametrize("agent", ai_agents(), ids=lambda a: a.token)
def test_an_agent_is_kept_out_exactly_when_any_of_its_purposes_is_denied(agent):
    """RSL 1.0: `License:` never changes Allow/Disallow. A licence-only use keeps the path open,
    so a crawler that took the licence may fetch; only a denial keeps the crawler out."""
    for policy in EVERY_POLICY:
        allowed = PARSER.can_fetch(HOST + PATHS[name(policy)], agent.token)
        assert allowed is not denied(policy, agent.purposes), (agent.token, name(policy))


def test_answer_engines_are_kept_out_when_ai_input_is_denied_even_if_search_is_allowed():
    assert {a.token for a in ANSWER_ENGINES} >= {
        "OAI-SearchBot",
        "Claude-SearchBot",
        "PerplexityBot",
        "YouBot",
        "PetalBot",
    }
    for policy in EVERY_POLICY:
        if policy.value(P.SEARCH) == V.ALLOW and policy.value(P.AI_INPUT) == V.DENY:
            for agent in ANSWER_ENGINES:
                assert not PARSER.can_fetch(HOST + PATHS[name(policy)], agent.token)


def test_classic_search_engines_are_named_only_when_search_is_denied():
    classic = [a.token for a in agents_for(P.SEARCH) if a.purposes == (P.SEARCH,)]
    assert set(classic) == {"Googlebot", "Bingbot", "Applebot", "DuckDuckBot"}
    for policy in EVERY_POLICY:
        text = robots_txt([PathPolicy("/", policy, exact=False)])
        named = any(f"User-agent: {token}\n" in text for token in classic)
        assert named is (policy.value(P.SEARCH) == V.DENY), name(policy)


def groups_of(text: str) -> dict[str, list[str]]:
    """Each group's lines, by each of its user agents."""
    groups: dict[str, list[str]] = {}
    for block in text.split("\n\n"):
        lines = block.splitlines()
        agents = [line.split(": ", 1)[1] for line in lines if line.startswith("User-agent: ")]
        for agent in agents:
            groups[agent] = lines
    return groups


# Independent of the registry's tables: the aipref labels and the purposes they are read from.
AIPREF = {"train-ai": (P.TRAIN_GENAI,), "ai-use": (P.AI_INPUT,), "search": (P.SEARCH,)}
# Cloudflare's Content Signals: `ai-train` is training any model, so both training purposes.
CONTENT_SIGNALS = {
    "search": (P.SEARCH,),
    "ai-input": (P.AI_INPUT,),
    "ai-train": (P.TRAIN_AI, P.TRAIN_GENAI),
}


def expected_preferences(policy: Policy, table, yes: str, no: str) -> dict[str, str]:
    expected = {}
    for key, purposes in table.items():
        if reserved(policy, purposes):
            expected[key] = no
        elif all_allowed(policy, purposes):
            expected[key] = yes
    return expected


def usage_rules(lines: list[str]) -> dict[str, dict[str, str]]:
    """`Content-Usage: <path> <dictionary>` rules of one group, parsed with http-sfv."""
    rules = {}
    for line in lines:
        if line.startswith("Content-Usage: "):
            path, value = line.removeprefix("Content-Usage: ").split(" ", 1)
            parsed = http_sfv.Dictionary()
            parsed.parse(value.encode())
            rules[path] = {key: str(item.value) for key, item in parsed.items()}
    return rules


def test_every_path_states_its_preferences_and_a_licence_only_path_is_allowed_with_them():
    groups = groups_of(ROBOTS)
    everyone = usage_rules(groups["*"])
    for policy in EVERY_POLICY:
        pattern = PATHS[name(policy)] + "$"
        expected = expected_preferences(policy, AIPREF, "y", "n")
        assert everyone.get(pattern, {}) == expected, name(policy)
    for agent in ai_agents():
        lines = groups.get(agent.token)
        if lines is None:
            continue  # No denial concerns this agent: it reads `*`.
        rules = usage_rules(lines)
        for policy in EVERY_POLICY:
            pattern = PATHS[name(policy)] + "$"
            licence_only = not denied(policy, agent.purposes) and any(
                policy.value(p) == V.LICENSE for p in agent.purposes
            )
            assert (f"Allow: {pattern}" in lines) is licence_only, (agent.token, name(policy))
            if licence_only:
                assert rules.get(pattern, {}) == expected_preferences(policy, AIPREF, "y", "n")
    assert f"License: {LICENCE_URL}" in ROBOTS.splitlines()


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_content_signals_say_yes_only_where_every_purpose_behind_them_is_allowed(policy):
    text = robots_txt([PathPolicy("/", policy, exact=False)])
    expected = expected_preferences(policy, CONTENT_SIGNALS, "yes", "no")
    for agent, lines in groups_of(text).items():
        signals = [line for line in lines if line.startswith("Content-Signal: ")]
        if not expected:
            assert signals == [], agent
            continue
        assert len(signals) == 1, agent
        pairs = signals[0].removeprefix("Content-Signal: ").split(", ")
        assert dict(pair.split("=", 1) for pair in pairs) == expected, agent


def test_a_file_of_many_paths_states_no_content_signal_they_do_not_all_share():
    assert "Content-Signal" not in ROBOTS


# --- ai.txt, read by Protego for every agent -------------------------------------------------

AI_TXT = Protego.parse(ai_txt(PathPolicy(PATHS[name(p)], p) for p in EVERY_POLICY))


@pytest.mark.parametrize("agent", ["img2dataset", "GPTBot", "any-dataset-tool"])
def test_ai_txt_keeps_dataset_tools_off_exactly_where_generative_training_is_reserved(agent):
    for policy in EVERY_POLICY:
        allowed = AI_TXT.can_fetch(HOST + PATHS[name(policy)], agent)
        assert allowed is not reserved(policy, [P.TRAIN_GENAI]), name(policy)


# --- Content-Usage and the other headers -----------------------------------------------------


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_headers_grant_nothing_the_artist_did_not_allow(policy):
    headers = response_headers(policy, rsl_url=LICENCE_URL)
    usage = {}
    if "Content-Usage" in headers:
        parsed = http_sfv.Dictionary()
        parsed.parse(headers["Content-Usage"].encode())
        usage = {key: str(item.value) for key, item in parsed.items()}
    assert usage == expected_preferences(policy, AIPREF, "y", "n")
    # Spawning's datadiligence reads X-Robots-Tag (noai) and tdm-reservation as crawlers do, in
    # a response that has at least its content type.
    headers = {"Content-Type": "text/html; charset=utf-8", **headers}
    assert XRobotsTagHeader().is_allowed(headers=headers) is not reserved(policy, [P.TRAIN_GENAI])
    assert TDMRepHeader().is_allowed(headers=headers) is not reserved(policy, TDM_FAMILY)


# --- The CAWG assertion's legacy twin, through datadiligence's C2PA rule ---------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def c2pa_rule(monkeypatch):
    """datadiligence's own C2PA rule, reading a manifest that holds the registry's assertions.

    The rule reads a manifest out of an image with the `c2pa` library; an image signed with a
    C2PA certificate cannot be made here, so the reader hands the rule the manifest the registry
    would embed, and the rule's own decision (which entries, which `use` values) does the rest.
    """
    import datadiligence.rules._c2pa as module

    manifest: dict[str, object] = {}

    class Reader:
        def __init__(self, file_format, stream):
            assert file_format == "PNG"

        def get_active_manifest(self):
            return manifest

    monkeypatch.setattr(module.c2pa, "Reader", Reader)
    rule = C2PAMetadataRule()
    body = png()

    def allowed(policy: Policy) -> bool:
        manifest["assertions"] = cawg_assertions(policy)
        return rule.is_allowed(body=body)

    return allowed


def test_the_legacy_c2pa_twin_lets_spawnings_reader_through_only_where_nothing_is_reserved(
    c2pa_rule,
):
    twin_purposes = (P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT, P.TDM)
    for policy in EVERY_POLICY:
        assert c2pa_rule(policy) is not reserved(policy, twin_purposes), name(policy)


# --- RSL 1.0, read by a reader written here from the specification -------------------------

RSL = "{https://rslstandard.org/rsl}"
AI_TOKENS = {"ai-train", "ai-input", "ai-index"}
# §3.4.1.1: `all` covers every usage, `ai-all` every AI usage.
BROAD = {"all": AI_TOKENS | {"search"}, "ai-all": AI_TOKENS}
# The registry purposes each RSL usage stands for; a token is only as free as all of them.
TOKEN_PURPOSES = {
    "ai-train": (P.TRAIN_AI, P.TRAIN_GENAI),
    "ai-input": (P.AI_INPUT,),
    "ai-index": (P.AI_INPUT,),
    "search": (P.SEARCH,),
}


def tokens(element) -> set[str]:
    if element is None or not (element.text or "").strip():
        return set()
    result: set[str] = set()
    for token in element.text.split():
        result |= BROAD.get(token, {token})
    return result


def rsl_grants(xml: str) -> dict[str, dict[str, set[str]]]:
    """Per content URL, each usage a licensee may take and how: `free` or `paid`.

    §3.5: a licence permits its `<permits>` usages (everything, if it has none) minus its
    `<prohibits>`; §3.7: a licence without `<payment>`, or with `type="free"`, costs nothing;
    §3.1.1: a usage both permitted and prohibited within one content is not licensed.
    """
    root = etree.fromstring(xml.encode())
    grants: dict[str, dict[str, set[str]]] = {}
    for content in root.iter(f"{RSL}content"):
        by_token: dict[str, set[str]] = {}
        prohibited_anywhere: set[str] = set()
        for licence in content.iter(f"{RSL}license"):
            permits = licence.find(f"{RSL}permits")
            prohibits = licence.find(f"{RSL}prohibits")
            permitted = tokens(permits) if permits is not None else AI_TOKENS | {"search"}
            prohibited = tokens(prohibits)
            prohibited_anywhere |= prohibited
            payment = licence.find(f"{RSL}payment")
            free = payment is None or payment.get("type") == "free"
            for token in permitted - prohibited:
                by_token.setdefault(token, set()).add("free" if free else "paid")
        grants[content.get("url")] = {
            token: kinds for token, kinds in by_token.items() if token not in prohibited_anywhere
        }
    return grants


@pytest.mark.parametrize("policy", EVERY_POLICY, ids=name)
def test_rsl_grants_only_what_the_artist_allowed_and_sells_only_what_is_licence_only(policy):
    xml = rsl_xml([RslContent("/", policy, exact=False)])
    grants = rsl_grants(xml).get("/", {})
    for token, purposes in TOKEN_PURPOSES.items():
        kinds = grants.get(token, set())
        if "free" in kinds:
            assert all_allowed(policy, purposes), (token, name(policy))
        if "paid" in kinds:
            assert not denied(policy, purposes), (token, name(policy))
            # Sold under the token's own licence-only purpose, or under RSL's broad `ai-all`
            # for a licence-only `tdm`, the purpose every AI use falls back to.
            sellers = (*purposes, P.TDM) if token in AI_TOKENS else purposes
            assert any(policy.value(p) == V.LICENSE for p in sellers), (token, name(policy))
        if denied(policy, purposes):
            assert not kinds, (token, name(policy))
        if all_allowed(policy, purposes):
            assert kinds == {"free"}, (token, name(policy))
        if not denied(policy, purposes) and any(policy.value(p) == V.LICENSE for p in purposes):
            assert kinds == {"paid"}, (token, name(policy))
