"""The CAWG/C2PA training-and-data-mining assertions, validated against the specified shape."""

import jsonschema
import pytest

from consent.standards import cawg_assertions
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


def uses(policy) -> dict[str, dict[str, str]]:
    cawg, c2pa = cawg_assertions(policy)
    jsonschema.validate(cawg, assertion_schema("cawg"))
    jsonschema.validate(c2pa, assertion_schema("c2pa"))
    legacy = {k.replace("c2pa.", "cawg."): v for k, v in c2pa["data"]["entries"].items()}
    assert legacy == cawg["data"]["entries"]
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
