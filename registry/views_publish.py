"""The "publish on your own site" page: the signed-in artist's catalogue-wide choices as the files
and headers crawlers read, each ready to copy or download."""

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from consent.models import EffectivePolicy
from consent.purposes import Purpose
from consent.standards import Policy
from registry.crawler_words import summary
from registry.decorators import CreatorRequest, creator_required
from registry.feeds import POLICY_COLUMNS, policy_from_row
from registry.kit import InvalidKitOption, KitOptions, creator_kit
from registry.queries import claimed_tracks
from registry.views_public import carriers_context

# The tracks with a choice of their own the page names; the count says how many more.
OWN_CHOICE_SHOWN = 10


@dataclass(frozen=True)
class KitFile:
    """One file of the kit as the page shows it."""

    element_id: str
    name: str
    where: str
    body: str
    download_url: str


@dataclass(frozen=True)
class OwnChoice:
    """A track whose choice in force differs from the catalogue-wide one the kit publishes."""

    title: str
    public_id: str


def tracks_with_own_choice(creator, catalogue: Policy) -> tuple[list[OwnChoice], int]:
    """The creator's tracks whose policy in force is not the kit's (a track-level choice, or a
    co-owner's), the first few by title, and how many there are."""
    rows = (
        EffectivePolicy.objects.filter(track__in=claimed_tracks(creator))
        .order_by("track__title", "track_id")
        .values("track__title", "track__public_id", *POLICY_COLUMNS)
    )
    found, count = [], 0
    for row in rows.iterator(chunk_size=2000):
        if policy_from_row(row).values != catalogue.values:
            count += 1
            if len(found) < OWN_CHOICE_SHOWN:
                found.append(OwnChoice(row["track__title"], str(row["track__public_id"])))
    return found, count


@creator_required
def publish_kit(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    site_error = ""
    try:
        options = KitOptions.from_query(request.GET)
    except InvalidKitOption as error:
        site_error = str(error)
        options = KitOptions(nosnippet=request.GET.get("nosnippet", "") == "1")
    kit = creator_kit(creator, options)
    handle = creator.handle
    query = options.query

    def download(url_name: str) -> str:
        return reverse(url_name, args=[handle]) + query

    if kit.licence_url:
        rsl_where = (
            f"Save it at the root of your site, so that its address is {kit.licence_url}: the "
            "License: line of your robots.txt and the Link header name that address."
        )
    elif kit.licence_needs_site:
        rsl_where = (
            "Save it at the root of your site as /rsl.xml, and give your site's address above: "
            "the robots.txt then gets the License: line, and the headers the Link, that point "
            "licence readers to it."
        )
    else:
        rsl_where = (
            "Your choices neither allow a use nor offer one under licence, so this licence "
            "grants nothing and your robots.txt does not point to it."
        )
    files = [
        KitFile(
            "kit-robots",
            "robots.txt",
            "Save it at the root of your site, as /robots.txt; if you already have one, add "
            "these lines to it.",
            kit.robots_txt().body,
            download("creator_robots"),
        ),
        KitFile(
            "kit-ai-txt",
            "ai.txt",
            "Save it at the root of your site, next to robots.txt, as /ai.txt: dataset "
            "downloaders read it before they fetch audio.",
            kit.ai_txt().body,
            download("creator_ai_txt"),
        ),
        KitFile(
            "kit-tdmrep",
            "tdmrep.json",
            "Save it on your site as /.well-known/tdmrep.json, the address text and data "
            "mining tools look for.",
            kit.tdmrep_json().body,
            download("creator_tdmrep"),
        ),
        KitFile(
            "kit-rsl",
            "rsl.xml",
            rsl_where,
            kit.rsl().body,
            download("creator_rsl"),
        ),
    ]
    own_choices, own_choice_count = tracks_with_own_choice(creator, kit.policy)
    return render(
        request,
        "registry/publish/kit.html",
        {
            # In plain words, from the same verdicts the files are written with.
            "summary": summary(kit.policy, "your whole site"),
            "own_choices": own_choices,
            "own_choice_count": own_choice_count,
            "creator": creator,
            "files": files,
            "servers": kit.server_lines(),
            "headers_url": download("creator_headers"),
            "nothing_declared": kit.policy.is_unset,
            "options": options,
            "site_error": site_error,
            "site_typed": request.GET.get("site", "")[:300],
            "offers_nosnippet": kit.policy.reserved(Purpose.AI_INPUT),
            "nosnippet": kit.nosnippet,
            **carriers_context(),
        },
    )
