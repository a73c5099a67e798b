"""The public feeds and signals, composed from the database for `consent.standards` to write.

Every document is computed at request time from EffectivePolicy (and TrackLink, Creator and a
creator's catalogue-wide declarations), so a declaration shows in every feed as soon as it
commits. Queries read only the columns a feed needs and stream with `.iterator()`: one query per
feed whatever the number of tracks. The formats themselves are written by `consent.standards`;
this module decides which paths, terms and URLs go into them.
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.urls import reverse

from consent.models import (
    POLICY_FIELDS,
    ChangeEvent,
    Claim,
    ClaimVerification,
    Creator,
    EffectivePolicy,
    Track,
    TrackLink,
)
from consent.policies import latest_statements
from consent.provenance import Source, read_sources
from consent.purposes import PURPOSES, Purpose, Value
from consent.standards import (
    RSL_MEDIA_TYPE,
    TDMREP_POLICY_MEDIA_TYPE,
    Assigner,
    PathPolicy,
    Policy,
    RslContent,
    ai_txt,
    catalogue_policy,
    cawg_assertions,
    creator_ai_txt,
    link_path,
    merge_paths,
    response_headers,
    robots_txt,
    rsl_xml,
    rules,
    server_snippets,
    single_line,
    tdmrep_json,
    tdmrep_policy_json,
)
from registry.apps import SITE_NAME

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"

# Columns every feed reads from EffectivePolicy.
POLICY_COLUMNS = [*POLICY_FIELDS.values(), "disputed", "provenance", "updated_at"]
# Pages of the registry crawlers have no business in. Every group of /robots.txt carries them,
# because a crawler that finds a group for its own name ignores `User-agent: *`.
PRIVATE_PREFIXES = ("/admin/", "/accounts/")
CHUNK = 2000


@dataclass(frozen=True)
class Document:
    """One file as served: its text, media type, and when what it describes last changed."""

    body: str
    content_type: str
    last_modified: datetime | None = None


def feeds_version() -> str:
    """A token that changes whenever any feed could: a consent change, a link added or removed.

    Three index-backed aggregates, so a feed can be answered from cache (or with 304) without
    being rebuilt; a rebuild of a large feed costs seconds, this costs milliseconds.
    """
    sequence = ChangeEvent.objects.aggregate(last=Max("sequence"))["last"] or 0
    links = TrackLink.objects.aggregate(count=Count("id"), last=Max("id"))
    return f"{sequence}.{links['count']}.{links['last'] or 0}"


def site_url(path: str) -> str:
    """An absolute URL on this registry: RSL, TDMRep and Link headers need absolute URLs."""
    return settings.SITE_URL + path


def feed_max_bytes() -> int:
    """What robots-style files are kept within: the size RFC 9309 says every crawler reads."""
    return settings.FEED_MAX_BYTES


def url_for_each(url_name: str, *, absolute: bool = True) -> Callable[[UUID], str]:
    """A function giving the URL of `url_name` for any public id, resolved once.

    Feeds name a URL for every track they list; one `reverse()` per row would cost more than
    reading the row.
    """
    placeholder = str(UUID(int=0))
    template = reverse(url_name, args=[placeholder])
    if absolute:
        template = site_url(template)
    head, tail = template.split(placeholder)
    return lambda public_id: f"{head}{public_id}{tail}"


def tdm_policy_url(public_id: UUID) -> str:
    """The TDMRep policy of a track or of a creator's catalogue (one URL space for both)."""
    return site_url(reverse("tdm_policy", args=[public_id]))


def licence_url(public_id: UUID) -> str:
    """The RSL licence of a track or of a creator's catalogue."""
    return site_url(reverse("rsl_licence", args=[public_id]))


def track_page_url(public_id: UUID) -> str:
    return site_url(reverse("track_public", args=[public_id]))


class _PolicyColumns:
    """What `Policy.from_effective` reads of an EffectivePolicy, from columns read with `.values()`.

    Feeds read thousands of rows; a model instance per row would cost more than the query.
    """

    __slots__ = ("disputed", "row")

    def __init__(self, row: dict) -> None:
        self.row = row
        self.disputed = row["disputed"]

    def value_of(self, purpose: Purpose) -> Value:
        return Value(self.row[POLICY_FIELDS[purpose]])

    def sources(self, purposes: Iterable[Purpose] = PURPOSES) -> dict[Purpose, Source]:
        return read_sources(self.row["provenance"], purposes)


def policy_from_row(row: dict) -> Policy:
    return Policy.from_effective(_PolicyColumns(row))


def _party(creator: Creator) -> Assigner:
    """The rightsholder an ODRL policy names: by ISNI when known, else the stable public id."""
    uid = (
        f"https://isni.org/isni/{creator.isni}" if creator.isni else f"urn:uuid:{creator.public_id}"
    )
    return Assigner(uid=uid, name=creator.artist_name)


# --- A track ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackSignals:
    """What a track's page, its headers and its machine-readable twins say about the track."""

    track: Track
    effective: EffectivePolicy

    @cached_property
    def policy(self) -> Policy:
        return Policy.from_effective(self.effective)

    @property
    def last_modified(self) -> datetime:
        return self.effective.updated_at

    def signal_options(self) -> dict[str, str]:
        """The documents the headers and tags may point to; each is written only when it applies."""
        return {
            "tdm_policy_url": tdm_policy_url(self.track.public_id),
            "rsl_url": licence_url(self.track.public_id),
        }

    def headers(self) -> dict[str, str]:
        return response_headers(self.policy, **self.signal_options())

    def cawg(self) -> Document:
        """The assertions as a C2PA manifest definition fragment, ready to merge into one."""
        body = _json({"assertions": cawg_assertions(self.policy)})
        return Document(body, JSON, self.last_modified)

    def rsl(self) -> Document:
        """The track's public page and every registered link: one work, one set of terms."""
        links = list(self.track.links.order_by("url").values_list("url", "created_at"))
        page = RslContent(track_page_url(self.track.public_id), self.policy, exact=False)
        contents = [page, *(RslContent(url, self.policy) for url, _ in links)]
        changed = max([self.last_modified, *(created for _, created in links)])
        return Document(rsl_xml(contents), RSL_MEDIA_TYPE, changed)

    def tdm_policy(self) -> Document | None:
        """The ODRL offer, when part of TDM is open under a licence; None otherwise."""
        policy = self.policy
        if not rules.tdm_policy_applies(policy):
            return None
        # The party comes from the same declaration as the terms `policy.licence` names.
        purpose = policy.licensed_purpose
        holder = Creator.objects.get(public_id=self.effective.sources([purpose])[purpose].creator)
        body = tdmrep_policy_json(
            uid=tdm_policy_url(self.track.public_id),
            target=track_page_url(self.track.public_id),
            assigner=_party(holder),
            licence=policy.licence,
        )
        return Document(body, TDMREP_POLICY_MEDIA_TYPE, self.last_modified)


def track_signals(public_id: UUID) -> TrackSignals | None:
    """None for an unknown track, or one still without a policy: nothing public yet."""
    track = Track.objects.select_related("policy").filter(public_id=public_id).first()
    if track is None:
        return None
    try:
        return TrackSignals(track, track.policy)
    except EffectivePolicy.DoesNotExist:
        return None


# --- The registry's own site ----------------------------------------------------------------


def _stating_policies() -> Iterator[dict]:
    rows = (
        EffectivePolicy.objects.stating_something()
        .order_by("track_id")
        .values("track__public_id", *POLICY_COLUMNS)
    )
    return rows.iterator(chunk_size=CHUNK)


def _registry_changed() -> datetime | None:
    # Over every policy, not only those listed: a track that went back to "no reservation"
    # leaves the files, and that is a change too.
    return EffectivePolicy.objects.aggregate(at=Max("updated_at"))["at"]


def _registry_paths() -> list[PathPolicy]:
    """Every track page that states something, as a prefix: it also covers the page's twins."""
    page_path = url_for_each("track_public", absolute=False)
    policy_url = url_for_each("tdm_policy")
    paths = []
    for row in _stating_policies():
        policy = policy_from_row(row)
        paths.append(
            PathPolicy(
                page_path(row["track__public_id"]),
                policy,
                exact=False,
                tdm_policy_url=_policy_url_if_offered(policy_url, row, policy),
            )
        )
    return paths


def _policy_url_if_offered(policy_url: Callable[[UUID], str], row: dict, policy: Policy) -> str:
    """A tdm-policy link only where that policy exists; anything else would point at a 404."""
    return policy_url(row["track__public_id"]) if rules.tdm_policy_applies(policy) else ""


def registry_robots_txt() -> Document:
    body = robots_txt(
        _registry_paths(),
        licence_url=site_url(reverse("registry_licence")),
        comments=[
            f"{SITE_NAME}: each track page /t/<id>/ carries its owners' choices about AI.",
            "Track pages whose owners reserve a use are disallowed for the crawlers of that use;",
            "Content-Usage rules state the IETF AI preferences of every track page.",
        ],
        always_disallow=PRIVATE_PREFIXES,
        complete_urls=[site_url(reverse("registry_tdmrep"))],
        max_bytes=feed_max_bytes(),
    )
    return Document(body, TEXT, _registry_changed())


def registry_tdmrep_json() -> Document:
    return Document(tdmrep_json(_registry_paths()), JSON, _registry_changed())


def registry_rsl() -> Document:
    page_url = url_for_each("track_public")
    contents = (
        RslContent(page_url(row["track__public_id"]), policy_from_row(row), exact=False)
        for row in _stating_policies()
    )
    return Document(rsl_xml(contents), RSL_MEDIA_TYPE, _registry_changed())


# --- A creator's publishing kit --------------------------------------------------------------


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
        return [
            f"The catalogue-wide choices of {self.creator.artist_name}, from the {SITE_NAME}.",
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
        the policy in force for that track (overrides and co-owners included).
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
        return Document(rsl_xml(contents), RSL_MEDIA_TYPE, self.last_modified)

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
            assigner=_party(self.creator),
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


# --- Hosts on which registered tracks have links ------------------------------------------


def host_counts() -> QuerySet:
    """Hosts with the number of registered tracks linked there, most tracks first."""
    return (
        TrackLink.objects.values("host")
        .annotate(tracks=Count("track", distinct=True))
        .order_by("-tracks", "host")
    )


@dataclass(frozen=True)
class HostFeed:
    """The registered link paths on one host with their tracks' policies."""

    host: str
    paths: list[PathPolicy]
    last_modified: datetime | None

    def _comments(self) -> list[str]:
        return [
            f"The choices of the owners of tracks registered at the {SITE_NAME}, for their pages",
            f"on {self.host}. Published by the registry, not by {self.host}: apply it as that",
            "host's own file. Paths are exact, as the registry normalizes links (lowercase host,",
            "no trailing slash, sorted query without tracking parameters).",
        ]

    def _complete_urls(self) -> list[str]:
        return [site_url(reverse("host_tdmrep", args=[self.host]))]

    def _licence_contents(self) -> list[RslContent]:
        """Each registered link on the host as an absolute, exact RSL content (links are stored
        as https), several tracks on one URL combined to the most restrictive."""
        return [
            RslContent(f"https://{self.host}{entry.path}", entry.policy)
            for entry in merge_paths(self.paths)
        ]

    @property
    def licence_url(self) -> str:
        """The host's RSL licence, named by its robots.txt when some link offers something.

        A licence-only link is allowed to crawlers (RSL: `License:` never changes Allow and
        Disallow), so the `License:` line is how a crawler finds the terms."""
        if any(rules.rsl_offers(content.policy) for content in self._licence_contents()):
            return site_url(reverse("host_rsl", args=[self.host]))
        return ""

    def robots_txt(self) -> Document:
        body = robots_txt(
            self.paths,
            licence_url=self.licence_url,
            comments=self._comments(),
            complete_urls=self._complete_urls(),
            max_bytes=feed_max_bytes(),
        )
        return Document(body, TEXT, self.last_modified)

    def rsl(self) -> Document:
        return Document(rsl_xml(self._licence_contents()), RSL_MEDIA_TYPE, self.last_modified)

    def ai_txt(self) -> Document:
        body = ai_txt(
            self.paths,
            comments=self._comments(),
            complete_urls=self._complete_urls(),
            max_bytes=feed_max_bytes(),
        )
        return Document(body, TEXT, self.last_modified)

    def tdmrep_json(self) -> Document:
        """Never cut: it is the complete list the robots-style files point to when they are."""
        return Document(tdmrep_json(self.paths), JSON, self.last_modified)


def host_is_known(host: str) -> bool:
    return TrackLink.objects.filter(host=host).exists()


def host_feed(host: str) -> HostFeed | None:
    """Every registered link path on a host, exact (`$`-anchored); None for an unknown host.

    A link names one track: as a prefix, `/artist/song` would also cover `/artist/song-remix`,
    someone else's music. Several tracks on one URL are combined to the most restrictive by the
    serializers. Links with an explicit port are left out: robots.txt applies per scheme, host
    and port, so a rule for `host:8443` does not belong in the file for `host`.
    """
    rows = (
        TrackLink.objects.filter(host=host)
        .order_by("url", "id")
        .values(
            "url",
            "created_at",
            "track__public_id",
            *[f"track__policy__{field}" for field in POLICY_COLUMNS],
        )
    )
    policy_url = url_for_each("tdm_policy")
    changed: datetime | None = None
    paths = []
    for row in rows.iterator(chunk_size=CHUNK):
        changed = row["created_at"] if changed is None else max(changed, row["created_at"])
        policy_row = {field: row[f"track__policy__{field}"] for field in POLICY_COLUMNS}
        if policy_row["updated_at"] is None:
            continue  # a track still being registered has no policy yet
        changed = max(changed, policy_row["updated_at"])
        policy = policy_from_row(policy_row)
        if policy.is_unset or urlsplit(row["url"]).port is not None:
            continue
        paths.append(
            PathPolicy(
                link_path(row["url"]),
                policy,
                exact=True,
                tdm_policy_url=_policy_url_if_offered(policy_url, row, policy),
            )
        )
    # No link at all: the registry knows nothing of this host.
    return None if changed is None else HostFeed(host, paths, changed)


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
