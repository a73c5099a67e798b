"""TDMRep files and policies, validated against schemas written from the specification.

The schemas below restate docs/standards.md ("TDMRep"); they are not derived from our code. Which
rule applies to a URL is decided with Protego's robots.txt matcher, TDMRep's pattern language.
"""

import json

import jsonschema
import pytest
from protego import Protego

from consent.purposes import Purpose, Value
from consent.standards import (
    Assigner,
    Licence,
    PathPolicy,
    Policy,
    tdmrep_json,
    tdmrep_policy_json,
)
from tests.consent.test_standards_scenarios import (
    FULL_OPT_OUT,
    LICENCE_ONLY,
    LOOSENED,
    NO_DECLARATIONS,
    SCENARIOS,
    TERMS,
)
from tests.schemas import ODRL_POLICY_SCHEMA, TDMREP_FILE_SCHEMA

POLICY_URL = "https://registry.example/policies/3f2a.json"


def matches(location: str, path: str) -> bool:
    """Whether a TDMRep location matches a path, by Protego's robots.txt pattern matcher."""
    return not Protego.parse(f"User-agent: *\nDisallow: {location}").can_fetch(
        "https://soundcloud.com" + path, "TDMAgent"
    )


def verdict(rules: list[dict], path: str) -> tuple[int | None, str | None]:
    """What a TDM agent concludes: the first matching rule wins; no match is unset."""
    for rule in rules:
        if matches(rule["location"], path):
            return rule["tdm-reservation"], rule.get("tdm-policy")
    return None, None


def host_file() -> list[dict]:
    text = tdmrep_json(
        PathPolicy(f"/artist/{name}", policy, tdm_policy_url=POLICY_URL)
        for name, policy in SCENARIOS.items()
    )
    rules = json.loads(text)
    jsonschema.validate(rules, TDMREP_FILE_SCHEMA, format_checker=jsonschema.FormatChecker())
    return rules


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("full_opt_out", (1, None)),
        ("licence_only", (1, POLICY_URL)),
        ("loosened", (0, None)),
        ("disputed", (1, None)),
        ("no_declarations", (None, None)),
    ],
)
def test_a_tdm_agent_reads_each_tracks_reservation(name, expected):
    assert verdict(host_file(), f"/artist/{name}") == expected


def test_the_file_is_an_array_even_with_one_rule_or_none():
    assert json.loads(tdmrep_json([PathPolicy("/a", FULL_OPT_OUT)])) == [
        {"location": "/a$", "tdm-reservation": 1}
    ]
    assert tdmrep_json([PathPolicy("/a", NO_DECLARATIONS)]) == "[]\n"


def test_a_track_rule_comes_before_a_catalogue_wide_prefix():
    rules = json.loads(
        tdmrep_json([PathPolicy("/", FULL_OPT_OUT, exact=False), PathPolicy("/mine", LOOSENED)])
    )
    jsonschema.validate(rules, TDMREP_FILE_SCHEMA)
    assert verdict(rules, "/mine") == (0, None)
    assert verdict(rules, "/other") == (1, None)


def test_locations_are_exact_and_encoded():
    rules = json.loads(tdmrep_json([PathPolicy("/a*b c", FULL_OPT_OUT)]))
    assert rules[0]["location"] == "/a%2Ab%20c$"
    assert verdict(rules, "/a*b%20c") == (1, None)
    assert verdict(rules, "/aXb%20c") == (None, None)
    assert verdict(rules, "/a*b%20c/more") == (None, None)


def odrl(licence: Licence, assigner: Assigner) -> dict:
    text = tdmrep_policy_json(
        uid=POLICY_URL,
        target="https://registry.example/t/3f2a/",
        assigner=assigner,
        licence=licence,
    )
    policy = json.loads(text)
    jsonschema.validate(policy, ODRL_POLICY_SCHEMA)
    return policy


def test_a_licence_only_policy_names_the_artist_their_terms_and_contact():
    policy = odrl(TERMS, Assigner("https://registry.example/c/juniper/", "Juniper Vale"))
    assert policy["assigner"] == {
        "uid": "https://registry.example/c/juniper/",
        "vcard:fn": "Juniper Vale",
        "vcard:hasEmail": "mailto:licensing@artist.example",
        "vcard:hasURL": "https://artist.example/ai-licence",
    }
    permission = policy["permission"][0]
    assert permission["target"] == "https://registry.example/t/3f2a/"
    assert {"action": "obtainConsent"} in permission["duty"]


def test_a_policy_with_only_a_contact_still_validates():
    policy = odrl(
        Licence(contact_email="ask@artist.example"),
        Assigner("https://registry.example/c/x/", "X", url="https://artist.example/"),
    )
    assert policy["assigner"]["vcard:hasEmail"] == "mailto:ask@artist.example"
    assert policy["assigner"]["vcard:hasURL"] == "https://artist.example/"


def test_a_policy_url_is_attached_only_where_part_of_the_reservation_is_licensable():
    rules = json.loads(
        tdmrep_json(
            [
                PathPolicy("/deny", FULL_OPT_OUT, tdm_policy_url=POLICY_URL),
                PathPolicy("/lic", LICENCE_ONLY, tdm_policy_url=POLICY_URL),
                PathPolicy(
                    "/search-licence",
                    Policy({Purpose.SEARCH: Value.LICENSE}, {Purpose.SEARCH: TERMS}),
                    tdm_policy_url=POLICY_URL,
                ),
            ]
        )
    )
    by_location = {rule["location"]: rule.get("tdm-policy") for rule in rules}
    # A search licence is not part of TDM: that path gets no TDMRep rule at all.
    assert by_location == {"/deny$": None, "/lic$": POLICY_URL}


def test_a_denial_beside_a_licence_gets_a_reservation_without_a_policy():
    deny_and_licence = Policy(
        {Purpose.TRAIN_GENAI: Value.DENY, Purpose.AI_INPUT: Value.LICENSE},
        {Purpose.AI_INPUT: TERMS},
    )
    answers_licensed = Policy({Purpose.AI_INPUT: Value.LICENSE}, {Purpose.AI_INPUT: TERMS})
    rules = json.loads(
        tdmrep_json(
            [
                PathPolicy("/mixed", deny_and_licence, tdm_policy_url=POLICY_URL),
                PathPolicy("/answers", answers_licensed, tdm_policy_url=POLICY_URL),
            ]
        )
    )
    jsonschema.validate(rules, TDMREP_FILE_SCHEMA)
    assert verdict(rules, "/mixed") == (1, None)
    assert verdict(rules, "/answers") == (1, POLICY_URL)


def test_tracks_merged_on_one_path_name_the_policy_of_a_track_it_applies_to():
    rules = json.loads(
        tdmrep_json(
            [
                PathPolicy("/same", LOOSENED, tdm_policy_url="https://registry.example/p/open"),
                PathPolicy("/same", LICENCE_ONLY, tdm_policy_url=POLICY_URL),
            ]
        )
    )
    assert verdict(rules, "/same") == (1, POLICY_URL)


@pytest.mark.parametrize(
    "rules",
    [
        {"location": "/", "tdm-reservation": 1},  # not an array
        [{"tdm-reservation": 1}],  # no location
        [{"location": "/", "tdm-reservation": "1"}],  # a string, not 0 or 1
        [{"location": "/", "tdm-reservation": 2}],
        [{"location": "song", "tdm-reservation": 1}],  # not a path
        [{"location": "/", "tdm-reservation": 1, "tdm-policy": "policies/1.json"}],
        [{"location": "/", "tdm-reservation": 0, "tdm-policy": "https://r.example/p.json"}],
        [{"location": "/", "tdm-reservation": 1, "licence": "https://r.example/"}],
    ],
)
def test_the_file_schema_refuses_what_a_tdm_agent_could_not_read(rules):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(rules, TDMREP_FILE_SCHEMA, format_checker=jsonschema.FormatChecker())
