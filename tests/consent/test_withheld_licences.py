"""An unverified claim's licence is a reservation that names nobody: no TDMRep offer, no terms,
and a verified owner's licence is the one every output names."""

from consent.models import EffectivePolicy
from consent.purposes import Purpose, Value
from consent.standards import Licence, Policy, tdm_policy_applies
from tests.conftest import stored_provenance

P = Purpose
L, A = Value.LICENSE, Value.ALLOW
OWNERS = Licence("https://owner.example/licence", "licensing@owner.example")
WITHHELD = Licence(withheld=True)


def test_a_withheld_licence_alone_reserves_but_offers_nothing():
    policy = Policy(
        {P.TRAIN_GENAI: L, P.AI_INPUT: L}, {P.TRAIN_GENAI: WITHHELD, P.AI_INPUT: WITHHELD}
    )
    assert policy.reserved(P.TRAIN_GENAI)
    assert policy.licensed_purpose is None
    assert policy.licence is None
    assert not tdm_policy_applies(policy)


def test_the_verified_owners_licence_is_named_even_beside_a_broader_withheld_one():
    policy = Policy(
        {P.TRAIN_GENAI: L, P.AI_INPUT: L, P.SEARCH: A},
        {P.TRAIN_GENAI: WITHHELD, P.AI_INPUT: OWNERS},
    )
    assert policy.licensed_purpose == P.AI_INPUT
    assert policy.licence == OWNERS
    assert tdm_policy_applies(policy)


def test_a_licence_outside_tdm_does_not_make_a_withheld_one_an_offer_for_tdm():
    policy = Policy({P.AI_INPUT: L, P.SEARCH: L}, {P.AI_INPUT: WITHHELD, P.SEARCH: OWNERS})
    assert not tdm_policy_applies(policy)


def test_a_policy_read_from_the_database_knows_which_terms_are_withheld():
    row = EffectivePolicy(
        train_genai="license",
        ai_input="license",
        provenance=stored_provenance(
            train_genai=("license", "", "", True),
            ai_input=("license", OWNERS.terms_url, OWNERS.contact_email),
        ),
    )
    read = Policy.from_effective(row)
    assert read.licences[P.TRAIN_GENAI].withheld
    assert read.licence == OWNERS
