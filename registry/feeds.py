"""The public feeds and signals, composed from the database for `consent.standards` to write.

Every document is computed at request time from EffectivePolicy (and TrackLink, Creator and a
creator's catalogue-wide declarations), so a declaration shows in every feed as soon as it
commits. Queries read only the columns a feed needs and stream with `.iterator()`: one query per
feed whatever the number of tracks. The formats themselves are written by `consent.standards`;
this module decides which paths, terms and URLs go into them. A creator's publishing kit, the
files an artist hosts on their own site, is composed from the same pieces in `registry.kit`.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.urls import reverse

from consent.models import (
    POLICY_FIELDS,
    ChangeEvent,
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
            f"{settings.SITE_NAME}: each track page /t/<id>/ carries its owners' choices about AI.",
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
        site = settings.SITE_NAME
        return [
            f"The choices of the owners of tracks registered at the {site}, for their pages",
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
