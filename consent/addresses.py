"""Addresses people type: links to web pages, licence terms URLs and licensing contact emails.

One function per rule, shared by the website's forms, the CSV import and the domain commands
behind them, so that a link refused on one is refused on all of them with the same sentence.

A link the registry stores is published: in the API's answers, in robots.txt and ai.txt for its
host, in feeds. So only an address of a web page (http or https, with a host name) is accepted.
Anything else is refused with what it is, quoting the input: an email link (`mailto:`) used to be
read as `https://host` and would have published a reservation for a stranger's homepage.
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from consent.identifiers import InvalidIdentifier, normalize_url

MAX_TERMS_URL_LENGTH = 500
MAX_EMAIL_LENGTH = 254

WEB_SCHEMES = frozenset({"http", "https"})

# A scheme as RFC 3986 spells it, at the very start: `mailto:`, `tel:`, `ftp://`.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# What follows `host:` when the colon starts a port, not a scheme: `example.com:8080/page`.
_PORT = re.compile(r"[0-9]+(?:[/?#]|$)")

# What other kinds of address are, in the words of the person who typed one.
_NOT_A_PAGE = {
    "mailto": "it is an email link (mailto:)",
    "tel": "it is a phone number (tel:)",
    "sms": "it is a text message link (sms:)",
    "ftp": "ftp: addresses are for file transfer",
    "ftps": "ftps: addresses are for file transfer",
    "sftp": "sftp: addresses are for file transfer",
    "file": "it points to a file on one computer (file:)",
    "javascript": "it is a script (javascript:), which is never accepted",
    "data": "it holds data inside the link itself (data:)",
    "blob": "it only exists inside one browser window (blob:)",
    "about": "it is a browser's internal page (about:)",
}

WRITE_A_PAGE = "Write the full address of a web page, starting with https://."


def _not_a_page(text: str, scheme: str) -> InvalidIdentifier:
    what = _NOT_A_PAGE.get(scheme, f"“{scheme}:” addresses are not web pages")
    advice = WRITE_A_PAGE
    if scheme == "mailto":
        advice += " An email address for licensing belongs in the contact email."
    return InvalidIdentifier(f"“{text}” is not a web link: {what}. {advice}")


def check_web_address(raw: str) -> str:
    """The address, stripped, when it can be read as a web page; otherwise InvalidIdentifier
    saying what it is instead. A page written without a scheme (`example.com/page`) passes."""
    text = raw.strip()
    if not text:
        raise InvalidIdentifier("A link cannot be empty.")
    if text.startswith(("/", "./", "../", "?", "#")):
        raise InvalidIdentifier(
            f"“{text}” is only part of an address: it has no site name. {WRITE_A_PAGE[:-1]}, "
            "like https://example.com/music."
        )
    match = _SCHEME.match(text)
    if match:
        scheme, rest = match[1].lower(), text[match.end() :]
        if not rest.startswith("//") and _PORT.match(rest):
            pass  # `example.com:8080/page`: a host and its port, written without a scheme
        elif scheme not in WEB_SCHEMES:
            raise _not_a_page(text, scheme)
        elif not rest.startswith("//"):
            raise InvalidIdentifier(
                f"“{text}” is not a web link: “{match[0]}” must be followed by two slashes, "
                "like https://example.com/music."
            )
    url = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(url)
        has_user = parts.username is not None
    except ValueError:
        has_user = False  # normalize_url says what is wrong with it
    if has_user:
        if match is None and "/" not in text and ":" not in text:
            raise InvalidIdentifier(
                f"“{text}” is not a web link: it is an email address. {WRITE_A_PAGE} An email "
                "address for licensing belongs in the contact email."
            )
        raise InvalidIdentifier(
            f"“{text}” is not a web link: it has a user name or password before the site name "
            "(the part before “@”). Write the address of the page without it."
        )
    return text


def normalize_web_link(raw: str) -> str:
    """A track's link (`consent.identifiers.normalize_url`'s canonical form), refusing what is
    not a web page: every form, the import and the commands that store links call this."""
    return normalize_url(check_web_address(raw))


def clean_terms_url(raw: str) -> str:
    """A licence terms URL: a web page, stored as written (the page may need every query
    parameter) and only completed with https:// when written without a scheme."""
    text = raw.strip()
    if not text:
        return ""
    if len(text) > MAX_TERMS_URL_LENGTH:
        raise InvalidIdentifier(
            f"The licence terms URL is {len(text):,} characters long; the limit is "
            f"{MAX_TERMS_URL_LENGTH}. Link to a page with a shorter address."
        )
    text = check_web_address(text)
    url = text if "://" in text else f"https://{text}"
    normalize_url(url)  # refuses what has no valid host name, saying so
    return url


def clean_contact_email(raw: str) -> str:
    """A licensing contact email: one address, as written."""
    text = raw.strip()
    if not text:
        return ""
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidIdentifier(
            f"The contact email is {len(text):,} characters long; an email address can be at "
            f"most {MAX_EMAIL_LENGTH}."
        )
    if text.lower().startswith("mailto:"):
        raise InvalidIdentifier(
            f"“{text}” is an email link: write only the address after “mailto:”, like "
            "licensing@example.com."
        )
    if "://" in text or text.lower().startswith("www."):
        raise InvalidIdentifier(
            f"“{text}” is a web address, not an email address. A page with your licence terms "
            "belongs in the terms URL; here, write an address like licensing@example.com."
        )
    if re.search(r"[,;]", text):
        raise InvalidIdentifier(
            f"“{text}” is not one email address: write a single address, like "
            "licensing@example.com."
        )
    if "@" not in text:
        raise InvalidIdentifier(
            f"“{text}” is not a valid email address: it has no “@”. Write it like "
            "licensing@example.com."
        )
    if len(text.split()) > 1:
        raise InvalidIdentifier(
            f"“{text}” is not a valid email address: it contains a space. Write it like "
            "licensing@example.com."
        )
    if text.count("@") > 1:
        raise InvalidIdentifier(
            f"“{text}” is not a valid email address: it has more than one “@”. Write it like "
            "licensing@example.com."
        )
    domain = text.rsplit("@", 1)[1]
    if "." not in domain:
        raise InvalidIdentifier(
            f"“{text}” is not a valid email address: “{domain}” after the “@” is not a full "
            "domain name. Write it like licensing@example.com."
        )
    try:
        validate_email(text)
    except ValidationError as exc:
        raise InvalidIdentifier(
            f"“{text}” is not a valid email address: check it for typing mistakes. Write it "
            "like licensing@example.com."
        ) from exc
    return text
