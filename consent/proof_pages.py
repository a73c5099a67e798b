"""Looking for a link proof: fetching the page and reading it for the token or a `rel="me"` link.

The page is fetched through the guarded client webhooks use too (`consent.net`: public
addresses only, redirects only within the host, size and time limits), and for a site root its
`/.well-known/consent-registry.txt` as well. `look` answers what was found, or why not in
sentences the artist can act on; it writes nothing, so it runs outside any transaction and
`consent.proofs` records the outcome afterwards.
"""

import contextlib
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.urls import reverse

from consent import net
from consent.identifiers import InvalidIdentifier, normalize_url
from consent.models import Creator, ProfileProof

META_NAME = "consent-registry-verification"
WELL_KNOWN_PATH = "/.well-known/consent-registry.txt"
USER_AGENT = "ConsentRegistry-Proof/1.0"
Found = ProfileProof.Found


def creator_page_url(creator: Creator) -> str:
    """The creator's public page on this registry, which `rel="me"` links point to."""
    return settings.SITE_URL + reverse("creator_page", kwargs={"handle": creator.handle})


def is_site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


class _ProofParser(HTMLParser):
    """Collects what a proof can be: the page's text (script data and meta contents included,
    since many hosts ship a profile's bio there), the verification meta tag, and rel="me" links.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.meta_tokens: list[str] = []
        self.rel_me: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "meta":
            content = values.get("content", "")
            if values.get("name", "").strip().lower() == META_NAME:
                self.meta_tokens.append(content.strip())
            elif content:
                self.text.append(content)
        rels = values.get("rel", "").lower().split()
        if tag in ("a", "link") and "me" in rels and values.get("href"):
            self.rel_me.append(values["href"].strip())

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _same_page(a: str, b: str) -> bool:
    """Two absolute URLs name the same page, http or https alike."""
    if not a or not b:
        return False
    try:
        first, second = normalize_url(a), normalize_url(b)
    except (InvalidIdentifier, ValueError):
        return False
    return first.split("://", 1)[1] == second.split("://", 1)[1]


def _joined(base_url: str, href: str) -> str:
    try:
        return urljoin(base_url, href)
    except ValueError:  # a malformed href proves nothing
        return ""


def find_in_html(html: str, base_url: str, token: str, creator_page: str) -> str:
    """How the page proves it (a Found value), or ""."""
    parser = _ProofParser()
    # One feed and no close(): close() re-scans unfinished markup in quadratic time, and nothing
    # a proof needs sits in a page's unfinished tail. The parser gives up on some broken markup.
    with contextlib.suppress(AssertionError):
        parser.feed(html)
    if token in parser.meta_tokens:
        return Found.META
    if any(_same_page(_joined(base_url, href), creator_page) for href in parser.rel_me):
        return Found.REL_ME
    if token in " ".join(parser.text):
        return Found.TEXT
    return ""


@dataclass(frozen=True)
class Outcome:
    found: str  # a Found value, or "" when the proof was not found
    message: str  # why not, as sentences for the artist; "" when found


def _fetch(url: str) -> net.Page:
    return net.get_page(
        url,
        timeout=settings.PROOF_FETCH_TIMEOUT_SECONDS,
        max_bytes=settings.PROOF_FETCH_MAX_BYTES,
        allowed=net.allowed_networks(settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES),
        user_agent=f"{USER_AGENT} (+{settings.SITE_URL}/)",
    )


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit / 1024:g} KB" if limit >= 1024 else f"{limit} bytes"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _failure(url: str, exc: net.Failure) -> str:
    if isinstance(exc, net.TimedOut):
        seconds = settings.PROOF_FETCH_TIMEOUT_SECONDS
        return (
            f"{url} did not answer within {seconds} second{'s' if seconds != 1 else ''}. Check "
            "that the page is public and loads, then check again."
        )
    if isinstance(exc, net.AddressRefused):
        return f"{url} cannot be checked: {exc}"
    if isinstance(exc, net.RedirectedElsewhere):
        return str(exc)
    return (
        f"{url} could not be reached: {_sentence(str(exc))} Check the address, and that the "
        "page is public, then check again."
    )


def _look_at_page(url: str, token: str, creator_page: str) -> Outcome:
    try:
        page = _fetch(url)
    except net.Failure as exc:
        return Outcome("", _failure(url, exc))
    if not page.ok:
        return Outcome(
            "",
            f"{url} answered “{page.status} {page.reason}”, so the registry could not read it. "
            "The page must be public: open it in a private browser window to see what others see.",
        )
    if "html" in page.content_type:
        found = find_in_html(page.text(), page.url, token, creator_page)
    elif page.content_type.startswith("text/") or not page.content_type:
        found = Found.TEXT if token in page.text() else ""
    else:
        return Outcome(
            "",
            f"{url} is not a web page (it is {page.content_type}). Give the address of a page "
            "whose text you can edit, such as your profile.",
        )
    if found:
        return Outcome(found, "")
    if page.too_large:
        limit = _size(settings.PROOF_FETCH_MAX_BYTES)
        return Outcome(
            "",
            f"{url} is larger than {limit}; the registry read its first {limit} and the code "
            f"{token} is not in them. Put the code near the top of the page: the <meta> tag "
            "goes in the page's <head>, which comes first.",
        )
    return Outcome(
        "",
        f"The code {token} is not on {url}. Put it in the page's text (your bio or the track's "
        "description), or in a <meta> tag, then check again. Some sites take a few minutes to "
        "show an edit.",
    )


def _look_at_well_known(url: str, token: str) -> bool:
    parts = urlsplit(url)
    try:
        page = _fetch(f"{parts.scheme}://{parts.netloc}{WELL_KNOWN_PATH}")
    except net.Failure:
        return False
    return page.ok and token in page.text().split()


def look(proof: ProfileProof) -> Outcome:
    """Fetch the proof's page (and, for a site root, its .well-known file) and look for it."""
    creator_page = creator_page_url(proof.creator)
    outcome = _look_at_page(proof.url, proof.token, creator_page)
    if outcome.found or not is_site_root(proof.url):
        return outcome
    if _look_at_well_known(proof.url, proof.token):
        return Outcome(Found.WELL_KNOWN, "")
    return Outcome(
        "",
        outcome.message + f" The file {WELL_KNOWN_PATH} on this site does not hold it either.",
    )
