"""Track-page signals: headers read with http_sfv, as consumers read them, and their HTML twins."""

import http_sfv
import pytest

from consent.purposes import Purpose, Value
from consent.standards import (
    CONTENT_USAGE_HEADER,
    Policy,
    head_tags,
    response_headers,
    server_snippets,
)
from tests.consent.test_standards_scenarios import (
    DISPUTED,
    FULL_OPT_OUT,
    LICENCE_ONLY,
    LOOSENED,
    NO_DECLARATIONS,
    OPT_OUT_SEARCH_ALLOWED,
    TERMS,
)

POLICY_URL = "https://registry.example/policies/3f2a.json"
RSL_URL = "https://registry.example/licenses/3f2a.xml"


def content_usage(headers: dict[str, str]) -> dict[str, str] | None:
    """The Content-Usage header as an RFC 9651 parser sees it: keys and token values."""
    if CONTENT_USAGE_HEADER not in headers:
        return None
    parsed = http_sfv.Dictionary()
    parsed.parse(headers[CONTENT_USAGE_HEADER].encode())
    result = {}
    for key, item in parsed.items():
        assert isinstance(item.value, http_sfv.Token), key
        result[key] = str(item.value)
    return result


def headers_of(policy) -> dict[str, str]:
    return response_headers(policy, tdm_policy_url=POLICY_URL, rsl_url=RSL_URL)


@pytest.mark.parametrize(
    ("policy", "reservation", "usage", "noai"),
    [
        (FULL_OPT_OUT, "1", {"train-ai": "n", "ai-use": "n"}, True),
        (OPT_OUT_SEARCH_ALLOWED, "1", {"train-ai": "n", "ai-use": "n", "search": "y"}, True),
        (LICENCE_ONLY, "1", {"train-ai": "n"}, True),
        (LOOSENED, "0", {"train-ai": "y", "ai-use": "y"}, False),
        (DISPUTED, "1", {"train-ai": "n", "ai-use": "y", "search": "y"}, True),
        (NO_DECLARATIONS, None, None, False),
    ],
)
def test_a_track_page_carries_the_signals_of_its_policy(policy, reservation, usage, noai):
    headers = headers_of(policy)
    assert headers.get("tdm-reservation") == reservation
    assert content_usage(headers) == usage
    assert ("X-Robots-Tag" in headers) is noai
    if noai:
        assert headers["X-Robots-Tag"] == "noai, noimageai"


def test_only_a_licence_only_choice_points_to_a_tdm_policy():
    assert headers_of(LICENCE_ONLY)["tdm-policy"] == POLICY_URL
    for policy in (FULL_OPT_OUT, LOOSENED, DISPUTED, NO_DECLARATIONS):
        assert "tdm-policy" not in headers_of(policy)


def test_the_rsl_link_is_sent_only_when_there_is_something_to_license():
    assert headers_of(LICENCE_ONLY)["Link"] == (
        f'<{RSL_URL}>; rel="license"; type="application/rsl+xml"'
    )
    # RSL cannot refuse without granting the rest, so an opt-out has no RSL document to name;
    # its refusal travels in tdm-reservation, Content-Usage and noai.
    assert "Link" not in headers_of(FULL_OPT_OUT)
    assert "Link" not in headers_of(NO_DECLARATIONS)
    assert "Link" not in response_headers(LICENCE_ONLY)


def test_no_declarations_sends_no_signal_at_all():
    assert headers_of(NO_DECLARATIONS) == {}
    assert head_tags(NO_DECLARATIONS, tdm_policy_url=POLICY_URL, rsl_url=RSL_URL) == []


def tags_of(policy) -> dict[str, dict[str, str]]:
    tags = head_tags(policy, tdm_policy_url=POLICY_URL, rsl_url=RSL_URL)
    return {dict(tag.attributes).get("name", tag.element): dict(tag.attributes) for tag in tags}


def test_the_html_head_says_what_the_headers_say():
    tags = tags_of(LICENCE_ONLY)
    assert {name: attrs.get("content") for name, attrs in tags.items() if name != "link"} == {
        "tdm-reservation": "1",
        "tdm-policy": POLICY_URL,
        "robots": "noai, noimageai",
    }
    assert tags["link"] == {"rel": "license", "type": "application/rsl+xml", "href": RSL_URL}


# Training denied, answer-time use under licence: TDMRep's single `tdm:mine` offer would offer
# training for a fee, so no output names a TDMRep policy; the other signals carry the denial.
DENY_AND_LICENCE = Policy(
    {Purpose.TRAIN_GENAI: Value.DENY, Purpose.AI_INPUT: Value.LICENSE},
    {Purpose.AI_INPUT: TERMS},
)
ANSWERS_UNDER_LICENCE = Policy({Purpose.AI_INPUT: Value.LICENSE}, {Purpose.AI_INPUT: TERMS})


def test_a_denial_beside_a_licence_names_no_tdm_policy_in_headers_or_tags():
    headers = headers_of(DENY_AND_LICENCE)
    assert headers["tdm-reservation"] == "1"
    assert "tdm-policy" not in headers
    assert "tdm-policy" not in tags_of(DENY_AND_LICENCE)
    assert content_usage(headers) == {"train-ai": "n", "ai-use": "n"}


def test_nosnippet_is_sent_only_when_opted_in_and_ai_input_is_reserved():
    assert response_headers(ANSWERS_UNDER_LICENCE, nosnippet=True)["X-Robots-Tag"] == "nosnippet"
    assert response_headers(DENY_AND_LICENCE, nosnippet=True)["X-Robots-Tag"] == (
        "noai, noimageai, nosnippet"
    )
    assert "X-Robots-Tag" not in response_headers(ANSWERS_UNDER_LICENCE)
    assert "X-Robots-Tag" not in response_headers(LOOSENED, nosnippet=True)
    robots_meta = [
        dict(tag.attributes)["content"]
        for tag in head_tags(DENY_AND_LICENCE, nosnippet=True)
        if dict(tag.attributes).get("name") == "robots"
    ]
    assert robots_meta == ["noai, noimageai, nosnippet"]


def test_a_licence_alone_names_the_tdm_policy_in_headers_and_tags():
    assert headers_of(ANSWERS_UNDER_LICENCE)["tdm-policy"] == POLICY_URL
    assert tags_of(ANSWERS_UNDER_LICENCE)["tdm-policy"]["content"] == POLICY_URL


def test_urls_that_could_break_out_of_a_header_or_an_attribute_are_refused():
    for bad in (
        'https://x.example/"><script>',
        "https://x.example/a\r\nSet-Cookie: x=y",
        "javascript:alert(1)",
        "/relative",
    ):
        with pytest.raises(ValueError):
            response_headers(LICENCE_ONLY, rsl_url=bad)
        with pytest.raises(ValueError):
            head_tags(LICENCE_ONLY, tdm_policy_url=bad)


def test_web_server_lines_quote_each_value_for_their_syntax():
    snippets = server_snippets(headers_of(LICENCE_ONLY))
    assert 'add_header Content-Usage "train-ai=n" always;' in snippets["nginx"].splitlines()
    assert (
        'Header always set Link "<https://registry.example/licenses/3f2a.xml>; '
        'rel=\\"license\\"; type=\\"application/rsl+xml\\""' in snippets["apache"].splitlines()
    )
    assert 'header X-Robots-Tag "noai, noimageai"' in snippets["caddy"].splitlines()
    assert snippets["netlify"].splitlines()[0] == "/*"
    assert "  tdm-reservation: 1" in snippets["netlify"].splitlines()
    with pytest.raises(ValueError):
        server_snippets({"X-Test": "a\nb"})
