"""Paths as robots.txt, ai.txt, TDMRep and RSL patterns, percent-encoded per RFC 9309.

RFC 9309 §2.2.2: `*` and `$` are special in patterns, and a literal one must be written `%2A` or
`%24`; octets outside US-ASCII must be percent-encoded. The aipref attach draft (§3) adds that
spaces and tabs in Content-Usage paths are `%20`/`%09`, because whitespace ends the path. `#`
starts a comment and CR/LF end a line. Encoding every one of these means no registered URL, however
unusual, can add a line, a comment or a wildcard to a file the registry publishes.

Exact match: a registered link stands for one track, so its pattern ends with `$`. Without it,
`/artist/song` would also cover `/artist/song-remix` or `/watch?v=abc` every `/watch?v=abcd`:
other people's music. The cost is that a crawler must compare the URL as the registry normalized
it (no trailing slash, sorted query, no tracking parameters, see `consent.identifiers`).
"""

from urllib.parse import urlsplit

# Left as they are: RFC 3986 unreserved characters, the sub-delimiters other than `*` and `$`,
# and the path and query delimiters. Everything else is percent-encoded.
_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!&'()+,;=:@/?")
_HEX = frozenset("0123456789abcdefABCDEF")


def encode_path(path: str) -> str:
    """The path (and query) with every character that is not literal in a pattern encoded.

    An existing `%XX` escape is kept (with upper-case hex) so an already-normalized URL is not
    encoded twice; a `%` that starts no escape becomes `%25`. The result always starts with `/`.
    """
    if not path.startswith("/"):
        path = "/" + path
    if _KEEP.issuperset(path):
        return path
    data = path.encode("utf-8")
    out: list[str] = []
    i = 0
    while i < len(data):
        byte = data[i]
        escape = data[i + 1 : i + 3].decode("ascii", "replace")
        if byte == 0x25 and len(escape) == 2 and set(escape) <= _HEX:
            out.append("%" + escape.upper())
            i += 3
            continue
        char = chr(byte)
        out.append(char if byte < 0x80 and char in _KEEP else f"%{byte:02X}")
        i += 1
    return "".join(out)


def path_pattern(path: str, exact: bool = True) -> str:
    """A robots.txt path pattern for `path`: exact (`$`-terminated) or a prefix."""
    encoded = encode_path(path)
    return encoded + "$" if exact else encoded


def link_path(url: str) -> str:
    """The part of a link a robots-style rule matches: its path and query (RFC 9309 §2.2.2)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def url_pattern(url: str, exact: bool = True) -> str:
    """A pattern for RSL `<content url>`: a path pattern, or an absolute URL with its path encoded.

    RSL 1.0 accepts either form, and matches both as RFC 9309 patterns (RSL 1.0 §3.3), so an
    absolute URL is a prefix too: `…/song` would also cover `…/song-remix`. An exact URL (a
    registered link) therefore ends with `$` like an exact path; a prefix (the registry's own
    `/t/<id>/` page, a creator's whole site) does not.
    """
    if url.startswith("/"):
        return path_pattern(url, exact)
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port
    except (UnicodeError, ValueError) as exc:
        raise ValueError(f"“{url}” is not a valid http(s) URL.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"“{url}” is neither a path nor an http(s) URL.")
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    pattern = f"{parts.scheme}://{netloc}{encode_path(link_path(url))}"
    return pattern + "$" if exact else pattern
