"""Per-account hourly limits on declarations, catalogue-wide changes and link changes, counted
in Redis: reached, explained with when to try again, and counted per account."""

import math
import os
import re
import time

import pytest
import redis
from django.urls import reverse

from consent import ratelimits
from consent.links import add_links, remove_link
from consent.models import Declaration, TrackLink
from consent.purposes import Purpose, Value
from consent.services import (
    ConsentError,
    PurposeChoice,
    TrackData,
    declare,
    opt_out_of_ai_training,
    register_track,
)
from tests.conftest import make_artist

pytestmark = pytest.mark.django_db

LINK = "https://soundcloud.com/owner/night-drive"


@pytest.fixture
def track(artist):
    data = TrackData(
        title="Night Drive", artist_credit="Owner Band", roles=["recording"], links=[LINK]
    )
    return register_track(artist, data).tracks[0]


def flip(creator, n: int, track=None):
    value = Value.DENY if n % 2 == 0 else Value.ALLOW
    return declare(creator, {Purpose.TRAIN_GENAI: PurposeChoice(value)}, track=track)


def assert_try_again_next_hour(message: str, done: str, limit: int, again: str) -> None:
    pattern = (
        rf"You have {done} {limit} times this hour, the most one account may\. You can "
        rf"{again} again at (\d\d):00 UTC \(in (\d+) minutes?\); nothing was changed\."
    )
    match = re.fullmatch(pattern, message)
    assert match, message
    now = time.time()
    next_hour = (int(now) // 3600 + 1) * 3600
    assert int(match.group(1)) == time.gmtime(next_hour).tm_hour
    assert int(match.group(2)) == max(1, math.ceil((next_hour - now) / 60))


def test_declarations_over_the_hourly_limit_are_refused_with_when_to_try_again(
    settings, artist, track
):
    settings.DECLARATIONS_PER_HOUR = 3
    for n in range(3):
        assert flip(artist, n, track)
    written = Declaration.objects.count()
    with pytest.raises(ConsentError) as refused:
        flip(artist, 3, track)
    assert_try_again_next_hour(str(refused.value), "saved choices", 3, "save them")
    assert Declaration.objects.count() == written
    # Catalogue-wide saves are declarations too.
    with pytest.raises(ConsentError, match="You have saved choices 3 times this hour"):
        flip(artist, 3)


def test_the_counter_is_per_account_and_lives_in_redis_for_the_hour(settings, artist, track):
    settings.DECLARATIONS_PER_HOUR = 2
    flip(artist, 0, track)
    flip(artist, 1, track)
    with pytest.raises(ConsentError):
        flip(artist, 2, track)
    someone = make_artist()
    assert flip(someone, 0), "another account has its own count"

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    (key,) = client.keys(f"*rate:declarations:{artist.user_id}:*")
    assert int(client.get(key)) == 3  # the refused attempt counted too
    assert 0 < client.ttl(key) <= 2 * 3600


def test_a_new_hour_starts_a_new_count(settings, monkeypatch, artist, track):
    settings.DECLARATIONS_PER_HOUR = 1
    flip(artist, 0, track)
    with pytest.raises(ConsentError):
        flip(artist, 1, track)

    class AnHourLater:
        @staticmethod
        def time() -> float:
            return time.time() + 3600

    monkeypatch.setattr(ratelimits, "time", AnHourLater)
    assert flip(artist, 1, track)


def test_catalogue_wide_changes_have_their_own_lower_limit_and_opt_outs_count(
    settings, artist, track
):
    settings.CATALOGUE_CHANGES_PER_HOUR = 2
    opt_out_of_ai_training(artist)
    flip(artist, 1)
    written = Declaration.objects.count()
    with pytest.raises(ConsentError) as refused:
        opt_out_of_ai_training(artist)
    assert_try_again_next_hour(
        str(refused.value), "changed your catalogue-wide choices", 2, "change them"
    )
    assert Declaration.objects.count() == written
    # A choice for one track is not a catalogue-wide change.
    assert flip(artist, 0, track)


def test_link_changes_over_the_hourly_limit_are_refused(settings, artist, track):
    settings.LINK_CHANGES_PER_HOUR = 2
    add_links(artist, track, ["https://example.org/nd"])
    remove_link(artist, TrackLink.objects.get(url="https://example.org/nd"))
    with pytest.raises(ConsentError) as refused:
        add_links(artist, track, ["https://example.org/other"])
    assert_try_again_next_hour(str(refused.value), "added or removed links", 2, "change links")
    with pytest.raises(ConsentError, match="You have added or removed links 2 times"):
        remove_link(artist, TrackLink.objects.get(url=LINK))
    assert list(track.links.values_list("url", flat=True)) == [LINK]


# --- On the website -------------------------------------------------------------------------


def permissions(**values) -> dict:
    form = {"terms_url": "", "contact_email": ""}
    for field in ("tdm", "train_ai", "train_genai", "ai_input", "search"):
        form[field] = values.pop(field, "unset")
    return form | values


def test_the_catalogue_page_shows_the_limit_on_its_form(settings, owner_client, artist):
    settings.CATALOGUE_CHANGES_PER_HOUR = 1
    owner_client.post(reverse("catalogue_permissions"), permissions(tdm="deny"))
    response = owner_client.post(reverse("catalogue_permissions"), permissions(tdm="allow"))
    assert response.status_code == 200
    assert "You have changed your catalogue-wide choices 1 time this hour" in (
        response.content.decode()
    )


def test_the_opt_out_button_says_the_limit_on_the_dashboard(settings, owner_client, artist):
    settings.CATALOGUE_CHANGES_PER_HOUR = 1
    flip(artist, 1)
    response = owner_client.post(reverse("opt_out_ai"), follow=True)
    assert response.status_code == 200
    assert "You have changed your catalogue-wide choices 1 time this hour" in (
        response.content.decode()
    )
    assert not Declaration.objects.filter(value=Value.DENY).exists()


def test_the_track_page_shows_the_limits_on_links_and_choices(
    settings, owner_client, artist, track
):
    settings.LINK_CHANGES_PER_HOUR = 1
    settings.DECLARATIONS_PER_HOUR = 1
    page = reverse("track_detail", args=[track.public_id])
    owner_client.post(page, {"action": "add-links", "links": "https://example.org/a"})
    response = owner_client.post(page, {"action": "add-links", "links": "https://example.org/b"})
    assert (
        "You have added or removed links 1 time this hour"
        in (response.context["links_form"].errors["links"][0])
    )
    response = owner_client.post(page, {"action": "remove-link", "url": LINK}, follow=True)
    assert "You have added or removed links 1 time this hour" in response.content.decode()
    assert track.links.count() == 2

    owner_client.post(page, {"action": "permissions"} | permissions(search="allow"))
    response = owner_client.post(page, {"action": "permissions"} | permissions(search="deny"))
    assert "You have saved choices 1 time this hour" in response.content.decode()
