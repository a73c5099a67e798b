"""An artist's receipts (docs/log.md, "Receipts for artists"): the JSON document for each
declaration, the printable page, who may fetch them, declarations the log does not hold yet, and
the index that finds a declaration's entry without reading the log.

The proofs in a receipt are checked with tests/registry/log_verifier.py (written from the RFC),
never with the code under test.
"""

import base64
import hashlib
import json

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from consent.models import Declaration
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from consent.transparency import declaration_receipts as receipts
from consent.transparency import keys
from tests.conftest import give_second_factor
from tests.factories import register
from tests.registry import log_verifier as v

pytestmark = pytest.mark.django_db


def declared(artist, track=None, value=Value.DENY, purpose=Purpose.TRAIN_GENAI) -> Declaration:
    (row,) = declare(artist, {purpose: PurposeChoice(value)}, track=track)
    return row


def check(document: dict) -> None:
    """Every fact of a receipt, checked from outside."""
    data = base64.b64decode(document["entry"]["data"])
    leaf = v.leaf(data)
    assert base64.b64decode(document["entry"]["leaf_hash"]) == leaf
    assert json.loads(data) == document["entry"]["record"]
    origin, size, root = v.check_checkpoint(document["checkpoint"], keys.verifier().to_string())
    assert origin == document["log"]["origin"] == keys.origin()
    assert size == document["inclusion"]["tree_size"]
    path = [base64.b64decode(h) for h in document["inclusion"]["path"]]
    assert v.verify_inclusion(document["entry"]["index"], size, leaf, path, root)


def test_the_receipt_is_the_declarations_entry_proven_up_to_a_signed_checkpoint(
    owner_client, artist
):
    track = register(artist, title="Paper Lanterns")
    declared(artist)
    row = declared(artist, track)
    declared(artist, value=Value.UNSET)  # the log grows after it: the receipt still proves it

    response = owner_client.get(reverse("declaration_receipt", args=[row.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="declaration-{row.pk}-receipt.json"'
    )
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    assert document["v"] == 1 and document["type"] == "declaration-receipt"
    assert document["registry"] == settings.SITE_URL
    assert document["log"]["verifier_key"] == keys.verifier().to_string()
    record = document["entry"]["record"]
    assert record["type"] == "declaration" and record["declaration"] == row.pk
    assert record["track"] == str(track.public_id) and record["value"] == "deny"
    check(document)
    index, size = document["entry"]["index"], document["inclusion"]["tree_size"]
    online = document["check_online"]
    assert online["checkpoint"] == f"{settings.SITE_URL}/log/checkpoint"
    assert online["inclusion"] == (
        f"{settings.SITE_URL}/api/v1/log/proof/inclusion?index={index}&tree_size={size}"
    )
    assert online["entries"].endswith(f"/api/v1/log/entries?start={index}&end={index + 1}")


def test_only_the_declaring_artist_or_staff_with_a_second_factor_may_fetch_it(
    client, artist, other_artist, reviewer, admin_user, django_user_model
):
    row = declared(artist)
    urls = [
        reverse("declaration_receipt", args=[row.pk]),
        reverse("declaration_receipt_page", args=[row.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(other_artist.user)
    for url in urls + [reverse("declaration_receipt", args=[row.pk + 1000])]:
        assert client.get(url).status_code == 404
    staff = django_user_model.objects.create_user("plainstaff", "s@example.org", is_staff=True)
    client.force_login(staff)  # staff without a second factor
    assert client.get(urls[0]).status_code == 404
    give_second_factor(staff)
    for user in (staff, reviewer, admin_user):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(artist.user)
    assert client.post(urls[0]).status_code == 405


def test_the_history_links_each_logged_declaration_to_its_receipts(owner_client, artist):
    row = declared(artist)
    page = owner_client.get(reverse("history")).content.decode()
    assert reverse("declaration_receipt", args=[row.pk]) in page
    assert reverse("declaration_receipt_page", args=[row.pk]) in page
    assert "Download receipt (JSON)" in page and "Printable receipt" in page


def test_the_printable_receipt_says_the_same_facts_in_plain_words(owner_client, artist):
    track = register(artist, title="Paper Lanterns", isrc="GBAYE2600007")
    row = declared(artist, track)
    document = owner_client.get(reverse("declaration_receipt", args=[row.pk])).json()
    page = owner_client.get(reverse("declaration_receipt_page", args=[row.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Paper Lanterns" in text and "GBAYE2600007" in text
    assert "Training generative AI" in text and "Not allowed" in text
    assert f'<dd id="entry-index">{document["entry"]["index"]}</dd>' in text
    _, size, root = v.check_checkpoint(document["checkpoint"], keys.verifier().to_string())
    assert base64.b64encode(root).decode() in text
    assert f"{size} entr" in text
    assert document["entry"]["leaf_hash"] in text
    assert keys.verifier().to_string() in text
    assert "python consent_verify.py declaration" in text
    assert "— " + keys.verifier().name in text  # the checkpoint's signature line


def a_declaration_from_before_the_log(artist) -> Declaration:
    """A row written as the registry wrote them before the log existed: no entry."""
    return Declaration.objects.create(
        creator=artist, purpose=Purpose.TDM, value=Value.DENY, declared_at=timezone.now()
    )


def test_a_declaration_the_log_does_not_hold_yet_says_why_and_offers_no_receipt(
    owner_client, artist
):
    old = a_declaration_from_before_the_log(artist)
    new = declared(artist)
    history = owner_client.get(reverse("history")).content.decode()
    assert reverse("declaration_receipt", args=[new.pk]) in history
    assert reverse("declaration_receipt", args=[old.pk]) not in history
    assert "Not available yet: declared before the public log existed" in history

    response = owner_client.get(reverse("declaration_receipt", args=[old.pk]))
    assert response.status_code == 404
    assert "before the registry's public log existed" in response.content.decode()
    page = owner_client.get(reverse("declaration_receipt_page", args=[old.pk]))
    assert page.status_code == 200
    assert "The receipt is not available yet" in page.content.decode()
    assert "public log existed, and it has not been added to the log yet" in page.content.decode()


def test_without_a_signing_key_the_receipt_says_so(owner_client, artist, settings):
    row = declared(artist)
    settings.LOG_SIGNING_KEY = ""
    assert owner_client.get(reverse("declaration_receipt", args=[row.pk])).status_code == 404
    page = owner_client.get(reverse("declaration_receipt_page", args=[row.pk]))
    assert page.status_code == 200
    assert "no signing key is configured" in page.content.decode()


def test_the_entry_of_a_declaration_is_found_among_other_records(artist):
    rows = [declared(artist), declared(artist, purpose=Purpose.SEARCH)]
    rows += declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    found = receipts.logged_declarations([row.pk for row in rows] + [10**9])
    assert sorted(found) == sorted(row.pk for row in rows)
    for row in rows:
        index, data = receipts.declaration_entry(row.pk)
        assert found[row.pk] == index
        assert json.loads(data)["declaration"] == row.pk
    with pytest.raises(receipts.NotLogged):
        receipts.declaration_entry(10**9)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL")
def test_finding_the_entry_reads_the_index_not_the_log(artist):
    declared(artist)
    key, predicate = receipts.lookup_sql()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f'EXPLAIN SELECT "index", data FROM consent_logentry WHERE {predicate} AND {key} IN (1)'  # noqa: S608
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "consent_logentry_declaration" in plan, plan


def test_the_verifier_downloads_from_the_site_as_in_the_source_and_its_digest_is_shown(client):
    source = (settings.BASE_DIR / "verifier" / "consent_verify.py").read_bytes()
    response = client.get("/log/consent_verify.py")
    assert response.status_code == 200
    assert response.content == source
    assert response["Content-Disposition"] == 'attachment; filename="consent_verify.py"'
    page = client.get(reverse("log")).content.decode()
    assert hashlib.sha256(source).hexdigest() in page
    assert 'href="/log/consent_verify.py"' in page
