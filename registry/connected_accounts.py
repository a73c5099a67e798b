"""A connected account proves the profile it belongs to (method 3 of proving a claim).

allauth sends `social_account_added` when a signed-in artist connects an account, and
`social_account_updated` when one is connected again (its data refreshed from the provider);
the profile URL comes from what the provider's API said about the account, never from what the
artist typed. `social_account_removed` ends what the account proved.

- SoundCloud: `permalink_url` of the /me answer (https://soundcloud.com/<permalink>).
- Spotify: `external_urls.spotify` of the /me answer: the user's profile
  (https://open.spotify.com/user/<id>). Spotify does not say which artist page, if any, the
  user runs, so this covers only links beneath that user profile.
- Google: the profile says nothing about a YouTube channel (that takes the YouTube Data API),
  so a Google account proves no URL here; the artist is told so.
"""

import logging

from django.contrib import messages

from consent import proofs
from consent.identifiers import InvalidIdentifier
from consent.models import Creator
from consent.services import ConsentError

logger = logging.getLogger(__name__)

PROVIDER_NAMES = {"soundcloud": "SoundCloud", "spotify": "Spotify", "google": "Google"}


def profile_url(provider: str, extra_data: dict) -> str:
    """The public profile URL the provider's own answer gives for the account, or ""."""
    extra_data = extra_data if isinstance(extra_data, dict) else {}
    if provider == "soundcloud":
        url = extra_data.get("permalink_url")
    elif provider == "spotify":
        urls = extra_data.get("external_urls")
        url = urls.get("spotify") if isinstance(urls, dict) else None
    else:
        url = None
    return url.strip() if isinstance(url, str) and url.startswith("https://") else ""


def _tell(request, level: int, text: str) -> None:
    if request is not None:
        messages.add_message(request, level, text, fail_silently=True)


def account_connected(sender, request=None, sociallogin=None, **kwargs) -> None:
    account = sociallogin.account
    user = sociallogin.user or account.user
    name = PROVIDER_NAMES.get(account.provider, account.provider)
    creator = Creator.objects.filter(user=user).first()
    if creator is None:
        _tell(
            request,
            messages.INFO,
            f"Your {name} account is connected. Fill in your artist profile, then connect it "
            "again to prove your profile there.",
        )
        return
    url = profile_url(account.provider, account.extra_data)
    if not url:
        _tell(
            request,
            messages.INFO,
            f"Your {name} account is connected, but {name} does not tell the registry which "
            "public page is yours, so it proves nothing here. Prove your page with a link "
            "proof instead.",
        )
        return
    # A renamed profile: what the account proved under its old address no longer holds.
    proofs.account_removed(creator.id, account.provider, str(account.uid), keep=url)
    try:
        result = proofs.prove_by_account(creator, url, account.provider, str(account.uid))
    except (ConsentError, InvalidIdentifier) as exc:
        _tell(request, messages.ERROR, str(exc))
        return
    _tell(request, messages.SUCCESS, result.message)


def account_disconnected(sender, request=None, socialaccount=None, **kwargs) -> None:
    creator = Creator.objects.filter(user_id=socialaccount.user_id).first()
    if creator is None:
        return
    ended = proofs.account_removed(creator.id, socialaccount.provider, str(socialaccount.uid))
    if ended:
        name = PROVIDER_NAMES.get(socialaccount.provider, socialaccount.provider)
        _tell(
            request,
            messages.INFO,
            f"Your {name} account no longer proves your profile there: {ended} claim"
            f"{'s' if ended != 1 else ''} it verified {'are' if ended != 1 else 'is'} unverified "
            "now, unless another proof covers them.",
        )
