"""What crawlers receive: every signal the registry sends for a track (or an artist's kit), in
plain words.

Nothing here decides what a signal says. Each sentence is read back from the functions that write
the headers and files themselves: `TrackSignals.headers()` for the page's response headers,
`consent.standards.rules` for the robots.txt verdict of every crawler, ai.txt, RSL and CAWG,
`tdmrep_rules` for tdmrep.json. So the panel can only say what the responses say, and
`tests/registry/test_crawler_panel.py` holds it to the real responses.

Some formats have fewer switches than the registry has purposes. TDMRep has one for all text and
data mining; RSL's `ai-train` covers every kind of training; a crawler that serves two purposes
is kept out when either is refused. Where such a format reserves more than the choice for a
purpose, `registry.crawler_words.beyond_choice` says so, purpose by purpose, instead of letting
a page contradict it.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import reverse

from consent.models import FeedHost, Track, TrackLink
from consent.purposes import LABELS, PURPOSES, Purpose, Value
from consent.standards import (
    CONTENT_USAGE_HEADER,
    LINK_HEADER,
    TDM_POLICY_HEADER,
    TDM_RESERVATION_HEADER,
    X_ROBOTS_TAG_HEADER,
    PathPolicy,
    Policy,
    ai_agents,
    combine_policies,
    link_path,
    path_pattern,
    rules,
    tdmrep_rules,
    training_mining_entries,
)
from registry.crawler_words import (
    AIPREF_WORDS,
    CAWG_WORDS,
    RSL_WORDS,
    and_list,
    beyond_choice,
    choice_words,
    crawler_kinds,
    sentence,
    summary,
)
from registry.feed_store import shard_of
from registry.feeds import POLICY_COLUMNS, TrackSignals, policy_from_row, site_url

# --- The panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A file or page crawlers read; `kind` names the format (`robots.txt`, `ai.txt` ...)."""

    kind: str
    label: str
    url: str


@dataclass(frozen=True)
class Signal:
    """One signal: its name, what it says in words, the lines as sent, and where it is read."""

    key: str
    name: str
    says: str
    lines: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class LinkFiles:
    """A registered link and the files the registry publishes for its host."""

    url: str
    host: str
    listed: bool
    pattern: str = ""
    policy: Policy | None = None
    places: tuple[Place, ...] = ()
    # The link's rule takes the strictest choice of every track registered at the same address.
    shared: bool = False
    summary: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CrawlerPanel:
    summary: list[tuple[str, str]]
    signals: list[Signal]
    beyond: dict[Purpose, list[str]] = field(default_factory=dict)
    links: list[LinkFiles] = field(default_factory=list)
    stating: bool = True


def _usage_words(policy: Policy, usage: dict[str, str]) -> str:
    purposes = dict(rules.AIPREF_KEYS)
    words = []
    for key, answer in usage.items():
        value = policy.value(purposes[key])
        if answer == "y":
            words.append(f"{AIPREF_WORDS[key]} allowed")
        elif value == Value.LICENSE:
            words.append(f"{AIPREF_WORDS[key]} not free (only under licence)")
        else:
            words.append(f"{AIPREF_WORDS[key]} not allowed")
    return sentence(and_list(words)) if words else "Nothing: no preference is stated."


def _tdmrep_words(headers: dict[str, str], policy: Policy) -> tuple[str, str]:
    reservation = headers.get(TDM_RESERVATION_HEADER)
    if reservation == "1":
        says = "Reserved: text and data mining tools must not mine this music without permission."
        if TDM_POLICY_HEADER in headers:
            says += f" A licence offer is at {headers[TDM_POLICY_HEADER]}."
    elif reservation == "0":
        says = "Not reserved: every kind of text and data mining is allowed without asking."
    else:
        says = "Nothing: TDMRep has no value for a choice that is partly made or not made."
    wider = [p for p in rules.TDM_FAMILY if not policy.reserved(p)]
    note = ""
    if reservation == "1" and wider:
        reasons = and_list(choice_words(policy, p) for p in rules.TDM_FAMILY if policy.reserved(p))
        covers = and_list(choice_words(policy, p) for p in wider)
        note = (
            "TDMRep has one switch for all text and data mining, so it reserves more than the "
            f"choice: it is on because of {reasons}, and so also covers {covers}. "
            "Content-Usage and robots.txt carry the finer choice."
        )
    return says, note


def _rsl_words(policy: Policy) -> str:
    usage = rules.rsl_usage(policy)
    by_value: dict[Value, list[str]] = {}
    for token, value in usage.items():
        by_value.setdefault(value, []).append(RSL_WORDS[token])
    parts = []
    if Value.ALLOW in by_value:
        parts.append(f"free for {and_list(by_value[Value.ALLOW])}")
    if Value.LICENSE in by_value:
        licence = policy.licence
        where = f", terms at {licence.url}" if licence and licence.url else ""
        if rules.rsl_offers(policy) and licence is not None and licence.url:
            parts.append(f"for a fee for {and_list(by_value[Value.LICENSE])}{where}")
        else:
            parts.append(
                f"{and_list(by_value[Value.LICENSE])} reserved, with nobody named to ask yet"
            )
    if Value.DENY in by_value:
        parts.append(f"not licensed for {and_list(by_value[Value.DENY])}")
    if not parts:
        return "Nothing: no use is allowed or offered, so there is no licence to name."
    return sentence(and_list(parts))


def _cawg_words(policy: Policy) -> tuple[str, tuple[str, ...], str]:
    entries = training_mining_entries(policy, "cawg")
    names = {f"cawg.{name}": purpose for name, purpose in rules.CAWG_ENTRIES}
    words = [f"{LABELS[names[key]]} {CAWG_WORDS[entry['use']]}" for key, entry in entries.items()]
    lines = tuple(f"{key}: {entry['use']}" for key, entry in entries.items())
    note = ""
    if any(entry["use"] == "constrained" for entry in entries.values()):
        note = (
            "The older C2PA form of the assertion says “not allowed” where this one says “only "
            "under licence”: its readers take a licence for a yes."
        )
    says = sentence(and_list(words)) if words else "Nothing: no entry is written."
    return says, lines, note


HOST_FILES = (
    ("robots.txt", "host_robots"),
    ("ai.txt", "host_ai_txt"),
    ("tdmrep.json", "host_tdmrep"),
    ("rsl.xml", "host_rsl"),
)


def _link_policies(track: Track, policy: Policy) -> list[LinkFiles]:
    """Each visible link and its host's files; a link shared with other tracks takes the
    strictest choice of all of them, as `registry.feeds.host_feed` writes it."""
    links = list(track.links.all().order_by("url"))
    if not links:
        return []
    rows = (
        TrackLink.objects.filter(url__in=[link.url for link in links])
        .exclude(track__policy__isnull=True)
        .values("url", *[f"track__policy__{column}" for column in POLICY_COLUMNS])
    )
    # A large host's files are split into shards: each link is in the shard its URL names.
    depths = dict(
        FeedHost.objects.filter(host__in={link.host for link in links}).values_list("host", "depth")
    )
    by_url: dict[str, list[Policy]] = {}
    for row in rows:
        columns = {column: row[f"track__policy__{column}"] for column in POLICY_COLUMNS}
        by_url.setdefault(row["url"], []).append(policy_from_row(columns))
    result = []
    for link in links:
        if urlsplit(link.url).port is not None:
            result.append(LinkFiles(link.url, link.host, listed=False))
            continue
        combined = combine_policies(p for p in by_url.get(link.url, [policy]) if not p.is_unset)
        depth = depths.get(link.host, 0)
        shard = shard_of(link.url, depth) if depth else ""
        places = tuple(
            Place(
                kind,
                f"{kind} for {link.host}" + (f", shard {shard}" if shard else ""),
                site_url(
                    reverse(name.replace("host_", "host_shard_"), args=[link.host, shard])
                    if shard
                    else reverse(name, args=[link.host])
                ),
            )
            for kind, name in HOST_FILES
        )
        shared = combined.values != policy.values
        result.append(
            LinkFiles(
                link.url,
                link.host,
                listed=not combined.is_unset,
                pattern=path_pattern(link_path(link.url), exact=True),
                policy=combined,
                places=places,
                shared=shared,
                summary=tuple(summary(combined, "this link")) if shared else (),
            )
        )
    return result


def _robots_note(policy: Policy) -> str:
    """The crawlers kept out for a refused use although they also serve one left open: once,
    however many of their purposes are open (the purpose rows say it purpose by purpose)."""
    kept: list[str] = []
    refused: list[Purpose] = []
    for agent in ai_agents():
        if rules.agent_disallowed(policy, agent.purposes) and any(
            not policy.reserved(p) for p in agent.purposes
        ):
            kept.append(agent.token)
            refused += [p for p in agent.purposes if policy.value(p) == Value.DENY]
    if not kept:
        return ""
    reasons = and_list(choice_words(policy, p) for p in PURPOSES if p in refused)
    return (
        f"{and_list(kept)} also serve a use left open, but one refused use keeps a crawler out "
        f"of the whole page: they serve {reasons} too."
    )


def track_panel(signals: TrackSignals) -> CrawlerPanel:
    """What crawlers receive for one track: its page's headers and twins, and the files of each
    host where it has a link."""
    policy = signals.policy
    public_id = signals.track.public_id
    page_url = site_url(reverse("track_public", args=[public_id]))
    headers = signals.headers()
    page = Place("page", "this track's page (headers and meta tags)", page_url)
    links = _link_policies(signals.track, policy)
    host_places = tuple(place for link in links for place in link.places)
    listed = [link for link in links if link.listed and link.policy is not None]

    # The registry's own robots.txt lets every crawler fetch every track page (the page carries
    # the choice in its headers); robots.txt rules exist only in the files of the hosts of the
    # track's links, one exact path per link.
    kinds = crawler_kinds(policy)
    kept_out = [token for kind in kinds for token in kind.kept_out]
    licence = [token for kind in kinds for token in kind.licence]
    robots_lines = []
    for link in listed:
        if any(rules.agent_disallowed(link.policy, a.purposes) for a in ai_agents()):
            robots_lines.append(f"Disallow: {link.pattern}")
        link_usage = rules.content_usage_value(link.policy)
        if link_usage:
            robots_lines.append(f"Content-Usage: {link.pattern} {link_usage}")
    usage = rules.content_usage_value(policy)
    page_open = (
        " The registry's robots.txt lets every crawler fetch the track page itself, to read "
        "the choice in its headers."
    )
    if policy.is_unset:
        robots_says = "Not listed: every crawler may fetch the page, and is told nothing."
    elif not listed:
        robots_says = (
            "Not listed: robots.txt rules are written for a track's links, and this track has "
            "none yet." + page_open
        )
    else:
        parts = []
        if kept_out:
            parts.append(f"Keeps {and_list(kept_out)} out")
        if licence:
            parts.append(f"lets {and_list(licence)} fetch, telling them the use needs a licence")
        parts.append(
            "every other crawler may fetch"
            + (" and reads the Content-Usage preferences" if usage else "")
        )
        robots_says = sentence(and_list(parts)) + page_open

    tdmrep_says, tdmrep_note = _tdmrep_words(headers, policy)
    # The registry's tdmrep.json has no rule for track pages, so TDMRep readers take the page's
    # header; the hosts' files have one rule per link.
    rule = tdmrep_rules(
        [
            PathPolicy(
                link_path(link.url),
                link.policy,
                exact=True,
                tdm_policy_url=signals.signal_options()["tdm_policy_url"],
            )
            for link in listed
        ]
    )
    tdmrep_lines = tuple(
        f"{name}: {headers[name]}"
        for name in (TDM_RESERVATION_HEADER, TDM_POLICY_HEADER)
        if name in headers
    )
    tdmrep_lines += tuple(f"tdmrep.json: {r['location']} → {r['tdm-reservation']}" for r in rule)

    usage_map = rules.content_usage(policy)
    noai = headers.get(X_ROBOTS_TAG_HEADER, "")
    # The lines as sent follow each link's policy, which is the strictest of every track at
    # that address; the sentence follows the same lines, and says when a shared link is why.
    disallowed = [
        link for link in links if link.policy is not None and rules.ai_txt_disallowed(link.policy)
    ]
    if not links:
        ai_txt_says = (
            "Not written for this track: ai.txt files list links on each host, and the track "
            "has none yet."
        )
    elif disallowed and rules.ai_txt_disallowed(policy):
        ai_txt_says = "Dataset downloaders are told not to download this track at its links."
    elif disallowed:
        ai_txt_says = (
            "Dataset downloaders are told not to download "
            + ("this track's link" if len(disallowed) == 1 else "some of this track's links")
            + ": another track at the same address reserves it, and the strictest choice there "
            "applies. This track's own choice would not list it."
        )
    else:
        ai_txt_says = "Not listed: ai.txt says nothing about this track's links."
    cawg_says, cawg_lines, cawg_note = _cawg_words(policy)
    rsl_url = signals.signal_options()["rsl_url"]
    rsl_lines = (f"{LINK_HEADER}: {headers[LINK_HEADER]}",) if LINK_HEADER in headers else ()
    rsl_says = _rsl_words(policy)
    if LINK_HEADER in headers:
        rsl_says += " The page's Link header points to it."
    beyond = beyond_choice(policy)

    def notes_of(signal: str) -> str:
        texts = [note.text for p in PURPOSES for note in beyond[p] if note.signal == signal]
        return " ".join(dict.fromkeys(texts))

    signal_list = [
        Signal(
            "robots",
            "robots.txt",
            robots_says,
            tuple(robots_lines),
            tuple(p for p in host_places if p.kind == "robots.txt"),
            _robots_note(policy),
        ),
        Signal(
            "ai-txt",
            "ai.txt",
            ai_txt_says,
            tuple(f"Disallow: {link.pattern}" for link in disallowed),
            tuple(p for p in host_places if p.kind == "ai.txt"),
        ),
        Signal(
            "tdmrep",
            "TDMRep",
            tdmrep_says,
            tdmrep_lines,
            (page, *(p for p in host_places if p.kind == "tdmrep.json")),
            tdmrep_note,
        ),
        Signal(
            "content-usage",
            "Content-Usage (IETF AI preferences)",
            _usage_words(policy, usage_map),
            (f"{CONTENT_USAGE_HEADER}: {headers[CONTENT_USAGE_HEADER]}",)
            if CONTENT_USAGE_HEADER in headers
            else (),
            (page, *(p for p in host_places if p.kind == "robots.txt")),
        ),
        Signal(
            "noai",
            "noai (X-Robots-Tag)",
            "AI tools are asked not to train on the page (noai, noimageai)."
            if noai
            else "Not sent: training generative AI is not reserved.",
            (f"{X_ROBOTS_TAG_HEADER}: {noai}",) if noai else (),
            (page,),
        ),
        Signal(
            "rsl",
            "RSL licence",
            rsl_says,
            rsl_lines,
            (
                Place("rsl.xml", "this track's licence", rsl_url),
                *(p for p in host_places if p.kind == "rsl.xml"),
            ),
            notes_of("rsl"),
        ),
        Signal(
            "cawg",
            "C2PA / CAWG assertion",
            cawg_says,
            cawg_lines,
            (
                Place(
                    "cawg.json",
                    "the assertion for a C2PA manifest",
                    site_url(reverse("track_cawg", args=[public_id])),
                ),
            ),
            cawg_note,
        ),
    ]
    return CrawlerPanel(
        summary(policy, "this track's page and links"),
        signal_list,
        beyond,
        links,
        stating=not policy.is_unset,
    )
