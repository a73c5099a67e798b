"""Music identifiers and link normalization: validate, normalize, format.

Each `normalize_*` returns the canonical compact form or raises InvalidIdentifier with a sentence
a person can act on.
"""

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from stdnum import isni as stdnum_isni
from stdnum import isrc as stdnum_isrc
from stdnum.exceptions import ValidationError as StdnumError


class InvalidIdentifier(ValueError):
    pass


# The common case decided without stdnum's character-by-character cleaning (batches parse 10,000
# ISRCs per request); anything else, and every error message, goes through stdnum.
_ISRC_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
_ISRC_COUNTRIES = frozenset(getattr(stdnum_isrc, "_country_codes", ()))


def normalize_isrc(raw: str) -> str:
    """`us-rc1-76-07839` or `USRC17607839` → `USRC17607839`."""
    compact = raw.strip().replace("-", "").replace(" ", "").upper()
    if _ISRC_SHAPE.fullmatch(compact) and compact[:2] in _ISRC_COUNTRIES:
        return compact
    try:
        return stdnum_isrc.validate(raw.strip())
    except StdnumError as exc:
        raise InvalidIdentifier(
            f"“{raw.strip()}” is not a valid ISRC: expected 12 characters like "
            "US-RC1-76-07839 (country, registrant, year, number)."
        ) from exc


def format_isrc(compact: str) -> str:
    return stdnum_isrc.format(compact) if compact else ""


_ISWC_RE = re.compile(r"^T([0-9]{9})([0-9])$")


def iswc_check_digit(digits: str) -> int:
    """C = (10 − (1 + Σ i·dᵢ) mod 10) mod 10 over the nine work digits (i from 1)."""
    total = 1 + sum(i * int(d) for i, d in enumerate(digits, start=1))
    return (10 - total % 10) % 10


def normalize_iswc(raw: str) -> str:
    """`T-034.524.680-1` or `t0345246801` → `T0345246801`."""
    compact = re.sub(r"[\s.\-]", "", raw.strip()).upper()
    match = _ISWC_RE.match(compact)
    if not match:
        raise InvalidIdentifier(
            f"“{raw.strip()}” is not a valid ISWC: expected T followed by ten digits, "
            "like T-034.524.680-1."
        )
    digits, check = match.groups()
    if iswc_check_digit(digits) != int(check):
        raise InvalidIdentifier(
            f"“{raw.strip()}” is not a valid ISWC: its check digit does not match; "
            "please copy it again from your society's records."
        )
    return compact


def format_iswc(compact: str) -> str:
    if not compact:
        return ""
    d = compact[1:]
    return f"T-{d[0:3]}.{d[3:6]}.{d[6:9]}-{d[9]}"


def normalize_isni(raw: str) -> str:
    try:
        return stdnum_isni.validate(raw.strip())
    except StdnumError as exc:
        raise InvalidIdentifier(
            f"“{raw.strip()}” is not a valid ISNI: expected 16 characters like "
            "0000 0001 2103 2683, the last of which is a check character."
        ) from exc


def format_isni(compact: str) -> str:
    return stdnum_isni.format(compact) if compact else ""


# Query parameters that only track where a click came from; they never identify content.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "si",
        "ref",
        "ref_src",
        "feature",
        "_hsenc",
        "_hsmi",
        "yclid",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000
MAX_HOST_LENGTH = 253  # RFC 1035
# After IDNA encoding: letters, digits, hyphens and underscores in non-empty dot-separated labels.
_HOST_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


# A link already in canonical form: lowercase ASCII host with a dot and no `www.`, no port, a
# path of characters that need no encoding and no trailing slash, no query, no fragment. The
# compatibility query gets 10,000 of these per request; a property test holds this shortcut to
# the full normalization.
_CANONICAL_URL = re.compile(
    r"https?://(?!www\.)(?P<host>[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+)"
    r"(?:/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*[A-Za-z0-9\-._~!$&'()*+,;=:@])?"
)


def normalize_url(raw: str) -> str:
    """Canonical form of a link so that the same page written two ways matches.

    Lowercase scheme and host (IDNA-encoded), no default port, no `www.`, no fragment, no
    tracking parameters (utm_* and the list above), remaining parameters sorted, no trailing
    slash on a path, percent-encoding made uniform. `http` and `https` are kept apart.
    """
    text = raw.strip()
    canonical = _CANONICAL_URL.fullmatch(text)
    if (
        canonical
        and len(text) <= MAX_URL_LENGTH
        and len(canonical["host"]) <= MAX_HOST_LENGTH
        and not _NEEDS_PATH_CLEANING.search(text, canonical.end("host"))
    ):
        return text
    return _normalize_url_fully(raw)


# A path with an empty segment (`//`) or a dot segment (`/./`, `/../`) names, to any standard URL
# parser, another path than it spells: such paths are resolved before they are stored or looked up.
_NEEDS_PATH_CLEANING = re.compile(r"//|/\.\.?(?:/|$)")


def _clean_path(path: str) -> str:
    """Dot segments removed (RFC 3986, 5.2.4), empty segments dropped, percent-encoding made
    uniform. Split on "/" before decoding, so an encoded slash (%2F) stays inside its segment
    instead of becoming a separator."""
    segments: list[str] = []
    for segment in path.split("/"):
        decoded = unquote(segment)
        if decoded in ("", "."):
            continue
        if decoded == "..":
            if segments:
                segments.pop()
            continue
        segments.append(quote(decoded, safe=":@!$&'()*+,;=-._~"))
    return "/" + "/".join(segments) if segments else ""


def _normalize_url_fully(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise InvalidIdentifier("A link cannot be empty.")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidIdentifier(f"A link can be at most {MAX_URL_LENGTH} characters long.")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidIdentifier(f"“{raw.strip()}” is not a valid link: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidIdentifier(f"“{raw.strip()}” is not a web link: it must start with https://.")
    host = normalize_host(parts.hostname or "")
    if not host or "." not in host:
        raise InvalidIdentifier(f"“{raw.strip()}” has no valid host name.")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _clean_path(parts.path)
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMETERS
    ]
    query = urlencode(sorted(query_pairs), quote_via=quote)
    normalized = urlunsplit((scheme, netloc, path, query, ""))
    # Checked again after encoding: one typed character can become up to nine stored ones.
    if len(normalized) > MAX_URL_LENGTH:
        raise InvalidIdentifier(
            f"This link is {len(normalized)} characters long once encoded for the web; "
            f"links can be at most {MAX_URL_LENGTH}."
        )
    return normalized


def normalize_host(host: str) -> str:
    """Lowercase, IDNA-encoded, without a trailing dot or a leading `www.`."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidIdentifier(f"“{host}” is not a valid host name.") from exc
    if host.startswith("www."):
        host = host[4:]
    if host and not _HOST_RE.match(host):
        raise InvalidIdentifier(f"“{host}” is not a valid host name.")
    if len(host) > MAX_HOST_LENGTH:
        raise InvalidIdentifier(f"A host name can be at most {MAX_HOST_LENGTH} characters long.")
    return host


def url_host(normalized_url: str) -> str:
    return urlsplit(normalized_url).hostname or ""
