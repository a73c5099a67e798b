"""The dashboard: every claimed track with its values and their sources, filters and pages."""

import pytest
from django.urls import reverse

from consent.models import Declaration
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
    with django_assert_max_num_queries(13):
        response = owner_client.get(reverse("dashboard"))
    assert len(response.context["rows"]) == 50


def test_an_invalid_filter_value_is_reported_and_all_tracks_are_shown(owner_client, artist):
    register(artist, count=2, **SONGS)
    response = owner_client.get(reverse("dashboard"), {"train-genai": "maybe"})
    assert len(response.context["rows"]) == 2
    assert "Select a valid choice." in response.content.decode()


def test_the_own_choices_filter_finds_exactly_the_tracks_with_a_choice_of_their_own(
    owner_client, artist
):
    tracks = register(artist, count=5, **SONGS)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})  # catalogue: not a track's own
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=tracks[1])
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=tracks[3])
    # Given back to the catalogue: no choice of its own any more.
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=tracks[4])
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.UNSET)}, track=tracks[4])
    # A co-owner's choice on a track is theirs, not the artist's.
    songwriter = make_artist("Song Writer", "song-writer")
    register_track(
        songwriter,
        TrackData(title="x", artist_credit="x", roles=["composition"], isrc=tracks[2].isrc),
    )
    declare(songwriter, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=tracks[2])

    response = owner_client.get(reverse("dashboard"), {"own": "on"})
    assert titles(response) == ["Song 01", "Song 03"]
    assert response.context["summary"]["own"] == 2
    assert response.context["filtering"]
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "2 tracks have choices of their own, which come before your catalogue" in page
    assert 'href="/dashboard/?own=on"' in page


def test_the_columns_put_what_the_opt_out_covers_first(owner_client, artist):
    register(artist, count=1, **SONGS)
    response = owner_client.get(reverse("dashboard"))
    shorts = [short for short, _ in response.context["columns"]]
    assert shorts == [
        "Any AI training",
        "Generative AI training",
        "AI input",
        "Data mining",
        "Search",
    ]
    (row,) = response.context["rows"]
    assert [cell.purpose for cell in row.columns] == [
        Purpose.TRAIN_AI,
        Purpose.TRAIN_GENAI,
        Purpose.AI_INPUT,
        Purpose.TDM,
        Purpose.SEARCH,
    ]
    page = response.content.decode()
    assert "Covered by “Opt out of all AI training”" in page
    # Each cell is labelled for the narrow layout, where the header row is not shown.
    assert '<span class="cell-label">Training generative AI</span>' in page


def test_the_opt_out_card_says_it_is_not_in_force_before_any_choice(owner_client, artist):
    register(artist, count=1, **SONGS)
    opt_out = owner_client.get(reverse("dashboard")).context["opt_out"]
    assert not opt_out.opted_out
    assert opt_out.since is None
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "Not opted out" in page
    assert "Your catalogue has no choice for these uses yet" in page


def test_the_opt_out_card_shows_the_state_in_force_and_since_when(owner_client, artist):
    register(artist, count=1, **SONGS)
    owner_client.post(reverse("opt_out_ai"))
    opted_out_at = Declaration.objects.filter(creator=artist).latest("id").declared_at
    # Later changes that leave the three denied do not move the date: search, and a narrower
    # denial already covered by a broader one.
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    declare(
        artist,
        {Purpose.TRAIN_AI: PurposeChoice(Value.UNSET), Purpose.TDM: PurposeChoice(Value.DENY)},
    )

    response = owner_client.get(reverse("dashboard"))
    opt_out = response.context["opt_out"]
    assert opt_out.opted_out
    assert opt_out.since == opted_out_at
    page = response.content.decode()
    assert "Opted out" in page
    shown = f"{opted_out_at:%-d %B %Y, %H:%M} UTC"
    assert f'In force since <time datetime="{opted_out_at.isoformat()}">{shown}' in page
    assert 'action="/permissions/opt-out-ai/"' not in page  # nothing left for the button to do


def test_the_opt_out_card_dates_the_change_that_undid_it(owner_client, artist):
    register(artist, count=1, **SONGS)
    owner_client.post(reverse("opt_out_ai"))
    declare(artist, {Purpose.AI_INPUT: PurposeChoice(Value.ALLOW)})
    allowed_at = Declaration.objects.filter(creator=artist).latest("id").declared_at
    response = owner_client.get(reverse("dashboard"))
    opt_out = response.context["opt_out"]
    assert not opt_out.opted_out
    assert opt_out.since == allowed_at
    values = {item.label: item.value for item in opt_out.items}
    assert values == {
        "Training any AI model": "deny",
        "Training generative AI": "deny",
        "AI input (RAG, grounding)": "allow",
    }
    page = response.content.decode()
    assert "What your catalogue says since" in page
    assert 'action="/permissions/opt-out-ai/"' in page
