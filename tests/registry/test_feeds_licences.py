"""Licence-only choices: the TDMRep policy (ODRL JSON-LD) at /policies/<id>.json and the RSL
licence at /licenses/<id>.xml, for a track or a creator's catalogue, read with JSON Schema and
lxml."""

import jsonschema
import pytest
from django.conf import settings
from lxml import etree

from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import make_artist, verify_claims_of
from tests.factories import register
from tests.schemas import ODRL_POLICY_SCHEMA

pytestmark = pytest.mark.django_db

TERMS = "https://owner-band.example/ai-licence"
EMAIL = "licensing@owner-band.example"
RSL = {"rsl": "https://rslstandard.org/rsl"}
UNKNOWN = "00000000-0000-0000-0000-000000000000"


def licence_only(creator, **terms) -> None:
    declare(creator, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, **terms)})


def odrl(client, public_id) -> dict:
    response = client.get(f"/policies/{public_id}.json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/ld+json"
    policy = response.json()
    jsonschema.validate(policy, ODRL_POLICY_SCHEMA)
    return policy


def rsl(client, public_id) -> etree._Element:
    response = client.get(f"/licenses/{public_id}.xml")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/rsl+xml"
    root = etree.fromstring(response.content)
    assert root.tag == "{https://rslstandard.org/rsl}rsl"
    return root


def test_a_licence_only_track_has_a_policy_naming_its_owner_and_terms(client, artist):
    licence_only(artist, terms_url=TERMS, contact_email=EMAIL)
    track = register(artist, verified=True)

    policy = odrl(client, track.public_id)

    assert policy["uid"] == f"{settings.SITE_URL}/policies/{track.public_id}.json"
    assert policy["assigner"] == {
        "uid": f"urn:uuid:{artist.public_id}",
        "vcard:fn": "Owner Band",
        "vcard:hasEmail": f"mailto:{EMAIL}",
        "vcard:hasURL": TERMS,
    }
    (permission,) = policy["permission"]
    assert permission["target"] == f"{settings.SITE_URL}/t/{track.public_id}/"


def test_an_owner_with_an_isni_is_named_by_it(client, artist):
    artist.isni = "0000000121032683"
    artist.save()
    licence_only(artist, contact_email=EMAIL)
    track = register(artist, verified=True)

    assert odrl(client, track.public_id)["assigner"]["uid"] == (
        "https://isni.org/isni/0000000121032683"
    )


def test_a_catalogue_wide_licence_has_a_policy_under_the_creators_id(client, artist):
    register(artist, verified=True)  # a proven owner: only they publish licence offers
    licence_only(artist, terms_url=TERMS)

    policy = odrl(client, artist.public_id)

    assert policy["uid"] == f"{settings.SITE_URL}/policies/{artist.public_id}.json"
    assert policy["assigner"]["vcard:hasURL"] == TERMS
    # The offer covers the creator's catalogue, identified by their public page, not a licence.
    (permission,) = policy["permission"]
    assert permission["target"] == f"{settings.SITE_URL}/c/{artist.handle}/"
    assert client.get(f"/c/{artist.handle}/").status_code == 200


def test_there_is_no_policy_without_a_licence_offer(client, artist):
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    track = register(artist, verified=True)
    silent = make_artist("Quiet Band", "quiet-band")

    for public_id in (track.public_id, artist.public_id, silent.public_id, UNKNOWN):
        response = client.get(f"/policies/{public_id}.json")
        assert response.status_code == 404, public_id
        assert response["Content-Type"] == "application/problem+json"


def test_a_policy_comes_and_goes_with_the_licence_at_once(client, artist):
    track = register(artist, verified=True)
    assert client.get(f"/policies/{track.public_id}.json").status_code == 404

    licence_only(artist, contact_email=EMAIL)
    assert odrl(client, track.public_id)["assigner"]["vcard:hasEmail"] == f"mailto:{EMAIL}"

    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    assert client.get(f"/policies/{track.public_id}.json").status_code == 404


def test_a_track_licence_covers_its_page_and_links_and_offers_the_terms(client, artist):
    declare(artist, {Purpose.AI_INPUT: PurposeChoice(Value.DENY)})
    licence_only(artist, terms_url=TERMS)
    track = register(artist, "https://soundcloud.com/owner-band/night-drive", verified=True)

    root = rsl(client, track.public_id)

    urls = root.xpath("/rsl:rsl/rsl:content/@url", namespaces=RSL)
    # The page is a prefix; a registered link is that URL only (RFC 9309 `$`).
    assert urls == [
        f"{settings.SITE_URL}/t/{track.public_id}/",
        "https://soundcloud.com/owner-band/night-drive$",
    ]
    content = root.find("rsl:content", RSL)
    # Nothing is free, so the only licence is the paid one; nothing else is licensed.
    (paid,) = content.findall("rsl:license", RSL)
    assert paid.findtext("rsl:permits", namespaces=RSL) == "ai-train"
    assert set(paid.findtext("rsl:prohibits", namespaces=RSL).split()) == {"ai-input", "ai-index"}
    assert paid.find("rsl:payment", RSL).get("type") == "training"
    assert paid.findtext("rsl:payment/rsl:custom", namespaces=RSL) == TERMS
    assert content.findtext("rsl:terms", namespaces=RSL) == TERMS


def test_the_registry_copy_of_a_creator_licence_names_each_work_by_absolute_url(client, artist):
    """Served from the registry, "/" would mean the registry; the copy names the works."""
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    track = register(artist, "https://soundcloud.com/owner-band/night-drive", verified=True)

    root = rsl(client, artist.public_id)

    urls = [content.get("url") for content in root.findall("rsl:content", RSL)]
    assert urls == [
        f"{settings.SITE_URL}/t/{track.public_id}/",
        "https://soundcloud.com/owner-band/night-drive$",
    ]
    for content in root.findall("rsl:content", RSL):
        assert content.findtext("rsl:license/rsl:permits", namespaces=RSL) == "search"
        prohibited = content.findtext("rsl:license/rsl:prohibits", namespaces=RSL).split()
        assert set(prohibited) == {"ai-train", "ai-input", "ai-index"}


def test_the_kit_copy_of_a_creator_licence_covers_the_site_that_hosts_it(client, artist):
    register(artist, verified=True)  # a proven owner: only they publish permissions
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    root = etree.fromstring(client.get(f"/c/{artist.handle}/rsl.xml").content)
    (content,) = root.findall("rsl:content", RSL)
    assert content.get("url") == "/"


def test_a_licence_follows_a_declaration_at_once(client, artist):
    track = register(artist, verified=True)
    assert rsl(client, track.public_id).findall("rsl:content", RSL) == []

    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)})

    permitted = rsl(client, track.public_id).findtext(
        "rsl:content/rsl:license/rsl:permits", namespaces=RSL
    )
    assert "ai-train" in permitted.split()


def test_an_unknown_id_has_no_licence(client):
    response = client.get(f"/licenses/{UNKNOWN}.xml")

    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_an_unproven_creators_kit_publishes_no_licence_offer_until_a_claim_is_verified(
    client, other_artist
):
    data = TrackData(title="Song", artist_credit="X", roles=["recording"], links=())
    register_track(other_artist, data)
    licence_only(other_artist, terms_url="https://pay.example/me", contact_email="me@pay.example")
    declare(other_artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    offer = client.get(f"/policies/{other_artist.public_id}.json")
    assert offer.status_code == 404
    headers = client.get(f"/c/{other_artist.handle}/headers.txt").content.decode()
    assert "pay.example" not in headers
    verify_claims_of(other_artist)
    assert "pay.example" in client.get(f"/policies/{other_artist.public_id}.json").content.decode()


def test_a_training_licence_beside_a_denial_of_ai_input_offers_no_mining_but_names_the_licence(
    client, artist
):
    """The trial's case: training under licence, answer-time use refused. TDMRep's one offer is
    for all mining, so it would offer the refused use too: no `tdm-policy` is published, and the
    policy address says why and where the licence is, instead of "no licence"."""
    declare(artist, {Purpose.AI_INPUT: PurposeChoice(Value.DENY)})
    licence_only(artist, terms_url=TERMS)
    track = register(artist, verified=True)

    response = client.get(f"/policies/{track.public_id}.json")
    page = client.get(f"/t/{track.public_id}/")

    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "refuse the rest (ai-input)" in detail
    assert f"/licenses/{track.public_id}.xml" in detail
    assert "offer no licence" not in detail
    assert page["tdm-reservation"] == "1"
    assert "tdm-policy" not in page


def test_a_licence_for_non_generative_training_beside_a_refusal_offers_nothing_refused(
    client, artist
):
    """Training under licence, generative training refused: RSL's one `ai-train` token takes the
    refusal and TDMRep's one offer would sell generative training too, so neither offers; the
    policy address names the licence and the refusal."""
    licence_only(artist, terms_url=TERMS)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    track = register(artist, verified=True)

    page = client.get(f"/t/{track.public_id}/")
    response = client.get(f"/policies/{track.public_id}.json")

    assert "Link" not in page
    assert "tdm-policy" not in page
    assert response.status_code == 404
    assert "refuse the rest (train-genai)" in response.json()["detail"]


def test_the_404_never_says_there_is_no_licence_when_there_is_one(client, artist):
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.LICENSE, terms_url=TERMS)})
    search_only = register(artist, title="Search only", verified=True)

    response = client.get(f"/policies/{search_only.public_id}.json")

    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "only for search indexing" in detail
    assert f"/licenses/{search_only.public_id}.xml" in detail
    assert "offer no licence" not in detail


def test_an_unverified_licence_is_named_as_waiting_for_proof_not_as_absent(client, other_artist):
    licence_only(other_artist, terms_url="https://pay.example/me")
    data = TrackData(title="Song", artist_credit="X", roles=["recording"], links=())
    track = register_track(other_artist, data).tracks[0]

    detail = client.get(f"/policies/{track.public_id}.json").json()["detail"]

    assert "not verified" in detail
    assert "offer no licence" not in detail


def test_the_no_licence_wording_is_kept_for_an_opt_out(client, artist):
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    track = register(artist, verified=True)

    detail = client.get(f"/policies/{track.public_id}.json").json()["detail"]

    assert detail == "The owners offer no licence for this music, so there is no TDMRep policy."
