"""The history page: every declaration, newest first, grouped by save, with what it replaced."""

import pytest
from django.urls import reverse

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track, withdraw_claim

pytestmark = pytest.mark.django_db


def a_track(creator, title="Night Drive"):
    data = TrackData(title=title, artist_credit=creator.artist_name, roles=["recording"])
    return register_track(creator, data).tracks[0]


def summary(response) -> list[list[tuple]]:
    """Each batch as (scope, purpose, previous, new) rows, newest first."""
    return [
        [
            (
                row.track.title if row.track else "catalogue",
                row.purpose,
                row.previous_value,
                row.value,
            )
            for row in batch.rows
        ]
        for batch in response.context["batches"]
    ]


def test_a_new_artist_is_told_how_history_fills_up(owner_client):
    page = owner_client.get(reverse("history")).content.decode()
    assert "You have not declared any choices yet." in page
    assert reverse("catalogue_permissions") in page


def test_history_shows_each_change_with_the_value_it_replaced(owner_client, artist):
    track = a_track(artist)
    declare(
        artist,
        {
            Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY),
            Purpose.SEARCH: PurposeChoice(Value.ALLOW),
        },
    )
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=track)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.LICENSE, "https://t.example")})
    response = owner_client.get(reverse("history"))
    assert summary(response) == [
        [("catalogue", "train-genai", "deny", "license")],
        [("Night Drive", "train-genai", None, "allow")],
        [("catalogue", "train-genai", None, "deny"), ("catalogue", "search", None, "allow")],
    ]
    newest_save = response.content.decode().split("<tbody>")[1]
    was, now = newest_save.index("Not allowed"), newest_save.index("Only under licence")
    assert was < now
    assert reverse("track_detail", args=[track.public_id]) in response.content.decode()


def test_a_track_level_inherit_reads_as_inherit_from_catalogue(owner_client, artist):
    track = a_track(artist)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=track)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.UNSET)}, track=track)
    response = owner_client.get(reverse("history"))
    assert summary(response)[0] == [("Night Drive", "search", "deny", "unset")]
    assert "Inherit from catalogue" in response.content.decode()


def test_a_withdrawn_track_stays_in_history_without_a_link(owner_client, artist):
    track = a_track(artist, title="Old Song")
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=track)
    withdraw_claim(track.claims.get())
    page = owner_client.get(reverse("history")).content.decode()
    assert "Old Song" in page
    assert "(claim withdrawn)" in page
    assert reverse("track_detail", args=[track.public_id]) not in page


def test_history_is_paginated_by_a_hundred_declarations(owner_client, artist, settings):
    settings.CATALOGUE_CHANGES_PER_HOUR = 105  # more catalogue-wide changes than an hour allows
    for n in range(105):
        value = Value.DENY if n % 2 else Value.ALLOW
        declare(artist, {Purpose.SEARCH: PurposeChoice(value)})
    first = owner_client.get(reverse("history"))
    assert len(first.context["batches"]) == 100
    assert first.context["page_obj"].paginator.num_pages == 2
    second = owner_client.get(reverse("history"), {"page": 2})
    assert len(second.context["batches"]) == 5
    # The oldest declaration replaced nothing; the others each replaced the opposite value.
    assert summary(second)[-1] == [("catalogue", "search", None, "allow")]
    assert summary(second)[-2] == [("catalogue", "search", "allow", "deny")]


def test_one_huge_save_is_split_across_pages_instead_of_filling_one(owner_client, artist):
    from consent.services import TrackData, register_tracks

    choices = {
        Purpose.TRAIN_AI: PurposeChoice(Value.DENY),
        Purpose.SEARCH: PurposeChoice(Value.ALLOW),
    }
    items = [
        TrackData(title=f"Song {n}", artist_credit="A", roles=["recording"], choices=choices)
        for n in range(80)
    ]
    register_tracks(artist, items)  # one save of 160 declarations
    first = owner_client.get(reverse("history"))
    assert sum(len(batch.rows) for batch in first.context["batches"]) == 100
    assert first.context["page_obj"].paginator.num_pages == 2
