"""The artist choices every standards test reads, built by the registry's own resolution rule.

Each scenario is a `Policy` exactly as resolution produces it, so the format tests check what a
real track would emit. The tests here pin down that each scenario resolves as its name says.
"""

from datetime import UTC, datetime

from consent.purposes import PURPOSES, Purpose, Value
from consent.resolution import Statement, combine, resolve_claim
from consent.standards import Licence, Policy, catalogue_policy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
P = Purpose
V = Value
TERMS = Licence("https://artist.example/ai-licence", "licensing@artist.example")


def stmts(licence: Licence | None = None, **values: Value) -> dict[Purpose, Statement]:
    """`stmts(train_ai=V.DENY)`: statements keyed by purpose, licence terms on `license` ones."""
    result = {}
    for number, (name, value) in enumerate(values.items(), start=1):
        terms = licence if value == V.LICENSE and licence else Licence()
        result[Purpose(name.replace("_", "-"))] = Statement(
            value, number, T0, terms.terms_url, terms.contact_email
        )
    return result


# The registry's one-click "opt out of all AI training".
FULL_OPT_OUT = catalogue_policy(stmts(train_ai=V.DENY, train_genai=V.DENY, ai_input=V.DENY))
# The same, from an artist who still wants to be found by search engines.
OPT_OUT_SEARCH_ALLOWED = catalogue_policy(
    stmts(train_ai=V.DENY, train_genai=V.DENY, ai_input=V.DENY, search=V.ALLOW)
)
# Training only under the artist's licence; `train-genai` inherits it from `train-ai`.
LICENCE_ONLY = catalogue_policy(stmts(TERMS, train_ai=V.LICENSE))
# A catalogue-wide opt-out, loosened for one track by a track-level `tdm: allow`: at track level
# the broader purpose beats the catalogue's narrower denials (docs/architecture.md, "Resolution").
LOOSENED = Policy.from_resolved(
    resolve_claim(
        stmts(tdm=V.ALLOW),
        stmts(train_ai=V.DENY, train_genai=V.DENY, ai_input=V.DENY),
    )
)
# A recording owner denies generative training; a label in dispute allows everything. The most
# restrictive value wins purpose by purpose.
DISPUTED = Policy.from_resolved(
    combine(
        [
            resolve_claim({}, stmts(train_genai=V.DENY), claim_id=1),
            resolve_claim(stmts(tdm=V.ALLOW, search=V.ALLOW), {}, claim_id=2),
        ]
    ),
    disputed=True,
)
NO_DECLARATIONS = catalogue_policy({})

SCENARIOS: dict[str, Policy] = {
    "full_opt_out": FULL_OPT_OUT,
    "opt_out_search_allowed": OPT_OUT_SEARCH_ALLOWED,
    "licence_only": LICENCE_ONLY,
    "loosened": LOOSENED,
    "disputed": DISPUTED,
    "no_declarations": NO_DECLARATIONS,
}


def values_of(policy: Policy) -> dict[str, str]:
    return {p.value: policy.value(p).value for p in PURPOSES}


def test_full_opt_out_denies_every_ai_use_and_says_nothing_of_the_rest():
    assert values_of(FULL_OPT_OUT) == {
        "tdm": "unset",
        "train-ai": "deny",
        "train-genai": "deny",
        "ai-input": "deny",
        "search": "unset",
    }


def test_licence_only_reaches_generative_training_with_its_terms():
    assert values_of(LICENCE_ONLY)["train-ai"] == "license"
    assert values_of(LICENCE_ONLY)["train-genai"] == "license"
    assert LICENCE_ONLY.licence == TERMS
    assert LICENCE_ONLY.licences[P.TRAIN_GENAI] == TERMS


def test_a_track_override_loosens_every_catalogue_denial_to_allow():
    assert values_of(LOOSENED) == {
        "tdm": "allow",
        "train-ai": "allow",
        "train-genai": "allow",
        "ai-input": "allow",
        "search": "unset",
    }


def test_a_disputed_track_takes_the_most_restrictive_value_of_each_purpose():
    assert DISPUTED.disputed
    assert values_of(DISPUTED) == {
        "tdm": "allow",
        "train-ai": "allow",
        "train-genai": "deny",
        "ai-input": "allow",
        "search": "allow",
    }


def test_no_declarations_leaves_everything_unset():
    assert NO_DECLARATIONS.is_unset
    assert NO_DECLARATIONS.licence is None
