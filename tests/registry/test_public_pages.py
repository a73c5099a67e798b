"""The public pages: home, how it works, terms, privacy and the error pages."""

import pytest
from django.core.cache import cache
from django.template.loader import get_template

from consent.purposes import DESCRIPTIONS, LABELS, PURPOSES, Purpose, Value
from consent.services import PurposeChoice, declare, withdraw_claim
from tests.conftest import make_artist
from tests.factories import register

pytestmark = pytest.mark.django_db

ALLOW, DENY = PurposeChoice(Value.ALLOW), PurposeChoice(Value.DENY)


@pytest.fixture(autouse=True)
def fresh_cache():
    # The home page shares its numbers between visitors for a minute.
    cache.clear()
    yield
    cache.clear()


def text(response) -> str:
    return response.content.decode()


def stat(body: str, label: str) -> str:
    """The number shown just before a label in the home page's statistics."""
    before, _, _ = body.partition(label)
    return before.rsplit('<span class="stat-value">', 1)[1].split("</span>", 1)[0].strip()


def test_it_shows_what_the_registry_is_on_the_home_page(client):
    response = client.get("/")
    body = text(response)
    assert response.status_code == 200
    assert "Say what AI may do with your music." in body
    assert "For artists" in body
    assert "For platforms and AI developers" in body
    # The API exists: the page says what platforms read, and announces nothing as coming.
    assert "through the consent API" in body and "on the way" not in body
    assert 'href="/platform/apply/"' in body and 'href="/platforms/"' in body
    assert 'href="/accounts/signup/"' in body


def test_it_counts_tracks_creators_and_tracks_reserving_ai_training(client):
    first = make_artist()
    second = make_artist()
    make_artist()
    register(first, title="Refused", choices={Purpose.TRAIN_AI: DENY})
    register(first, title="Allowed", choices={Purpose.TRAIN_AI: ALLOW})
    register(second, title="Genai refused", choices={Purpose.TRAIN_GENAI: DENY})
    withdrawn = register(second, title="Withdrawn", choices={Purpose.TRAIN_AI: DENY})
    withdraw_claim(withdrawn.claims.get())

    body = text(client.get("/"))

    assert stat(body, "registered tracks") == "3"
    assert stat(body, "artists and rights holders") == "3"
    assert stat(body, "tracks where AI training is not allowed or needs a licence") == "2"


def test_it_counts_a_catalogue_wide_opt_out_on_every_track(client):
    artist = make_artist()
    register(artist, title="One")
    register(artist, title="Two")
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})

    body = text(client.get("/"))

    assert stat(body, "tracks where AI training is not allowed or needs a licence") == "2"


def test_it_offers_a_signed_in_artist_their_dashboard(owner_client):
    body = text(owner_client.get("/"))
    assert 'href="/dashboard/"' in body
    assert "Go to your dashboard" in body


def test_it_explains_every_purpose_with_its_broader_purpose(client):
    response = client.get("/how-it-works/")
    body = text(response)
    assert response.status_code == 200
    for purpose in PURPOSES:
        assert LABELS[purpose] in body
        assert DESCRIPTIONS[purpose] in body
    assert f"Part of <strong>{LABELS[Purpose.TRAIN_AI]}</strong>" in body
    assert "A purpose of its own" in body


def test_it_explains_how_the_answer_is_decided(client):
    body = text(client.get("/how-it-works/"))
    assert "A choice for the track beats your catalogue default." in body
    assert "A narrower purpose falls back to the broader one." in body
    assert "With several owners, the most restrictive choice wins." in body
    for label in ("Allowed", "Not allowed", "Only under licence", "No reservation"):
        assert label in body


def test_it_explains_what_a_machine_readable_reservation_does_and_does_not_do(client):
    body = text(client.get("/how-it-works/"))
    assert "2019/790" in body
    assert "Article 4(3)" in body
    assert "AI Act" in body
    assert "robots.txt" in body
    assert "It is not technical enforcement." in body
    assert "It does not cover uses under other exceptions." in body
    assert "Registering is not copyright registration." in body


def test_the_terms_promise_never_to_train_ai_on_registered_works(client):
    response = client.get("/terms/")
    body = text(response)
    assert response.status_code == 200
    assert "We never use registered works or artists' data to train AI models" in body
    assert "We will never change this promise without your explicit consent." in body
    assert "Registering someone else's work is not allowed." in body


def test_the_privacy_notice_says_what_is_kept_and_what_is_public(client, settings):
    settings.KEEP_AUDIO_UPLOADS = False
    response = client.get("/privacy/")
    body = text(response)
    assert response.status_code == 200
    assert "We never use registered works or artists' data to train AI models" in body
    assert "append-only and kept forever" in body
    assert "We keep the hash, not the audio." in body
    assert "your account email address" in body
    assert "Public, by design:" in body


def test_the_privacy_notice_says_so_when_audio_files_are_kept(client, settings):
    settings.KEEP_AUDIO_UPLOADS = True
    body = text(client.get("/privacy/"))
    assert "configured to keep the audio files you upload" in body
    assert "We keep the hash, not the audio." not in body


def test_the_terms_and_privacy_notice_give_a_contact_address(client, settings):
    settings.CONTACT_EMAIL = "help@registry.example"
    for url in ("/terms/", "/privacy/"):
        assert 'href="mailto:help@registry.example"' in text(client.get(url))


def test_every_public_page_has_the_site_header_and_footer(client):
    for url in ("/", "/how-it-works/", "/terms/", "/privacy/"):
        body = text(client.get(url))
        assert 'class="site-header"' in body, url
        assert 'class="site-footer"' in body, url
        assert 'class="skip-link"' in body, url


def test_the_current_page_is_marked_in_the_navigation(client):
    body = text(client.get("/how-it-works/"))
    assert 'href="/how-it-works/" aria-current="page"' in body


def test_an_unknown_address_shows_the_designed_not_found_page(client):
    response = client.get("/no-such-page/")
    body = text(response)
    assert response.status_code == 404
    assert "We could not find that page." in body
    assert 'class="site-header"' in body
    assert "/static/css/site" in body


def test_the_server_error_page_renders_without_any_request_context():
    html = get_template("500.html").render({})
    assert "Something went wrong on our side." in html
    assert "Music Consent Registry" in html


def test_how_it_works_says_which_signals_and_crawlers_carry_each_purpose(client):
    from consent.standards import rules
    from consent.standards.agents import ai_agents

    page = client.get("/how-it-works/").content.decode()
    assert "Which signals carry each choice" in page
    # Read from the same tables the formats are written from: every Content-Usage key and every
    # crawler of the data file is named.
    for key, _ in rules.AIPREF_KEYS:
        assert f"Content-Usage “{key}”" in page
    for agent in ai_agents():
        assert agent.token in page


def test_the_publish_page_says_which_signals_carry_each_purpose(owner_client):
    page = owner_client.get("/publish/").content.decode()
    assert "Which signals carry each choice" in page
    assert "TDMRep tdm-reservation" in page
    assert "GPTBot" in page
