"""Music identifiers and link normalization: validate, normalize, format.

Each `normalize_*` returns the canonical compact form or raises InvalidIdentifier with a sentence
a person can act on.
"""

import re
import unicodedata
from dataclasses import dataclass
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
        raise InvalidIdentifier(isrc_problem(raw.strip())) from exc


ISRC_EXAMPLE = "like US-RC1-76-07839 (country, registrant, year, number)"


def isrc_problem(text: str) -> str:
    """What is wrong with an ISRC stdnum refused, in the order a person would fix it."""
    compact = stdnum_isrc.compact(text)
    prefix = f"“{text}” is not a valid ISRC"
    bad = list(dict.fromkeys(ch for ch in compact if not (ch.isascii() and ch.isalnum())))
    if bad:
        shown = ", ".join(_shown(ch) for ch in bad)
        return (
            f"{prefix}: it contains {shown}. An ISRC has only letters and digits, with hyphens "
            f"or spaces between its parts if you like, {ISRC_EXAMPLE}."
        )
    if len(compact) != 12:
        return (
            f"{prefix}: it has {len(compact)} letters and digits (hyphens and spaces aside), "
            f"but an ISRC has 12, {ISRC_EXAMPLE}."
        )
    country, digits = compact[:2], compact[5:]
    if not country.isalpha():
        return (
            f"{prefix}: it must start with a two-letter country code, but starts with "
            f"“{country}”; an ISRC is written {ISRC_EXAMPLE}."
        )
    if not digits.isdigit():
        return (
            f"{prefix}: its last seven characters, the year and the number, must be digits, but "
            f"they are “{digits}”; an ISRC is written {ISRC_EXAMPLE}."
        )
    if country not in _ISRC_COUNTRIES:
        return (
            f"{prefix}: “{country}” is not a country code ISRCs are issued under. The first two "
            "letters name the country of the registrant, such as US, GB, DE or FR; check them "
            "against the code your distributor gave you."
        )
    return f"{prefix}: write it {ISRC_EXAMPLE}."


def _shown(ch: str) -> str:
    """A character as a person can find it: visible ones quoted, invisible ones named."""
    if ch.isprintable() and not ch.isspace():
        return f"“{ch}”"
    name = unicodedata.name(ch, "").lower() or "an invisible character"
    return f"the {name} (U+{ord(ch):04X})"


def format_isrc(compact: str) -> str:
    return stdnum_isrc.format(compact) if compact else ""


_ISWC_RE = re.compile(r"^T([0-9]{9})([0-9])$")


def iswc_check_digit(digits: str) -> int:
    """C = (10 − (1 + Σ i·dᵢ) mod 10) mod 10 over the nine work digits (i from 1)."""
    total = 1 + sum(i * int(d) for i, d in enumerate(digits, start=1))
    return (10 - total % 10) % 10


def normalize_iswc(raw: str) -> str:
    """`T-034.524.680-1` or `t0345246801` → `T0345246801`."""
    text = raw.strip()
    compact = re.sub(r"[\s.\-]", "", text).upper()
    match = _ISWC_RE.match(compact)
    if not match:
        raise InvalidIdentifier(iswc_problem(text, compact))
    digits, check = match.groups()
    if iswc_check_digit(digits) != int(check):
        raise InvalidIdentifier(
            f"“{text}” is not a valid ISWC: its check digit does not match. The last digit is "
            "computed from the nine before it, so one of them was probably mistyped; please copy "
            "it again from your society's records."
        )
    return compact


ISWC_EXAMPLE = "like T-034.524.680-1"


def iswc_problem(text: str, compact: str) -> str:
    prefix = f"“{text}” is not a valid ISWC"
    if not compact.startswith("T"):
        return f"{prefix}: an ISWC starts with the letter T, {ISWC_EXAMPLE}."
    bad = list(dict.fromkeys(ch for ch in compact[1:] if not (ch.isascii() and ch.isdigit())))
    if bad:
        shown = ", ".join(_shown(ch) for ch in bad)
        return (
            f"{prefix}: it contains {shown}. After the T an ISWC has only digits, with dots or "
            f"hyphens between them if you like, {ISWC_EXAMPLE}."
        )
    return (
        f"{prefix}: it has {len(compact) - 1} digits after the T, but an ISWC is T followed by "
        f"ten digits, {ISWC_EXAMPLE}."
    )


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


_HEX = frozenset("0123456789abcdef")


def normalize_sha256(raw: str) -> str:
    """An audio file's SHA-256, as 64 lowercase hexadecimal characters."""
    text = raw.strip()
    digest = text.lower()
    prefix = f"“{text}” is not a valid SHA-256"
    bad = list(dict.fromkeys(ch for ch in digest if ch not in _HEX))
    if bad:
        shown = ", ".join(_shown(ch) for ch in bad)
        raise InvalidIdentifier(
            f"{prefix}: it contains {shown}, but a SHA-256 has only the digits 0-9 and the "
            "letters a-f."
        )
    if len(digest) != 64:
        raise InvalidIdentifier(
            f"{prefix}: it has {len(digest)} characters, but a SHA-256 has 64 (0-9 and a-f)."
        )
    return digest


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
MAX_HOST_LENGTH = 253  # RFC 1035
# After IDNA encoding: letters, digits, hyphens and underscores in non-empty dot-separated labels.
_HOST_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


@dataclass(frozen=True)
class PlatformRule:
    """How one platform writes the same page several ways, and which form the registry keeps.

    `host`: the canonical host (the rule's own host when empty). `drop`: parameters that never
    identify content there, beside TRACKING_PARAMETERS and utm_*. `rewrites`: (path pattern, new
    path) pairs, the first that matches the whole path wins; the new path may end in a query
    (`/watch?v={id}`) whose parameters join the link's. `only`: (path, parameters) pairs: on that
    path every other parameter is dropped.
    """

    host: str = ""
    drop: frozenset[str] = frozenset()
    drop_prefixes: tuple[str, ...] = ()
    rewrites: tuple[tuple[re.Pattern, str], ...] = ()
    only: tuple[tuple[str, frozenset[str]], ...] = ()
    rewritten_host: str = ""  # the host of a rewritten link, when only those change host


def _path(pattern: str) -> re.Pattern:
    return re.compile(pattern)


_YOUTUBE = PlatformRule(
    host="youtube.com",
    drop=frozenset({"si", "feature", "pp", "ab_channel"}),
    rewrites=(
        (_path(r"/shorts/(?P<id>[^/]+)"), "/watch?v={id}"),
        (_path(r"/embed/(?P<id>[^/]+)"), "/watch?v={id}"),
        (_path(r"/live/(?P<id>[^/]+)"), "/watch?v={id}"),
    ),
    # A video is its `v`: the start time (`t`), the playlist it was opened from (`list`,
    # `index`) and the share tracking only say how it was reached.
    only=(("/watch", frozenset({"v"})),),
)
_SOUNDCLOUD = PlatformRule(host="soundcloud.com", drop=frozenset({"si", "in", "ref"}))
_SPOTIFY = PlatformRule(
    drop=frozenset({"si", "context", "nd", "go", "dl_branch"}),
    rewrites=((_path(r"/intl-[a-z]{2}(?:[-_][a-z]{2})?(?P<rest>/.+)"), "{rest}"),),
)
_TIDAL = PlatformRule(
    host="tidal.com",
    drop=frozenset({"u"}),
    rewrites=(
        (_path(r"/browse(?P<rest>/(?:track|album|artist|video|playlist|mix)/.+)"), "{rest}"),
    ),
)

# Per-platform canonical forms, by host (after `www.` is dropped). Short links that only the
# platform can resolve stay as they are: `on.soundcloud.com/…` and `deezer.page.link/…` name a
# page the registry cannot know without asking the platform, which it never does while
# answering, so they match only when registered in that same short form.
PLATFORM_RULES: dict[str, PlatformRule] = {
    "youtube.com": _YOUTUBE,
    "m.youtube.com": _YOUTUBE,
    "music.youtube.com": _YOUTUBE,
    # `youtu.be/ID` is a video; any other youtu.be path is left alone.
    "youtu.be": PlatformRule(
        rewritten_host="youtube.com",
        drop=_YOUTUBE.drop,
        rewrites=((_path(r"/(?P<id>[^/]+)"), "/watch?v={id}"),),
        only=_YOUTUBE.only,
    ),
    "soundcloud.com": _SOUNDCLOUD,
    "m.soundcloud.com": _SOUNDCLOUD,
    "open.spotify.com": _SPOTIFY,
    "music.apple.com": PlatformRule(
        # `i` names the track on an album page and is kept.
        drop=frozenset({"uo", "at", "ct", "app", "ls", "itscg", "itsct", "mt"}),
    ),
    "bandcamp.com": PlatformRule(
        drop=frozenset({"from", "label", "tab"}), drop_prefixes=("search_",)
    ),
    "deezer.com": PlatformRule(
        rewrites=(
            (
                _path(
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
# Hosts whose every subdomain follows the parent's rule (each artist has `name.bandcamp.com`).
_RULES_FOR_SUBDOMAINS = ("bandcamp.com",)


def platform_rule(host: str) -> PlatformRule | None:
    rule = PLATFORM_RULES.get(host)
    if rule is None:
        for parent in _RULES_FOR_SUBDOMAINS:
            if host.endswith("." + parent):
                return PLATFORM_RULES[parent]
    return rule


def canonical_host(host: str) -> str:
    """The host a platform's links are stored under (`m.soundcloud.com` → `soundcloud.com`)."""
    rule = platform_rule(host)
    return rule.host if rule is not None and rule.host else host


def _rewrite(rule: PlatformRule, path: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The rule's path for `path` and the parameters its rewrite adds; None: no rewrite."""
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


# A link already in canonical form: https, lowercase ASCII host with a dot and no `www.`, no
# port, a path of characters that need no encoding and no trailing slash, no query, no fragment,
# on a host no platform rule rewrites or a path its rule leaves alone. The compatibility query
# gets 10,000 of these per request; a property test holds this shortcut to the full
# normalization.
_CANONICAL_URL = re.compile(
    r"https://(?!www\.)(?P<host>[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+)"
    r"(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*[A-Za-z0-9\-._~!$&'()*+,;=:@])?"
)


def normalize_url(raw: str, *, keep_scheme: bool = False) -> str:
    """Canonical form of a link so that the same page written two ways matches.

    `https` for every web link (`http://x` and `https://x` are one page to a listener), lowercase
    host (IDNA-encoded), no default port, no `www.`, no fragment, no tracking parameters (utm_*
    and the list above), the platform's own canonical form (PLATFORM_RULES), remaining parameters
    sorted, no trailing slash on a path, percent-encoding made uniform.

    `keep_scheme` keeps `http` for a page the registry fetches (a proof page), where the scheme
    says how to reach it.
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
    return _normalize_url_fully(raw, keep_scheme=keep_scheme)


def _no_rule_applies(host: str, path: str) -> bool:
    rule = platform_rule(host)
    if rule is None:
        return True
    if rule.host and rule.host != host:
        return False
    return not any(pattern.fullmatch(path) for pattern, _ in rule.rewrites)


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


def _tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in TRACKING_PARAMETERS


def _normalize_url_fully(raw: str, *, keep_scheme: bool = False) -> str:
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
        raise InvalidIdentifier(
            f"“{raw.strip()}” has no valid host name: write the full address of the page, "
            "like https://example.com/music."
        )
    default_port = port in (None, _DEFAULT_PORTS[scheme])
    if not keep_scheme:
        # `http://x:443` is `https://x` too: the port is the scheme's default once it is https.
        default_port = default_port or port == _DEFAULT_PORTS["https"]
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
