"""A creator's publishing kit: their catalogue-wide choice as the files they host on their own site.

The artist tells the kit about their site (`KitOptions`); `creator_kit` resolves their choice and
`CreatorKit` writes robots.txt, ai.txt, tdmrep.json, rsl.xml and the header lines for each web
server, with the registry's own copies the kit points to. Composed like every other feed, from
the pieces `registry.feeds` shares (`Document`, `site_url`, the policy columns).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from django.conf import settings
from django.db.models import Max
from django.urls import reverse

from consent.models import Claim, ClaimVerification, Creator, EffectivePolicy, TrackLink
from consent.policies import latest_statements
from consent.standards import (
    RSL_MEDIA_TYPE,
    TDMREP_POLICY_MEDIA_TYPE,
    PathPolicy,
    Policy,
    RslContent,
    catalogue_policy,
    creator_ai_txt,
    response_headers,
    robots_txt,
    rsl_xml,
    rules,
    server_snippets,
    single_line,
    tdmrep_json,
    tdmrep_policy_json,
)
from registry.feeds import (
    CHUNK,
    JSON,
    POLICY_COLUMNS,
    TEXT,
    Document,
    party,
    policy_from_row,
    site_url,
    tdm_policy_url,
    url_for_each,
)


@dataclass(frozen=True)
class ServerLines:
    """The header lines for one web server, and where in its configuration they go."""

    key: str
    name: str
    where: str
    lines: str


class InvalidKitOption(ValueError):
    """A kit option the artist typed that cannot be used; the message says why."""


def site_origin(text: str) -> str:
    """The origin (`https://host[:port]`) of the artist's own site, from what they typed.

    A bare host gets `https://`; a trailing `/` is dropped. Anything else after the host (a path,
    a query, a user name) is refused, because the kit's files live at the root of a site.
    """
    text = text.strip()
    if not text:
        return ""
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)", text)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise InvalidKitOption(
            f"“{text}” is not the address of a website: write it as https://your-site.example."
        )
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host or "." not in host:
        raise InvalidKitOption(
            f"“{text}” is not the address of a website: write it as https://your-site.example."
        )
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query:
        raise InvalidKitOption(
            f"“{text}” names a page, not a site: give only its address, such as "
            f"{parts.scheme}://{host}, because the files go at the root of the site."
        )
    if any(ord(ch) <= 0x20 or ch in '<>"\\' for ch in text):
        raise InvalidKitOption(f"“{text.strip()}” contains characters a web address cannot hold.")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host.lower()}{port}"


@dataclass(frozen=True)
class KitOptions:
    """What the artist tells the kit about their own site.

    `site` is its origin: with it the robots.txt `License:` line and the `Link` header name the
    kit's `rsl.xml` at the root of that site, a licence whose `<content url="/">` covers it.
    Without it there is no licence address to give, so neither is written. `nosnippet` opts in
    to keeping the site's pages out of Google's AI Overviews (`rules.nosnippet_applies`).
    """

    site: str = ""
    nosnippet: bool = False

    @classmethod
    def from_query(cls, query) -> "KitOptions":
        """From a query string (`site`, `nosnippet=1`); `InvalidKitOption` says what is wrong."""
        return cls(
            site=site_origin(query.get("site", "")[:300]),
            nosnippet=query.get("nosnippet", "") in ("1", "on", "true"),
        )

    @property
    def query(self) -> str:
        """The same options as a query string (with its `?`), `""` for the defaults."""
        params = {"site": self.site} if self.site else {}
        if self.nosnippet:
            params["nosnippet"] = "1"
        return "?" + urlencode(params) if params else ""


RSL_FILE_NAME = "rsl.xml"


@dataclass(frozen=True)
class CreatorKit:
    """A creator's catalogue-wide choice, as the files they publish on their own website.

    Resolved as for a track of theirs with no track-level choice, so the broader-purpose
    fallback applies; one rule for `/`, the whole site that publishes the files. The robots.txt
    `License:` line and the `Link` header point to the kit's `rsl.xml` on the artist's site when
    the artist gave its address (`KitOptions`); the registry's copy of the licence lists the
    artist's tracks by their addresses, not the artist's site, so it is never named there.
    """

    creator: Creator
    policy: Policy
    last_modified: datetime | None
    options: KitOptions = KitOptions()

    @property
    def tdm_policy_url(self) -> str:
        applies = rules.tdm_policy_applies(self.policy)
        return tdm_policy_url(self.creator.public_id) if applies else ""

    @property
    def licence_url(self) -> str:
        """The kit's own `rsl.xml` on the artist's site, when there is a site and a licence."""
        if not self.options.site or not rules.rsl_offers(self.policy):
            return ""
        return f"{self.options.site}/{RSL_FILE_NAME}"

    @property
    def licence_needs_site(self) -> bool:
        """The policy offers an RSL licence, but without the site's address no line names it."""
        return not self.options.site and rules.rsl_offers(self.policy)

    @property
    def nosnippet(self) -> bool:
        return rules.nosnippet_applies(self.policy, self.options.nosnippet)

    def _paths(self) -> list[PathPolicy]:
        return [PathPolicy("/", self.policy, exact=False, tdm_policy_url=self.tdm_policy_url)]

    def _comments(self, name: str) -> list[str]:
        url = site_url(reverse(f"creator_{name}", args=[self.creator.handle])) + self.options.query
        site = settings.SITE_NAME
        return [
            f"The catalogue-wide choices of {self.creator.artist_name}, from the {site}.",
            f"Current version: {url}",
        ]

    def robots_txt(self) -> Document:
        body = robots_txt(
            self._paths(), licence_url=self.licence_url, comments=self._comments("robots")
        )
        return Document(body, TEXT, self.last_modified)

    def ai_txt(self) -> Document:
        body = creator_ai_txt(self.policy, comments=self._comments("ai_txt"))
        return Document(body, TEXT, self.last_modified)

    def tdmrep_json(self) -> Document:
        return Document(tdmrep_json(self._paths()), JSON, self.last_modified)

    def rsl(self) -> Document:
        """The file to host on the artist's own site: "/" means that site."""
        body = rsl_xml([RslContent("/", self.policy, exact=False)])
        return Document(body, RSL_MEDIA_TYPE, self.last_modified)

    def registry_rsl(self) -> Document:
        """The registry's copy, which the kit's `License:` line and `Link` header name.

        Served from the registry, "/" would mean the registry's own site, so this copy lists the
        artist's works by absolute URL instead: each registered link and each track page, with
        the policy in force for that track (overrides and co-owners included). It reads the whole
        catalogue, so it is built only in the background (`registry.feed_store`), and kept
        within FEED_MAX_BYTES: a larger catalogue's file ends where the bound is, saying so.
        """
        claimed = Claim.objects.active().filter(creator=self.creator)
        rows = (
            EffectivePolicy.objects.filter(track__in=claimed.values("track"))
            .stating_something()
            .order_by("track__public_id")
            .values("track__public_id", *POLICY_COLUMNS)
        )
        page_url = url_for_each("track_public")
        links: dict[UUID, list[str]] = {}
        for link in TrackLink.objects.filter(track__in=claimed.values("track")).values(
            "track__public_id", "url"
        ):
            links.setdefault(link["track__public_id"], []).append(link["url"])
        contents = []
        for row in rows.iterator(chunk_size=CHUNK):
            policy = policy_from_row(row)
            public_id = row["track__public_id"]
            contents.append(RslContent(page_url(public_id), policy, exact=False))
            contents += [RslContent(url, policy) for url in sorted(links.get(public_id, []))]
        body = rsl_xml(
            contents,
            max_bytes=settings.FEED_MAX_BYTES,
            overflow_note=(
                "Every track page links its own licence (Link: rel=license), which covers the "
                "page and each registered link of the track."
            ),
        )
        return Document(body, RSL_MEDIA_TYPE, self.last_modified)

    def headers(self) -> dict[str, str]:
        return response_headers(
            self.policy,
            tdm_policy_url=self.tdm_policy_url,
            rsl_url=self.licence_url,
            nosnippet=self.nosnippet,
        )

    def server_lines(self) -> list[ServerLines]:
        """The header lines for each web server; none when there is no header to send."""
        headers = self.headers()
        if not headers:
            return []
        snippets = server_snippets(headers)
        return [ServerLines(key, name, where, snippets[key]) for key, name, where in SERVER_PLACES]

    def headers_txt(self) -> Document:
        # A comment must stay on its line whatever an artist typed as their name.
        lines = [f"# {single_line(line)}" for line in self._comments("headers")]
        servers = self.server_lines()
        if not servers:
            lines.append("# No choice has been declared, so there is no header to send.")
        else:
            lines.append("# Send these with every page and audio file of your site.")
        for server in servers:
            lines += ["", f"# {server.name}: {server.where}", server.lines]
        return Document("\n".join(lines) + "\n", TEXT, self.last_modified)

    def tdm_policy(self) -> Document | None:
        if not self.tdm_policy_url:
            return None
        body = tdmrep_policy_json(
            uid=self.tdm_policy_url,
            # The target identifies the collection the offer covers: the creator's catalogue,
            # whose public page is theirs on this registry (not a licence document).
            target=site_url(reverse("creator_page", args=[self.creator.handle])),
            assigner=party(self.creator),
            licence=self.policy.licence,
        )
        return Document(body, TDMREP_POLICY_MEDIA_TYPE, self.last_modified)


# Each web server's name and where its lines go, in the order headers.txt and the page show them.
SERVER_PLACES: tuple[tuple[str, str, str], ...] = (
    ("nginx", "nginx", "inside the server block (or a location block) of your site"),
    ("apache", "Apache", "with mod_headers, in the VirtualHost of your site or its .htaccess"),
    ("caddy", "Caddy", "inside the site block of your Caddyfile"),
    ("netlify", "Netlify or Cloudflare Pages", "a file named _headers at the root of your site"),
)


def creator_kit(creator: Creator, options: KitOptions = KitOptions()) -> CreatorKit:
    statements = latest_statements([creator.id], []).get((creator.id, None), {})
    changed = max((s.declared_at for s in statements.values()), default=None)
    # Only a creator who has proven a claim may publish permissions or licence terms through
    # the registry's copy of their kit.
    verifications = ClaimVerification.objects.filter(claim__creator=creator)
    proven = verifications.in_force().filter(claim__status=Claim.Status.ACTIVE).exists()
    # Becoming proven, or ceasing to be, changes the kit as much as a declaration does.
    times = verifications.aggregate(started=Max("started_at"), ended=Max("ended_at"))
    changed = max((t for t in (changed, *times.values()) if t is not None), default=None)
    return CreatorKit(creator, catalogue_policy(statements, proven), changed, options)
