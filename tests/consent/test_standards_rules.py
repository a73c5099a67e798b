"""The emission rules of docs/standards.md, table by table: one place decides, every output
follows."""

import pytest

from consent.models import EffectivePolicy
from consent.purposes import Purpose, Value
from consent.standards import (
    Licence,
    Policy,
    agent_disallowed,
    agent_licence_only,
    ai_txt_disallowed,
    ai_txt_full_opt_out,
    combine_policies,
    common_content_signals,
    content_signals,
    content_usage,
    content_usage_value,
    noai,
    rsl_usage,
    spawning_answer,
    spawning_opt_in,
    spawning_opt_out,
    tdm_policy_applies,
    tdm_reservation,
    training_mining_entries,
)
from tests.conftest import stored_provenance

P = Purpose
A, D, L, U = Value.ALLOW, Value.DENY, Value.LICENSE, Value.UNSET


def policy(**values: Value) -> Policy:
    return Policy({Purpose(k.replace("_", "-")): v for k, v in values.items()})


TDM_RESERVATION_CASES = [
    # Any reserved purpose of the TDM family reserves TDM as a whole...
    (policy(tdm=D), 1),
    (policy(train_ai=D), 1),
    (policy(train_genai=L), 1),
    (policy(ai_input=D), 1),
    (policy(tdm=A, train_genai=D), 1),
    (policy(tdm=A, train_ai=A, train_genai=A, ai_input=L), 1),
    # ...0 waives every TDM use, so it needs an explicit allow of all four...
    (policy(tdm=A, train_ai=A, train_genai=A, ai_input=A), 0),
    (policy(tdm=A, train_ai=A, train_genai=A, ai_input=A, search=D), 0),
    # ...and one allowed purpose with the others unstated says nothing...
    (policy(tdm=A), None),
    (policy(train_genai=A), None),
    (policy(ai_input=A, search=D), None),
    (policy(tdm=A, train_ai=A, train_genai=A), None),
    # ...and with nothing stated for the family, TDMRep says nothing.
    (policy(), None),
    (policy(search=D), None),
    (policy(search=A), None),
]


@pytest.mark.parametrize(("given", "expected"), TDM_RESERVATION_CASES)
def test_tdm_reservation_follows_the_table(given, expected):
    assert tdm_reservation(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (policy(train_ai=L), True),
        (policy(ai_input=L), True),
        (policy(tdm=A, train_genai=L), True),
        # TDMRep's one `tdm:mine` action cannot offer one part and refuse another: beside a
        # denial, an offer for a fee would offer the denied use too.
        (policy(train_ai=D, ai_input=L), False),
        (policy(train_genai=D, ai_input=L), False),
        (policy(tdm=D, train_ai=L, train_genai=L, ai_input=L), False),
        (policy(train_ai=D), False),
        (policy(search=L), False),
        (policy(), False),
    ],
)
def test_a_tdm_policy_is_named_only_when_part_of_the_reservation_is_licensable(given, expected):
    assert tdm_policy_applies(given) is expected


CONTENT_USAGE_CASES = [
    # aipref `train-ai` is read from the registry's `train-genai`.
    (policy(train_genai=D), {"train-ai": "n"}),
    (policy(train_genai=L), {"train-ai": "n"}),
    (policy(train_genai=A), {"train-ai": "y"}),
    (policy(train_ai=D, train_genai=A), {"train-ai": "y"}),
    (policy(train_ai=D), {}),
    (policy(tdm=D), {}),
    (policy(search=D), {"search": "n"}),
    (policy(search=L), {"search": "n"}),
    (policy(search=A), {"search": "y"}),
    (policy(train_genai=D, search=A), {"train-ai": "n", "search": "y"}),
    # aipref `ai-use` (vocab draft -08) is read from the registry's answer-time `ai-input`.
    (policy(ai_input=D), {"ai-use": "n"}),
    (policy(ai_input=L), {"ai-use": "n"}),
    (policy(ai_input=A), {"ai-use": "y"}),
    (policy(tdm=A), {}),
    (policy(), {}),
]


@pytest.mark.parametrize(("given", "expected"), CONTENT_USAGE_CASES)
def test_content_usage_reads_train_ai_from_train_genai(given, expected):
    assert content_usage(given) == expected


def test_content_usage_serializes_as_a_dictionary_and_empty_when_unset():
    assert content_usage_value(policy(train_genai=D, search=A)) == "train-ai=n, search=y"
    assert content_usage_value(policy()) == ""


@pytest.mark.parametrize(
    ("given", "opt_out", "opt_in"),
    [
        (policy(train_ai=D), True, False),
        (policy(train_genai=D), True, False),
        (policy(train_ai=L, train_genai=L), True, False),
        # Any training reservation must stop a generative trainer, even with genai allowed.
        (policy(train_ai=D, train_genai=A), True, False),
        (policy(train_ai=A, train_genai=D), True, False),
        (policy(train_ai=A, train_genai=A), False, True),
        (policy(train_ai=A), False, False),
        (policy(tdm=A), False, False),
        (policy(ai_input=D), False, False),
        (policy(), False, False),
    ],
)
def test_spawning_opt_out_and_opt_in(given, opt_out, opt_in):
    assert spawning_opt_out(given) is opt_out
    assert spawning_opt_in(given) is opt_in
    assert spawning_answer("https://x.example/a", given) == {
        "url": "https://x.example/a",
        "optOut": opt_out,
        "optIn": opt_in,
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (policy(train_genai=D), True),
        (policy(train_genai=L), True),
        (policy(train_ai=D, train_genai=A), False),
        (policy(tdm=D, train_genai=A), False),
        (policy(ai_input=D), False),
        (policy(), False),
    ],
)
def test_noai_and_ai_txt_follow_generative_training(given, expected):
    assert noai(given) is expected
    assert ai_txt_disallowed(given) is expected
    # robots.txt keeps a crawler out only for a denial: a licence-only use is allowed to fetch.
    assert agent_disallowed(given, P.TRAIN_GENAI) is (given.value(P.TRAIN_GENAI) == D)


def test_ai_txt_full_opt_out_needs_every_ai_use_reserved():
    assert ai_txt_full_opt_out(policy(train_ai=D, train_genai=D, ai_input=L))
    assert not ai_txt_full_opt_out(policy(train_ai=D, train_genai=D))
    assert not ai_txt_full_opt_out(policy(tdm=D, train_ai=D, train_genai=D, ai_input=A))


def test_an_agent_is_disallowed_exactly_when_its_purpose_is_denied():
    given = policy(train_genai=D, ai_input=L, search=A)
    assert agent_disallowed(given, P.TRAIN_GENAI)
    assert not agent_disallowed(given, P.AI_INPUT)
    assert agent_licence_only(given, P.AI_INPUT)
    assert not agent_licence_only(given, (P.TRAIN_GENAI, P.AI_INPUT))
    assert agent_disallowed(given, (P.TRAIN_GENAI, P.AI_INPUT))
    assert not agent_disallowed(given, P.SEARCH)
    assert not agent_disallowed(given, P.TDM)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (policy(), {}),
        (
            policy(search=A, ai_input=D, train_ai=D, train_genai=D),
            {"search": "yes", "ai-input": "no", "ai-train": "no"},
        ),
        # `ai-train` is any training: yes only when both training purposes are allowed.
        (policy(train_ai=A), {}),
        (policy(train_ai=A, train_genai=A), {"ai-train": "yes"}),
        (policy(train_ai=A, train_genai=L), {"ai-train": "no"}),
        (policy(search=L), {"search": "no"}),
    ],
)
def test_content_signals_say_yes_only_for_what_is_allowed(given, expected):
    assert content_signals(given) == expected


def test_a_file_of_many_paths_states_only_the_content_signals_they_share():
    shared = common_content_signals(
        [policy(search=A, train_ai=D), policy(search=A, train_ai=A, train_genai=A)]
    )
    assert shared == {"search": "yes"}
    assert common_content_signals([]) == {}
    assert common_content_signals([policy(search=A), policy(search=D)]) == {}


RSL_CASES = [
    (policy(), {}),
    # `ai-index` (an AI system's retrieval index) follows the answer-time choice.
    (
        policy(train_ai=D, train_genai=D, ai_input=D),
        {"ai-train": D, "ai-input": D, "ai-index": D},
    ),
    # `ai-train` takes the most restrictive of the two training purposes...
    (policy(train_ai=A, train_genai=D), {"ai-train": D}),
    (policy(train_ai=L, train_genai=A), {"ai-train": L}),
    # ...and is free only when both are allowed: generative training alone is not all training.
    (policy(train_genai=A), {}),
    (policy(train_ai=A, train_genai=A), {"ai-train": A}),
    # TDM maps to `all` only when search says the same, else to `ai-all`...
    (
        policy(tdm=D, train_ai=D, train_genai=D, ai_input=D, search=D),
        {"all": D, "ai-train": D, "ai-input": D, "ai-index": D, "search": D},
    ),
    (
        policy(tdm=D, train_ai=D, train_genai=D, ai_input=D, search=A),
        {"ai-all": D, "ai-train": D, "ai-input": D, "ai-index": D, "search": A},
    ),
    (
        policy(tdm=D, train_ai=D, train_genai=D, ai_input=D),
        {"ai-all": D, "ai-train": D, "ai-input": D, "ai-index": D},
    ),
    # ...and not at all when a narrower token says otherwise,
    (
        policy(tdm=A, train_ai=A, train_genai=D, ai_input=A, search=A),
        {"ai-train": D, "ai-input": A, "ai-index": A, "search": A},
    ),
    # or, for a free grant, when a use it covers was left unset.
    (policy(tdm=A, ai_input=A), {"ai-input": A, "ai-index": A}),
]


@pytest.mark.parametrize(("given", "expected"), RSL_CASES)
def test_rsl_usage_tokens(given, expected):
    assert rsl_usage(given) == expected


def test_cawg_entries_map_each_value_and_name_the_terms_of_a_licence():
    terms = Licence("https://artist.example/terms", "a@artist.example")
    given = Policy(
        {P.TDM: A, P.TRAIN_AI: L, P.TRAIN_GENAI: D, P.SEARCH: D},
        {P.TRAIN_AI: terms},
    )
    assert training_mining_entries(given) == {
        "cawg.data_mining": {"use": "allowed"},
        "cawg.ai_training": {"use": "constrained", "constraint_info": terms.terms_url},
        "cawg.ai_generative_training": {"use": "notAllowed"},
    }
    contact_only = Policy({P.AI_INPUT: L}, {P.AI_INPUT: Licence(contact_email="a@artist.example")})
    assert training_mining_entries(contact_only) == {
        "cawg.ai_inference": {"use": "constrained", "constraint_info": "mailto:a@artist.example"}
    }
    # Legacy C2PA 1.x readers take `constrained` as allowed; the twin refuses instead.
    assert training_mining_entries(contact_only, "c2pa") == {
        "c2pa.ai_inference": {"use": "notAllowed"}
    }


def test_a_policy_is_read_from_an_effective_policy_row_with_its_terms():
    row = EffectivePolicy(
        train_ai="license",
        train_genai="license",
        search="allow",
        disputed=True,
        provenance=stored_provenance(
            train_ai=("license", "https://t.example", ""),
            train_genai=("license", "https://t.example", ""),
            search="allow",
        ),
    )
    read = Policy.from_effective(row)
    assert read.value(P.TRAIN_GENAI) == L
    assert read.value(P.SEARCH) == A
    assert read.value(P.TDM) == U
    assert read.disputed
    assert read.licence == Licence("https://t.example", "")


def test_licence_links_are_only_web_addresses_and_plain_email():
    assert Licence("javascript:alert(1)", "").url == ""
    assert Licence("javascript:alert(1)", "a@b.example").url == "mailto:a@b.example"
    assert Licence("https://t.example/x y", "").url == ""
    assert Licence("http://[broken", "").url == ""
    assert Licence("", "a@b.example\r\nX: y").url == ""


def test_combining_policies_keeps_the_most_restrictive_value_and_its_terms():
    terms = Licence("https://t.example")
    combined = combine_policies(
        [policy(train_genai=A, search=A), Policy({P.TRAIN_GENAI: L}, {P.TRAIN_GENAI: terms})]
    )
    assert combined.value(P.TRAIN_GENAI) == L
    assert combined.licence == terms
    assert combined.value(P.SEARCH) == A
