"""RSL licences read with lxml in the RSL namespace, as a licensing crawler would.

`read` below is a small RSL 1.0 reader written from the specification, not from the writer: a
`<license>` without `<payment>` (or with `type="free"`) is free (§3.7); a `<permits>` list
grants only what it names, a `<prohibits>` list alone grants everything else (§3.5); a usage both
permitted and prohibited in one content is not licensed (§3.1.1); `all` and `ai-all` include the
narrower tokens (§3.4.1.1). Every combination of the artist's five choices is read back with it.
"""

from dataclasses import dataclass
from itertools import product

import lxml.etree
import pytest

from consent.purposes import PURPOSES, Purpose, Value
from consent.standards import RSL_NAMESPACE, Licence, Policy, RslContent, rsl_xml
from tests.consent.test_standards_scenarios import (
    DISPUTED,
    FULL_OPT_OUT,
    LICENCE_ONLY,
    LOOSENED,
    NO_DECLARATIONS,
    TERMS,
)

NS = {"rsl": RSL_NAMESPACE}
URL = "https://soundcloud.com/artist/song"
PAGE = "https://registry.example/t/0b5c/"
P = Purpose

# RSL 1.0 §3.4.1.1: what each usage token includes.
INCLUDES: dict[str, frozenset[str]] = {
    "all": frozenset({"all", "ai-all", "ai-train", "ai-input", "ai-index", "search"}),
    "ai-all": frozenset({"ai-all", "ai-train", "ai-input", "ai-index"}),
    "ai-train": frozenset({"ai-train"}),
    "ai-input": frozenset({"ai-input"}),
    "ai-index": frozenset({"ai-index"}),
    "search": frozenset({"search"}),
}
EVERY_USE = INCLUDES["all"]

# What the artist must have allowed for a use to be granted free: every registry purpose the use
# stands for. `ai-all` is any AI use, so it needs the broad `tdm` as well.
NEEDS: dict[str, tuple[Purpose, ...]] = {
    "ai-train": (P.TRAIN_AI, P.TRAIN_GENAI),
    "ai-input": (P.AI_INPUT,),
    "ai-index": (P.AI_INPUT,),
    "search": (P.SEARCH,),
    "ai-all": (P.TDM, P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT),
    "all": (P.TDM, P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT, P.SEARCH),
}


def expand(tokens: set[str]) -> set[str]:
    return set().union(*(INCLUDES[token] for token in tokens))


@dataclass
class Reading:
    """One `<content>` as a licensee reads it."""

    url: str
    licences: list[dict]
    free: set[str]  # uses some free licence grants
    paid: set[str]  # uses granted only against a payment
    conflicting: set[str]  # permitted by one licence and prohibited by another: not licensed


def read(text: str) -> list[Reading]:
    root = lxml.etree.fromstring(text.encode())
    assert root.tag == f"{{{RSL_NAMESPACE}}}rsl"
    readings = []
    for content in root.findall("rsl:content", NS):
        licences = []
        for element in content.findall("rsl:license", NS):
            permits = element.findall("rsl:permits[@type='usage']", NS)
            prohibits = element.findall("rsl:prohibits[@type='usage']", NS)
            # §3.5: at most one of each per type in a licence.
            assert len(permits) <= 1 and len(prohibits) <= 1
            payment = element.find("rsl:payment", NS)
            licences.append(
                {
                    "permits": set(permits[0].text.split()) if permits else None,
                    "prohibits": set(prohibits[0].text.split()) if prohibits else set(),
                    "free": payment is None or payment.get("type") == "free",
                    "payment": None if payment is None else payment.get("type"),
                    "custom": None
                    if payment is None
                    else payment.findtext("rsl:custom", namespaces=NS),
                    "contact": element.findtext("rsl:legal[@type='contact']", namespaces=NS),
                }
            )
        # §3.3: every content has at least one licence.
        assert licences, "a <content> without a <license>"
        prohibited = expand(set().union(*(lic["prohibits"] for lic in licences)))
        permitted = expand(set().union(*(lic["permits"] or set() for lic in licences)))
        conflicting = prohibited & permitted
        free: set[str] = set()
        paid: set[str] = set()
        for lic in licences:
            scope = expand(lic["permits"]) if lic["permits"] is not None else set(EVERY_USE)
            grants = scope - expand(lic["prohibits"]) - conflicting
            # A broad token is granted only when everything it includes is.
            grants = {token for token in grants if INCLUDES[token] <= grants | {token}}
            (free if lic["free"] else paid).update(grants)
        readings.append(Reading(content.get("url"), licences, free, paid - free, conflicting))
    return readings


def reading(policy: Policy) -> Reading | None:
    found = read(rsl_xml([RslContent(URL, policy)]))
    assert len(found) <= 1
    return found[0] if found else None


def allowed_by_artist(policy: Policy, use: str) -> bool:
    return all(policy.value(p) == Value.ALLOW for p in NEEDS[use])


def test_a_full_opt_out_licenses_nothing_so_the_link_has_no_content():
    """A licence holding only `<prohibits>` would grant search and AI indexing for free."""
    assert reading(FULL_OPT_OUT) is None


def test_a_licence_only_choice_offers_training_against_the_artists_terms_and_nothing_free():
    found = reading(LICENCE_ONLY)
    assert found.free == set()
    assert found.paid == {"ai-train"}
    (paid,) = found.licences
    assert paid == {
        "permits": {"ai-train"},
        "prohibits": set(),
        "free": False,
        "payment": "training",
        "custom": TERMS.terms_url,
        "contact": TERMS.contact_email,
    }
    root = lxml.etree.fromstring(rsl_xml([RslContent(URL, LICENCE_ONLY)]).encode())
    assert root.findtext("rsl:content/rsl:terms", namespaces=NS) == TERMS.terms_url


def test_a_loosened_track_permits_every_ai_use_for_free_and_not_search():
    found = reading(LOOSENED)
    assert found.free == {"ai-all", "ai-train", "ai-input", "ai-index"}
    (only,) = found.licences
    assert only["prohibits"] == set()
    assert only["payment"] == "free"


def test_a_disputed_track_prohibits_training_and_permits_the_rest():
    found = reading(DISPUTED)
    (only,) = found.licences
    assert only["prohibits"] == {"ai-train"}
    assert only["permits"] == {"ai-input", "ai-index", "search"}


def test_ai_indexing_follows_the_answer_time_choice():
    policy = Policy({P.AI_INPUT: Value.ALLOW, P.TRAIN_AI: Value.DENY})
    assert reading(policy).free == {"ai-input", "ai-index"}


def test_nothing_declared_means_no_content_at_all():
    assert reading(NO_DECLARATIONS) is None


def test_answer_time_use_is_paid_per_use_and_indexing_on_the_artists_terms():
    policy = Policy({P.AI_INPUT: Value.LICENSE}, {P.AI_INPUT: TERMS})
    found = reading(policy)
    assert found.paid == {"ai-input", "ai-index"}
    payments = {frozenset(lic["permits"]): lic["payment"] for lic in found.licences}
    assert payments == {frozenset({"ai-input"}): "use", frozenset({"ai-index"}): None}


def test_a_contact_address_is_a_legal_contact_never_a_terms_link():
    email_only = Licence(contact_email="licensing@artist.example")
    policy = Policy({P.TRAIN_AI: Value.LICENSE}, {P.TRAIN_AI: email_only})
    text = rsl_xml([RslContent(URL, policy)])
    (paid,) = reading(policy).licences
    assert paid["contact"] == "licensing@artist.example"
    assert paid["custom"] is None
    assert "mailto:" not in text
    assert lxml.etree.fromstring(text.encode()).find(".//rsl:terms", NS) is None


def test_a_licence_with_nobody_to_pay_is_no_offer():
    for licence in (Licence(), Licence(TERMS.terms_url, TERMS.contact_email, withheld=True)):
        policy = Policy({P.TRAIN_AI: Value.LICENSE}, {P.TRAIN_AI: licence})
        assert reading(policy) is None


@pytest.mark.parametrize(
    ("url", "exact", "expected"),
    [
        ("/", False, "/"),
        ("/artist/a*b", True, "/artist/a%2Ab$"),
        (
            "https://bandcamp.com/track/a b?x=1&y=<2>",
            True,
            "https://bandcamp.com/track/a%20b?x=1&y=%3C2%3E$",
        ),
        ("https://www.youtube.com/watch?v=abc", True, "https://www.youtube.com/watch?v=abc$"),
        (PAGE, False, PAGE),
    ],
)
def test_content_urls_are_patterns_escaped_for_xml(url, exact, expected):
    (found,) = read(rsl_xml([RslContent(url, LOOSENED, exact=exact)]))
    assert found.url == expected


def test_terms_with_markup_stay_text():
    terms = Licence("https://artist.example/terms?a=1&b=</custom><x>")
    policy = Policy({P.AI_INPUT: Value.LICENSE}, {P.AI_INPUT: terms})
    root = lxml.etree.fromstring(rsl_xml([RslContent(URL, policy)]).encode())
    assert root.findtext("rsl:content/rsl:terms", namespaces=NS) == terms.terms_url
    assert root.findtext(".//rsl:custom", namespaces=NS) == terms.terms_url


EVERY_POLICY = [
    dict(zip(PURPOSES, values, strict=True))
    for values in product((Value.ALLOW, Value.DENY, Value.LICENSE, Value.UNSET), repeat=5)
]


def test_no_combination_of_choices_grants_more_than_the_artist_gave():
    assert len(EVERY_POLICY) == 4**5
    for values in EVERY_POLICY:
        licences = {p: TERMS for p, value in values.items() if value == Value.LICENSE}
        policy = Policy(values, licences)
        found = read(rsl_xml([RslContent(PAGE, policy, exact=False), RslContent(URL, policy)]))
        assert len(found) in (0, 2), values
        for content in found:
            assert content.conflicting == set(), values
            for use in content.free:
                assert allowed_by_artist(policy, use), (use, values)
            for use in content.paid:
                assert all(policy.value(p) != Value.DENY for p in NEEDS[use]), (use, values)
            for lic in content.licences:
                # A free licence always says exactly what it grants.
                assert not lic["free"] or lic["permits"], values
                if lic["payment"] == "use":
                    assert expand(lic["permits"]) == {"ai-input"}, values
                if lic["payment"] == "training":
                    assert expand(lic["permits"]) == {"ai-train"}, values
        if found:
            page, link = found
            assert page.url == PAGE and link.url == URL + "$", values
            # Nothing the artist allowed or offered is left out.
            for use in ("ai-train", "ai-input", "ai-index", "search"):
                if allowed_by_artist(policy, use):
                    assert use in link.free, (use, values)
                if all(policy.value(p) == Value.LICENSE for p in NEEDS[use]):
                    assert use in link.paid, (use, values)
        else:
            for use in NEEDS:
                assert not allowed_by_artist(policy, use), (use, values)
                assert any(policy.value(p) != Value.LICENSE for p in NEEDS[use]), (use, values)


def test_nothing_points_to_an_rsl_document_that_grants_and_offers_nothing():
    """`License:` lines and `Link` headers are written exactly when the document has content."""
    from consent.standards import rules
    from consent.standards.headers import LINK_HEADER, response_headers

    for values in EVERY_POLICY:
        for licences in ({p: TERMS for p, v in values.items() if v == Value.LICENSE}, {}):
            policy = Policy(values, licences)
            has_content = "<content" in rsl_xml([RslContent(URL, policy)])
            assert rules.rsl_offers(policy) == has_content, (values, bool(licences))
            headers = response_headers(policy, rsl_url="https://registry.example/l.xml")
            assert (LINK_HEADER in headers) == has_content, values
