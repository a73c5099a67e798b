"""The public face of the website: what the registry is, how it decides, its promises, and the
public page of each registered track. Nothing here needs an account."""

from email.utils import parseaddr
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from consent.models import POLICY_FIELDS, Claim, Creator, EffectivePolicy, Track
from consent.platforms import applied_counts
from consent.purposes import (
    AI_OPT_OUT,
    BROADER,
    DESCRIPTIONS,
    LABELS,
    PURPOSES,
    VALUE_LABELS,
    Value,
    broader_chain,
)
from consent.standards import head_tags
from consent.standards.agents import agents_checked
from consent.standards.carriers import carriers
from registry.crawler_panel import track_panel
from registry.feeds import TrackSignals
from registry.policy_rows import public_rows
from registry.queries import owner_count

HOME_NUMBERS_KEY = "public:home-numbers"
# The home page is the most visited page; its counts scan whole tables, so they are shared
# between visitors for a minute instead of being recounted on every request.
HOME_NUMBERS_SECONDS = 60


def contact_email() -> str:
    """Where people write to the registry: CONTACT_EMAIL, else the address mail is sent from."""
    configured = getattr(settings, "CONTACT_EMAIL", "")
    return configured or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def registry_numbers() -> dict[str, int]:
    """The live numbers on the home page: claimed tracks, creators, tracks reserving AI training.

    A track reserves AI training when its effective value for training any AI model, or for
    training generative AI, is "not allowed" or "only under licence": the question the
    compatible API's `optOut` answers (PolicyQuestions.reserving_ai_training).
    """
    numbers = cache.get(HOME_NUMBERS_KEY)
    if numbers is None:
        numbers = {
            "tracks": Claim.objects.active().aggregate(n=Count("track", distinct=True))["n"],
            "creators": Creator.objects.aggregate(n=Count("pk"))["n"],
            "reserving_ai_training": EffectivePolicy.objects.reserving_ai_training().count(),
        }
        cache.set(HOME_NUMBERS_KEY, numbers, HOME_NUMBERS_SECONDS)
    return numbers


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registry/public/home.html",
        {
            "numbers": registry_numbers(),
            "purposes": [{"label": LABELS[p], "description": DESCRIPTIONS[p]} for p in PURPOSES],
            "opt_out_labels": [LABELS[p] for p in AI_OPT_OUT],
        },
    )


def carriers_context() -> dict:
    """Per purpose, the signals that carry it and the crawlers that read it (both pages)."""
    return {
        "carriers": [
            {"label": LABELS[row.purpose], "signals": row.signals, "crawlers": row.crawlers}
            for row in carriers()
        ],
        "carriers_checked": agents_checked(),
    }


def how_it_works(request: HttpRequest) -> HttpResponse:
    purposes = [
        {
            "code": purpose.value,
            "label": LABELS[purpose],
            "description": DESCRIPTIONS[purpose],
            "broader": LABELS[BROADER[purpose]] if BROADER[purpose] else "",
            "chain": [LABELS[p] for p in broader_chain(purpose)],
        }
        for purpose in PURPOSES
    ]
    values = [
        {"code": value.value, "label": VALUE_LABELS[value]}
        for value in (Value.ALLOW, Value.DENY, Value.LICENSE, Value.UNSET)
    ]
    return render(
        request,
        "registry/public/how_it_works.html",
        {
            **carriers_context(),
            "purposes": purposes,
            "values": values,
            "opt_out_labels": [LABELS[p] for p in AI_OPT_OUT],
            # Keyed like EffectivePolicy's columns so the worked example reads from the vocabulary.
            "labels": {POLICY_FIELDS[p]: LABELS[p] for p in PURPOSES},
            "value_labels": {v.value: VALUE_LABELS[v] for v in Value},
        },
    )


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/public/terms.html", {"contact_email": contact_email()})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registry/public/privacy.html",
        {"contact_email": contact_email(), "keeps_audio": settings.KEEP_AUDIO_UPLOADS},
    )


def track_public(request: HttpRequest, public_id: UUID) -> HttpResponse:
    track = get_object_or_404(Track.objects.select_related("policy"), public_id=public_id)
    try:
        policy = track.policy
    except EffectivePolicy.DoesNotExist:
        # A track row without a policy is mid-registration or broken; either way there is
        # nothing public to show yet.
        raise Http404("This track has no published policy.") from None
    owners = owner_count(track)
    # The page states its owners' choices to machines too: headers for crawlers that read only
    # HTTP, and the same signals as <meta>/<link> tags for tools that keep only the HTML.
    signals = TrackSignals(track, policy)
    crawlers = track_panel(signals)
    response = render(
        request,
        "registry/public/track.html",
        {
            "track": track,
            "policy": policy,
            "rows": public_rows(policy),
            "links": list(track.links.all()),
            "owners": owners,
            "signal_tags": head_tags(signals.policy, **signals.signal_options()),
            # Where a single-switch format reserves more than the choice for a purpose, the row
            # says so instead of contradicting the headers the same response carries.
            "beyond": {p.value: notes for p, notes in crawlers.beyond.items()},
            "crawlers": crawlers,
            # How many approved platforms applied the latest change; /platforms/ has the detail.
            "applied": applied_counts({track.pk: policy.sequence}).get(track.pk),
        },
    )
    for name, value in signals.headers().items():
        response[name] = value
    return response
