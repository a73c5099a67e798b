"""The artist profile: created once, edited later, with a unique handle and an optional ISNI."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from consent.models import ChangeEvent, Creator, EffectivePolicy
from consent.policies import find_policy_differences
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track

pytestmark = pytest.mark.django_db

VALID_ISNI = "0000000121032683"


@pytest.fixture
def newcomer_client(client):
    user = get_user_model().objects.create_user(
        username="newcomer", email="newcomer@example.org", password="a long enough password"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    client.user = user
    return client


def test_a_newcomer_creates_a_profile_and_lands_on_the_dashboard(newcomer_client):
    response = newcomer_client.post(
        reverse("profile"),
        {"artist_name": "The Night Owls", "handle": "Night-Owls", "isni": "0000 0001 2103 2683"},
        follow=True,
    )
    creator = Creator.objects.get(user=newcomer_client.user)
    assert creator.artist_name == "The Night Owls"
    assert creator.handle == "night-owls"
    assert creator.isni == VALID_ISNI
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Welcome, The Night Owls." in response.content.decode()


def test_after_creating_a_profile_the_newcomer_returns_to_the_page_they_wanted(newcomer_client):
    next_url = reverse("catalogue_permissions")
    response = newcomer_client.post(
        f"{reverse('profile')}?next={next_url}",
        {"artist_name": "Owls", "handle": "owls", "isni": "", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == next_url


def test_it_ignores_a_next_address_on_another_site(newcomer_client):
    response = newcomer_client.post(
        reverse("profile"),
        {"artist_name": "Owls", "handle": "owls", "next": "https://evil.example/steal"},
    )
    assert response["Location"] == reverse("dashboard")


def test_it_refuses_a_handle_that_is_already_taken_in_any_letter_case(
    newcomer_client, other_artist
):
    response = newcomer_client.post(
        reverse("profile"), {"artist_name": "Copycat", "handle": "Someone-Else"}
    )
    assert response.status_code == 200
    assert "The handle “someone-else” is already taken" in response.content.decode()
    assert not Creator.objects.filter(user=newcomer_client.user).exists()


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("ab", "A handle needs at least 3 characters."),
        ("x" * 41, "A handle can have at most 40 characters."),
        ("night owls", "A handle can contain only letters, digits and single hyphens"),
        ("-owls", "A handle can contain only letters, digits and single hyphens"),
    ],
)
def test_it_explains_what_is_wrong_with_a_handle(newcomer_client, handle, message):
    response = newcomer_client.post(reverse("profile"), {"artist_name": "Owls", "handle": handle})
    assert message in response.content.decode()
    assert not Creator.objects.exists()


def test_it_refuses_an_isni_with_a_wrong_check_character(newcomer_client):
    response = newcomer_client.post(
        reverse("profile"),
        {"artist_name": "Owls", "handle": "owls", "isni": "0000 0001 2103 2684"},
    )
    assert "is not a valid ISNI" in response.content.decode()
    assert not Creator.objects.exists()


def test_the_owner_sees_the_isni_formatted_and_can_change_the_handle(owner_client, artist):
    artist.isni = VALID_ISNI
    artist.save()
    page = owner_client.get(reverse("profile")).content.decode()
    assert 'value="0000 0001 2103 2683"' in page
    assert 'value="owner-band"' in page

    response = owner_client.post(
        reverse("profile"),
        {"artist_name": "Owner Band", "handle": "owner-band-2", "isni": "0000 0001 2103 2683"},
        follow=True,
    )
    artist.refresh_from_db()
    assert artist.handle == "owner-band-2"
    assert artist.isni == VALID_ISNI
    assert "Your profile is saved." in response.content.decode()


def test_renaming_the_handle_leaves_every_policy_matching_its_declarations(owner_client, artist):
    data = TrackData(title="Night Drive", artist_credit="Owner Band", roles=["recording"])
    track = register_track(artist, data).tracks[0]
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)})
    events = ChangeEvent.objects.count()
    owner_client.post(reverse("profile"), {"artist_name": "Owner Band", "handle": "new-handle"})
    provenance = EffectivePolicy.objects.get(track=track).provenance["search"]
    assert provenance["creator"] == str(artist.public_id)
    assert find_policy_differences([track.id]) == []
    assert ChangeEvent.objects.count() == events, "a rename is not a change of consent"


def test_keeping_ones_own_handle_is_not_a_conflict(owner_client, artist):
    response = owner_client.post(
        reverse("profile"), {"artist_name": "Renamed Band", "handle": "owner-band"}
    )
    assert response.status_code == 302
    artist.refresh_from_db()
    assert artist.artist_name == "Renamed Band"
