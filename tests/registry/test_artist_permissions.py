"""Catalogue-wide choices and the one-click opt-out of AI training."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from consent.models import Declaration, EffectivePolicy
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.resolution import TRACK, Statement, resolve_claim
from consent.services import PurposeChoice, declare
from tests.factories import register

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)


# Numbered songs whose owner has proven the claims.
SONGS = {"title": "Song {n}", "verified": True}


def choices(**values) -> dict:
    form = {"terms_url": "", "contact_email": ""}
    for field in ("tdm", "train_ai", "train_genai", "ai_input", "search"):
        form[field] = values.pop(field, "unset")
    return form | values


def test_the_page_shows_the_current_catalogue_choices(owner_client, artist):
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    response = owner_client.get(reverse("catalogue_permissions"))
    assert response.context["form"]["search"].value() == "allow"
    assert response.context["form"]["tdm"].value() == "unset"
    page = response.content.decode()
    assert "No reservation" in page
    assert "Inherit from catalogue" not in page


def test_the_current_defaults_show_what_a_broader_choice_covers(owner_client, artist):
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    response = owner_client.get(reverse("catalogue_permissions"))
    current = {item.label: (item.value, item.broader) for item in response.context["current"]}
    assert current["Training generative AI"] == ("deny", "Text and data mining")
    assert current["Text and data mining"] == ("deny", "")
    assert current["Search indexing"] == ("unset", "")
    assert "through Text and data mining" in response.content.decode()


def test_saving_catalogue_choices_applies_them_to_every_track(owner_client, artist):
    tracks = register(artist, count=3, **SONGS)
    response = owner_client.post(
        reverse("catalogue_permissions"),
        choices(tdm="deny", search="allow"),
        follow=True,
    )
    page = response.content.decode()
    assert (
        "Saved: text and data mining is now Not allowed and search indexing is now Allowed "
        "for your whole catalogue."
    ) in page
    for track in tracks:
        values = EffectivePolicy.objects.get(track=track).values()
        assert values["tdm"] == "deny"
        assert values["train-genai"] == "deny"  # through the broader purpose
        assert values["search"] == "allow"


def test_saving_unchanged_catalogue_choices_says_nothing_changed(owner_client, artist):
    owner_client.post(reverse("catalogue_permissions"), choices(search="allow"))
    response = owner_client.post(
        reverse("catalogue_permissions"), choices(search="allow"), follow=True
    )
    assert "Nothing changed: these were already your choices." in response.content.decode()
    assert Declaration.objects.count() == 1


def test_it_refuses_a_catalogue_licence_without_terms(owner_client):
    response = owner_client.post(
        reverse("catalogue_permissions"), choices(train_ai="license", ai_input="license")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["terms_url"] == [
        "“Only under licence” for Training any AI model and AI input (RAG, grounding) needs a "
        "terms URL or a contact email, so that anyone who wants a licence knows where to ask."
    ]
    assert not Declaration.objects.exists()


def test_a_terms_url_without_a_scheme_is_taken_as_https(owner_client, artist):
    owner_client.post(
        reverse("catalogue_permissions"),
        choices(train_genai="license", terms_url="owner.example/licensing"),
    )
    declaration = Declaration.objects.get(creator=artist)
    assert declaration.terms_url == "https://owner.example/licensing"


def test_the_opt_out_button_denies_every_ai_use_on_every_track_of_the_dashboard(
    owner_client, artist
):
    register(artist, count=3, **SONGS)
    response = owner_client.post(reverse("opt_out_ai"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    page = response.content.decode()
    assert (
        "Done: training any AI model, training generative AI and AI input (RAG, grounding) "
        "are now Not allowed for your whole catalogue. 3 of your 3 tracks now deny all three."
    ) in page
    for row in response.context["rows"]:
        values = {cell.purpose: cell.value for cell in row.cells}
        assert all(values[purpose] == Value.DENY for purpose in AI_OPT_OUT)
        assert values[Purpose.SEARCH] == Value.UNSET
    # Three per track, and the opt-out card's three catalogue values.
    assert page.count('<span class="badge badge-deny">Not allowed</span>') == 9 + 3
    assert response.context["summary"]["ai_denied"] == 3


def test_the_opt_out_message_names_tracks_that_keep_their_own_choice(owner_client, artist):
    first, _ = register(artist, count=2, **SONGS)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=first)
    response = owner_client.post(reverse("opt_out_ai"), follow=True)
    page = response.content.decode()
    assert "1 of your 2 tracks now deny all three." in page
    assert "The other one keeps a choice you made for it" in page


def test_opting_out_twice_says_nothing_changed(owner_client, artist):
    register(artist, count=1, **SONGS)
    owner_client.post(reverse("opt_out_ai"))
    response = owner_client.post(reverse("opt_out_ai"), follow=True)
    page = response.content.decode()
    assert "Nothing changed: your whole catalogue already denies" in page
    assert "Your track now denies all three." in page
    assert Declaration.objects.count() == 3


def test_opting_out_before_registering_anything_covers_future_tracks(owner_client, artist):
    response = owner_client.post(reverse("opt_out_ai"), follow=True)
    assert "Every track you register will deny them too." in response.content.decode()
    (track,) = register(artist, count=1, **SONGS)
    assert EffectivePolicy.objects.get(track=track).train_genai == "deny"


def test_the_opt_out_message_links_to_the_tracks_with_choices_of_their_own(owner_client, artist):
    first, second, _ = register(artist, count=3, **SONGS)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=first)
    declare(artist, {Purpose.AI_INPUT: PurposeChoice(Value.ALLOW)}, track=second)
    response = owner_client.post(reverse("opt_out_ai"), follow=True)
    page = response.content.decode()
    assert (
        "The other 2 keep choices you made for them: "
        '<a href="/dashboard/?own=on">show the tracks with choices of their own</a>.'
    ) in page
    assert "filter the dashboard" not in page


def test_the_catalogue_page_states_the_rule_that_resolution_applies(owner_client, artist):
    response = owner_client.get(reverse("catalogue_permissions"))
    page = response.content.decode()
    assert "A narrower choice always wins" not in page
    assert (
        "any choice you make on a track, even for a broader purpose, comes before every "
        "catalogue choice"
    ) in page
    # The example is resolved by the rule itself, and the page says what it gave.
    example = response.context["example"]
    catalogue = {example.catalogue: Statement(example.catalogue_value, 1, NOW)}
    track = {example.track: Statement(example.track_value, 2, NOW, contact_email="x@y.example")}
    resolved = resolve_claim(track, catalogue)[example.purpose]
    assert (resolved.value, resolved.level, resolved.declared_for) == (
        example.result.value,
        TRACK,
        Purpose.TRAIN_AI,
    )
    assert (
        "On that track, training generative AI is “Only under licence”: the value comes from "
        "this track&#x27;s broader choice “Training any AI model”"
    ) in page
    # Which purposes are broader, as resolution walks them.
    assert (
        "Text and data mining covers training any AI model and AI input (RAG, grounding); "
        "Training any AI model covers training generative AI."
    ) in page


def test_the_catalogue_page_counts_the_tracks_with_choices_of_their_own(owner_client, artist):
    first, _ = register(artist, count=2, **SONGS)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=first)
    response = owner_client.get(reverse("catalogue_permissions"))
    assert response.context["own_count"] == 1
    page = response.content.decode()
    assert "1 of your tracks has a choice of its own, which comes before these" in page
    assert '<a href="/dashboard/?own=on">review it on your dashboard</a>' in page
