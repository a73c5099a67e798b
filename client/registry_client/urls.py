"""Identifiers as the registry reads them: the same normalization, without the registry.

A port of the registry's consent/identifiers.py (links, ISRC, ISWC, SHA-256, track ids), kept in
step by tests/client/test_urls_agree.py, which runs both over the same links. A link written two
ways that the registry treats as one page is one page here too, so a mirror or a manifest check
matches exactly what the live lookup matches.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

KINDS = ("isrc", "iswc", "url", "sha256", "track")


class InvalidIdentifier(ValueError):
    """The identifier is not one the registry can read; the message says why."""


# --- ISRC, ISWC, SHA-256, track id --------------------------------------------------------------

# The country codes ISRCs are issued under (ISO 3166-1 plus the agencies' own), as the registry
# accepts them.
ISRC_COUNTRIES = frozenset(
    {
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AN",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BC",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BK",
        "BL",
        "BM",
        "BN",
        "BO",
        "BP",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BX",
        "BY",
        "BZ",
        "CA",
        "CB",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CP",
        "CR",
        "CS",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DG",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "FX",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GX",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KS",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "QM",
        "QN",
        "QT",
        "QZ",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UK",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "XK",
        "YE",
        "YT",
        "YU",
        "ZA",
        "ZB",
        "ZM",
        "ZW",
        "ZZ",
    }
)
_ISRC_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
# Dashes a person may type or paste in place of a hyphen-minus.
_DASHES = dict.fromkeys(
    map(
        unicodedata.lookup,
        (
            "ARMENIAN HYPHEN",
            "HEBREW PUNCTUATION MAQAF",
            "HYPHEN",
            "NON-BREAKING HYPHEN",
            "FIGURE DASH",
            "EN DASH",
            "EM DASH",
            "HORIZONTAL BAR",
            "SMALL HYPHEN-MINUS",
            "FULLWIDTH HYPHEN-MINUS",
            "MONGOLIAN NIRUGU",
            "OVERLINE",
            "HYPHEN BULLET",
            "MACRON",
            "MODIFIER LETTER MINUS SIGN",
            "FULLWIDTH MACRON",
            "OGHAM SPACE MARK",
            "SUPERSCRIPT MINUS",
            "SUBSCRIPT MINUS",
            "MINUS SIGN",
            "HORIZONTAL LINE EXTENSION",
            "HORIZONTAL SCAN LINE-1",
            "HORIZONTAL SCAN LINE-3",
            "HORIZONTAL SCAN LINE-7",
            "HORIZONTAL SCAN LINE-9",
            "STRAIGHTNESS",
        ),
    ),
    "-",
)
_DASH_TABLE = str.maketrans(_DASHES)


def normalize_isrc(raw: str) -> str:
    """`us-rc1-76-07839` or `USRC17607839` -> `USRC17607839`."""
    compact = raw.strip().translate(_DASH_TABLE).replace("-", "").replace(" ", "").strip().upper()
    if _ISRC_SHAPE.fullmatch(compact) and compact[:2] in ISRC_COUNTRIES:
        return compact
    raise InvalidIdentifier(f"“{raw.strip()}” is not a valid ISRC.")


_ISWC_RE = re.compile(r"^T([0-9]{9})([0-9])$")


def normalize_iswc(raw: str) -> str:
    """`T-034.524.680-1` or `t0345246801` -> `T0345246801`."""
    compact = re.sub(r"[\s.\-]", "", raw.strip()).upper()
    match = _ISWC_RE.match(compact)
    if not match:
        raise InvalidIdentifier(f"“{raw.strip()}” is not a valid ISWC.")
    digits, check = match.groups()
    total = 1 + sum(i * int(d) for i, d in enumerate(digits, start=1))
    if (10 - total % 10) % 10 != int(check):
        raise InvalidIdentifier(
            f"“{raw.strip()}” is not a valid ISWC: its check digit does not match."
        )
    return compact


_HEX = frozenset("0123456789abcdef")


def normalize_sha256(raw: str) -> str:
    digest = raw.strip().lower()
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise InvalidIdentifier(f"“{raw.strip()}” is not a valid SHA-256 (64 characters 0-9, a-f).")
    return digest


def normalize_track(raw: str) -> str:
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError as exc:
        raise InvalidIdentifier("A track id is the UUID shown on the track's page.") from exc


def normalize(kind: str, raw: object) -> str:
    """Any identifier kind the registry answers for, as the registry stores it."""
    if kind not in KINDS:
        raise InvalidIdentifier(f"Unknown identifier kind “{kind}”; use one of {', '.join(KINDS)}.")
    if not isinstance(raw, str):
        raise InvalidIdentifier(f"The {kind} must be a string.")
    text = raw.strip()
    if kind == "isrc":
        return normalize_isrc(text)
    if kind == "iswc":
        return normalize_iswc(text)
    if kind == "url":
        return normalize_url(text)
    if kind == "sha256":
        return normalize_sha256(text)
    return normalize_track(text)


# --- Links --------------------------------------------------------------------------------------

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
        "_ga",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000
MAX_HOST_LENGTH = 253
_HOST_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


@dataclass(frozen=True)
class PlatformRule:
    """How one platform writes the same page several ways, and which form the registry keeps."""

    host: str = ""
    drop: frozenset[str] = frozenset()
    drop_prefixes: tuple[str, ...] = ()
    rewrites: tuple[tuple[re.Pattern, str], ...] = ()
    only: tuple[tuple[str, frozenset[str]], ...] = ()
    rewritten_host: str = ""


_YOUTUBE = PlatformRule(
    host="youtube.com",
    drop=frozenset({"si", "feature", "pp", "ab_channel"}),
    rewrites=(
        (re.compile(r"/shorts/(?P<id>[^/]+)"), "/watch?v={id}"),
        (re.compile(r"/embed/(?P<id>[^/]+)"), "/watch?v={id}"),
        (re.compile(r"/live/(?P<id>[^/]+)"), "/watch?v={id}"),
    ),
    only=(("/watch", frozenset({"v"})),),
)
_SOUNDCLOUD = PlatformRule(host="soundcloud.com", drop=frozenset({"si", "in", "ref"}))
_SPOTIFY = PlatformRule(
    drop=frozenset({"si", "context", "nd", "go", "dl_branch"}),
    rewrites=((re.compile(r"/intl-[a-z]{2}(?:[-_][a-z]{2})?(?P<rest>/.+)"), "{rest}"),),
)
_TIDAL = PlatformRule(
    host="tidal.com",
    drop=frozenset({"u"}),
    rewrites=(
        (
            re.compile(r"/browse(?P<rest>/(?:track|album|artist|video|playlist|mix)/.+)"),
            "{rest}",
        ),
    ),
)

# Short links only the platform can resolve (`on.soundcloud.com/…`, `deezer.page.link/…`) have
# no rule: they match only themselves, as in the registry.
PLATFORM_RULES: dict[str, PlatformRule] = {
    "youtube.com": _YOUTUBE,
    "m.youtube.com": _YOUTUBE,
    "music.youtube.com": _YOUTUBE,
    "youtu.be": PlatformRule(
        rewritten_host="youtube.com",
        drop=_YOUTUBE.drop,
        rewrites=((re.compile(r"/(?P<id>[^/]+)"), "/watch?v={id}"),),
        only=_YOUTUBE.only,
    ),
    "soundcloud.com": _SOUNDCLOUD,
    "m.soundcloud.com": _SOUNDCLOUD,
    "open.spotify.com": _SPOTIFY,
    "music.apple.com": PlatformRule(
        drop=frozenset({"uo", "at", "ct", "app", "ls", "itscg", "itsct", "mt"}),
    ),
    "bandcamp.com": PlatformRule(
        drop=frozenset({"from", "label", "tab"}), drop_prefixes=("search_",)
    ),
    "deezer.com": PlatformRule(
        rewrites=(
            (
                re.compile(
                    r"/[a-z]{2}(?:-[a-z]{2})?"
                    r"(?P<rest>/(?:track|album|artist|playlist|episode|show)/.+)"
                ),
                "{rest}",
            ),
        ),
    ),
    "tidal.com": _TIDAL,
    "listen.tidal.com": _TIDAL,
}
_RULES_FOR_SUBDOMAINS = ("bandcamp.com",)


def platform_rule(host: str) -> PlatformRule | None:
    rule = PLATFORM_RULES.get(host)
    if rule is None:
        for parent in _RULES_FOR_SUBDOMAINS:
            if host.endswith("." + parent):
                return PLATFORM_RULES[parent]
    return rule


def _rewrite(rule: PlatformRule, path: str) -> tuple[str, list[tuple[str, str]]] | None:
    for pattern, template in rule.rewrites:
        match = pattern.fullmatch(path)
        if match:
            groups = match.groupdict()
            new_path, _, query = template.partition("?")
            added = []
            for pair in query.split("&") if query else ():
                name, _, value = pair.partition("=")
                added.append((name, unquote(value.format(**groups))))
            return _clean_path(new_path.format(**groups)), added
    return None


_CANONICAL_URL = re.compile(
    r"https://(?!www\.)(?P<host>[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+)"
    r"(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*[A-Za-z0-9\-._~!$&'()*+,;=:@])?"
)
_NEEDS_PATH_CLEANING = re.compile(r"//|/\.\.?(?:/|$)")


def normalize_url(raw: str) -> str:
    """Canonical form of a link, so that the same page written two ways matches.

    `https` for every web link, lowercase IDNA host without `www.` or a default port, no
    fragment, no tracking parameters (utm_* and TRACKING_PARAMETERS), the platform's own
    canonical form (PLATFORM_RULES), the remaining parameters sorted, no trailing slash,
    uniform percent-encoding.
    """
    text = raw.strip()
    canonical = _CANONICAL_URL.fullmatch(text)
    if (
        canonical
        and len(text) <= MAX_URL_LENGTH
        and len(canonical["host"]) <= MAX_HOST_LENGTH
        and not _NEEDS_PATH_CLEANING.search(text, canonical.end("host"))
        and _no_rule_applies(canonical["host"], canonical["path"] or "")
    ):
        return text
    simple = _normalize_simple(text)
    if simple is not None:
        return simple
    return _normalize_url_fully(raw)


# A link whose every character `unquote` and `quote` leave as they are (no `%`, no `+` in the
# query), with a lowercase host, no port, no fragment: the shape of nearly every link a crawler
# meets (`http://`, `m.` hosts, `utm_*`, `si`). `_normalize_simple` gives it the form
# `_normalize_url_fully` gives, with string operations instead of urllib's parsers (which cost
# most of a manifest check); anything else goes the full way.
_SIMPLE_URL = re.compile(
    r"https?://(?P<host>[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+)"
    r"(?P<path>(?:/[A-Za-z0-9:@!$&'()*+,;=\-._~]*)*)"
    r"(?:\?(?P<query>[A-Za-z0-9\-._~=&]*))?"
)


def _normalize_simple(text: str) -> str | None:
    match = _SIMPLE_URL.fullmatch(text)
    if match is None or len(text) > MAX_URL_LENGTH:
        return None
    host = normalize_host(match["host"])
    if "." not in host:
        return None
    path = match["path"]
    if path:
        segments = path.split("/")[1:]
        if segments[-1] == "":
            segments.pop()  # a trailing slash
        if "" in segments or "." in segments or ".." in segments:
            return None
        path = "/" + "/".join(segments) if segments else ""
    query_pairs = []
    for pair in match["query"].split("&") if match["query"] else ():
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if "=" in value:  # encoded as %3D
            return None
        if not _tracking(key):
            query_pairs.append((key, value))
    rule = platform_rule(host)
    if rule is not None:
        host = rule.host or host
        rewritten = _rewrite(rule, path)
        if rewritten is not None:
            path, added = rewritten
            if any(not _PLAIN_QUERY.fullmatch(k + v) for k, v in added):
                return None
            query_pairs = added + query_pairs
            host = rule.rewritten_host or host
        kept = dict(rule.only).get(path)
        query_pairs = [
            (k, v)
            for k, v in query_pairs
            if k not in rule.drop
            and not k.startswith(rule.drop_prefixes)
            and (kept is None or k in kept)
        ]
    normalized = f"https://{host}{path}"
    if query_pairs:
        normalized += "?" + "&".join(f"{k}={v}" for k, v in sorted(query_pairs))
    if len(normalized) > MAX_URL_LENGTH:
        return None
    return normalized


_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~]*")


def _no_rule_applies(host: str, path: str) -> bool:
    rule = platform_rule(host)
    if rule is None:
        return True
    if rule.host and rule.host != host:
        return False
    return not any(pattern.fullmatch(path) for pattern, _ in rule.rewrites)


# A segment of only these (no `%`, not `.` or `..`) is the same unquoted and quoted again.
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9:@!$&'()*+,;=\-._~]+")


def _clean_path(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/"):
        if segment not in (".", "..") and _PLAIN_SEGMENT.fullmatch(segment):
            segments.append(segment)
            continue
        decoded = unquote(segment)
        if decoded in ("", "."):
            continue
        if decoded == "..":
            if segments:
                segments.pop()
            continue
        segments.append(quote(decoded, safe=":@!$&'()*+,;=-._~"))
    return "/" + "/".join(segments) if segments else ""


def _tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in TRACKING_PARAMETERS


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
    default_port = port in (None, _DEFAULT_PORTS[scheme]) or port == _DEFAULT_PORTS["https"]
    scheme = "https"
    path = _clean_path(parts.path)
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)
    ]
    rule = platform_rule(host)
    if rule is not None:
        host = rule.host or host
        rewritten = _rewrite(rule, path)
        if rewritten is not None:
            path, added = rewritten
            query_pairs = added + query_pairs
            host = rule.rewritten_host or host
        kept = dict(rule.only).get(path)
        query_pairs = [
            (k, v)
            for k, v in query_pairs
            if k not in rule.drop
            and not k.startswith(rule.drop_prefixes)
            and (kept is None or k in kept)
        ]
    netloc = host if default_port else f"{host}:{port}"
    query = urlencode(sorted(query_pairs), quote_via=quote)
    normalized = urlunsplit((scheme, netloc, path, query, ""))
    if len(normalized) > MAX_URL_LENGTH:
        raise InvalidIdentifier(
            f"This link is {len(normalized)} characters long once encoded for the web; "
            f"links can be at most {MAX_URL_LENGTH}."
        )
    return normalized


@lru_cache(maxsize=65536)
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
