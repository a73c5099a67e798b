"""RSL licences read with lxml in the RSL namespace, as a licensing crawler would."""

import lxml.etree
import pytest

from consent.purposes import Purpose, Value
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


def licences(policy) -> list[dict]:
    """Each `<license>` of the one content: permitted and prohibited tokens, payment, custom."""
    root = lxml.etree.fromstring(rsl_xml([RslContent(URL, policy)]).encode())
    assert root.tag == f"{{{RSL_NAMESPACE}}}rsl"
    (content,) = root.findall("rsl:content", NS)
    assert content.get("url") == URL
    result = []
    for element in content.findall("rsl:license", NS):
        permits = element.findall("rsl:permits", NS)
        prohibits = element.findall("rsl:prohibits", NS)
        # RSL 1.0 §3.5: at most one of each per type in a licence.
        assert len(permits) <= 1 and len(prohibits) <= 1
        payment = element.find("rsl:payment", NS)
        result.append(
            {
                "permits": set(permits[0].text.split()) if permits else set(),
                "prohibits": set(prohibits[0].text.split()) if prohibits else set(),
                "payment": payment.get("type") if payment is not None else None,
                "custom": payment.findtext("rsl:custom", namespaces=NS)
                if payment is not None
                else None,
            }
        )
    return result


def free_use(policy, token: str) -> bool:
    """A consumer may use `token` without paying if some free licence permits it."""
    return any(
        token in lic["permits"] and lic["payment"] in (None, "free") for lic in licences(policy)
    )


def licensable(policy, token: str) -> bool:
    return any(
        token in lic["permits"] and lic["payment"] not in (None, "free") for lic in licences(policy)
    )


def test_a_full_opt_out_prohibits_training_and_input_in_every_licence():
    (only,) = licences(FULL_OPT_OUT)
    assert only["prohibits"] == {"ai-train", "ai-input"}
    assert only["permits"] == set()
    assert not free_use(FULL_OPT_OUT, "ai-train")
    assert not licensable(FULL_OPT_OUT, "ai-train")


def test_a_licence_only_choice_offers_training_against_the_artists_terms():
    free, paid = licences(LICENCE_ONLY)
    assert free["prohibits"] == {"ai-train"}
    assert paid == {
        "permits": {"ai-train"},
        "prohibits": set(),
        "payment": "training",
        "custom": TERMS.terms_url,
    }
    assert not free_use(LICENCE_ONLY, "ai-train")
    assert licensable(LICENCE_ONLY, "ai-train")
    root = lxml.etree.fromstring(rsl_xml([RslContent(URL, LICENCE_ONLY)]).encode())
    assert root.findtext("rsl:content/rsl:terms", namespaces=NS) == TERMS.terms_url


def test_a_loosened_track_permits_every_ai_use_for_free():
    for token in ("ai-all", "ai-train", "ai-input"):
        assert free_use(LOOSENED, token), token
    (only,) = licences(LOOSENED)
    assert only["prohibits"] == set()
    assert only["payment"] == "free"
    # `tdm: allow` is written as `ai-all`: search was not declared, so it is not granted.
    assert "ai-all" in only["permits"] and "all" not in only["permits"]


def test_a_disputed_track_prohibits_training_and_permits_the_rest():
    (only,) = licences(DISPUTED)
    assert only["prohibits"] == {"ai-train"}
    assert only["permits"] == {"ai-input", "search"}


def test_nothing_declared_means_no_content_at_all():
    root = lxml.etree.fromstring(rsl_xml([RslContent(URL, NO_DECLARATIONS)]).encode())
    assert root.findall("rsl:content", NS) == []


@pytest.mark.parametrize(
    ("url", "exact", "expected"),
    [
        ("/", False, "/"),
        ("/artist/a*b", True, "/artist/a%2Ab$"),
        (
            "https://bandcamp.com/track/a b?x=1&y=<2>",
            True,
            "https://bandcamp.com/track/a%20b?x=1&y=%3C2%3E",
        ),
    ],
)
def test_content_urls_are_patterns_escaped_for_xml(url, exact, expected):
    text = rsl_xml([RslContent(url, FULL_OPT_OUT, exact=exact)])
    root = lxml.etree.fromstring(text.encode())
    assert root.find("rsl:content", NS).get("url") == expected


def test_terms_with_markup_stay_text():
    terms = Licence("https://artist.example/terms?a=1&b=</custom><x>")
    policy = Policy({Purpose.AI_INPUT: Value.LICENSE}, {Purpose.AI_INPUT: terms})
    root = lxml.etree.fromstring(rsl_xml([RslContent(URL, policy)]).encode())
    assert root.findtext("rsl:content/rsl:terms", namespaces=NS) == terms.terms_url
    assert root.find(".//rsl:payment", NS).get("type") == "use"
