"""Who may open the artist's pages: the owner, never another artist, never an anonymous visitor."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from consent.models import Claim, Declaration, TrackLink
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track

pytestmark = pytest.mark.django_db


def a_track(creator, title="Night Drive", isrc="USRC17607839"):
    data = TrackData(title=title, artist_credit=creator.artist_name, roles=["recording"], isrc=isrc)
    return register_track(creator, data).tracks[0]


def artist_pages(track) -> list[str]:
    return [
        reverse("dashboard"),
        reverse("profile"),
        reverse("track_new"),
        reverse("track_detail", args=[track.public_id]),
        reverse("catalogue_permissions"),
        reverse("history"),
    ]


@pytest.fixture
def user_without_profile(db):
    user = get_user_model().objects.create_user(
        username="newcomer", email="newcomer@example.org", password="a long enough password"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_an_anonymous_visitor_is_sent_to_the_login_page_from_every_artist_page(client, artist):
    track = a_track(artist)
    login = reverse("account_login")
    for url in artist_pages(track):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login}?next="), url


def test_an_anonymous_visitor_cannot_opt_anyone_out(client, artist):
    a_track(artist)
    response = client.post(reverse("opt_out_ai"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Declaration.objects.exists()


def test_a_signed_in_person_without_a_profile_is_asked_to_create_one_first(
    client, user_without_profile, artist
):
    client.force_login(user_without_profile)
    track = a_track(artist)
    for url in artist_pages(track):
        if url == reverse("profile"):
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("profile")), url
    response = client.get(reverse("dashboard"), follow=True)
    assert response.redirect_chain[-1][0] == (f"{reverse('profile')}?next=%2Fdashboard%2F")
    assert "tell us the artist name and public handle" in response.content.decode()


def test_a_person_without_a_profile_cannot_post_to_artist_actions(client, user_without_profile):
    client.force_login(user_without_profile)
    response = client.post(reverse("opt_out_ai"))
    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    assert not Declaration.objects.exists()


def test_the_owner_can_open_every_artist_page(owner_client, artist):
    track = a_track(artist)
    for url in artist_pages(track):
        response = owner_client.get(url)
        assert response.status_code == 200, url
    assert "Night Drive" in owner_client.get(reverse("dashboard")).content.decode()


def test_another_artist_gets_a_404_for_a_track_they_do_not_claim(client, artist, other_artist):
    track = a_track(artist)
    client.force_login(other_artist.user)
    url = reverse("track_detail", args=[track.public_id])
    assert client.get(url).status_code == 404
    for data in (
        {"action": "permissions", "train_genai": "allow", "tdm": "unset", "train_ai": "unset"},
        {"action": "add-links", "links": "https://example.com/stolen"},
        {"action": "withdraw", "claim": str(track.claims.get().public_id)},
    ):
        assert client.post(url, data).status_code == 404
    link = TrackLink.objects.create(
        track=track, url="https://example.com/mine", host="example.com", added_by=artist
    )
    assert client.post(url, {"action": "remove-link", "url": link.url}).status_code == 404
    assert TrackLink.objects.filter(pk=link.pk).exists()
    assert not Declaration.objects.filter(track=track).exists()
    assert track.claims.get().status == Claim.Status.ACTIVE


def test_another_artist_never_sees_someone_elses_tracks_or_history(client, artist, other_artist):
    a_track(artist, title="Owner Secret Song")
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    client.force_login(other_artist.user)
    for name in ("dashboard", "history", "catalogue_permissions"):
        page = client.get(reverse(name)).content.decode()
        assert "Owner Secret Song" not in page, name
        assert "Owner Band" not in page, name
    history = client.get(reverse("history"))
    assert history.context["batches"] == []


def test_opting_out_only_accepts_post(owner_client):
    response = owner_client.get(reverse("opt_out_ai"))
    assert response.status_code == 405
    assert not Declaration.objects.exists()
