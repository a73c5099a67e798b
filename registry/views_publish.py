"""The "publish on your own site" page: the signed-in artist's catalogue-wide choices as the files
and headers crawlers read, each ready to copy or download."""

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from registry import feeds
from registry.decorators import CreatorRequest, creator_required
from registry.views_public import carriers_context


@dataclass(frozen=True)
class KitFile:
    """One file of the kit as the page shows it."""

    element_id: str
    name: str
    where: str
    body: str
    download_url: str


@creator_required
def publish_kit(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    kit = feeds.creator_kit(creator)
    handle = creator.handle
    licence = kit.licence_url
    files = [
        KitFile(
            "kit-robots",
            "robots.txt",
            "Save it at the root of your site, as /robots.txt; if you already have one, add "
            "these lines to it.",
            kit.robots_txt().body,
            reverse("creator_robots", args=[handle]),
        ),
        KitFile(
            "kit-ai-txt",
            "ai.txt",
            "Save it at the root of your site, next to robots.txt, as /ai.txt: dataset "
            "downloaders read it before they fetch audio.",
            kit.ai_txt().body,
            reverse("creator_ai_txt", args=[handle]),
        ),
        KitFile(
            "kit-tdmrep",
            "tdmrep.json",
            "Save it on your site as /.well-known/tdmrep.json, the address text and data "
            "mining tools look for.",
            kit.tdmrep_json().body,
            reverse("creator_tdmrep", args=[handle]),
        ),
        KitFile(
            "kit-rsl",
            "rsl.xml",
            "Save it anywhere on your site and name its full address on the License: line of "
            "your robots.txt"
            + (
                "; until you do, that line points to the registry's copy, which always "
                "follows your choices."
                if licence
                else "."
            ),
            kit.rsl().body,
            reverse("creator_rsl", args=[handle]),
        ),
    ]
    return render(
        request,
        "registry/publish/kit.html",
        {
            "creator": creator,
            "files": files,
            "servers": kit.server_lines(),
            "headers_url": reverse("creator_headers", args=[handle]),
            "nothing_declared": kit.policy.is_unset,
            **carriers_context(),
        },
    )
