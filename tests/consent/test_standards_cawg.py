"""The CAWG/C2PA training-and-data-mining assertions, validated against the specified shape."""

import itertools

import jsonschema
import pytest

from consent.purposes import PURPOSES, Purpose, Value
from consent.standards import Policy, cawg_assertions
from tests.consent.test_standards_scenarios import (
    DISPUTED,
    FULL_OPT_OUT,
    LICENCE_ONLY,
    LOOSENED,
    NO_DECLARATIONS,
    TERMS,
)


def assertion_schema(prefix: str) -> dict:
    entry = {
        "type": "object",
        "required": ["use"],
        "additionalProperties": False,
        "properties": {
            "use": {"enum": ["allowed", "notAllowed", "constrained"]},
            "constraint_info": {"type": "string", "minLength": 1},
        },
        "if": {"properties": {"use": {"const": "constrained"}}},
        "then": {"required": ["use", "constraint_info"]},
    }
    names = ("ai_training", "ai_generative_training", "ai_inference", "data_mining")
    return {
        "type": "object",
        "required": ["label", "data"],
        "properties": {
            "label": {"const": f"{prefix}.training-mining"},
            "data": {
                "type": "object",
                "required": ["entries"],
                "properties": {
                    "entries": {
                        "type": "object",
                        "propertyNames": {"enum": [f"{prefix}.{n}" for n in names]},
                        "additionalProperties": entry,
                    }
                },
            },
        },
    }


def as_legacy_reader_needs(entry: dict[str, str]) -> dict[str, str]:
    """What the legacy twin writes for a `cawg.` entry: a licence is not allowed there."""
    return {"use": "notAllowed"} if entry["use"] == "constrained" else entry


def uses(policy) -> dict[str, dict[str, str]]:
    cawg, c2pa = cawg_assertions(policy)
    jsonschema.validate(cawg, assertion_schema("cawg"))
    jsonschema.validate(c2pa, assertion_schema("c2pa"))
    legacy = {k.replace("c2pa.", "cawg."): v for k, v in c2pa["data"]["entries"].items()}
    assert legacy == {k: as_legacy_reader_needs(v) for k, v in cawg["data"]["entries"].items()}
    return {k.removeprefix("cawg."): v["use"] for k, v in cawg["data"]["entries"].items()}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            FULL_OPT_OUT,
            {
                "ai_training": "notAllowed",
                "ai_generative_training": "notAllowed",
                "ai_inference": "notAllowed",
            },
        ),
        (LICENCE_ONLY, {"ai_training": "constrained", "ai_generative_training": "constrained"}),
        (
            LOOSENED,
            {
                "ai_training": "allowed",
                "ai_generative_training": "allowed",
                "ai_inference": "allowed",
                "data_mining": "allowed",
            },
        ),
        (
            DISPUTED,
            {
                "ai_training": "allowed",
                "ai_generative_training": "notAllowed",
                "ai_inference": "allowed",
                "data_mining": "allowed",
            },
        ),
        (NO_DECLARATIONS, {}),
    ],
)
def test_each_choice_reads_the_same_in_both_assertions(policy, expected):
    assert uses(policy) == expected


def test_a_licence_names_its_terms():
    cawg, _ = cawg_assertions(LICENCE_ONLY)
    entry = cawg["data"]["entries"]["cawg.ai_training"]
    assert entry == {"use": "constrained", "constraint_info": TERMS.terms_url}


def test_the_legacy_twin_refuses_a_licence_only_purpose_instead_of_calling_it_constrained():
    _, c2pa = cawg_assertions(LICENCE_ONLY)
    assert c2pa["data"]["entries"]["c2pa.ai_training"] == {"use": "notAllowed"}
    assert c2pa["data"]["entries"]["c2pa.ai_generative_training"] == {"use": "notAllowed"}


EVERY_POLICY = [
    Policy(dict(zip(PURPOSES, values, strict=True)))
    for values in itertools.product(
        (Value.ALLOW, Value.DENY, Value.LICENSE, Value.UNSET), repeat=len(PURPOSES)
    )
]
ENTRY_PURPOSES = {
    "ai_training": Purpose.TRAIN_AI,
    "ai_generative_training": Purpose.TRAIN_GENAI,
    "ai_inference": Purpose.AI_INPUT,
    "data_mining": Purpose.TDM,
}


@pytest.mark.slow
def test_over_all_1024_policies_neither_assertion_grants_what_the_artist_did_not_allow():
    assert len(EVERY_POLICY) == 4**5
    for policy in EVERY_POLICY:
        cawg, c2pa = cawg_assertions(policy)
        jsonschema.validate(cawg, assertion_schema("cawg"))
        jsonschema.validate(c2pa, assertion_schema("c2pa"))
        for name, purpose in ENTRY_PURPOSES.items():
            value = policy.value(purpose)
            legacy = c2pa["data"]["entries"].get(f"c2pa.{name}")
            current = cawg["data"]["entries"].get(f"cawg.{name}")
            if value == Value.UNSET:
                assert legacy is None and current is None, (name, policy)
                continue
            if value != Value.ALLOW:
                assert legacy == {"use": "notAllowed"}, (name, policy)
            assert (current["use"] == "allowed") == (value == Value.ALLOW), (name, policy)
            assert (legacy["use"] == "allowed") == (value == Value.ALLOW), (name, policy)
            assert (current["use"] == "constrained") == (value == Value.LICENSE), (name, policy)
