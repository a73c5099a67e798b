"""The "publish on your own site" page: the signed-in artist's own kit, each file with a copy
button, a download link and where it goes."""

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from protego import Protego

from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, declare
from consent.standards import ai_agents
from tests.factories import register

pytestmark = pytest.mark.django_db

FILES = {
    "kit-robots": "/c/owner-band/robots.txt",
    "kit-ai-txt": "/c/owner-band/ai.txt",
    "kit-tdmrep": "/c/owner-band/tdmrep.json",
    "kit-rsl": "/c/owner-band/rsl.xml",
}


def deny_all_ai(creator) -> None:
    declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})


def page(client) -> lxml.html.HtmlElement:
    response = client.get("/publish/")
    assert response.status_code == 200
    return lxml.html.fromstring(response.content)


def test_it_needs_a_signed_in_artist(client, artist):
    response = client.get("/publish/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_without_an_artist_profile_is_sent_to_the_profile_first(client):
    user = get_user_model().objects.create_user("fan", "fan@example.org", "long enough pass 42")
    client.force_login(user)

    response = client.get("/publish/")

    assert response.status_code == 302
    assert response["Location"].startswith("/profile/")


def test_each_file_is_shown_as_served_with_a_copy_button_and_a_download(owner_client, artist):
    deny_all_ai(artist)

    tree = page(owner_client)

    for element_id, url in FILES.items():
        shown = tree.get_element_by_id(element_id).text_content()
        assert shown == owner_client.get(url).content.decode(), element_id
        button = tree.xpath(
            f"//button[contains(@class, 'copy-button')][@data-copy-target='{element_id}']"
        )
        assert len(button) == 1, element_id
        assert tree.xpath(f"//a[@href='{url}'][@download]"), element_id
    assert tree.xpath("//a[@href='/c/owner-band/headers.txt'][@download='headers.txt']")


def test_after_opting_out_robots_txt_disallows_training_crawlers(owner_client, artist):
    deny_all_ai(artist)

    robots = page(owner_client).get_element_by_id("kit-robots").text_content()

    group = robots.split("User-agent: GPTBot", 1)[1].split("\n\n", 1)[0]
    assert "Disallow: /" in group.splitlines()


def test_it_says_where_each_file_goes(owner_client, artist):
    text = page(owner_client).text_content()

    assert "at the root of your site, as /robots.txt" in text
    assert "as /ai.txt" in text
    assert "/.well-known/tdmrep.json" in text
    assert "License: line" in text


def test_header_lines_are_offered_for_each_web_server(owner_client, artist):
    deny_all_ai(artist)

    tree = page(owner_client)

    nginx = tree.get_element_by_id("kit-headers-nginx").text_content()
    assert 'add_header X-Robots-Tag "noai, noimageai" always;' in nginx
    assert (
        'Header always set tdm-reservation "1"'
        in tree.get_element_by_id("kit-headers-apache").text_content()
    )
    for server in ("nginx", "apache", "caddy", "netlify"):
        assert tree.xpath(f"//button[@data-copy-target='kit-headers-{server}']"), server


def test_with_no_choice_it_says_the_files_reserve_nothing(owner_client, artist):
    tree = page(owner_client)

    assert "You have not made any catalogue-wide choice yet." in tree.text_content()
    assert tree.xpath("//a[@href='/permissions/']")
    assert "Disallow" not in tree.get_element_by_id("kit-robots").text_content()


def test_it_shows_only_the_signed_in_artists_kit(owner_client, artist, other_artist):
    deny_all_ai(other_artist)
    declare(other_artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})

    response = owner_client.get("/publish/")
    tree = lxml.html.fromstring(response.content)

    assert "someone-else" not in response.content.decode()
    assert "Someone Else" not in response.content.decode()
    assert "Disallow" not in tree.get_element_by_id("kit-robots").text_content()


def test_the_artist_name_is_escaped_in_the_files_shown(owner_client, artist):
    artist.artist_name = "<script>alert(1)</script>"
    artist.save()

    body = owner_client.get("/publish/").content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_with_the_sites_address_the_files_name_the_licence_at_its_root(owner_client, artist):
    from consent.services import TrackData, register_track
    from tests.conftest import verify_claims_of

    register_track(artist, TrackData(title="Song", artist_credit="A", roles=["recording"]))
    verify_claims_of(artist)
    declare(
        artist,
        {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url="https://owner.example/terms")},
    )
    without = page(owner_client)
    assert "License:" not in without.get_element_by_id("kit-robots").text_content()
    assert "give your site's address above" in without.text_content()

    response = owner_client.get("/publish/", {"site": "Owner-Band.example"})
    tree = lxml.html.fromstring(response.content)
    robots = tree.get_element_by_id("kit-robots").text_content()
    assert "License: https://owner-band.example/rsl.xml" in robots.splitlines()
    assert tree.get_element_by_id("kit-site").get("value") == "Owner-Band.example"
    query = "?site=https%3A%2F%2Fowner-band.example"
    assert tree.xpath(f"//a[@href='/c/owner-band/robots.txt{query}'][@download]")
    assert owner_client.get(f"/c/owner-band/robots.txt{query}").content.decode() == robots


def test_a_site_address_that_names_a_page_is_refused_on_the_page(owner_client, artist):
    response = owner_client.get("/publish/", {"site": "https://owner-band.example/music"})
    tree = lxml.html.fromstring(response.content)
    error = tree.get_element_by_id("kit-site-error").text_content()
    assert "names a page, not a site" in error
    assert tree.get_element_by_id("kit-site").get("aria-invalid") == "true"


def test_keeping_out_of_ai_overviews_is_an_opt_in_offered_with_its_cost(owner_client, artist):
    assert not page(owner_client).xpath("//input[@id='kit-nosnippet']")
    deny_all_ai(artist)
    tree = page(owner_client)
    assert tree.xpath("//input[@id='kit-nosnippet'][@type='checkbox'][not(@checked)]")
    help_text = tree.get_element_by_id("kit-nosnippet-help").text_content()
    assert "no text snippet" in help_text
    netlify = tree.get_element_by_id("kit-headers-netlify").text_content()
    assert "nosnippet" not in netlify

    opted = lxml.html.fromstring(owner_client.get("/publish/", {"nosnippet": "1"}).content)
    netlify = opted.get_element_by_id("kit-headers-netlify").text_content()
    assert "X-Robots-Tag: noai, noimageai, nosnippet" in netlify


def summary_of(tree) -> dict[str, str]:
    (summary,) = tree.xpath("//dl[@aria-labelledby='kit-summary-title']")
    terms = [dt.text_content().strip() for dt in summary.iter("dt")]
    return dict(zip(terms, (dd.text_content().strip() for dd in summary.iter("dd")), strict=True))


def test_the_page_starts_with_what_crawlers_will_receive_in_plain_words(owner_client, artist):
    deny_all_ai(artist)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})

    summary = summary_of(page(owner_client))

    assert summary["AI training and data-mining crawlers"] == "Blocked from your whole site"
    assert summary["Search engines"] == "Allowed"
    assert summary["AI search and answer engines"] == "Blocked from your whole site"
    assert summary["Dataset downloaders (ai.txt)"] == "Told not to download the audio"
    # The words agree with the robots.txt the kit serves.
    robots = Protego.parse(owner_client.get("/c/owner-band/robots.txt").content.decode())
    for agent in ai_agents():
        blocked = not robots.can_fetch("https://owner-band.example/song", agent.token)
        assert blocked is (agent.purposes != (Purpose.SEARCH,)), agent.token


def test_a_licence_only_catalogue_says_crawlers_may_fetch_but_need_a_licence(owner_client, artist):
    declare(
        artist,
        {Purpose.TRAIN_GENAI: PurposeChoice(Value.LICENSE, terms_url="https://o.example/l")},
    )

    summary = summary_of(page(owner_client))

    assert "told the use needs a licence" in summary["AI training and data-mining crawlers"]
    assert "blocked" not in summary["AI training and data-mining crawlers"].lower()


def test_it_names_the_tracks_whose_own_choice_the_files_do_not_carry(owner_client, artist):
    deny_all_ai(artist)
    register(artist, title="Follows the catalogue")
    own = register(
        artist, title="Open for search", choices={Purpose.SEARCH: PurposeChoice(Value.DENY)}
    )

    tree = page(owner_client)

    (section,) = tree.xpath("//section[@aria-labelledby='kit-tracks-title']")
    names = [a.text_content() for a in section.iter("a")]
    assert names == ["Open for search"]
    assert section.xpath(f".//a[@href='/tracks/{own.public_id}/#crawlers-title']")
    assert "1 of your tracks has a choice in force" in " ".join(section.text_content().split())


def test_every_code_block_can_be_reached_and_named_from_the_keyboard(owner_client, artist):
    deny_all_ai(artist)

    tree = page(owner_client)

    blocks = tree.xpath("//pre")
    assert len(blocks) >= len(FILES) + 4
    for block in blocks:
        assert block.get("tabindex") == "0", block.get("id")
        assert block.get("role") == "region", block.get("id")
        assert block.get("aria-label"), block.get("id")
