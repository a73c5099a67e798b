"""Signals on a page: HTTP response headers, the same as HTML `<head>` tags, and web-server lines.

See docs/standards.md: TDMRep headers `tdm-reservation` and `tdm-policy` and their `<meta>` twins;
aipref `Content-Usage` (a Structured Field dictionary, attach draft §2); `X-Robots-Tag: noai,
noimageai` and `<meta name="robots">`; RSL discovery by a `Link` header with `rel="license"` and
`type="application/rsl+xml"`, and `<link rel="license">`. `Content-Usage` has no HTML form, so it
appears only as a header.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from consent.standards import rules
from consent.standards.policy import Policy

TDM_RESERVATION_HEADER = "tdm-reservation"
TDM_POLICY_HEADER = "tdm-policy"
CONTENT_USAGE_HEADER = "Content-Usage"
X_ROBOTS_TAG_HEADER = "X-Robots-Tag"
LINK_HEADER = "Link"
RSL_MEDIA_TYPE = "application/rsl+xml"


def _checked_url(url: str) -> str:
    """URLs go into header values and attributes: they must be absolute and single-token."""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(ord(ch) <= 0x20 or ord(ch) == 0x7F or ch in '<>"' for ch in url)
    ):
        raise ValueError(f"“{url}” must be an absolute http(s) URL without spaces or quotes.")
    return url


def rsl_link_value(rsl_url: str) -> str:
    """The `Link` header value that points a reader to an RSL licence (RSL 1.0 discovery)."""
    return f'<{_checked_url(rsl_url)}>; rel="license"; type="{RSL_MEDIA_TYPE}"'


def response_headers(
    policy: Policy, *, tdm_policy_url: str = "", rsl_url: str = "", nosnippet: bool = False
) -> dict[str, str]:
    """Every header a page about this policy carries; headers with nothing to say are absent.

    `tdm-policy` accompanies a reservation only when `rules.tdm_policy_applies` (a licence in
    the TDM family that names someone to obtain it from); the RSL `Link` is written when the
    policy has any RSL usage to state and a licence document exists. `nosnippet` is an opt-in
    of the artist's own site (`rules.nosnippet_applies`): Google's AI Overviews read no other
    signal.
    """
    headers: dict[str, str] = {}
    reservation = rules.tdm_reservation(policy)
    if reservation is not None:
        headers[TDM_RESERVATION_HEADER] = str(reservation)
        if tdm_policy_url and rules.tdm_policy_applies(policy):
            headers[TDM_POLICY_HEADER] = _checked_url(tdm_policy_url)
    if usage := rules.content_usage_value(policy):
        headers[CONTENT_USAGE_HEADER] = usage
    if directives := rules.robots_directives(policy, nosnippet=nosnippet):
        headers[X_ROBOTS_TAG_HEADER] = directives
    if rsl_url and rules.rsl_offers(policy):
        headers[LINK_HEADER] = rsl_link_value(rsl_url)
    return headers


@dataclass(frozen=True)
class HeadTag:
    """One `<meta>` or `<link>` element; the template that writes it escapes every value."""

    element: str
    attributes: tuple[tuple[str, str], ...]


def head_tags(
    policy: Policy, *, tdm_policy_url: str = "", rsl_url: str = "", nosnippet: bool = False
) -> list[HeadTag]:
    """The HTML twins of `response_headers`, decided by the same rules."""
    headers = response_headers(
        policy, tdm_policy_url=tdm_policy_url, rsl_url=rsl_url, nosnippet=nosnippet
    )
    tags: list[HeadTag] = []
    if TDM_RESERVATION_HEADER in headers:
        tags.append(
            HeadTag(
                "meta", (("name", "tdm-reservation"), ("content", headers[TDM_RESERVATION_HEADER]))
            )
        )
    if TDM_POLICY_HEADER in headers:
        tags.append(
            HeadTag("meta", (("name", "tdm-policy"), ("content", headers[TDM_POLICY_HEADER])))
        )
    if X_ROBOTS_TAG_HEADER in headers:
        directives = headers[X_ROBOTS_TAG_HEADER]
        tags.append(HeadTag("meta", (("name", "robots"), ("content", directives))))
    if LINK_HEADER in headers:
        tags.append(
            HeadTag(
                "link",
                (("rel", "license"), ("type", RSL_MEDIA_TYPE), ("href", _checked_url(rsl_url))),
            )
        )
    return tags


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_snippets(headers: Mapping[str, str]) -> dict[str, str]:
    """The same headers as configuration lines for common web servers and static hosts.

    Keys: `nginx` (inside a `server` or `location` block), `apache` (mod_headers, in a
    `VirtualHost` or `.htaccess`), `caddy` (inside a site block) and `netlify` (a `_headers`
    file, also read by Cloudflare Pages). Values are quoted and escaped for each syntax.
    """
    for name, value in headers.items():
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name + value):
            raise ValueError(f"The header “{name}” contains a control character.")
    return {
        "nginx": "\n".join(
            f"add_header {name} {_quoted(value)} always;" for name, value in headers.items()
        ),
        "apache": "\n".join(
            f"Header always set {name} {_quoted(value)}" for name, value in headers.items()
        ),
        "caddy": "\n".join(f"header {name} {_quoted(value)}" for name, value in headers.items()),
        "netlify": "\n".join(["/*", *(f"  {name}: {value}" for name, value in headers.items())]),
    }
