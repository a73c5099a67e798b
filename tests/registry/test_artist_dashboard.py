"""The dashboard: every claimed track with its values and their sources, filters and pages."""

import pytest
from django.urls import reverse

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import make_artist
from tests.factories import register

pytestmark = pytest.mark.django_db


# Numbered songs, each with an ISRC of its own, whose owner has proven the claims.
SONGS = {"title": "Song {n:02d}", "isrc": "GBAYE26{n:05d}", "verified": True}


def titles(response) -> list[str]:
    return [row.track.title for row in response.context["rows"]]


def test_a_new_artist_sees_what_to_do_first(owner_client):
    response = owner_client.get(reverse("dashboard"))
    page = response.content.decode()
    assert "Register your first track" in page
    assert reverse("track_new") in page
    assert reverse("catalogue_import") in page
    assert reverse("catalogue_permissions") in page
    assert "Opt out of all AI training" in page


def test_each_value_says_whether_it_comes_from_the_catalogue_or_the_track(owner_client, artist):
    first, second = register(artist, count=2, **SONGS)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=second)
    response = owner_client.get(reverse("dashboard"))
    rows = {row.track: row for row in response.context["rows"]}
    genai = {
        track: next(c for c in row.cells if c.purpose == Purpose.TRAIN_GENAI)
        for track, row in rows.items()
    }
    assert (genai[first].value, genai[first].origin) == ("deny", "catalogue default")
    assert (genai[second].value, genai[second].origin) == ("allow", "this track")
    assert rows[first].roles == ["Recording"]
    page = response.content.decode()
    assert "catalogue default" in page
    assert "this track" in page
    assert "GB-AYE-26-00000" in page


def test_a_value_set_by_a_co_owner_is_marked_as_theirs(owner_client, artist):
    (track,) = register(artist, count=1, **SONGS)
    songwriter = make_artist("Song Writer", "song-writer")
    register_track(
        songwriter,
        TrackData(title="x", artist_credit="x", roles=["composition"], isrc=track.isrc),
    )
    declare(songwriter, {Purpose.SEARCH: PurposeChoice(Value.DENY)})
    response = owner_client.get(reverse("dashboard"))
    (row,) = response.context["rows"]
    search = next(c for c in row.cells if c.purpose == Purpose.SEARCH)
    assert (search.value, search.origin) == ("deny", "from a co-owner's claim")
    assert "from a co-owner&#x27;s claim" in response.content.decode()


def test_the_text_search_matches_titles_and_isrcs_written_any_way(owner_client, artist):
    register(artist, count=3, **SONGS)
    assert titles(owner_client.get(reverse("dashboard"), {"q": "song 01"})) == ["Song 01"]
    assert titles(owner_client.get(reverse("dashboard"), {"q": "gb-aye-26-00002"})) == ["Song 02"]
    response = owner_client.get(reverse("dashboard"), {"q": "nothing like this"})
    assert titles(response) == []
    assert "No tracks match these filters." in response.content.decode()


def test_the_purpose_filter_keeps_only_tracks_with_that_value(owner_client, artist):
    first, second, third = register(artist, count=3, **SONGS)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)}, track=second)
    response = owner_client.get(reverse("dashboard"), {"train-genai": "deny"})
    assert titles(response) == ["Song 01"]
    unset = owner_client.get(reverse("dashboard"), {"train-genai": "unset"})
    assert titles(unset) == ["Song 00", "Song 02"]


def test_the_disputed_filter_keeps_only_disputed_tracks(owner_client, artist):
    first, second = register(artist, count=2, **SONGS)
    rival = make_artist("Rival", "rival")
    register_track(
        rival, TrackData(title="x", artist_credit="x", roles=["recording"], isrc=second.isrc)
    )
    response = owner_client.get(reverse("dashboard"), {"disputed": "on"})
    assert titles(response) == ["Song 01"]
    assert response.context["summary"]["disputed"] == 1


def test_sixty_tracks_make_two_pages_and_the_links_keep_the_filters(owner_client, artist):
    register(artist, count=60, **SONGS)
    first = owner_client.get(reverse("dashboard"), {"q": "song"})
    assert len(first.context["rows"]) == 50
    assert first.context["page_obj"].paginator.num_pages == 2
    page = first.content.decode()
    assert 'href="?q=song&amp;page=2"' in page
    second = owner_client.get(reverse("dashboard"), {"q": "song", "page": 2})
    assert titles(second) == [f"Song {n:02d}" for n in range(50, 60)]
    assert 'href="?q=song&amp;page=1"' in second.content.decode()


def test_the_dashboard_of_sixty_tracks_takes_a_fixed_number_of_queries(
    owner_client, artist, django_assert_max_num_queries
):
    tracks = register(artist, count=60, **SONGS)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)}, track=tracks[0])
    rival = make_artist("Rival", "rival")
    register_track(
        rival, TrackData(title="x", artist_credit="x", roles=["recording"], isrc=tracks[1].isrc)
    )
    with django_assert_max_num_queries(12):
        response = owner_client.get(reverse("dashboard"))
    assert len(response.context["rows"]) == 50


def test_an_invalid_filter_value_is_reported_and_all_tracks_are_shown(owner_client, artist):
    register(artist, count=2, **SONGS)
    response = owner_client.get(reverse("dashboard"), {"train-genai": "maybe"})
    assert len(response.context["rows"]) == 2
    assert "Select a valid choice." in response.content.decode()
