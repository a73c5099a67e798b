"""The public feeds and signals, composed from the database for `consent.standards` to write.

A track's own documents (its page's signals, RSL licence, TDMRep policy and CAWG twin) are
computed at request time from its one EffectivePolicy row. The files that cover many tracks (a
host's shards, a creator's licence, the host list) are built here too, but only by
`registry.feed_store`, in the background, and served as last built. Queries read only the
columns a feed needs and stream with `.iterator()`. The formats themselves are written by
`consent.standards`; this module decides which paths, terms and URLs go into them. A creator's
publishing kit, the files an artist hosts on their own site, is composed from the same pieces in
`registry.kit`.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.urls import reverse

from consent.models import (
    POLICY_FIELDS,
    Creator,
    EffectivePolicy,
    Track,
    TrackLink,
)
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
    cawg_assertions,
    link_path,
    merge_paths,
    response_headers,
    robots_txt,
    rsl_xml,
    rules,
    tdmrep_json,
    tdmrep_policy_json,
)

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


def party(creator: Creator) -> Assigner:
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
            assigner=party(holder),
            licence=policy.licence,
        )
        return Document(body, TDMREP_POLICY_MEDIA_TYPE, self.last_modified)


def no_tdm_policy_reason(policy: Policy, licence_url: str) -> str:
    """Why there is no TDMRep offer for a policy, in words that never deny a licence that exists.

    TDMRep covers text and data mining only, and names only a licence someone can be asked for;
    a licence for search alone, or one whose terms are withheld, is still a licence.
    """
    licensed = [p for p in PURPOSES if policy.value(p) == Value.LICENSE]
    if not licensed:
        return "The owners offer no licence for this music, so there is no TDMRep policy."
    denied = [p for p in rules.TDM_FAMILY if policy.value(p) == Value.DENY]
    if policy.licence is not None and denied and any(p in rules.TDM_FAMILY for p in licensed):
        return (
            "The owners offer a licence for part of text and data mining and refuse the rest ("
            + ", ".join(p.value for p in denied)
            + "). A TDMRep policy offers all mining at once, so it would offer what they refuse:"
            f" there is none. Their licence, and what it covers, is at {licence_url}"
        )
    if policy.licence is None or any(p in rules.TDM_FAMILY for p in licensed):
        return (
            "The owners ask for a licence, but nobody is named to grant it yet: the claim that "
            "reserves it is not verified, so its terms are not published. There is no TDMRep "
            "policy until it is."
        )
    return (
        "The owners offer a licence only for search indexing, which TDMRep does not cover, "
        f"so there is no TDMRep policy. Their licence is at {licence_url}"
    )


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
#
# The registry's own robots.txt and tdmrep.json state patterns, never one line per track: a
# track's rule travels on its page (headers, meta tags, and links to its own RSL licence and
# TDMRep policy), so both files stay a few hundred bytes at any size of the registry.


def _policy_url_if_offered(policy_url: Callable[[UUID], str], row: dict, policy: Policy) -> str:
    """A tdm-policy link only where that policy exists; anything else would point at a 404."""
    return policy_url(row["track__public_id"]) if rules.tdm_policy_applies(policy) else ""


TRACK_PAGES = "/t/"


def registry_robots_txt() -> Document:
    """Every crawler may fetch the track pages, because that is where each page's rule is.

    RFC 9309 can only keep a crawler away by path, and a track page's path says nothing about its
    owners' choice; listing every page would grow with the registry. So the file allows `/t/`
    (a crawler must fetch a page to read its `X-Robots-Tag`, `tdm-reservation` and
    `Content-Usage` headers and its `Link` to the page's RSL licence) and keeps every crawler
    out of the registry's private pages.
    """
    body = robots_txt(
        [],
        comments=[
            f"{settings.SITE_NAME}: each track page /t/<id>/ carries its owners' choices about AI",
            "in its own response: X-Robots-Tag, tdm-reservation (and tdm-policy), Content-Usage,",
            'and Link: <...>; rel="license" naming its RSL licence, with the same in <meta> and',
            "<link> tags. Fetch the page (HEAD is enough) and honour them; the registry's",
            "per-host feeds are listed at " + site_url(reverse("hosts")),
        ],
        always_disallow=PRIVATE_PREFIXES,
        always_allow=(TRACK_PAGES,),
        max_bytes=feed_max_bytes(),
    )
    return Document(body, TEXT, None)


def registry_tdmrep_json() -> Document:
    """No rule for the track pages, on purpose: each page's own `tdm-reservation` and
    `tdm-policy` headers (and meta tags) carry its track's choice, and a rule here for `/t/`
    could only state one value for every page, contradicting most of them."""
    return Document(tdmrep_json([]), JSON, None)


# --- Hosts on which registered tracks have links ------------------------------------------


@dataclass(frozen=True)
class HostFeed:
    """The registered link paths on one host (or one shard of it) with their tracks' policies.

    `shard` is empty for a host whose files hold every link, else the hex digits of the links'
    MD5 this shard holds (`registry.feed_store`).
    """

    host: str
    paths: list[PathPolicy]
    last_modified: datetime | None
    shard: str = ""

    def _comments(self) -> list[str]:
        site = settings.SITE_NAME
        comments = [
            f"The choices of the owners of tracks registered at the {site}, for their pages",
            f"on {self.host}. Published by the registry, not by {self.host}: apply it as that",
            "host's own file. Paths are exact, as the registry normalizes links (lowercase host,",
            "no trailing slash, sorted query without tracking parameters).",
        ]
        if self.shard:
            index = site_url(reverse("host_index", args=[self.host]))
            comments += [
                f"Shard {self.shard}: only the links whose normalized URL has an MD5 starting",
                f"with {self.shard}. Every shard: {index}",
            ]
        return comments

    def url(self, kind: str) -> str:
        """The absolute URL of this feed's file of a kind: `robots`, `ai_txt`, `rsl`, `tdmrep`."""
        if self.shard:
            return site_url(reverse(f"host_shard_{kind}", args=[self.host, self.shard]))
        return site_url(reverse(f"host_{kind}", args=[self.host]))

    def _complete_urls(self) -> list[str]:
        return [self.url("tdmrep")]

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
            return self.url("rsl")
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


HOST_LINK_COLUMNS = (
    "url",
    "created_at",
    "track__public_id",
    *[f"track__policy__{field}" for field in POLICY_COLUMNS],
)


def host_feed_from_rows(host: str, rows: Iterable[dict], shard: str = "") -> HostFeed | None:
    """The feed of the links in `rows` (HOST_LINK_COLUMNS), exact (`$`-anchored); None for none.

    A link names one track: as a prefix, `/artist/song` would also cover `/artist/song-remix`,
    someone else's music. Several tracks on one URL are combined to the most restrictive by the
    serializers. Links with an explicit port are left out: robots.txt applies per scheme, host
    and port, so a rule for `host:8443` does not belong in the file for `host`.
    """
    policy_url = url_for_each("tdm_policy")
    changed: datetime | None = None
    paths = []
    for row in rows:
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
    # No link at all: the registry knows nothing of this host (or this shard).
    return None if changed is None else HostFeed(host, paths, changed, shard)


def host_feed(host: str) -> HostFeed | None:
    """Every registered link path on a host, in one feed; None for an unknown host."""
    rows = TrackLink.objects.filter(host=host).order_by("url", "id").values(*HOST_LINK_COLUMNS)
    return host_feed_from_rows(host, rows.iterator(chunk_size=CHUNK))


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
