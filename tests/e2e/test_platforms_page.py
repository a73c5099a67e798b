"""A platform acknowledges changes through the API, and anyone reads on /platforms/ how far it has
applied the change log and how long it took."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from api.platform_figures import CACHE_KEY
from consent.models import SequenceCounter
from consent.policies import last_sequence
from tests.api.platform_helpers import make_key, make_platform
from tests.conftest import make_artist
from tests.e2e.accessibility import assert_accessible
from tests.factories import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def acknowledge(page, live_server, secret: str, sequence: int) -> None:
    """What a platform's sync job sends once it applied every change up to `sequence`."""
    response = page.request.post(
        live_server.url + "/api/v1/acks",
        data={"sequence": sequence},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status == 200, response.text()
    assert response.json()["sequence"] == sequence


def test_a_platforms_acknowledgements_show_on_the_public_page(
    live_server, browser_page, artifacts_dir
):
    SequenceCounter.objects.get_or_create(pk=1)
    artist = make_artist("Night Owls", "night-owls")
    platform = make_platform("Acme AI")
    _, secret = make_key(platform)
    register(artist, "https://soundcloud.com/night-owls/night-drive", title="Night Drive")
    first = last_sequence()
    page = browser_page

    acknowledge(page, live_server, secret, first)
    register(artist, "https://soundcloud.com/night-owls/slow-tide", title="Slow Tide")
    behind = last_sequence() - first
    assert behind > 0

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="the platforms page").click()
    expect(page.get_by_role("heading", name="How quickly platforms apply artists' choices"))
    card = page.locator("section", has=page.get_by_role("heading", name="Acme AI"))
    expect(card.locator("[data-figure=last-applied]")).to_have_text(f"#{first}")
    expect(card.locator("[data-figure=behind]")).to_contain_text(
        f"{behind} change{'s' if behind > 1 else ''} behind"
    )
    expect(card.locator("[data-figure=pending]")).to_have_text(str(behind))
    expect(card.locator("[data-figure=median]")).to_have_text(
        re.compile(r"^(under a second|\d+ seconds?)$")
    )
    expect(
        card.get_by_role("img", name=re.compile("Acme AI: median time to apply"))
    ).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "platforms-behind.png"), full_page=True)
    assert_accessible(page)

    # It catches up; once the minute's figures expire the page says so.
    acknowledge(page, live_server, secret, last_sequence())
    cache.delete(CACHE_KEY)
    page.reload()
    expect(card.locator("[data-figure=last-applied]")).to_have_text(f"#{last_sequence()}")
    expect(card.locator("[data-figure=behind]")).to_contain_text("Up to date")
    expect(card.locator("[data-figure=pending]")).to_have_text("0")
    expect(card.locator("[data-figure=within-day]")).to_have_text("100%")
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    page.screenshot(path=str(artifacts_dir / "platforms-phone.png"), full_page=True)
    assert_accessible(page)
