"""Evidence is capped per party per dispute, per dispute and per account per day, in pieces and
bytes; over a cap the party is told which and how much is left, and nothing is stored."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat

from consent.contests import add_evidence, contest_claim
from consent.models import Claim, Dispute, Evidence
from consent.services import ConsentError
from tests.conftest import make_artist
from tests.disputes_helpers import PDF_BYTES, claim_of, owned_track, upload

PDF = len(PDF_BYTES)


def contest(contester, owner, isrc: str = "USRC17607839") -> Dispute:
    track = owned_track(owner, isrc=isrc)
    return contest_claim(contester, claim_of(owner, track), "I own this recording", "Mine.")


def links(*names: str) -> list[str]:
    return [f"https://proof.example/{name}" for name in names]


def pdfs(*names: str) -> list:
    return [upload(f"{name}.pdf", PDF_BYTES) for name in names]


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def dispute(db, artist, other_artist, private_media) -> Dispute:
    return contest(other_artist, artist)


def refused(creator, dispute, files=(), given=()) -> str:
    before = Evidence.objects.count()
    with pytest.raises(ConsentError) as refusal:
        add_evidence(creator, dispute, list(files), list(given))
    assert Evidence.objects.count() == before, "nothing is stored"
    return str(refusal.value)


# --- Per party in one dispute ---------------------------------------------------------------


def test_a_party_over_its_count_is_told_how_many_more_fit(settings, other_artist, dispute):
    settings.EVIDENCE_PARTY_MAX_ITEMS = 3
    add_evidence(other_artist, dispute, links=links("a", "b"))
    assert refused(other_artist, dispute, given=links("c", "d")) == (
        "You can add at most 3 pieces of evidence (files and links) to one dispute. You have "
        "added 2 pieces, so there is room for 1 more, and this addition has 2. Nothing was "
        "added. Choose the evidence that matters most, or give links to large files."
    )
    add_evidence(other_artist, dispute, links=links("c"))
    assert "there is no room left" in refused(other_artist, dispute, given=links("d"))


def test_a_party_over_its_bytes_is_told_how_much_more_fits(
    settings, other_artist, dispute, private_media
):
    settings.EVIDENCE_PARTY_MAX_BYTES = 2 * PDF + 10
    add_evidence(other_artist, dispute, files=pdfs("one"))
    files_before = stored_files(private_media)
    message = refused(other_artist, dispute, files=pdfs("two", "three"))
    assert message == (
        f"Your evidence files in one dispute can total at most {filesizeformat(2 * PDF + 10)}. "
        f"You have added {filesizeformat(PDF)}, so there is room for "
        f"{filesizeformat(PDF + 10)} more, and these files total {filesizeformat(2 * PDF)}. "
        "Nothing was added. Choose the evidence that matters most, or give links to large files."
    )
    assert stored_files(private_media) == files_before
    add_evidence(other_artist, dispute, files=pdfs("two"))  # what fits is accepted


def test_the_party_cap_counts_each_party_alone(settings, artist, other_artist, dispute):
    settings.EVIDENCE_PARTY_MAX_ITEMS = 2
    add_evidence(other_artist, dispute, links=links("a", "b"))
    add_evidence(artist, dispute, links=links("c", "d"))
    assert dispute.evidence.count() == 4


# --- Per dispute, all parties together ------------------------------------------------------


def test_a_dispute_over_its_count_refuses_the_next_party(settings, artist, other_artist, dispute):
    settings.EVIDENCE_DISPUTE_MAX_ITEMS = 3
    add_evidence(artist, dispute, links=links("a", "b"))
    assert refused(other_artist, dispute, given=links("c", "d")) == (
        "A dispute can hold at most 3 pieces of evidence (files and links) from all its parties "
        "together. This dispute holds 2 pieces, so there is room for 1 more, and this addition "
        "has 2. Nothing was added. Choose the evidence that matters most, or give links to "
        "large files."
    )


def test_a_dispute_over_its_bytes_refuses_the_next_party(settings, artist, other_artist, dispute):
    settings.EVIDENCE_DISPUTE_MAX_BYTES = 2 * PDF
    add_evidence(artist, dispute, files=pdfs("a", "b"))
    message = refused(other_artist, dispute, files=pdfs("c"))
    assert message.startswith(
        "The evidence files of a dispute, from all its parties together, can total at most "
        f"{filesizeformat(2 * PDF)}. This dispute holds {filesizeformat(2 * PDF)}, so there is "
        f"no room left, and these files total {filesizeformat(PDF)}. Nothing was added."
    )
    add_evidence(other_artist, dispute, links=links("c"))  # links have no bytes


# --- Per account per day ---------------------------------------------------------------------


def test_an_account_over_its_daily_count_across_disputes_is_told_to_come_back_tomorrow(
    settings, artist, other_artist, dispute
):
    settings.EVIDENCE_DAILY_MAX_ITEMS = 3
    second = contest(other_artist, artist, isrc="USRC17607830")
    add_evidence(other_artist, dispute, links=links("a", "b"))
    assert refused(other_artist, second, given=links("c", "d")) == (
        "You can add at most 3 pieces of evidence (files and links) a day, across all your "
        "disputes. You have added 2 pieces today, so there is room for 1 more, and this "
        "addition has 2. Nothing was added. Add the rest tomorrow."
    )
    # Another account's day is its own.
    add_evidence(artist, second, links=links("c", "d"))


def test_an_account_over_its_daily_bytes_across_disputes_is_refused(
    settings, artist, other_artist, dispute
):
    settings.EVIDENCE_DAILY_MAX_BYTES = PDF
    second = contest(other_artist, artist, isrc="USRC17607830")
    add_evidence(other_artist, dispute, files=pdfs("a"))
    assert refused(other_artist, second, files=pdfs("b")).startswith(
        f"Your evidence files can total at most {filesizeformat(PDF)} a day, across all your "
        f"disputes. You have added {filesizeformat(PDF)} today, so there is no room left"
    )


def test_evidence_given_with_a_contest_counts_and_an_over_cap_contest_opens_nothing(
    settings, artist, other_artist, private_media
):
    settings.EVIDENCE_DAILY_MAX_ITEMS = 1
    track = owned_track(artist)
    with pytest.raises(ConsentError, match="at most 1 piece of evidence .* a day"):
        contest_claim(
            other_artist, claim_of(artist, track), "I own this recording", "Mine.",
            files=pdfs("contract"), links=links("release"),
        )  # fmt: skip
    assert Dispute.objects.count() == 0
    assert not Claim.objects.filter(creator=other_artist).exists()
    assert Evidence.objects.count() == 0
    assert stored_files(private_media) == []


def test_the_dispute_page_shows_which_cap_was_reached(settings, other_client, dispute):
    settings.EVIDENCE_PARTY_MAX_ITEMS = 1
    response = other_client.post(
        dispute.get_absolute_url(), {"action": "evidence", "links": "https://proof.example/a"}
    )
    assert response.status_code == 302
    response = other_client.post(
        dispute.get_absolute_url(), {"action": "evidence", "links": "https://proof.example/b"}
    )
    assert response.status_code == 200
    assert "You can add at most 1 piece of evidence (files and links) to one dispute." in (
        response.content.decode()
    )
    assert dispute.evidence.count() == 1


# --- Two uploads at once ----------------------------------------------------------------------


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def _race(hold_lock, second_upload) -> list:
    """`hold_lock` takes a row lock an upload takes and adds evidence in its transaction; while
    it holds it, `second_upload` runs, and must wait for it and count what it added."""
    holding, release = threading.Event(), threading.Event()
    outcome: list = []

    def first():
        try:
            with transaction.atomic():
                hold_lock()
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    def second():
        holding.wait(30)
        try:
            second_upload()
            outcome.append("stored")
        except ConsentError as exc:
            outcome.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)
    waited = _waiting_on_a_lock()
    release.set()
    for thread in threads:
        thread.join(30)
    assert waited, "the second upload ran while the first held its lock"
    return outcome


@pytest.mark.django_db(transaction=True)
def test_two_uploads_to_one_dispute_at_once_cannot_both_pass_its_cap(settings, private_media):
    settings.EVIDENCE_DISPUTE_MAX_ITEMS = 1
    owner, contester = make_artist(), make_artist()
    dispute = contest(contester, owner)

    def upload_by_owner():
        locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
        Evidence.objects.create(
            dispute=locked, submitted_by=owner.user, creator=owner, url="https://proof.example/1"
        )

    outcome = _race(upload_by_owner, lambda: add_evidence(contester, dispute, links=links("2")))
    assert outcome == [
        "A dispute can hold at most 1 piece of evidence (files and links) from all its parties "
        "together. This dispute holds 1 piece, so there is no room left, and this addition has "
        "1. Nothing was added. Choose the evidence that matters most, or give links to large "
        "files."
    ]
    assert Evidence.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_uploads_by_one_account_to_two_disputes_at_once_cannot_both_pass_the_day(
    settings, private_media
):
    settings.EVIDENCE_DAILY_MAX_ITEMS = 1
    owner, contester = make_artist(), make_artist()
    first, second = contest(contester, owner), contest(contester, owner, isrc="USRC17607830")

    def upload_to_first():
        Dispute.objects.select_for_update().get(pk=first.pk)
        type(contester).objects.select_for_update().get(pk=contester.pk)
        Evidence.objects.create(
            dispute=first, submitted_by=contester.user, creator=contester,
            url="https://proof.example/1",
        )  # fmt: skip

    outcome = _race(upload_to_first, lambda: add_evidence(contester, second, links=links("2")))
    assert len(outcome) == 1 and outcome[0].startswith(
        "You can add at most 1 piece of evidence (files and links) a day"
    )
    assert Evidence.objects.count() == 1
