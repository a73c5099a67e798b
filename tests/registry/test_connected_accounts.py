"""A connected account proves the profile it belongs to: allauth's own signals, fired with real
SocialAccount rows shaped as the providers' APIs answer, never the network."""

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.signals import (
    social_account_added,
    social_account_removed,
    social_account_updated,
)
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse

from consent.models import ChangeEvent, Claim, ProfileProof
from registry.adapters import SocialAccountAdapter
from tests.conftest import make_artist
from tests.factories import register
from tests.test_settings import PRODUCTION, SETUP, run

pytestmark = pytest.mark.django_db

SOUNDCLOUD_ME = {
    "id": 287465123,
    "urn": "soundcloud:users:287465123",
    "kind": "user",
    "permalink": "juniper-vale",
    "username": "Juniper Vale",
    "full_name": "Juniper Vale",
    "uri": "https://api.soundcloud.com/users/287465123",
    "permalink_url": "https://soundcloud.com/juniper-vale",
    "avatar_url": "https://i1.sndcdn.com/avatars-000123-large.jpg",
    "city": "Bristol",
    "country": "United Kingdom",
    "description": "Songs from the marsh.",
    "track_count": 12,
    "followers_count": 240,
    "public_favorites_count": 3,
}
SPOTIFY_ME = {
    "id": "jvale",
    "display_name": "Juniper Vale",
    "type": "user",
    "uri": "spotify:user:jvale",
    "href": "https://api.spotify.com/v1/users/jvale",
    "external_urls": {"spotify": "https://open.spotify.com/user/jvale"},
    "followers": {"href": None, "total": 3},
    "images": [],
}
GOOGLE_USERINFO = {
    "id": "109876543210987654321",
    "email": "juniper@example.org",
    "verified_email": True,
    "name": "Juniper Vale",
    "given_name": "Juniper",
    "picture": "https://lh3.googleusercontent.com/a/code",
}


@pytest.fixture
def juniper(db):
    return make_artist("Juniper Vale", "juniper-vale")


def a_request(user):
    request = RequestFactory().get("/accounts/soundcloud/login/callback/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def connect(creator, provider: str, uid: str, extra_data: dict, signal=social_account_added):
    account = SocialAccount.objects.create(
        user=creator.user, provider=provider, uid=uid, extra_data=extra_data
    )
    request = a_request(creator.user)
    signal.send(
        sender=SocialLogin,
        request=request,
        sociallogin=SocialLogin(user=creator.user, account=account),
    )
    return account, [str(m) for m in get_messages(request)]


def verification(creator, track):
    claim = Claim.objects.get(creator=creator, track=track)
    return claim.current_verification()


def test_connecting_soundcloud_proves_the_profile_and_verifies_the_tracks_beneath_it(juniper):
    track = register(
        juniper, "https://soundcloud.com/juniper-vale/paper-lanterns", title="Paper Lanterns"
    )
    other = register(juniper, "https://soundcloud.com/someone-else/elsewhere", title="Elsewhere")

    _, said = connect(juniper, "soundcloud", "287465123", SOUNDCLOUD_ME)

    proof = ProfileProof.objects.get(creator=juniper)
    assert (proof.url, proof.method, proof.status) == (
        "https://soundcloud.com/juniper-vale",
        "account",
        ProfileProof.Status.PROVEN,
    )
    assert proof.found_by == ProfileProof.Found.ACCOUNT
    found = verification(juniper, track)
    assert (found.method, found.detail) == ("account", "https://soundcloud.com/juniper-vale")
    assert verification(juniper, other) is None
    assert ChangeEvent.objects.filter(track=track, cause="claim-verified").exists()
    assert any("is proven by a connected account" in m and "1 claim verified" in m for m in said)


def test_a_track_linked_after_connecting_is_verified_at_once(juniper):
    connect(juniper, "soundcloud", "287465123", SOUNDCLOUD_ME)

    later = register(juniper, "https://soundcloud.com/juniper-vale/reed-song", title="Reed Song")

    assert verification(juniper, later).method == "account"


def test_spotify_proves_the_user_profile_it_reports(juniper):
    track = register(juniper, "https://open.spotify.com/user/jvale/playlist/abc", title="Playlist")

    connect(juniper, "spotify", "jvale", SPOTIFY_ME)

    assert ProfileProof.objects.get(creator=juniper).url == "https://open.spotify.com/user/jvale"
    assert verification(juniper, track).method == "account"


def test_a_google_account_proves_nothing_and_the_artist_is_told_why(juniper):
    register(juniper, "https://youtube.com/@junipervale", title="Paper Lanterns")

    _, said = connect(juniper, "google", GOOGLE_USERINFO["id"], GOOGLE_USERINFO)

    assert not ProfileProof.objects.filter(creator=juniper).exists()
    assert any("does not tell the registry which public page is yours" in m for m in said)


def test_disconnecting_the_account_ends_what_it_proved(juniper):
    track = register(
        juniper, "https://soundcloud.com/juniper-vale/paper-lanterns", title="Paper Lanterns"
    )
    account, _ = connect(juniper, "soundcloud", "287465123", SOUNDCLOUD_ME)
    request = a_request(juniper.user)

    account.delete()
    social_account_removed.send(sender=SocialAccount, request=request, socialaccount=account)

    assert verification(juniper, track) is None
    assert not ProfileProof.objects.filter(creator=juniper).exists()
    assert ChangeEvent.objects.filter(track=track, cause="verification-ended").exists()
    assert any("no longer proves your profile" in str(m) for m in get_messages(request))


def test_a_renamed_profile_moves_the_proof_to_the_new_address(juniper):
    old = register(
        juniper, "https://soundcloud.com/juniper-vale/paper-lanterns", title="Paper Lanterns"
    )
    new = register(
        juniper, "https://soundcloud.com/juniper-vale-music/reed-song", title="Reed Song"
    )
    account, _ = connect(juniper, "soundcloud", "287465123", SOUNDCLOUD_ME)
    renamed = SOUNDCLOUD_ME | {"permalink_url": "https://soundcloud.com/juniper-vale-music"}
    account.extra_data = renamed
    account.save()

    social_account_updated.send(
        sender=SocialLogin,
        request=a_request(juniper.user),
        sociallogin=SocialLogin(user=juniper.user, account=account),
    )

    assert list(ProfileProof.objects.filter(creator=juniper).values_list("url", flat=True)) == [
        "https://soundcloud.com/juniper-vale-music"
    ]
    assert verification(juniper, old) is None
    assert verification(juniper, new).method == "account"


def test_a_connected_account_is_not_a_way_to_sign_in_or_sign_up(juniper):
    account = SocialAccount(provider="soundcloud", uid="287465123", extra_data=SOUNDCLOUD_ME)
    login = SocialLogin(account=account)
    login.state = {"process": "login"}
    request = a_request(juniper.user)
    adapter = SocialAccountAdapter()

    with pytest.raises(ImmediateHttpResponse) as refused:
        adapter.pre_social_login(request, login)

    assert refused.value.response["Location"] == "/accounts/login/"
    assert any("not a way to sign in" in str(m) for m in get_messages(request))
    assert adapter.is_open_for_signup(request, login) is False
    login.state = {"process": "connect"}
    adapter.pre_social_login(request, login)  # connecting goes ahead


# --- Off unless configured ------------------------------------------------------------------


PROVIDERS = (
    SETUP + "; from django.conf import settings; "
    "print(sorted(settings.SOCIALACCOUNT_PROVIDERS), "
    "[a for a in settings.INSTALLED_APPS if '.providers.' in a])"
)


def test_no_provider_is_offered_until_its_credentials_are_set():
    off = run(["-c", PROVIDERS], **PRODUCTION)
    on = run(
        ["-c", PROVIDERS],
        **PRODUCTION,
        SOUNDCLOUD_CLIENT_ID="client-id",
        SOUNDCLOUD_CLIENT_SECRET="client-secret",
    )
    assert off.returncode == 0 and on.returncode == 0, off.stderr + on.stderr
    assert off.stdout.strip() == "[] []"
    assert on.stdout.strip() == "['soundcloud'] ['allauth.socialaccount.providers.soundcloud']"


def test_a_client_id_without_its_secret_stops_start_up():
    result = run(["-c", SETUP], **PRODUCTION, SPOTIFY_CLIENT_ID="client-id")
    assert result.returncode != 0
    assert "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET must be set together" in result.stderr


@pytest.fixture
def soundcloud_configured(settings):
    """SoundCloud set up as an operator would (its credentials in the settings): allauth needs
    the provider to disconnect an account of it. Its provider class joins allauth's registry
    for this test, as it would at start-up with the app installed."""
    from allauth.socialaccount.providers import registry
    from allauth.socialaccount.providers.soundcloud.provider import SoundCloudProvider

    registry.load()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "soundcloud": {"APPS": [{"client_id": "client-id", "secret": "client-secret", "key": ""}]}
    }
    added = "soundcloud" not in registry.provider_map
    registry.register(SoundCloudProvider)
    yield
    if added:
        registry.provider_map.pop("soundcloud")


def test_disconnecting_on_the_connections_page_unverifies_the_claims(
    client, juniper, soundcloud_configured
):
    track = register(
        juniper, "https://soundcloud.com/juniper-vale/paper-lanterns", title="Paper Lanterns"
    )
    account, _ = connect(juniper, "soundcloud", "287465123", SOUNDCLOUD_ME)
    client.force_login(juniper.user)
    page = client.get(reverse("socialaccount_connections")).content.decode()
    assert "SoundCloud account, connected on" in page and "not a way to sign in" in page

    response = client.post(
        reverse("socialaccount_connections"), {"account": account.pk}, follow=True
    )

    assert response.status_code == 200
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
    assert verification(juniper, track) is None
    assert "no longer proves your profile" in response.content.decode()
